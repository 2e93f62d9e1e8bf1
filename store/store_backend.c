/*
 * store: picks the backend from the database string and forwards every
 * store_* call to it (see backend.h for why a branch, not a table).
 */
#include "store/backend.h"

#include "common/buf.h"

#include <stdlib.h>
#include <string.h>

/* "postgresql://" and "postgres://" are libpq's URI schemes; "sqlite://"
 * is ours, followed by the path ("sqlite:///var/lib/x.db"); anything else
 * is a path or an SQLite file: URI, as before there were two backends. */
static int is_pg_uri(const char *s)
{
    return strncmp(s, "postgresql://", 13) == 0 || strncmp(s, "postgres://", 11) == 0;
}

int store_open(const char *database, struct store **out, char *err, size_t errsz)
{
    *out = NULL;
    if (!database)
        return pw_err(err, errsz, "store: open: no database path");
    struct store *st = calloc(1, sizeof *st);
    if (!st)
        return pw_err(err, errsz, "store: open %s: out of memory", database);
    int rc;
    if (is_pg_uri(database))
        rc = pg_store_open(database, &st->pg, err, errsz);
    else if (strncmp(database, "sqlite://", 9) == 0)
        rc = sqlite_store_open(database + 9, &st->lite, err, errsz);
    else
        rc = sqlite_store_open(database, &st->lite, err, errsz);
    if (rc < 0) {
        free(st);
        return -1;
    }
    *out = st;
    return 0;
}

void store_close(struct store *st)
{
    if (!st)
        return;
    pg_store_close(st->pg);
    sqlite_store_close(st->lite);
    free(st);
}

void store_memory(struct store *st, struct store_memory *out)
{
    if (st->pg)
        *out = (struct store_memory){-1, -1};
    else
        sqlite_store_memory(st->lite, out);
}

int store_begin(struct store *st, char *err, size_t errsz)
{
    return st->pg ? pg_store_begin(st->pg, err, errsz) : sqlite_store_begin(st->lite, err, errsz);
}

int store_commit(struct store *st, char *err, size_t errsz)
{
    return st->pg ? pg_store_commit(st->pg, err, errsz) : sqlite_store_commit(st->lite, err, errsz);
}

void store_rollback(struct store *st)
{
    if (!st)
        return;
    if (st->pg)
        pg_store_rollback(st->pg);
    else
        sqlite_store_rollback(st->lite);
}

int store_feed_sync(struct store *st, const char *name, const char *url, int64_t *feed_id,
                    char *err, size_t errsz)
{
    return st->pg ? pg_store_feed_sync(st->pg, name, url, feed_id, err, errsz)
                  : sqlite_store_feed_sync(st->lite, name, url, feed_id, err, errsz);
}

int store_canonical_sync(struct store *st, const char *name, const char *path, const char *text,
                         int64_t *canonical_id, char *err, size_t errsz)
{
    return st->pg
               ? pg_store_canonical_sync(st->pg, name, path, text, canonical_id, err, errsz)
               : sqlite_store_canonical_sync(st->lite, name, path, text, canonical_id, err, errsz);
}

int store_feed_result(struct store *st, int64_t feed_id, time_t when, long http_status,
                      const char *error, char *err, size_t errsz)
{
    return st->pg
               ? pg_store_feed_result(st->pg, feed_id, when, http_status, error, err, errsz)
               : sqlite_store_feed_result(st->lite, feed_id, when, http_status, error, err, errsz);
}

int store_feed_state_get(struct store *st, int64_t feed_id, struct store_feed_state *out, char *err,
                         size_t errsz)
{
    return st->pg ? pg_store_feed_state_get(st->pg, feed_id, out, err, errsz)
                  : sqlite_store_feed_state_get(st->lite, feed_id, out, err, errsz);
}

int store_feed_state_put(struct store *st, const struct store_feed_state *f, char *err,
                         size_t errsz)
{
    return st->pg ? pg_store_feed_state_put(st->pg, f, err, errsz)
                  : sqlite_store_feed_state_put(st->lite, f, err, errsz);
}

int store_list_feeds(struct store *st, store_feed_cb cb, void *arg, char *err, size_t errsz)
{
    return st->pg ? pg_store_list_feeds(st->pg, cb, arg, err, errsz)
                  : sqlite_store_list_feeds(st->lite, cb, arg, err, errsz);
}

int store_upsert_item(struct store *st, int64_t feed_id, const struct store_item *item, time_t now,
                      struct store_upsert *out, char *err, size_t errsz)
{
    return st->pg ? pg_store_upsert_item(st->pg, feed_id, item, now, out, err, errsz)
                  : sqlite_store_upsert_item(st->lite, feed_id, item, now, out, err, errsz);
}

int store_match_add(struct store *st, int64_t version_id, int64_t canonical_id, double score,
                    const char *lang, const char *paragraphs, const char *detail_json, char *err,
                    size_t errsz)
{
    return st->pg ? pg_store_match_add(st->pg, version_id, canonical_id, score, lang, paragraphs,
                                       detail_json, err, errsz)
                  : sqlite_store_match_add(st->lite, version_id, canonical_id, score, lang,
                                           paragraphs, detail_json, err, errsz);
}

int store_coverage_mark(struct store *st, int64_t article_id, int64_t canonical_id,
                        int64_t version_id, double score, time_t now, int *first, char *err,
                        size_t errsz)
{
    return st->pg ? pg_store_coverage_mark(st->pg, article_id, canonical_id, version_id, score, now,
                                           first, err, errsz)
                  : sqlite_store_coverage_mark(st->lite, article_id, canonical_id, version_id,
                                               score, now, first, err, errsz);
}

int store_article_is_covered(struct store *st, int64_t article_id, int *covered, char *err,
                             size_t errsz)
{
    return st->pg ? pg_store_article_is_covered(st->pg, article_id, covered, err, errsz)
                  : sqlite_store_article_is_covered(st->lite, article_id, covered, err, errsz);
}

int store_coverage_active(struct store *st, int64_t article_id, int64_t canonical_id, int *active,
                          char *err, size_t errsz)
{
    return st->pg ? pg_store_coverage_active(st->pg, article_id, canonical_id, active, err, errsz)
                  : sqlite_store_coverage_active(st->lite, article_id, canonical_id, active, err,
                                                 errsz);
}

int store_coverage_lose(struct store *st, int64_t article_id, int64_t canonical_id, int *lost,
                        char *err, size_t errsz)
{
    return st->pg
               ? pg_store_coverage_lose(st->pg, article_id, canonical_id, lost, err, errsz)
               : sqlite_store_coverage_lose(st->lite, article_id, canonical_id, lost, err, errsz);
}

int store_page_add(struct store *st, int64_t article_id, const char *url, time_t next_fetch,
                   char *err, size_t errsz)
{
    return st->pg ? pg_store_page_add(st->pg, article_id, url, next_fetch, err, errsz)
                  : sqlite_store_page_add(st->lite, article_id, url, next_fetch, err, errsz);
}

int store_pages_due(struct store *st, time_t now, int limit, store_page_cb cb, void *arg, char *err,
                    size_t errsz)
{
    return st->pg ? pg_store_pages_due(st->pg, now, limit, cb, arg, err, errsz)
                  : sqlite_store_pages_due(st->lite, now, limit, cb, arg, err, errsz);
}

int store_page_next_due(struct store *st, time_t *when, char *err, size_t errsz)
{
    return st->pg ? pg_store_page_next_due(st->pg, when, err, errsz)
                  : sqlite_store_page_next_due(st->lite, when, err, errsz);
}

int store_page_get(struct store *st, int64_t article_id, struct store_page *out, char *err,
                   size_t errsz)
{
    return st->pg ? pg_store_page_get(st->pg, article_id, out, err, errsz)
                  : sqlite_store_page_get(st->lite, article_id, out, err, errsz);
}

int store_page_put(struct store *st, const struct store_page *p, char *err, size_t errsz)
{
    return st->pg ? pg_store_page_put(st->pg, p, err, errsz)
                  : sqlite_store_page_put(st->lite, p, err, errsz);
}

int store_page_totals(struct store *st, int64_t *pages, int64_t *fetches, char *err, size_t errsz)
{
    return st->pg ? pg_store_page_totals(st->pg, pages, fetches, err, errsz)
                  : sqlite_store_page_totals(st->lite, pages, fetches, err, errsz);
}

int store_version_get(struct store *st, int64_t article_id, int version_no,
                      struct store_version *out, char *err, size_t errsz)
{
    return st->pg ? pg_store_version_get(st->pg, article_id, version_no, out, err, errsz)
                  : sqlite_store_version_get(st->lite, article_id, version_no, out, err, errsz);
}

int store_version_add(struct store *st, const struct store_page_version *pv, time_t now,
                      int64_t *version_id, int *version_no, char *err, size_t errsz)
{
    return st->pg ? pg_store_version_add(st->pg, pv, now, version_id, version_no, err, errsz)
                  : sqlite_store_version_add(st->lite, pv, now, version_id, version_no, err, errsz);
}

int store_version_set_text(struct store *st, int64_t version_id,
                           const struct store_page_version *pv, char *err, size_t errsz)
{
    return st->pg ? pg_store_version_set_text(st->pg, version_id, pv, err, errsz)
                  : sqlite_store_version_set_text(st->lite, version_id, pv, err, errsz);
}

int store_list_versions(struct store *st, int64_t article_id, store_version_cb cb, void *arg,
                        char *err, size_t errsz)
{
    return st->pg ? pg_store_list_versions(st->pg, article_id, cb, arg, err, errsz)
                  : sqlite_store_list_versions(st->lite, article_id, cb, arg, err, errsz);
}

int store_alert_add(struct store *st, const char *kind, const char *record, time_t now,
                    const char *const *channels, size_t nchannels, int64_t *alert_id, char *err,
                    size_t errsz)
{
    return st->pg ? pg_store_alert_add(st->pg, kind, record, now, channels, nchannels, alert_id,
                                       err, errsz)
                  : sqlite_store_alert_add(st->lite, kind, record, now, channels, nchannels,
                                           alert_id, err, errsz);
}

int store_delivery_due(struct store *st, const char *channel, time_t now, int limit,
                       store_delivery_cb cb, void *arg, char *err, size_t errsz)
{
    return st->pg ? pg_store_delivery_due(st->pg, channel, now, limit, cb, arg, err, errsz)
                  : sqlite_store_delivery_due(st->lite, channel, now, limit, cb, arg, err, errsz);
}

int store_delivery_done(struct store *st, int64_t alert_id, const char *channel, time_t now,
                        char *err, size_t errsz)
{
    return st->pg ? pg_store_delivery_done(st->pg, alert_id, channel, now, err, errsz)
                  : sqlite_store_delivery_done(st->lite, alert_id, channel, now, err, errsz);
}

int store_delivery_failed(struct store *st, int64_t alert_id, const char *channel,
                          time_t next_attempt, const char *error, char *err, size_t errsz)
{
    return st->pg ? pg_store_delivery_failed(st->pg, alert_id, channel, next_attempt, error, err,
                                             errsz)
                  : sqlite_store_delivery_failed(st->lite, alert_id, channel, next_attempt, error,
                                                 err, errsz);
}

int store_delivery_sending(struct store *st, int64_t alert_id, const char *channel, time_t now,
                           char *err, size_t errsz)
{
    return st->pg ? pg_store_delivery_sending(st->pg, alert_id, channel, now, err, errsz)
                  : sqlite_store_delivery_sending(st->lite, alert_id, channel, now, err, errsz);
}

int store_delivery_sent_stats(struct store *st, const char *channel, time_t since,
                              int64_t *messages, time_t *last_sent, char *err, size_t errsz)
{
    return st->pg ? pg_store_delivery_sent_stats(st->pg, channel, since, messages, last_sent, err,
                                                 errsz)
                  : sqlite_store_delivery_sent_stats(st->lite, channel, since, messages, last_sent,
                                                     err, errsz);
}

int store_delivery_backlog(struct store *st, const char *channel, int64_t *pending, char *err,
                           size_t errsz)
{
    return st->pg ? pg_store_delivery_backlog(st->pg, channel, pending, err, errsz)
                  : sqlite_store_delivery_backlog(st->lite, channel, pending, err, errsz);
}

int store_delivery_oldest_due(struct store *st, const char *channel, time_t now, time_t *created,
                              char *err, size_t errsz)
{
    return st->pg ? pg_store_delivery_oldest_due(st->pg, channel, now, created, err, errsz)
                  : sqlite_store_delivery_oldest_due(st->lite, channel, now, created, err, errsz);
}

int store_list_articles(struct store *st, const char *feed, int limit, store_article_cb cb,
                        void *arg, char *err, size_t errsz)
{
    return st->pg ? pg_store_list_articles(st->pg, feed, limit, cb, arg, err, errsz)
                  : sqlite_store_list_articles(st->lite, feed, limit, cb, arg, err, errsz);
}

int store_list_coverage(struct store *st, const char *canonical, store_coverage_cb cb, void *arg,
                        char *err, size_t errsz)
{
    return st->pg ? pg_store_list_coverage(st->pg, canonical, cb, arg, err, errsz)
                  : sqlite_store_list_coverage(st->lite, canonical, cb, arg, err, errsz);
}

int store_list_canonicals(struct store *st, store_canonical_cb cb, void *arg, char *err,
                          size_t errsz)
{
    return st->pg ? pg_store_list_canonicals(st->pg, cb, arg, err, errsz)
                  : sqlite_store_list_canonicals(st->lite, cb, arg, err, errsz);
}

int store_list_covering(struct store *st, int64_t canonical_id, store_covering_cb cb, void *arg,
                        char *err, size_t errsz)
{
    return st->pg ? pg_store_list_covering(st->pg, canonical_id, cb, arg, err, errsz)
                  : sqlite_store_list_covering(st->lite, canonical_id, cb, arg, err, errsz);
}

int store_list_covering_texts(struct store *st, int64_t canonical_id, store_text_cb cb, void *arg,
                              char *err, size_t errsz)
{
    return st->pg ? pg_store_list_covering_texts(st->pg, canonical_id, cb, arg, err, errsz)
                  : sqlite_store_list_covering_texts(st->lite, canonical_id, cb, arg, err, errsz);
}

int store_article_get(struct store *st, int64_t article_id, store_article_cb cb, void *arg,
                      char *err, size_t errsz)
{
    return st->pg ? pg_store_article_get(st->pg, article_id, cb, arg, err, errsz)
                  : sqlite_store_article_get(st->lite, article_id, cb, arg, err, errsz);
}

int store_article_matches(struct store *st, int64_t article_id, store_article_match_cb cb,
                          void *arg, char *err, size_t errsz)
{
    return st->pg ? pg_store_article_matches(st->pg, article_id, cb, arg, err, errsz)
                  : sqlite_store_article_matches(st->lite, article_id, cb, arg, err, errsz);
}

int store_count(struct store *st, const char *table, int64_t *n, char *err, size_t errsz)
{
    return st->pg ? pg_store_count(st->pg, table, n, err, errsz)
                  : sqlite_store_count(st->lite, table, n, err, errsz);
}

/* ---- feed leases: PostgreSQL only; SQLite has one node ---- */

struct lite_claim {
    time_t now;
    int left;
    store_claim_cb cb;
    void *arg;
    int stopped;
};

static int lite_claim_one(const struct store_feed_state *f, void *arg)
{
    struct lite_claim *c = arg;
    if (f->gone || (f->next_due && f->next_due > c->now))
        return 0;
    c->left--;
    if (!c->stopped && c->cb(f->id, c->arg) != 0)
        c->stopped = 1;
    return c->left <= 0 || c->stopped;
}

/* SQLite is one node's database: nothing to lease, so the due feeds are
 * found through store_list_feeds instead of SQL of their own. */
int store_feeds_claim(struct store *st, const char *node, time_t now, int lease, int limit,
                      store_claim_cb cb, void *arg, char *err, size_t errsz)
{
    if (st->pg)
        return pg_store_feeds_claim(st->pg, node, now, lease, limit, cb, arg, err, errsz);
    if (!node || !cb || lease < 1 || limit < 1)
        return pw_err(err, errsz, "store: claim feeds: node, callback, lease and limit required");
    struct lite_claim c = {.now = now, .left = limit, .cb = cb, .arg = arg};
    return sqlite_store_list_feeds(st->lite, lite_claim_one, &c, err, errsz);
}

int store_feed_release(struct store *st, int64_t feed_id, const char *node, char *err, size_t errsz)
{
    return st->pg ? pg_store_feed_release(st->pg, feed_id, node, err, errsz) : 0;
}

int store_node_heartbeat(struct store *st, const char *node, time_t now, char *err, size_t errsz)
{
    return st->pg ? pg_store_node_heartbeat(st->pg, node, now, err, errsz) : 0;
}

int store_claim_as(struct store *st, const char *node, char *err, size_t errsz)
{
    return st->pg ? pg_store_claim_as(st->pg, node, err, errsz) : 0;
}

int store_claims(const struct store *st)
{
    return st->pg ? pg_store_claims(st->pg) : 0;
}

int store_hosts_budget(struct store *st, int per_host, long gap_ms, char *err, size_t errsz)
{
    /* SQLite: one node, whose fetch client keeps per_host and the gap */
    return st->pg ? pg_store_hosts_budget(st->pg, per_host, gap_ms, err, errsz) : 0;
}

int store_node_release(struct store *st, const char *node, const char *keep_channel, char *err,
                       size_t errsz)
{
    return st->pg ? pg_store_node_release(st->pg, node, keep_channel, err, errsz) : 0;
}

int store_list_nodes(struct store *st, time_t now, store_node_cb cb, void *arg, char *err,
                     size_t errsz)
{
    return st->pg ? pg_store_list_nodes(st->pg, now, cb, arg, err, errsz) : 0;
}

int store_is_server(const char *database)
{
    return database &&
           (!strncmp(database, "postgresql://", 13) || !strncmp(database, "postgres://", 11));
}
