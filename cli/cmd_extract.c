/*
 * presswatch extract FILE|-: one HTML page in, its headline on the first
 * line, then the article's main text.
 */
#include "cli/cli.h"

#include "common/buf.h"
#include "fetchers/page.h"

#include <stdio.h>
#include <string.h>

int cmd_extract(int argc, char **argv)
{
    struct buf in = BUF_INIT;
    struct page_article a = {0};
    char err[512];
    int rc = 1;

    if (argc != 2) {
        fprintf(stderr, "usage: presswatch extract FILE|-\n");
        return 2;
    }
    const char *path = argv[1];
    /* Read one byte past the cap so that page_extract names the limit. */
    if (buf_read_file(&in, path, PAGE_MAX_BYTES + 1, err, sizeof err) < 0) {
        fprintf(stderr, "presswatch extract: %s\n", err);
        goto out;
    }
    if (page_extract(in.data, in.len, NULL, NULL, &a, err, sizeof err) < 0) {
        fprintf(stderr, "presswatch extract: %s: %s\n", path, err);
        goto out;
    }
    /* The title line must stay one line, whatever the page put in it. */
    for (char *p = a.title; p && *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    if (printf("%s\n\n%s\n", a.title ? a.title : "", a.text) < 0 || fflush(stdout) != 0) {
        perror("presswatch extract: stdout");
        goto out;
    }
    rc = 0;
out:
    page_article_free(&a);
    buf_free(&in);
    return rc;
}
