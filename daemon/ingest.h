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

struct buf;
struct store;
struct match_canon;
struct match_index;
struct conf_filter;

struct ingest_canon {
    const char *name;
    int64_t id;
    const struct match_canon *m;      /* the index's own prepared text */
    double min_score;                 /* this text's threshold */
    const struct conf_filter *filter; /* which of its alerts go where; NULL: all */
};

struct ingest_ctx {
    struct store *st;
    const struct ingest_canon *canons; /* canons[i] is the index's text i */
    size_t ncanons;
    struct match_index *index;
    const struct conf_filter *feed_filter; /* the feed's alert filter; NULL: all */
    const char *const *channels;           /* alert channels to queue deliveries for */
    size_t nchannels;
    int fetch_pages; /* new items with an http(s) link wait for their page (pages.c) */
    time_t page_due; /* when their first page fetch is due */
};

struct ingest_stats {
    size_t entries;
    size_t new_articles;
    size_t new_versions;
    size_t alerts;
    size_t pages_queued; /* new articles whose analysis waits for their page */
    int ttl;             /* the feed's own polling hint, seconds (0: none) */
    int bozo;
    char bozo_msg[256];
};

/* Parses body (the feed feed_name fetched from url) and stores it inside
 * the caller's transaction. On -1 err says why and the caller rolls back
 * (and logs it with the feed's name). */
int ingest_feed(const struct ingest_ctx *ctx, const char *feed_name, int64_t feed_id,
                const char *url, const char *body, size_t len, const char *content_type, time_t now,
                struct ingest_stats *stats, char *err, size_t errsz);

/* A stored version to analyse. Texts start with the headline as their
 * first paragraph. Strings are borrowed. */
struct ingest_version {
    int64_t article_id;
    int64_t version_id;
    int version_no;
    const char *link;
    const char *title; /* for the alert records */
    const char *text;
    const char *prev_text; /* the previous version's, NULL for the first */
    int prev_from_feed;    /* the previous text was the feed's teaser, this one the page's:
                              coverage is compared, but it is no edit */
};

/* Matches a new version against every canonical text, inside the caller's
 * transaction, and queues what it causes: coverage (first time, or again
 * after it was lost), coverage-lost, coverage-changed (a covered passage
 * added, reworded, altered, corrected or removed) and changed (an article
 * that covers a text was edited: headline, words, first changed sentence). */
int ingest_analyse(const struct ingest_ctx *ctx, const char *feed_name,
                   const struct ingest_version *v, time_t now, struct ingest_stats *stats,
                   char *err, size_t errsz);

/* Queues one alert record of kind (inside the caller's transaction). */
int ingest_alert(const struct ingest_ctx *ctx, const char *kind, const struct buf *rec, time_t now,
                 struct ingest_stats *stats, char *err, size_t errsz);

/* The charset parameter of a Content-Type value, copied into out; "" if none. */
void ingest_charset(const char *content_type, char *out, size_t outsz);

#endif
