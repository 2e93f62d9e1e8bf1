/*
 * bench_extract DIR [ROUNDS]: runs page_extract() over every .html and
 * .html.gz page in DIR (the benchmark's zyte/html folder, say) in one
 * process on one core, and prints pages/s and MB/s of input HTML. Reading
 * and gunzipping happen before the clock starts.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libxml/xmlIO.h>

#include "common/buf.h"
#include "fetchers/page.h"

struct page {
    char *data;
    size_t len;
};

/* Reads a plain or gzipped file into b; libxml2's input layer gunzips, so
 * the bench needs no zlib of its own. */
static int load(const char *path, struct buf *b)
{
    xmlParserInputBufferPtr in = xmlParserInputBufferCreateFilename(path, XML_CHAR_ENCODING_NONE);
    if (!in)
        return -1;
    int n;
    while ((n = xmlParserInputBufferRead(in, 65536)) > 0)
        ;
    int rc = n < 0 ? -1 : buf_append(b, xmlBufContent(in->buffer), xmlBufUse(in->buffer));
    xmlFreeParserInputBuffer(in);
    return rc;
}

static int has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: bench_extract DIR [ROUNDS]\n");
        return 2;
    }
    int rounds = argc == 3 ? atoi(argv[2]) : 3;
    if (rounds < 1)
        rounds = 1;
    DIR *dir = opendir(argv[1]);
    if (!dir) {
        perror(argv[1]);
        return 1;
    }
    struct page *pages = NULL;
    size_t np = 0, cap = 0, bytes = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (!has_suffix(e->d_name, ".html") && !has_suffix(e->d_name, ".html.gz"))
            continue;
        char path[4096];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name) >= sizeof path)
            continue;
        struct buf b = BUF_INIT;
        if (load(path, &b) < 0) {
            fprintf(stderr, "bench_extract: cannot read %s\n", path);
            buf_free(&b);
            continue;
        }
        if (np == cap) {
            cap = cap ? cap * 2 : 256;
            struct page *p = realloc(pages, cap * sizeof *p);
            if (!p) {
                fprintf(stderr, "bench_extract: out of memory\n");
                return 1;
            }
            pages = p;
        }
        pages[np].len = b.len;
        pages[np++].data = b.data;
        bytes += b.len;
    }
    closedir(dir);
    if (np == 0) {
        fprintf(stderr, "bench_extract: no .html or .html.gz pages in %s\n", argv[1]);
        return 1;
    }

    double best = 0;
    size_t failed = 0;
    for (int r = 0; r < rounds; r++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        failed = 0;
        for (size_t i = 0; i < np; i++) {
            struct page_article a;
            char err[256];
            if (page_extract(pages[i].data, pages[i].len, NULL, NULL, &a, err, sizeof err) < 0)
                failed++;
            page_article_free(&a);
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        if (r == 0 || s < best)
            best = s;
    }
    printf("pages %zu (%.1f MB), failed %zu, best of %d rounds: %.3f s\n", np, bytes / 1e6, failed,
           rounds, best);
    printf("extract: %.1f pages/s, %.1f MB/s\n", np / best, bytes / 1e6 / best);
    for (size_t i = 0; i < np; i++)
        free(pages[i].data);
    free(pages);
    return 0;
}
