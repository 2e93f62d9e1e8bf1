/* Commands that read the configuration or the daemon's database. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/buf.h"
#include "daemon/conf.h"
#include "store/store.h"

int cmd_check_config(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: presswatch check-config FILE\n");
        return 2;
    }
    struct buf errors = BUF_INIT;
    struct conf *c;
    if (conf_load(argv[1], &c, &errors) < 0) {
        fputs(errors.data ? errors.data : "config: unknown error\n", stderr);
        buf_free(&errors);
        return 1;
    }
    printf("%s: ok: %zu feeds, %zu canonical texts, database %s\n", argv[1], c->nfeeds,
           c->ncanonicals, c->database);
    conf_free(c);
    return 0;
}

struct db_args {
    const char *config;
    const char *database;
    const char *feed;
    const char *canonical;
    int limit;
};

/* Parses the options shared by the database commands and opens the store
 * named by --database or by the config's database key. */
static int open_db(int argc, char **argv, const char *usage, struct db_args *a, struct store **st)
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
    if (optind != argc || (!a->config && !a->database)) {
        fprintf(stderr, "usage: presswatch %s\n", usage);
        return -1;
    }
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
    if (access(path, F_OK) != 0) {
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

static void fmt_time(time_t t, char *out, size_t n)
{
    struct tm tm;
    if (!t || !gmtime_r(&t, &tm) || !strftime(out, n, "%Y-%m-%d %H:%M", &tm))
        snprintf(out, n, "-");
}

static int print_article(const struct store_article_row *r, void *arg)
{
    char first[32], last[32];
    (void)arg;
    fmt_time(r->first_seen, first, sizeof first);
    fmt_time(r->last_seen, last, sizeof last);
    printf("%-6lld %-16.16s %3d  %-16s  %-16s  %s\n    %s\n", (long long)r->article_id,
           r->feed ? r->feed : "", r->versions, first, last, r->title ? r->title : "(untitled)",
           r->link ? r->link : r->guid);
    return 0;
}

int cmd_articles(int argc, char **argv)
{
    struct db_args a = {0};
    struct store *st;
    char err[512];
    if (open_db(argc, argv, "articles --config FILE|--database DB [--feed NAME] [--limit N]", &a,
                &st) < 0)
        return 2;
    printf("%-6s %-16s %3s  %-16s  %-16s  %s\n", "id", "feed", "ver", "first seen (UTC)",
           "last seen", "title / link");
    int rc = store_list_articles(st, a.feed, a.limit, print_article, NULL, err, sizeof err);
    if (rc < 0)
        fprintf(stderr, "presswatch: %s\n", err);
    store_close(st);
    return rc < 0 ? 1 : 0;
}

static int print_coverage(const struct store_coverage_row *r, void *arg)
{
    char when[32];
    (void)arg;
    fmt_time(r->first_covered, when, sizeof when);
    printf("%-20.20s %-16.16s %5.2f  %-4s %-16s  %-14s %s\n    %s\n", r->canonical,
           r->feed ? r->feed : "", r->score, r->lang ? r->lang : "", when,
           r->paragraphs ? r->paragraphs : "", r->title ? r->title : "(untitled)",
           r->link ? r->link : "");
    return 0;
}

int cmd_coverage(int argc, char **argv)
{
    struct db_args a = {0};
    struct store *st;
    char err[512];
    if (open_db(argc, argv, "coverage --config FILE|--database DB [--canonical NAME]", &a, &st) < 0)
        return 2;
    printf("%-20s %-16s %5s  %-4s %-16s  %-14s %s\n", "canonical", "feed", "score", "lang",
           "first (UTC)", "paragraphs", "title / link");
    int rc = store_list_coverage(st, a.canonical, print_coverage, NULL, err, sizeof err);
    if (rc < 0)
        fprintf(stderr, "presswatch: %s\n", err);
    store_close(st);
    return rc < 0 ? 1 : 0;
}

static int print_feed(const struct store_feed_state *f, void *arg)
{
    char attempt[32], success[32], due[32];
    (void)arg;
    fmt_time(f->last_attempt, attempt, sizeof attempt);
    fmt_time(f->last_success, success, sizeof success);
    fmt_time(f->next_due, due, sizeof due);
    const char *state = f->gone                       ? "gone"
                        : f->error_alerted            ? "failing"
                        : f->consecutive_failures > 0 ? "retrying"
                        : f->last_attempt             ? "ok"
                                                      : "new";
    const char *validators = f->unconditional              ? "unconditional"
                             : f->etag && f->last_modified ? "etag+date"
                             : f->etag                     ? "etag"
                             : f->last_modified            ? "date"
                                                           : "none";
    printf("%-20.20s %-8s %-16s  %-16s  %3ld %9lld %4d/%-4d %3d  %-16s  %s\n", f->name, state,
           attempt, success, f->last_status, (long long)f->bytes, f->items_new, f->items_seen,
           f->consecutive_failures, due, validators);
    if (f->moved_url)
        printf("    moved to %s\n", f->moved_url);
    if (f->last_error)
        printf("    last error: %s\n", f->last_error);
    return 0;
}

int cmd_status(int argc, char **argv)
{
    struct db_args a = {0};
    struct store *st;
    char err[512];
    if (open_db(argc, argv, "status --config FILE|--database DB", &a, &st) < 0)
        return 2;
    printf("%-20s %-8s %-16s  %-16s  %3s %9s %9s %3s  %-16s  %s\n", "feed", "state", "last attempt",
           "last success", "st", "bytes", "new/seen", "err", "next due (UTC)", "validators");
    int rc = store_list_feeds(st, print_feed, NULL, err, sizeof err);
    if (rc < 0)
        fprintf(stderr, "presswatch: %s\n", err);
    store_close(st);
    return rc < 0 ? 1 : 0;
}
