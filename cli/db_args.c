#include "cli/db_args.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "daemon/conf.h"
#include "store/store.h"

int db_open(int argc, char **argv, const char *usage, int maxpos, struct db_args *a,
            struct store **st)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'}, {"database", required_argument, NULL, 'd'},
        {"feed", required_argument, NULL, 'f'},   {"canonical", required_argument, NULL, 'n'},
        {"limit", required_argument, NULL, 'l'},  {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:d:f:n:l:", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            a->config = optarg;
            break;
        case 'd':
            a->database = optarg;
            break;
        case 'f':
            a->feed = optarg;
            break;
        case 'n':
            a->canonical = optarg;
            break;
        case 'l':
            a->limit = (int)strtol(optarg, NULL, 10);
            break;
        default:
            fprintf(stderr, "usage: presswatch %s\n", usage);
            return -1;
        }
    }
    if (maxpos > DB_ARGS_MAX_POS)
        maxpos = DB_ARGS_MAX_POS;
    if (argc - optind > maxpos || (!a->config && !a->database)) {
        fprintf(stderr, "usage: presswatch %s\n", usage);
        return -1;
    }
    for (a->npos = 0; optind < argc; optind++)
        a->pos[a->npos++] = argv[optind];
    char err[512];
    struct conf *conf = NULL;
    const char *path = a->database;
    if (!path) {
        struct buf errors = BUF_INIT;
        if (conf_load(a->config, &conf, &errors) < 0) {
            fputs(errors.data ? errors.data : "config: unknown error\n", stderr);
            buf_free(&errors);
            return -1;
        }
        path = conf->database;
    }
    /* Reading must not create an empty database where none was. */
    if (!store_is_server(path) && access(path, F_OK) != 0) {
        fprintf(stderr, "presswatch: no database at %s (has presswatchd run yet?)\n", path);
        conf_free(conf);
        return -1;
    }
    int rc = store_open(path, st, err, sizeof err);
    if (rc < 0)
        fprintf(stderr, "presswatch: %s\n", err);
    conf_free(conf);
    return rc;
}

void db_fmt_time(time_t t, char *out, size_t n)
{
    struct tm tm;
    if (!t || !gmtime_r(&t, &tm) || !strftime(out, n, "%Y-%m-%d %H:%M", &tm))
        snprintf(out, n, "-");
}
