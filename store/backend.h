/*
 * store internals: the two backends behind store.h. Not for other modules.
 *
 * store_open picks a backend from the database string (see store_backend.c)
 * and the public struct store holds exactly one of the two handles. Dispatch
 * is a branch in each store_* forwarder rather than a table of function
 * pointers: each backend keeps its own handle type, no casts are needed, and
 * the compiler checks every forwarder against both backends' prototypes.
 *
 * Both backends implement the semantics documented in store.h and share
 * store_*_clear (store.c), which only free memory.
 */
#ifndef PW_STORE_BACKEND_H
#define PW_STORE_BACKEND_H

#include "store/store.h"

struct sqlite_store; /* store.c */
struct pg_store;     /* store_pg*.c */

struct store {
    struct sqlite_store *lite; /* exactly one of the two is set */
    struct pg_store *pg;
};

/* 64-bit FNV-1a, as store.c computes text_hash: only a shortcut before
 * comparing texts, so each backend may use it on its own rows. */
static inline int64_t store_text_hash(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211u;
    }
    return (int64_t)h;
}

/* ---- SQLite (store.c): path is a file name or a file: URI ---- */
int sqlite_store_open(const char *path, struct sqlite_store **out, char *err, size_t errsz);
void sqlite_store_close(struct sqlite_store *st);
void sqlite_store_memory(struct sqlite_store *st, struct store_memory *out);
int sqlite_store_begin(struct sqlite_store *st, char *err, size_t errsz);
int sqlite_store_commit(struct sqlite_store *st, char *err, size_t errsz);
void sqlite_store_rollback(struct sqlite_store *st);
int sqlite_store_feed_sync(struct sqlite_store *st, const char *name, const char *url,
                           int64_t *feed_id, char *err, size_t errsz);
int sqlite_store_canonical_sync(struct sqlite_store *st, const char *name, const char *path,
                                const char *text, int64_t *canonical_id, char *err, size_t errsz);
int sqlite_store_feed_result(struct sqlite_store *st, int64_t feed_id, time_t when,
                             long http_status, const char *error, char *err, size_t errsz);
int sqlite_store_feed_state_get(struct sqlite_store *st, int64_t feed_id,
                                struct store_feed_state *out, char *err, size_t errsz);
int sqlite_store_feed_state_put(struct sqlite_store *st, const struct store_feed_state *f,
                                char *err, size_t errsz);
int sqlite_store_list_feeds(struct sqlite_store *st, store_feed_cb cb, void *arg, char *err,
                            size_t errsz);
int sqlite_store_upsert_item(struct sqlite_store *st, int64_t feed_id,
                             const struct store_item *item, time_t now, struct store_upsert *out,
                             char *err, size_t errsz);
int sqlite_store_match_add(struct sqlite_store *st, int64_t version_id, int64_t canonical_id,
                           double score, const char *lang, const char *paragraphs,
                           const char *detail_json, char *err, size_t errsz);
int sqlite_store_coverage_mark(struct sqlite_store *st, int64_t article_id, int64_t canonical_id,
                               int64_t version_id, double score, time_t now, int *first, char *err,
                               size_t errsz);
int sqlite_store_article_is_covered(struct sqlite_store *st, int64_t article_id, int *covered,
                                    char *err, size_t errsz);
int sqlite_store_coverage_active(struct sqlite_store *st, int64_t article_id, int64_t canonical_id,
                                 int *active, char *err, size_t errsz);
int sqlite_store_coverage_lose(struct sqlite_store *st, int64_t article_id, int64_t canonical_id,
                               int *lost, char *err, size_t errsz);
int sqlite_store_page_add(struct sqlite_store *st, int64_t article_id, const char *url,
                          time_t next_fetch, char *err, size_t errsz);
int sqlite_store_pages_due(struct sqlite_store *st, time_t now, int limit, store_page_cb cb,
                           void *arg, char *err, size_t errsz);
int sqlite_store_page_next_due(struct sqlite_store *st, time_t *when, char *err, size_t errsz);
int sqlite_store_page_get(struct sqlite_store *st, int64_t article_id, struct store_page *out,
                          char *err, size_t errsz);
int sqlite_store_page_put(struct sqlite_store *st, const struct store_page *p, char *err,
                          size_t errsz);
int sqlite_store_page_totals(struct sqlite_store *st, int64_t *pages, int64_t *fetches, char *err,
                             size_t errsz);
int sqlite_store_version_get(struct sqlite_store *st, int64_t article_id, int version_no,
                             struct store_version *out, char *err, size_t errsz);
int sqlite_store_version_add(struct sqlite_store *st, const struct store_page_version *pv,
                             time_t now, int64_t *version_id, int *version_no, char *err,
                             size_t errsz);
int sqlite_store_version_set_text(struct sqlite_store *st, int64_t version_id,
                                  const struct store_page_version *pv, char *err, size_t errsz);
int sqlite_store_list_versions(struct sqlite_store *st, int64_t article_id, store_version_cb cb,
                               void *arg, char *err, size_t errsz);
int sqlite_store_alert_add(struct sqlite_store *st, const char *kind, const char *record,
                           time_t now, const char *const *channels, size_t nchannels,
                           int64_t *alert_id, char *err, size_t errsz);
int sqlite_store_delivery_due(struct sqlite_store *st, const char *channel, time_t now, int limit,
                              store_delivery_cb cb, void *arg, char *err, size_t errsz);
int sqlite_store_delivery_done(struct sqlite_store *st, int64_t alert_id, const char *channel,
                               time_t now, char *err, size_t errsz);
int sqlite_store_delivery_failed(struct sqlite_store *st, int64_t alert_id, const char *channel,
                                 time_t next_attempt, const char *error, char *err, size_t errsz);
int sqlite_store_delivery_sending(struct sqlite_store *st, int64_t alert_id, const char *channel,
                                  time_t now, char *err, size_t errsz);
int sqlite_store_delivery_sent_stats(struct sqlite_store *st, const char *channel, time_t since,
                                     int64_t *messages, time_t *last_sent, char *err, size_t errsz);
int sqlite_store_delivery_backlog(struct sqlite_store *st, const char *channel, int64_t *pending,
                                  char *err, size_t errsz);
int sqlite_store_delivery_oldest_due(struct sqlite_store *st, const char *channel, time_t now,
                                     time_t *created, char *err, size_t errsz);
int sqlite_store_list_articles(struct sqlite_store *st, const char *feed, int limit,
                               store_article_cb cb, void *arg, char *err, size_t errsz);
int sqlite_store_list_coverage(struct sqlite_store *st, const char *canonical, store_coverage_cb cb,
                               void *arg, char *err, size_t errsz);
int sqlite_store_list_canonicals(struct sqlite_store *st, store_canonical_cb cb, void *arg,
                                 char *err, size_t errsz);
int sqlite_store_list_covering(struct sqlite_store *st, int64_t canonical_id, store_covering_cb cb,
                               void *arg, char *err, size_t errsz);
int sqlite_store_list_covering_texts(struct sqlite_store *st, int64_t canonical_id,
                                     store_text_cb cb, void *arg, char *err, size_t errsz);
int sqlite_store_article_get(struct sqlite_store *st, int64_t article_id, store_article_cb cb,
                             void *arg, char *err, size_t errsz);
int sqlite_store_article_matches(struct sqlite_store *st, int64_t article_id,
                                 store_article_match_cb cb, void *arg, char *err, size_t errsz);
int sqlite_store_count(struct sqlite_store *st, const char *table, int64_t *n, char *err,
                       size_t errsz);

/* ---- PostgreSQL (store_pg*.c): uri is a libpq connection URI ---- */
int pg_store_open(const char *uri, struct pg_store **out, char *err, size_t errsz);
void pg_store_close(struct pg_store *st);
int pg_store_feeds_claim(struct pg_store *st, const char *node, time_t now, int lease, int limit,
                         store_claim_cb cb, void *arg, char *err, size_t errsz);
int pg_store_feed_release(struct pg_store *st, int64_t feed_id, const char *node, char *err,
                          size_t errsz);
int pg_store_node_heartbeat(struct pg_store *st, const char *node, time_t now, char *err,
                            size_t errsz);
int pg_store_claim_as(struct pg_store *st, const char *node, char *err, size_t errsz);
int pg_store_claims(const struct pg_store *st);
int pg_store_hosts_budget(struct pg_store *st, int per_host, long gap_ms, char *err, size_t errsz);
int pg_store_node_release(struct pg_store *st, const char *node, const char *keep_channel,
                          char *err, size_t errsz);
int pg_store_list_nodes(struct pg_store *st, time_t now, store_node_cb cb, void *arg, char *err,
                        size_t errsz);
int pg_store_begin(struct pg_store *st, char *err, size_t errsz);
int pg_store_commit(struct pg_store *st, char *err, size_t errsz);
void pg_store_rollback(struct pg_store *st);
int pg_store_feed_sync(struct pg_store *st, const char *name, const char *url, int64_t *feed_id,
                       char *err, size_t errsz);
int pg_store_canonical_sync(struct pg_store *st, const char *name, const char *path,
                            const char *text, int64_t *canonical_id, char *err, size_t errsz);
int pg_store_feed_result(struct pg_store *st, int64_t feed_id, time_t when, long http_status,
                         const char *error, char *err, size_t errsz);
int pg_store_feed_state_get(struct pg_store *st, int64_t feed_id, struct store_feed_state *out,
                            char *err, size_t errsz);
int pg_store_feed_state_put(struct pg_store *st, const struct store_feed_state *f, char *err,
                            size_t errsz);
int pg_store_list_feeds(struct pg_store *st, store_feed_cb cb, void *arg, char *err, size_t errsz);
int pg_store_upsert_item(struct pg_store *st, int64_t feed_id, const struct store_item *item,
                         time_t now, struct store_upsert *out, char *err, size_t errsz);
int pg_store_match_add(struct pg_store *st, int64_t version_id, int64_t canonical_id, double score,
                       const char *lang, const char *paragraphs, const char *detail_json, char *err,
                       size_t errsz);
int pg_store_coverage_mark(struct pg_store *st, int64_t article_id, int64_t canonical_id,
                           int64_t version_id, double score, time_t now, int *first, char *err,
                           size_t errsz);
int pg_store_article_is_covered(struct pg_store *st, int64_t article_id, int *covered, char *err,
                                size_t errsz);
int pg_store_coverage_active(struct pg_store *st, int64_t article_id, int64_t canonical_id,
                             int *active, char *err, size_t errsz);
int pg_store_coverage_lose(struct pg_store *st, int64_t article_id, int64_t canonical_id, int *lost,
                           char *err, size_t errsz);
int pg_store_page_add(struct pg_store *st, int64_t article_id, const char *url, time_t next_fetch,
                      char *err, size_t errsz);
int pg_store_pages_due(struct pg_store *st, time_t now, int limit, store_page_cb cb, void *arg,
                       char *err, size_t errsz);
int pg_store_page_next_due(struct pg_store *st, time_t *when, char *err, size_t errsz);
int pg_store_page_get(struct pg_store *st, int64_t article_id, struct store_page *out, char *err,
                      size_t errsz);
int pg_store_page_put(struct pg_store *st, const struct store_page *p, char *err, size_t errsz);
int pg_store_page_totals(struct pg_store *st, int64_t *pages, int64_t *fetches, char *err,
                         size_t errsz);
int pg_store_version_get(struct pg_store *st, int64_t article_id, int version_no,
                         struct store_version *out, char *err, size_t errsz);
int pg_store_version_add(struct pg_store *st, const struct store_page_version *pv, time_t now,
                         int64_t *version_id, int *version_no, char *err, size_t errsz);
int pg_store_version_set_text(struct pg_store *st, int64_t version_id,
                              const struct store_page_version *pv, char *err, size_t errsz);
int pg_store_list_versions(struct pg_store *st, int64_t article_id, store_version_cb cb, void *arg,
                           char *err, size_t errsz);
int pg_store_alert_add(struct pg_store *st, const char *kind, const char *record, time_t now,
                       const char *const *channels, size_t nchannels, int64_t *alert_id, char *err,
                       size_t errsz);
int pg_store_delivery_due(struct pg_store *st, const char *channel, time_t now, int limit,
                          store_delivery_cb cb, void *arg, char *err, size_t errsz);
int pg_store_delivery_done(struct pg_store *st, int64_t alert_id, const char *channel, time_t now,
                           char *err, size_t errsz);
int pg_store_delivery_failed(struct pg_store *st, int64_t alert_id, const char *channel,
                             time_t next_attempt, const char *error, char *err, size_t errsz);
int pg_store_delivery_sending(struct pg_store *st, int64_t alert_id, const char *channel,
                              time_t now, char *err, size_t errsz);
int pg_store_delivery_sent_stats(struct pg_store *st, const char *channel, time_t since,
                                 int64_t *messages, time_t *last_sent, char *err, size_t errsz);
int pg_store_delivery_backlog(struct pg_store *st, const char *channel, int64_t *pending, char *err,
                              size_t errsz);
int pg_store_delivery_oldest_due(struct pg_store *st, const char *channel, time_t now,
                                 time_t *created, char *err, size_t errsz);
int pg_store_list_articles(struct pg_store *st, const char *feed, int limit, store_article_cb cb,
                           void *arg, char *err, size_t errsz);
int pg_store_list_coverage(struct pg_store *st, const char *canonical, store_coverage_cb cb,
                           void *arg, char *err, size_t errsz);
int pg_store_list_canonicals(struct pg_store *st, store_canonical_cb cb, void *arg, char *err,
                             size_t errsz);
int pg_store_list_covering(struct pg_store *st, int64_t canonical_id, store_covering_cb cb,
                           void *arg, char *err, size_t errsz);
int pg_store_list_covering_texts(struct pg_store *st, int64_t canonical_id, store_text_cb cb,
                                 void *arg, char *err, size_t errsz);
int pg_store_article_get(struct pg_store *st, int64_t article_id, store_article_cb cb, void *arg,
                         char *err, size_t errsz);
int pg_store_article_matches(struct pg_store *st, int64_t article_id, store_article_match_cb cb,
                             void *arg, char *err, size_t errsz);
int pg_store_count(struct pg_store *st, const char *table, int64_t *n, char *err, size_t errsz);

#endif
