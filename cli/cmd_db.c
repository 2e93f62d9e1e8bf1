/* Commands that read the configuration or the daemon's database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/db_args.h"
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

static int print_article(const struct store_article_row *r, void *arg)
{
    char first[32], last[32];
    (void)arg;
    db_fmt_time(r->first_seen, first, sizeof first);
    db_fmt_time(r->last_seen, last, sizeof last);
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
    if (db_open(argc, argv, "articles --config FILE|--database DB [--feed NAME] [--limit N]", 0, &a,
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
    db_fmt_time(r->first_covered, when, sizeof when);
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
    if (db_open(argc, argv, "coverage --config FILE|--database DB [--canonical NAME]", 0, &a, &st) <
        0)
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
    db_fmt_time(f->last_attempt, attempt, sizeof attempt);
    db_fmt_time(f->last_success, success, sizeof success);
    db_fmt_time(f->next_due, due, sizeof due);
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
    /* an expired lease is history: the feed is free for any node */
    if (f->lease_node && f->lease_until > *(const time_t *)arg) {
        char until[32];
        db_fmt_time(f->lease_until, until, sizeof until);
        printf("    polled by node %s (lease until %s)\n", f->lease_node, until);
    }
    return 0;
}

static int print_node(const struct store_node_row *r, void *arg)
{
    char beat[32];
    time_t now = *(const time_t *)arg;
    db_fmt_time(r->heartbeat, beat, sizeof beat);
    printf("node %-24.24s  last heartbeat %s (%llds ago)  %lld feed%s held\n", r->name, beat,
           (long long)(now - r->heartbeat), (long long)r->feeds, r->feeds == 1 ? "" : "s");
    return 0;
}

int cmd_status(int argc, char **argv)
{
    struct db_args a = {0};
    struct store *st;
    char err[512];
    if (db_open(argc, argv, "status --config FILE|--database DB", 0, &a, &st) < 0)
        return 2;
    printf("%-20s %-8s %-16s  %-16s  %3s %9s %9s %3s  %-16s  %s\n", "feed", "state", "last attempt",
           "last success", "st", "bytes", "new/seen", "err", "next due (UTC)", "validators");
    time_t now = time(NULL);
    int rc = store_list_feeds(st, print_feed, &now, err, sizeof err);
    /* Nodes sharing a server database (none with SQLite). */
    if (rc == 0) {
        printf("\n");
        rc = store_list_nodes(st, now, print_node, &now, err, sizeof err);
    }
    /* What the daemon still has to deliver, per channel. */
    static const char *const channels[] = {"log", "email", "file"};
    for (size_t i = 0; rc == 0 && i < sizeof channels / sizeof channels[0]; i++) {
        int64_t pending = 0;
        rc = store_delivery_backlog(st, channels[i], &pending, err, sizeof err);
        if (rc == 0)
            printf("%soutbox %s: %lld pending\n", i ? "" : "\n", channels[i], (long long)pending);
    }
    if (rc < 0)
        fprintf(stderr, "presswatch: %s\n", err);
    store_close(st);
    return rc < 0 ? 1 : 0;
}
