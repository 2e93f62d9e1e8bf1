/*
 * poll (internal to daemon/): what one poll of a feed means for its
 * bookkeeping, decided without I/O so it can be tested alone: conditional
 * request validators, lying validators, permanent redirects, 410, backoff
 * with jitter, lower bounds from Retry-After / max-age / ttl, the adaptive
 * interval, and the feed-error / feed-recovered transitions.
 */
#ifndef PW_DAEMON_POLL_H
#define PW_DAEMON_POLL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct store_feed_state;
struct fetch_result;

#define POLL_MAX_BACKOFF (24 * 3600)
#define POLL_REDIRECTS_TO_MOVE 3
#define POLL_UNCONDITIONAL_EVERY (24 * 3600)

struct poll_cfg {
    int interval;     /* seconds; the configured one */
    int adaptive;     /* interval = auto */
    int min_interval; /* bounds of the adaptive interval and of server hints */
    int max_interval;
    int error_after; /* consecutive failures before a feed-error alert */
};

enum poll_alert { POLL_ALERT_NONE, POLL_ALERT_ERROR, POLL_ALERT_RECOVERED };

struct poll_outcome {
    int parse;             /* the body is new: parse and store it */
    enum poll_alert alert; /* a state change to report */
    int moved;             /* moved_url was just updated */
    int lying;             /* validators were just found to lie */
    int gone;              /* the feed just answered 410 */
    int delay;             /* seconds until the next poll (0 with gone: never) */
    int hint;              /* the server's lower bound on the next poll (Retry-After, max-age) */
};

/* The request for the next poll: URL (moved or configured) and validators,
 * NULL when the request must be unconditional. */
void poll_request(const struct store_feed_state *f, time_t now, const char **url, const char **etag,
                  const char **last_modified);

/* Records a fetch result in f (attempt, status, validators, redirects,
 * failures) and decides what follows. body_hash is the hash of res's body.
 * rnd is a random number for jitter. 0, or -1 on OOM. */
int poll_fetched(struct store_feed_state *f, const struct poll_cfg *cfg,
                 const struct fetch_result *res, int64_t body_hash, time_t now, unsigned int rnd,
                 int sent_conditional, struct poll_outcome *out);

/* After the body was parsed: a failure (error) is counted like a failed
 * fetch; a success records the items and adapts the interval. ttl is the
 * feed's own <ttl>/sy:updatePeriod hint in seconds (0: none). out is the
 * outcome poll_fetched filled. 0 or -1 (OOM). */
int poll_parsed(struct store_feed_state *f, const struct poll_cfg *cfg, const char *error,
                size_t items_new, size_t items_seen, int ttl, time_t now, unsigned int rnd,
                int64_t body_hash, struct poll_outcome *out);

/* 64-bit FNV-1a of a body. */
int64_t poll_body_hash(const char *body, size_t len);

#endif
