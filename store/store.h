/*
 * store: the SQLite database (WAL, versioned schema keyed by PRAGMA
 * user_version). The only code that writes SQL. Every statement is prepared
 * once at open and reset after use; all are finalised by store_close.
 *
 * Errors: functions return 0 or -1 with a message in err (which names the
 * database operation); nothing is logged here.
 */
#ifndef PW_STORE_STORE_H
#define PW_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct store;

/* Opens (creating if needed) and migrates the database at path. Free with store_close. */
int store_open(const char *path, struct store **out, char *err, size_t errsz);
void store_close(struct store *st); /* accepts NULL */

/* 1 when database names a database server (postgresql://, postgres://)
 * rather than a file, else 0. */
int store_is_server(const char *database);

/* Memory the database library holds in this process, in bytes; -1 where
 * the backend cannot tell (PostgreSQL: the server holds it). */
struct store_memory {
    int64_t used;  /* all the library has allocated (SQLite: sqlite3_memory_used) */
    int64_t cache; /* of which this connection's page cache */
};
void store_memory(struct store *st, struct store_memory *out);

/* Writers group their work in one transaction: BEGIN IMMEDIATE ... COMMIT. */
int store_begin(struct store *st, char *err, size_t errsz);
int store_commit(struct store *st, char *err, size_t errsz);
void store_rollback(struct store *st); /* no-op outside a transaction */

/* ---- configuration mirrored into the database (upsert by name) ---- */
int store_feed_sync(struct store *st, const char *name, const char *url, int64_t *feed_id,
                    char *err, size_t errsz);
int store_canonical_sync(struct store *st, const char *name, const char *path, const char *text,
                         int64_t *canonical_id, char *err, size_t errsz);

/* Records the outcome of one poll. error NULL means success (resets
 * consecutive_failures), else it is stored as last_error and counted. */
int store_feed_result(struct store *st, int64_t feed_id, time_t when, long http_status,
                      const char *error, char *err, size_t errsz);

/* ---- poll bookkeeping of a feed (conditional requests, redirects, backoff) ---- */
struct store_feed_state {
    int64_t id;
    char *name;
    char *url;          /* as configured */
    char *moved_url;    /* where permanent redirects moved it, or NULL */
    char *redirect_url; /* permanent redirect target seen redirect_count polls in a row */
    int redirect_count;
    char *etag; /* validators of the last 200 response, or NULL */
    char *last_modified;
    int64_t body_hash; /* of the last 200 body; 0 when none */
    int unconditional; /* the server's validators lied: requests go out unconditional */
    time_t last_unconditional;
    time_t last_attempt;
    time_t last_success;
    time_t next_due;
    long last_status; /* 0: no HTTP response */
    char *last_error; /* NULL after a success */
    int consecutive_failures;
    int error_alerted; /* a feed-error alert went out and no feed-recovered yet */
    int gone;          /* answered 410: not polled until its URL changes */
    int64_t bytes;     /* wire bytes of the last response */
    int items_new;     /* of the last parsed response */
    int items_seen;
    int adaptive_interval; /* seconds, for interval = auto; 0 until learnt */
    char *lease_node;      /* read only: the node polling it (server databases), or NULL */
    time_t lease_until;    /* read only: until when (may have expired) */
};
/* Reads a feed's state into out, which owns its strings: release with
 * store_feed_state_clear. */
int store_feed_state_get(struct store *st, int64_t feed_id, struct store_feed_state *out, char *err,
                         size_t errsz);
/* Writes every field but id, name and url. */
int store_feed_state_put(struct store *st, const struct store_feed_state *f, char *err,
                         size_t errsz);
void store_feed_state_clear(struct store_feed_state *f); /* accepts NULL */
/* Calls cb for every feed by name; the state is valid only during the call;
 * non-zero from cb stops the walk. */
typedef int (*store_feed_cb)(const struct store_feed_state *f, void *arg);
int store_list_feeds(struct store *st, store_feed_cb cb, void *arg, char *err, size_t errsz);

/* ---- articles and versions ---- */
struct store_item {
    const char *guid; /* stable item id: guid/atom id, else the link; required */
    const char *link;
    const char *title;
    const char *author;
    const char *summary;
    const char *content;
    const char *text; /* the text analysed: what decides whether a version is new; required */
    time_t published; /* 0 when unknown */
    time_t updated;
};

struct store_upsert {
    int64_t article_id;
    int64_t version_id; /* the newest version (new or existing) */
    int version_no;     /* 1-based */
    int new_article;
    int new_version; /* a version row was inserted (text differs from the previous one) */
    char *prev_text; /* text of the previous version when new_version && version_no > 1,
                        else NULL; caller frees */
};

/* Inserts the article if unseen (UNIQUE feed_id, guid) and a version when its
 * text differs from the newest stored one. An article whose newest version
 * came from its page (source "page") is versioned by its page only: the
 * feed item seen again just touches it. */
int store_upsert_item(struct store *st, int64_t feed_id, const struct store_item *item, time_t now,
                      struct store_upsert *out, char *err, size_t errsz);

/* ---- matches and coverage ---- */
/* Records the score of one version against one canonical text. paragraphs is
 * a comma list of 1-based canonical paragraph numbers ("" when none);
 * detail_json is the matcher's JSON for the pair (nullable). */
int store_match_add(struct store *st, int64_t version_id, int64_t canonical_id, double score,
                    const char *lang, const char *paragraphs, const char *detail_json, char *err,
                    size_t errsz);

/* Marks the article as covering the canonical text. *first is 1 when it was
 * not marked before, or was marked lost (store_coverage_lose) since: that is
 * when a coverage alert is due; else 0. */
int store_coverage_mark(struct store *st, int64_t article_id, int64_t canonical_id,
                        int64_t version_id, double score, time_t now, int *first, char *err,
                        size_t errsz);

/* *covered = 1 when the article covers, or once covered, any canonical text. */
int store_article_is_covered(struct store *st, int64_t article_id, int *covered, char *err,
                             size_t errsz);

/* *active = 1 when the article covers the canonical text now (marked and
 * not lost since). */
int store_coverage_active(struct store *st, int64_t article_id, int64_t canonical_id, int *active,
                          char *err, size_t errsz);
/* Marks the coverage lost; *lost = 1 when it was active (a coverage-lost
 * alert is due), else 0. */
int store_coverage_lose(struct store *st, int64_t article_id, int64_t canonical_id, int *lost,
                        char *err, size_t errsz);

/* ---- article pages: fetch and revisit state ---- */
struct store_page {
    int64_t article_id;
    int64_t feed_id;
    char *feed;        /* the feed's name */
    char *url;         /* the link fetched */
    int pending;       /* version 1 (the feed's text) waits for the page before analysis */
    int fetches;       /* fetches done; the next delay is the schedule's entry fetches - 1 */
    time_t next_fetch; /* 0: never again */
    time_t last_fetch;
    long last_status; /* 0: no HTTP response */
    char *last_error; /* NULL after a success */
    int unpublished;  /* the page was last seen gone (404/410) or moved to another story */
    char *title;      /* the article's title (read only) */
};
/* Starts fetch bookkeeping for a new article's page (pending, due at
 * next_fetch); an article that has one keeps it. */
int store_page_add(struct store *st, int64_t article_id, const char *url, time_t next_fetch,
                   char *err, size_t errsz);
/* Calls cb for pages due at now, soonest first, at most limit (0: all).
 * The page is valid only during the call; no other store call may be made
 * from cb; non-zero from cb stops the walk. After store_claim_as
 * (PostgreSQL), every page returned is claimed for the node for
 * STORE_PAGE_LEASE seconds (FOR UPDATE SKIP LOCKED): no other node fetches
 * it until its store_page_put or the claim's end, and it is not returned
 * again meanwhile, in flight or not (see store_claims). */
#define STORE_PAGE_LEASE 300
typedef int (*store_page_cb)(const struct store_page *p, void *arg);
int store_pages_due(struct store *st, time_t now, int limit, store_page_cb cb, void *arg, char *err,
                    size_t errsz);
/* *when: the soonest next_fetch of any page, 0 when none is scheduled. */
int store_page_next_due(struct store *st, time_t *when, char *err, size_t errsz);
/* Reads one page into out, which owns its strings: release with store_page_clear. */
int store_page_get(struct store *st, int64_t article_id, struct store_page *out, char *err,
                   size_t errsz);
/* Writes pending, fetches, next_fetch, last_fetch, last_status, last_error, unpublished. */
int store_page_put(struct store *st, const struct store_page *p, char *err, size_t errsz);
void store_page_clear(struct store_page *p); /* accepts NULL */
/* Pages known, and fetches done over all of them. */
int store_page_totals(struct store *st, int64_t *pages, int64_t *fetches, char *err, size_t errsz);

/* One version of an article, as read back (strings owned: store_version_clear). */
struct store_version {
    int64_t id;
    int64_t article_id;
    int version_no;
    char *title; /* the version's headline, or NULL */
    char *text;
    char *source; /* "feed" or "page" */
    time_t fetched_at;
    char *link;          /* the article's */
    char *article_title; /* the article's latest title */
    char *feed;          /* the feed's name */
};
/* Reads version version_no of an article (0: the newest). */
int store_version_get(struct store *st, int64_t article_id, int version_no,
                      struct store_version *out, char *err, size_t errsz);
void store_version_clear(struct store_version *v); /* accepts NULL */

/* A version read from the article's page. Strings are borrowed. */
struct store_page_version {
    int64_t article_id;
    const char *title; /* the page's headline (NULL keeps the old one with set_text) */
    const char *author;
    const char *text;   /* required */
    const char *source; /* "page" or "feed"; required */
};
/* Adds the next version of an article (the caller decided that it differs). */
int store_version_add(struct store *st, const struct store_page_version *pv, time_t now,
                      int64_t *version_id, int *version_no, char *err, size_t errsz);
/* Replaces the text of a version not yet analysed (the feed's teaser by the
 * page's text). */
int store_version_set_text(struct store *st, int64_t version_id,
                           const struct store_page_version *pv, char *err, size_t errsz);

struct store_version_row {
    int version_no;
    int64_t version_id;
    const char *title;
    const char *source;
    time_t fetched_at;
    size_t text_bytes;
};
typedef int (*store_version_cb)(const struct store_version_row *r, void *arg);
/* Every version of an article, oldest first; rows valid only during cb. */
int store_list_versions(struct store *st, int64_t article_id, store_version_cb cb, void *arg,
                        char *err, size_t errsz);

/* ---- alert outbox ---- */
/* Adds an alert (kind: "coverage", "changed", ...; record: the single-line
 * key=value text) with one pending delivery per channel in channels[0..n).
 * Call inside the transaction that stored its cause. */
int store_alert_add(struct store *st, const char *kind, const char *record, time_t now,
                    const char *const *channels, size_t nchannels, int64_t *alert_id, char *err,
                    size_t errsz);

struct store_delivery {
    int64_t alert_id;
    const char *kind;
    const char *record;
    const char *channel;
    int attempts;
    int cut_off; /* an earlier attempt never ended (see store_delivery_sending) */
};
/* Calls cb for each pending delivery of channel whose next attempt is <= now,
 * oldest first, at most limit. Strings are valid only during the call. cb
 * returning non-zero stops the walk. No other store call may be made from cb. */
typedef int (*store_delivery_cb)(const struct store_delivery *d, void *arg);
/* After store_claim_as (PostgreSQL), see there: the deliveries returned
 * are claimed for that node. */
int store_delivery_due(struct store *st, const char *channel, time_t now, int limit,
                       store_delivery_cb cb, void *arg, char *err, size_t errsz);
int store_delivery_done(struct store *st, int64_t alert_id, const char *channel, time_t now,
                        char *err, size_t errsz);
int store_delivery_failed(struct store *st, int64_t alert_id, const char *channel,
                          time_t next_attempt, const char *error, char *err, size_t errsz);
/* Records that an attempt to deliver begins at now; store_delivery_done or
 * _failed ends it. An attempt still recorded when the next one begins was
 * cut off (the process died during it, or its marking failed): the
 * delivery's "interrupted" count goes up, since the receiver may have had
 * the first copy. Commit it before the attempt can reach the receiver. */
int store_delivery_sending(struct store *st, int64_t alert_id, const char *channel, time_t now,
                           char *err, size_t errsz);

/* For digests and rate limits: *messages is how many distinct send times
 * channel's sent deliveries have at or after since (one message marks all
 * its deliveries with one time), *last_sent the newest (0: never). */
int store_delivery_sent_stats(struct store *st, const char *channel, time_t since,
                              int64_t *messages, time_t *last_sent, char *err, size_t errsz);

/* Deliveries of channel not sent yet (due or waiting for a retry). */
int store_delivery_backlog(struct store *st, const char *channel, int64_t *pending, char *err,
                           size_t errsz);

/* When the oldest alert with a due delivery on channel was created (0: none
 * due), so that a digest can wait for its period. */
int store_delivery_oldest_due(struct store *st, const char *channel, time_t now, time_t *created,
                              char *err, size_t errsz);

/* ---- reading, for the CLI ---- */
struct store_article_row {
    int64_t article_id;
    const char *feed;
    const char *guid;
    const char *link;
    const char *title;
    int versions;
    time_t first_seen;
    time_t last_seen;
};
typedef int (*store_article_cb)(const struct store_article_row *r, void *arg);
/* feed NULL: all feeds. Newest first, at most limit (0: no limit). */
int store_list_articles(struct store *st, const char *feed, int limit, store_article_cb cb,
                        void *arg, char *err, size_t errsz);

struct store_coverage_row {
    const char *canonical;
    const char *feed;
    int64_t article_id;
    const char *title;
    const char *link;
    double score; /* best score of any version */
    const char *lang;
    const char *paragraphs; /* of the best-scoring version */
    time_t first_covered;
};
typedef int (*store_coverage_cb)(const struct store_coverage_row *r, void *arg);
/* canonical NULL: all canonical texts. Ordered by canonical, then first_covered. */
int store_list_coverage(struct store *st, const char *canonical, store_coverage_cb cb, void *arg,
                        char *err, size_t errsz);

/* ---- reading, for presswatch report and serve (strings valid only during cb) ---- */
struct store_canonical_row {
    int64_t id;
    const char *name;
    const char *text;
    int64_t articles; /* covering it (ever) */
    int64_t outlets;  /* feeds of those articles */
};
typedef int (*store_canonical_cb)(const struct store_canonical_row *r, void *arg);
/* Every canonical text by name. */
int store_list_canonicals(struct store *st, store_canonical_cb cb, void *arg, char *err,
                          size_t errsz);

struct store_covering_row {
    int64_t article_id;
    const char *feed;
    const char *title; /* nullable */
    const char *link;  /* nullable */
    time_t first_seen;
    time_t published; /* of version 1 as the feed said; 0: unknown */
    time_t first_covered;
    int active;   /* covers now (not lost since) */
    int versions; /* stored versions of the article */
    /* of the best-scoring version (as store_list_coverage): */
    double score;
    const char *lang;       /* nullable */
    const char *paragraphs; /* comma list, "" when none */
    const char *detail;     /* the matcher's JSON, nullable */
    int version_no;         /* 0: no recorded match */
};
typedef int (*store_covering_cb)(const struct store_covering_row *r, void *arg);
/* Articles covering a canonical text, by first_covered. */
int store_list_covering(struct store *st, int64_t canonical_id, store_covering_cb cb, void *arg,
                        char *err, size_t errsz);
/* The text of the version that first covered the canonical text, per
 * covering article, by first_covered. */
typedef int (*store_text_cb)(int64_t article_id, const char *text, void *arg);
int store_list_covering_texts(struct store *st, int64_t canonical_id, store_text_cb cb, void *arg,
                              char *err, size_t errsz);

/* Calls cb once with the article, or not at all when there is none. */
int store_article_get(struct store *st, int64_t article_id, store_article_cb cb, void *arg,
                      char *err, size_t errsz);

struct store_article_match {
    int64_t canonical_id;
    const char *canonical;
    const char *canonical_text;
    int version_no; /* the best-scoring version; 0: no recorded match */
    double score;
    const char *lang;       /* nullable */
    const char *paragraphs; /* "" when none */
    const char *detail;     /* nullable */
    int active;
    time_t first_covered;
};
typedef int (*store_article_match_cb)(const struct store_article_match *m, void *arg);
/* The canonical texts an article covers (or covered), by name, with its best match. */
int store_article_matches(struct store *st, int64_t article_id, store_article_match_cb cb,
                          void *arg, char *err, size_t errsz);

/* Counts, for tests and status: rows in table name (one of "feeds", "articles",
 * "versions", "canonicals", "matches", "coverage", "alerts", "deliveries"). */
int store_count(struct store *st, const char *table, int64_t *n, char *err, size_t errsz);

/* ---- feed leases: several daemons (nodes) sharing one PostgreSQL database ---- */
/* Claims for node up to limit feeds due at now (next_due unset or <= now,
 * not gone) that no other node holds an unexpired lease on, leasing them
 * until now + lease seconds; cb gets each claimed feed's id (non-zero stops
 * the calls, not the claim). PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED,
 * so concurrent claims never return one feed twice, and a node that dies
 * loses its feeds when their leases expire. SQLite: one node only, so
 * nothing is leased and the due feeds are returned. */
typedef int (*store_claim_cb)(int64_t feed_id, void *arg);
int store_feeds_claim(struct store *st, const char *node, time_t now, int lease, int limit,
                      store_claim_cb cb, void *arg, char *err, size_t errsz);
/* Ends node's lease on a feed once its poll is recorded (no-op when node
 * holds none: the lease may have expired and moved on). */
int store_feed_release(struct store *st, int64_t feed_id, const char *node, char *err,
                       size_t errsz);
/* Records that node is alive at now (for status); SQLite: no-op. */
int store_node_heartbeat(struct store *st, const char *node, time_t now, char *err, size_t errsz);

/* Makes store_delivery_due claim what it returns for node (NULL: stop)
 * for STORE_DELIVERY_LEASE seconds of wall-clock time, FOR UPDATE SKIP
 * LOCKED: until they are marked or the claim expires, no other node gets
 * them, while node sees them again. So two nodes never deliver one alert,
 * save in one window: a node that dies after sending but before marking
 * leaves its claims to expire, and another node then sends those alerts
 * again (the "file" channel's lines carry alert_id= to dedupe by).
 * SQLite (one node): no-op. */
#define STORE_DELIVERY_LEASE 300
int store_claim_as(struct store *st, const char *node, char *err, size_t errsz);
/* 1 when reads of due pages and deliveries claim them (store_claim_as was
 * called with a node on PostgreSQL), else 0. */
int store_claims(const struct store *st);

/* Per-host politeness across nodes. After this call store_feeds_claim
 * hands out feeds of one host (the "host:port" of the URL polled, as the
 * fetch client queues by it) only while, over all nodes, fewer than
 * per_host of that host's feeds are under unexpired leases, and starts on
 * one host at least gap_ms apart (one feed per host and claim when gap_ms
 * > 0), timed by the database server's clock. Feeds without a host
 * (file:) are claimed as before. per_host 0: no budget (the default).
 * SQLite (one node, whose fetch client keeps per_host and the gap): no-op. */
int store_hosts_budget(struct store *st, int per_host, long gap_ms, char *err, size_t errsz);

/* A node stopping cleanly: ends every feed lease it holds and its claims
 * on pending deliveries, except those of channel keep_channel (NULL: none
 * kept; for a channel whose message may be in flight), so that other
 * nodes take them at once rather than when they expire. SQLite: no-op. */
int store_node_release(struct store *st, const char *node, const char *keep_channel, char *err,
                       size_t errsz);

struct store_node_row {
    const char *name;
    time_t heartbeat; /* the node's last */
    int64_t feeds;    /* leases it holds that have not expired at now */
};
typedef int (*store_node_cb)(const struct store_node_row *r, void *arg);
/* Every node that ever sent a heartbeat, by name; SQLite: none. */
int store_list_nodes(struct store *st, time_t now, store_node_cb cb, void *arg, char *err,
                     size_t errsz);

#endif
