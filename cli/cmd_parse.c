/*
 * presswatch parse FILE|-: one feed in, the design's JSON contract out.
 */
#include "cli/cli.h"

#include "common/buf.h"
#include "fetchers/feed.h"

#include <stdio.h>
#include <stdlib.h>

#define PARSE_MAX_BYTES (64u * 1024 * 1024) /* larger than any sane feed */

int cmd_parse(int argc, char **argv)
{
    struct buf in = BUF_INIT;
    struct feed *f = NULL;
    char *json = NULL;
    char err[512];
    int rc = 1;

    if (argc != 2) {
        fprintf(stderr, "usage: presswatch parse FILE|-\n");
        return 2;
    }
    const char *path = argv[1];
    if (buf_read_file(&in, path, PARSE_MAX_BYTES, err, sizeof err) < 0) {
        fprintf(stderr, "presswatch parse: %s\n", err);
        goto out;
    }
    if (feed_parse(in.data, in.len, NULL, NULL, &f, err, sizeof err) < 0) {
        fprintf(stderr, "presswatch parse: %s: %s\n", path, err);
        goto out;
    }
    if (feed_to_json(f, &json) < 0) {
        fprintf(stderr, "presswatch parse: %s: out of memory\n", path);
        goto out;
    }
    if (printf("%s\n", json) < 0 || fflush(stdout) != 0) {
        perror("presswatch parse: stdout");
        goto out;
    }
    rc = 0;
out:
    free(json);
    feed_free(f);
    buf_free(&in);
    return rc;
}
