/*
 * presswatch match --canonical FILE [--threshold X] ARTICLE_FILE...
 *
 * Prints one JSON line per article. An unreadable article is reported on
 * stderr by name and the others are still matched; the exit status is then 1.
 */
#include "cli/cli.h"

#include "analysis/analysis.h"
#include "common/buf.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MATCH_FILE_MAX ((size_t)64 * 1024 * 1024)

static void match_usage(FILE *f)
{
    fprintf(f, "usage: presswatch match --canonical FILE [--threshold X] ARTICLE_FILE...\n");
}

/* Texts are C strings from here on: a stray NUL must not hide the rest. */
static void unnul(struct buf *b)
{
    for (size_t i = 0; i < b->len; i++)
        if (b->data[i] == '\0')
            b->data[i] = ' ';
}

static int parse_threshold(const char *s, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < 0.0 || v > 1.0)
        return -1;
    *out = v;
    return 0;
}

int cmd_match(int argc, char **argv)
{
    const char *canon_path = NULL;
    double threshold = 0.30;
    char err[512];
    struct buf text = BUF_INIT;
    struct match_canon *canon = NULL;
    int i, status = 0;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--canonical") && i + 1 < argc) {
            canon_path = argv[++i];
        } else if (!strcmp(argv[i], "--threshold") && i + 1 < argc) {
            if (parse_threshold(argv[++i], &threshold) < 0) {
                fprintf(stderr, "presswatch match: --threshold '%s': not a number in 0..1\n",
                        argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            match_usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--")) {
            i++;
            break;
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            fprintf(stderr, "presswatch match: unknown or incomplete option '%s'\n", argv[i]);
            match_usage(stderr);
            return 2;
        } else {
            break;
        }
    }
    if (!canon_path || i >= argc) {
        match_usage(stderr);
        return 2;
    }

    if (buf_read_file(&text, canon_path, MATCH_FILE_MAX, err, sizeof err) < 0) {
        fprintf(stderr, "presswatch match: %s\n", err);
        status = 1;
        goto out;
    }
    unnul(&text);
    if (match_canon_new(text.data ? text.data : "", &canon, err, sizeof err) < 0) {
        fprintf(stderr, "presswatch match: %s: %s\n", canon_path, err);
        status = 1;
        goto out;
    }
    for (; i < argc; i++) {
        struct match_result r;
        char *json = NULL;
        buf_reset(&text);
        if (buf_read_file(&text, argv[i], MATCH_FILE_MAX, err, sizeof err) < 0) {
            fprintf(stderr, "presswatch match: %s\n", err);
            status = 1;
            continue;
        }
        unnul(&text);
        if (match_article(canon, text.data ? text.data : "", threshold, &r, err, sizeof err) < 0) {
            fprintf(stderr, "presswatch match: %s: %s\n", argv[i], err);
            status = 1;
            continue;
        }
        if (match_result_json(&r, argv[i], &json) < 0) {
            fprintf(stderr, "presswatch match: %s: out of memory\n", argv[i]);
            match_result_clear(&r);
            status = 1;
            continue;
        }
        printf("%s\n", json);
        free(json);
        match_result_clear(&r);
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "presswatch match: writing output: %s\n", strerror(errno));
        status = 1;
    }
out:
    match_canon_free(canon);
    buf_free(&text);
    return status;
}
