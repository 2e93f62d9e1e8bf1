/*
 * presswatch report --config FILE [--canonical NAME] --out DIR: the coverage
 * report as a static site (HTML with inline CSS and SVG, no scripts, no
 * external resources), read from the daemon's database opened read-only.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/report.h"
#include "daemon/conf.h"
#include "store/store.h"

#define USAGE "report --config FILE|--database DB [--canonical NAME] --out DIR"

/* "file:PATH?mode=ro", PATH percent-encoded where a URI needs it, so that
 * no name can add URI parameters of its own. */
static char *ro_uri(const char *path)
{
    struct buf b = BUF_INIT;
    int rc = buf_puts(&b, "file:");
    for (const unsigned char *s = (const unsigned char *)path; *s; s++) {
        if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
            strchr("/._-~", *s))
            rc |= buf_putc(&b, (char)*s);
        else
            rc |= buf_printf(&b, "%%%02X", *s);
    }
    rc |= buf_puts(&b, "?mode=ro");
    if (rc) {
        buf_free(&b);
        return NULL;
    }
    return buf_detach(&b);
}

int report_open(const char *config, const char *database, struct store **st)
{
    struct conf *conf = NULL;
    char err[512];
    int rc = -1;
    *st = NULL;
    if (!database) {
        struct buf errors = BUF_INIT;
        if (conf_load(config, &conf, &errors) < 0) {
            fputs(errors.data ? errors.data : "config: unknown error\n", stderr);
            buf_free(&errors);
            return -1;
        }
        database = conf->database;
    }
    /* Read-only would fail anyway; this says why in words. */
    if (!store_is_server(database) && access(database, F_OK) != 0) {
        fprintf(stderr, "presswatch: no database at %s (has presswatchd run yet?)\n", database);
        goto done;
    }
    /* a server database is opened as given: the report only reads */
    char *uri = store_is_server(database) ? strdup(database) : ro_uri(database);
    if (!uri) {
        fprintf(stderr, "presswatch: out of memory\n");
        goto done;
    }
    rc = store_open(uri, st, err, sizeof err);
    if (rc < 0)
        fprintf(stderr, "presswatch: %s\n", err);
    free(uri);
done:
    conf_free(conf);
    return rc;
}

int report_args(int argc, char **argv, const char *usage, struct report_args *a)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},    {"database", required_argument, NULL, 'd'},
        {"canonical", required_argument, NULL, 'n'}, {"out", required_argument, NULL, 'o'},
        {"listen", required_argument, NULL, 'l'},    {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:d:n:o:l:", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            a->config = optarg;
            break;
        case 'd':
            a->database = optarg;
            break;
        case 'n':
            a->canonical = optarg;
            break;
        case 'o':
            a->out = optarg;
            break;
        case 'l':
            a->listen = optarg;
            break;
        default:
            goto usage;
        }
    }
    if (optind == argc && (a->config || a->database))
        return 0;
usage:
    fprintf(stderr, "usage: presswatch %s\n", usage);
    return -1;
}

/* Warns when --canonical names nothing: an empty report is otherwise puzzling. */
int report_check_canonical(struct store *st, const char *name)
{
    struct rep_canon *v;
    size_t n;
    char err[512];
    if (!name)
        return 0;
    if (rep_canons(st, name, &v, &n, err, sizeof err) < 0) {
        fprintf(stderr, "presswatch: %s\n", err);
        return -1;
    }
    rep_canons_free(v, n);
    if (!n) {
        fprintf(stderr, "presswatch: no canonical text named \"%s\" in the database\n", name);
        return -1;
    }
    return 0;
}

int cmd_report(int argc, char **argv)
{
    struct report_args a = {0};
    struct store *st;
    char err[512];
    size_t pages = 0;
    if (report_args(argc, argv, USAGE, &a) < 0 || !a.out || a.listen) {
        if (!a.out || a.listen)
            fprintf(stderr, "usage: presswatch %s\n", USAGE);
        return 2;
    }
    if (report_open(a.config, a.database, &st) < 0)
        return 1;
    if (report_check_canonical(st, a.canonical) < 0) {
        store_close(st);
        return 1;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct report_ctx ctx = {.st = st, .only = a.canonical, .now = time(NULL)};
    int rc = report_write(&ctx, a.out, &pages, err, sizeof err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    store_close(st);
    if (rc < 0) {
        fprintf(stderr, "presswatch: %s\n", err);
        return 1;
    }
    printf("%s/index.html: %zu pages in %.2f s\n", a.out, pages,
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}
