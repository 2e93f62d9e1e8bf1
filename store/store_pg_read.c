/*
 * store, PostgreSQL backend: the operations that read. Results arrive
 * whole (libpq's default), so rows handed to callbacks point into the
 * PGresult and stay valid until the walk ends.
 */
#include "store/pg.h"

#include "common/buf.h"

#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

typedef void (*any_cb)(void); /* cast back before calling */
typedef int (*fill_fn)(const PGresult *r, int i, any_cb cb, void *arg); /* 1 stop, -1 OOM */

/* Runs id with p and hands each row to fill until it returns non-zero. */
static int walk(struct pg_store *st, enum pg_stmt id, struct pg_params *p, fill_fn fill, any_cb cb,
                void *arg, char *err, size_t errsz)
{
    PGresult *r = pg_run(st, id, p, err, errsz);
    if (!r)
        return -1;
    int rc = 0;
    for (int i = 0; i < PQntuples(r) && rc == 0; i++)
        rc = fill(r, i, cb, arg);
    PQclear(r);
    if (rc < 0)
        return pw_err(err, errsz, "store: %s: out of memory", pg_stmt_defs[id].what);
    return 0;
}

/* LIMIT NULL: no limit (store.h's 0 or less). */
static void pgp_limit(struct pg_params *p, int limit)
{
    if (limit > 0)
        pgp_int(p, limit);
    else
        pgp_null(p);
}

/* ---- outbox ---- */

static int fill_delivery(const PGresult *r, int i, any_cb cb, void *arg)
{
    struct store_delivery d = {
        .alert_id = pg_int(r, i, 0),
        .kind = pg_str(r, i, 1),
        .record = pg_str(r, i, 2),
        .channel = pg_str(r, i, 3),
        .attempts = (int)pg_int(r, i, 4),
        .cut_off = (int)pg_int(r, i, 5),
    };
    return ((store_delivery_cb)cb)(&d, arg) != 0;
}

int pg_store_delivery_due(struct pg_store *st, const char *channel, time_t now, int limit,
                          store_delivery_cb cb, void *arg, char *err, size_t errsz)
{
    struct pg_params p = {0};
    if (!channel || !cb)
        return pw_err(err, errsz, "store: read due deliveries: channel and callback required");
    pgp_text(&p, channel);
    pgp_int(&p, (int64_t)now);
    pgp_limit(&p, limit);
    if (!st->node)
        return walk(st, P_DELIVERY_DUE, &p, fill_delivery, (any_cb)cb, arg, err, errsz);
    /* Claims run on the wall clock: callers may pass a far "now" to see
     * every pending delivery (the file channel does). */
    time_t wall = time(NULL);
    pgp_text(&p, st->node);
    pgp_int(&p, (int64_t)wall);
    pgp_int(&p, (int64_t)wall + STORE_DELIVERY_LEASE);
    return walk(st, P_DELIVERY_CLAIM, &p, fill_delivery, (any_cb)cb, arg, err, errsz);
}

int pg_store_delivery_sent_stats(struct pg_store *st, const char *channel, time_t since,
                                 int64_t *messages, time_t *last_sent, char *err, size_t errsz)
{
    struct pg_params p = {0};
    pgp_text(&p, channel);
    pgp_int(&p, (int64_t)since);
    PGresult *r = pg_run(st, P_DELIVERY_SENT_STATS, &p, err, errsz);
    if (!r)
        return -1;
    *messages = pg_int(r, 0, 0); /* an aggregate: always one row */
    *last_sent = (time_t)pg_int(r, 0, 1);
    PQclear(r);
    return 0;
}

int pg_store_delivery_backlog(struct pg_store *st, const char *channel, int64_t *pending, char *err,
                              size_t errsz)
{
    struct pg_params p = {0};
    pgp_text(&p, channel);
    return pg_one_int64(st, P_DELIVERY_BACKLOG, &p, pending, err, errsz);
}

int pg_store_delivery_oldest_due(struct pg_store *st, const char *channel, time_t now,
                                 time_t *created, char *err, size_t errsz)
{
    struct pg_params p = {0};
    int64_t v = 0;
    pgp_text(&p, channel);
    pgp_int(&p, (int64_t)now);
    if (pg_one_int64(st, P_DELIVERY_OLDEST_DUE, &p, &v, err, errsz) < 0)
        return -1;
    *created = (time_t)v;
    return 0;
}

/* ---- coverage flags ---- */

int pg_store_article_is_covered(struct pg_store *st, int64_t article_id, int *covered, char *err,
                                size_t errsz)
{
    struct pg_params p = {0};
    int64_t v = 0;
    pgp_int(&p, article_id);
    if (pg_one_int64(st, P_ARTICLE_COVERED, &p, &v, err, errsz) < 0)
        return -1;
    *covered = v != 0;
    return 0;
}

int pg_store_coverage_active(struct pg_store *st, int64_t article_id, int64_t canonical_id,
                             int *active, char *err, size_t errsz)
{
    struct pg_params p = {0};
    *active = 0;
    pgp_int(&p, article_id);
    pgp_int(&p, canonical_id);
    PGresult *r = pg_run(st, P_COVERAGE_ACTIVE, &p, err, errsz);
    if (!r)
        return -1;
    if (PQntuples(r) == 1)
        *active = pg_int(r, 0, 0) != 0;
    PQclear(r);
    return 0;
}

/* ---- feed state ---- */

/* Row i of a FEED_STATE_COLS query into out (which owns its strings). */
static int feed_state_read(const PGresult *r, int i, struct store_feed_state *out)
{
    int oom = 0;
    memset(out, 0, sizeof *out);
    out->id = pg_int(r, i, 0);
    out->name = pg_strdup(r, i, 1, &oom);
    out->url = pg_strdup(r, i, 2, &oom);
    out->moved_url = pg_strdup(r, i, 3, &oom);
    out->redirect_url = pg_strdup(r, i, 4, &oom);
    out->redirect_count = (int)pg_int(r, i, 5);
    out->etag = pg_strdup(r, i, 6, &oom);
    out->last_modified = pg_strdup(r, i, 7, &oom);
    out->body_hash = pg_int(r, i, 8);
    out->unconditional = (int)pg_int(r, i, 9);
    out->last_unconditional = (time_t)pg_int(r, i, 10);
    out->last_attempt = (time_t)pg_int(r, i, 11);
    out->last_success = (time_t)pg_int(r, i, 12);
    out->next_due = (time_t)pg_int(r, i, 13);
    out->last_status = (long)pg_int(r, i, 14);
    out->last_error = pg_strdup(r, i, 15, &oom);
    out->consecutive_failures = (int)pg_int(r, i, 16);
    out->error_alerted = (int)pg_int(r, i, 17);
    out->gone = (int)pg_int(r, i, 18);
    out->bytes = pg_int(r, i, 19);
    out->items_new = (int)pg_int(r, i, 20);
    out->items_seen = (int)pg_int(r, i, 21);
    out->adaptive_interval = (int)pg_int(r, i, 22);
    out->lease_node = pg_strdup(r, i, 23, &oom);
    out->lease_until = (time_t)pg_int(r, i, 24);
    if (oom || !out->name || !out->url) {
        store_feed_state_clear(out);
        return -1;
    }
    return 0;
}

int pg_store_feed_state_get(struct pg_store *st, int64_t feed_id, struct store_feed_state *out,
                            char *err, size_t errsz)
{
    struct pg_params p = {0};
    pgp_int(&p, feed_id);
    PGresult *r = pg_run(st, P_FEED_STATE_GET, &p, err, errsz);
    if (!r)
        return -1;
    int rc = PQntuples(r) == 1 ? feed_state_read(r, 0, out) : -2;
    PQclear(r);
    if (rc == -2)
        return pw_err(err, errsz, "store: read feed state: no such feed");
    return rc < 0 ? pw_err(err, errsz, "store: read feed state: out of memory") : 0;
}

static int fill_feed(const PGresult *r, int i, any_cb cb, void *arg)
{
    struct store_feed_state f;
    if (feed_state_read(r, i, &f) < 0)
        return -1;
    int stop = ((store_feed_cb)cb)(&f, arg);
    store_feed_state_clear(&f);
    return stop != 0;
}

int pg_store_list_feeds(struct pg_store *st, store_feed_cb cb, void *arg, char *err, size_t errsz)
{
    return walk(st, P_LIST_FEEDS, NULL, fill_feed, (any_cb)cb, arg, err, errsz);
}

/* ---- pages ---- */

/* Row i of a PAGE_COLS query into out (which owns its strings). */
static int page_read(const PGresult *r, int i, struct store_page *out)
{
    int oom = 0;
    memset(out, 0, sizeof *out);
    out->article_id = pg_int(r, i, 0);
    out->feed_id = pg_int(r, i, 1);
    out->feed = pg_strdup(r, i, 2, &oom);
    out->url = pg_strdup(r, i, 3, &oom);
    out->pending = (int)pg_int(r, i, 4);
    out->fetches = (int)pg_int(r, i, 5);
    out->next_fetch = (time_t)pg_int(r, i, 6);
    out->last_fetch = (time_t)pg_int(r, i, 7);
    out->last_status = (long)pg_int(r, i, 8);
    out->last_error = pg_strdup(r, i, 9, &oom);
    out->unpublished = (int)pg_int(r, i, 10);
    out->title = pg_strdup(r, i, 11, &oom);
    if (oom || !out->feed || !out->url) {
        store_page_clear(out);
        return -1;
    }
    return 0;
}

static int fill_page(const PGresult *r, int i, any_cb cb, void *arg)
{
    struct store_page pg;
    if (page_read(r, i, &pg) < 0)
        return -1;
    int stop = ((store_page_cb)cb)(&pg, arg);
    store_page_clear(&pg);
    return stop != 0;
}

int pg_store_pages_due(struct pg_store *st, time_t now, int limit, store_page_cb cb, void *arg,
                       char *err, size_t errsz)
{
    struct pg_params p = {0};
    pgp_int(&p, (int64_t)now);
    pgp_limit(&p, limit);
    if (!st->node)
        return walk(st, P_PAGES_DUE, &p, fill_page, (any_cb)cb, arg, err, errsz);
    pgp_int(&p, (int64_t)now + STORE_PAGE_LEASE);
    return walk(st, P_PAGES_CLAIM, &p, fill_page, (any_cb)cb, arg, err, errsz);
}

int pg_store_page_next_due(struct pg_store *st, time_t *when, char *err, size_t errsz)
{
    int64_t v = 0;
    if (pg_one_int64(st, P_PAGE_NEXT_DUE, NULL, &v, err, errsz) < 0)
        return -1;
    *when = (time_t)v;
    return 0;
}

int pg_store_page_get(struct pg_store *st, int64_t article_id, struct store_page *out, char *err,
                      size_t errsz)
{
    struct pg_params p = {0};
    pgp_int(&p, article_id);
    PGresult *r = pg_run(st, P_PAGE_GET, &p, err, errsz);
    if (!r)
        return -1;
    int rc = PQntuples(r) == 1 ? page_read(r, 0, out) : -2;
    PQclear(r);
    if (rc == -2)
        return pw_err(err, errsz, "store: read page: no page for article %lld",
                      (long long)article_id);
    return rc < 0 ? pw_err(err, errsz, "store: read page: out of memory") : 0;
}

int pg_store_page_totals(struct pg_store *st, int64_t *pages, int64_t *fetches, char *err,
                         size_t errsz)
{
    PGresult *r = pg_run(st, P_PAGE_TOTALS, NULL, err, errsz);
    if (!r)
        return -1;
    *pages = pg_int(r, 0, 0);
    *fetches = pg_int(r, 0, 1);
    PQclear(r);
    return 0;
}

/* ---- versions ---- */

int pg_store_version_get(struct pg_store *st, int64_t article_id, int version_no,
                         struct store_version *out, char *err, size_t errsz)
{
    struct pg_params p = {0};
    int oom = 0;
    memset(out, 0, sizeof *out);
    pgp_int(&p, article_id);
    pgp_int(&p, version_no);
    PGresult *r = pg_run(st, P_VERSION_GET, &p, err, errsz);
    if (!r)
        return -1;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return pw_err(err, errsz, "store: read version: article %lld has no version %d",
                      (long long)article_id, version_no);
    }
    out->id = pg_int(r, 0, 0);
    out->article_id = pg_int(r, 0, 1);
    out->version_no = (int)pg_int(r, 0, 2);
    out->title = pg_strdup(r, 0, 3, &oom);
    out->text = pg_strdup(r, 0, 4, &oom);
    out->source = pg_strdup(r, 0, 5, &oom);
    out->fetched_at = (time_t)pg_int(r, 0, 6);
    out->link = pg_strdup(r, 0, 7, &oom);
    out->article_title = pg_strdup(r, 0, 8, &oom);
    out->feed = pg_strdup(r, 0, 9, &oom);
    PQclear(r);
    if (oom || !out->text || !out->source || !out->feed) {
        store_version_clear(out);
        return pw_err(err, errsz, "store: read version: out of memory");
    }
    return 0;
}

static int fill_version(const PGresult *r, int i, any_cb cb, void *arg)
{
    struct store_version_row v = {
        .version_no = (int)pg_int(r, i, 0),
        .version_id = pg_int(r, i, 1),
        .title = pg_str(r, i, 2),
        .source = pg_str(r, i, 3),
        .fetched_at = (time_t)pg_int(r, i, 4),
        .text_bytes = (size_t)pg_int(r, i, 5),
    };
    return ((store_version_cb)cb)(&v, arg) != 0;
}

int pg_store_list_versions(struct pg_store *st, int64_t article_id, store_version_cb cb, void *arg,
                           char *err, size_t errsz)
{
    struct pg_params p = {0};
    pgp_int(&p, article_id);
    return walk(st, P_LIST_VERSIONS, &p, fill_version, (any_cb)cb, arg, err, errsz);
}

/* ---- reading, for the CLI and the report ---- */

static int fill_article(const PGresult *r, int i, any_cb cb, void *arg)
{
    struct store_article_row a = {
        .article_id = pg_int(r, i, 0),
        .feed = pg_str(r, i, 1),
        .guid = pg_str(r, i, 2),
        .link = pg_str(r, i, 3),
        .title = pg_str(r, i, 4),
        .versions = (int)pg_int(r, i, 5),
        .first_seen = (time_t)pg_int(r, i, 6),
        .last_seen = (time_t)pg_int(r, i, 7),
    };
    return ((store_article_cb)cb)(&a, arg) != 0;
}

int pg_store_list_articles(struct pg_store *st, const char *feed, int limit, store_article_cb cb,
                           void *arg, char *err, size_t errsz)
{
    struct pg_params p = {0};
    if (!cb)
        return pw_err(err, errsz, "store: list articles: no callback");
    pgp_text(&p, feed);
    pgp_limit(&p, limit);
    return walk(st, P_LIST_ARTICLES, &p, fill_article, (any_cb)cb, arg, err, errsz);
}

int pg_store_article_get(struct pg_store *st, int64_t article_id, store_article_cb cb, void *arg,
                         char *err, size_t errsz)
{
    struct pg_params p = {0};
    if (!cb)
        return pw_err(err, errsz, "store: read article: no callback");
    if (article_id < 1)
        return 0; /* no such article: cb is not called */
    pgp_int(&p, article_id);
    return walk(st, P_REPORT_ARTICLE, &p, fill_article, (any_cb)cb, arg, err, errsz);
}

static int fill_coverage(const PGresult *r, int i, any_cb cb, void *arg)
{
    struct store_coverage_row c = {
        .canonical = pg_str(r, i, 0),
        .feed = pg_str(r, i, 1),
        .article_id = pg_int(r, i, 2),
        .title = pg_str(r, i, 3),
        .link = pg_str(r, i, 4),
        .score = pg_double(r, i, 5),
        .lang = pg_str(r, i, 6),
        .paragraphs = pg_str(r, i, 7),
        .first_covered = (time_t)pg_int(r, i, 8),
    };
    if (!c.paragraphs)
        c.paragraphs = ""; /* coverage without a recorded match */
    return ((store_coverage_cb)cb)(&c, arg) != 0;
}

int pg_store_list_coverage(struct pg_store *st, const char *canonical, store_coverage_cb cb,
                           void *arg, char *err, size_t errsz)
{
    struct pg_params p = {0};
    if (!cb)
        return pw_err(err, errsz, "store: list coverage: no callback");
    pgp_text(&p, canonical);
    return walk(st, P_LIST_COVERAGE, &p, fill_coverage, (any_cb)cb, arg, err, errsz);
}

static int fill_canonical(const PGresult *r, int i, any_cb cb, void *arg)
{
    struct store_canonical_row c = {
        .id = pg_int(r, i, 0),
        .name = pg_str(r, i, 1),
        .text = pg_str(r, i, 2),
        .articles = pg_int(r, i, 3),
        .outlets = pg_int(r, i, 4),
    };
    return ((store_canonical_cb)cb)(&c, arg) != 0;
}

int pg_store_list_canonicals(struct pg_store *st, store_canonical_cb cb, void *arg, char *err,
                             size_t errsz)
{
    if (!cb)
        return pw_err(err, errsz, "store: list canonicals: no callback");
    return walk(st, P_REPORT_CANONICALS, NULL, fill_canonical, (any_cb)cb, arg, err, errsz);
}

static int fill_covering(const PGresult *r, int i, any_cb cb, void *arg)
{
    struct store_covering_row c = {
        .article_id = pg_int(r, i, 0),
        .feed = pg_str(r, i, 1),
        .title = pg_str(r, i, 2),
        .link = pg_str(r, i, 3),
        .first_seen = (time_t)pg_int(r, i, 4),
        .published = (time_t)pg_int(r, i, 5),
        .first_covered = (time_t)pg_int(r, i, 6),
        .active = (int)pg_int(r, i, 7),
        .versions = (int)pg_int(r, i, 8),
        .score = pg_double(r, i, 9),
        .lang = pg_str(r, i, 10),
        .paragraphs = pg_str(r, i, 11),
        .detail = pg_str(r, i, 12),
        .version_no = (int)pg_int(r, i, 13),
    };
    if (!c.paragraphs)
        c.paragraphs = "";
    return ((store_covering_cb)cb)(&c, arg) != 0;
}

int pg_store_list_covering(struct pg_store *st, int64_t canonical_id, store_covering_cb cb,
                           void *arg, char *err, size_t errsz)
{
    struct pg_params p = {0};
    if (!cb)
        return pw_err(err, errsz, "store: list covering articles: no callback");
    pgp_int(&p, canonical_id);
    return walk(st, P_REPORT_COVERAGE, &p, fill_covering, (any_cb)cb, arg, err, errsz);
}

static int fill_text(const PGresult *r, int i, any_cb cb, void *arg)
{
    return ((store_text_cb)cb)(pg_int(r, i, 0), pg_str(r, i, 1), arg) != 0;
}

int pg_store_list_covering_texts(struct pg_store *st, int64_t canonical_id, store_text_cb cb,
                                 void *arg, char *err, size_t errsz)
{
    struct pg_params p = {0};
    if (!cb)
        return pw_err(err, errsz, "store: read covering texts: no callback");
    pgp_int(&p, canonical_id);
    return walk(st, P_REPORT_TEXTS, &p, fill_text, (any_cb)cb, arg, err, errsz);
}

static int fill_match(const PGresult *r, int i, any_cb cb, void *arg)
{
    struct store_article_match m = {
        .canonical_id = pg_int(r, i, 0),
        .canonical = pg_str(r, i, 1),
        .canonical_text = pg_str(r, i, 2),
        .version_no = (int)pg_int(r, i, 3),
        .score = pg_double(r, i, 4),
        .lang = pg_str(r, i, 5),
        .paragraphs = pg_str(r, i, 6),
        .detail = pg_str(r, i, 7),
        .active = (int)pg_int(r, i, 8),
        .first_covered = (time_t)pg_int(r, i, 9),
    };
    if (!m.paragraphs)
        m.paragraphs = "";
    return ((store_article_match_cb)cb)(&m, arg) != 0;
}

int pg_store_article_matches(struct pg_store *st, int64_t article_id, store_article_match_cb cb,
                             void *arg, char *err, size_t errsz)
{
    struct pg_params p = {0};
    if (!cb)
        return pw_err(err, errsz, "store: read article matches: no callback");
    if (article_id < 1)
        return 0;
    pgp_int(&p, article_id);
    return walk(st, P_REPORT_MATCHES, &p, fill_match, (any_cb)cb, arg, err, errsz);
}

int pg_store_count(struct pg_store *st, const char *table, int64_t *n, char *err, size_t errsz)
{
    for (size_t i = 0; table && i < sizeof pg_count_tables / sizeof pg_count_tables[0]; i++)
        if (strcmp(table, pg_count_tables[i]) == 0)
            return pg_one_int64(st, (enum pg_stmt)(P_COUNT_FEEDS + (int)i), NULL, n, err, errsz);
    return pw_err(err, errsz, "store: count: unknown table \"%s\"", table ? table : "(null)");
}

/* ---- nodes ---- */

static int fill_node(const PGresult *r, int i, any_cb cb, void *arg)
{
    struct store_node_row n = {
        .name = pg_str(r, i, 0),
        .heartbeat = (time_t)pg_int(r, i, 1),
        .feeds = pg_int(r, i, 2),
    };
    return ((store_node_cb)cb)(&n, arg) != 0;
}

int pg_store_list_nodes(struct pg_store *st, time_t now, store_node_cb cb, void *arg, char *err,
                        size_t errsz)
{
    struct pg_params p = {0};
    if (!cb)
        return pw_err(err, errsz, "store: list nodes: no callback");
    pgp_int(&p, (int64_t)now);
    return walk(st, P_NODES_LIST, &p, fill_node, (any_cb)cb, arg, err, errsz);
}

int pg_store_claims(const struct pg_store *st)
{
    return st->node != NULL;
}

int pg_store_claim_as(struct pg_store *st, const char *node, char *err, size_t errsz)
{
    char *copy = node ? strdup(node) : NULL;
    if (node && !copy)
        return pw_err(err, errsz, "store: claim as node: out of memory");
    free(st->node);
    st->node = copy;
    return 0;
}
