/*
 * ingest (internal to daemon/): one fetched feed body -> parsed items ->
 * articles and versions in the store -> matches against every canonical
 * text -> alerts in the outbox. The caller holds the transaction, so the
 * items, their alerts and the feed's bookkeeping commit together.
 */
#ifndef PW_DAEMON_INGEST_H
#define PW_DAEMON_INGEST_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct store;
struct match_canon;

struct ingest_canon {
    const char *name;
    int64_t id;
    const struct match_canon *m;
};

struct ingest_ctx {
    struct store *st;
    const struct ingest_canon *canons;
    size_t ncanons;
    double min_score;
    const char *const *channels; /* alert channels to queue deliveries for */
    size_t nchannels;
};

struct ingest_stats {
    size_t entries;
    size_t new_articles;
    size_t new_versions;
    size_t alerts;
    int bozo;
    char bozo_msg[256];
};

/* Parses body (the feed feed_name fetched from url) and stores it inside
 * the caller's transaction. On -1 err says why and the caller rolls back
 * (and logs it with the feed's name). */
int ingest_feed(const struct ingest_ctx *ctx, const char *feed_name, int64_t feed_id,
                const char *url, const char *body, size_t len, const char *content_type, time_t now,
                struct ingest_stats *stats, char *err, size_t errsz);

/* The charset parameter of a Content-Type value, copied into out; "" if none. */
void ingest_charset(const char *content_type, char *out, size_t outsz);

#endif
