#include "daemon/poll.h"

#include <stdlib.h>
#include <string.h>

#include "fetchers/fetch.h"
#include "store/store.h"

int64_t poll_body_hash(const char *body, size_t len)
{
    uint64_t h = 14695981039346656037u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)body[i];
        h *= 1099511628211u;
    }
    /* 0 means "no body seen" in the store */
    return h ? (int64_t)h : 1;
}

static int same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* Replaces *dst with a copy of src (NULL clears). 0 or -1 on OOM. */
static int set_str(char **dst, const char *src)
{
    char *c = NULL;
    if (src && !(c = strdup(src)))
        return -1;
    free(*dst);
    *dst = c;
    return 0;
}

void poll_request(const struct store_feed_state *f, time_t now, const char **url, const char **etag,
                  const char **last_modified)
{
    *url = f->moved_url ? f->moved_url : f->url;
    *etag = *last_modified = NULL;
    if (f->unconditional)
        return;
    /* Now and then ask without validators, to catch servers whose
     * validators stay the same while the feed changes. */
    if ((f->etag || f->last_modified) && now - f->last_unconditional >= POLL_UNCONDITIONAL_EVERY)
        return;
    *etag = f->etag;
    *last_modified = f->last_modified;
}

static int base_interval(const struct store_feed_state *f, const struct poll_cfg *cfg)
{
    return cfg->adaptive && f->adaptive_interval > 0 ? f->adaptive_interval : cfg->interval;
}

static int clamp(long v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : (int)v;
}

/* A tenth of spread, so feeds configured alike drift apart. */
static int jitter(int d, unsigned int rnd)
{
    return d + (int)(rnd % (unsigned int)(d / 10 + 1));
}

static int success_delay(const struct store_feed_state *f, const struct poll_cfg *cfg, int hint,
                         unsigned int rnd)
{
    int d = base_interval(f, cfg);
    /* Server hints are lower bounds, but never past the configured cap. */
    if (hint > d)
        d = hint < cfg->max_interval ? hint : cfg->max_interval;
    return jitter(d, rnd);
}

static int failure_delay(const struct store_feed_state *f, const struct poll_cfg *cfg, int hint,
                         unsigned int rnd)
{
    long d = base_interval(f, cfg);
    int n = f->consecutive_failures > 0 ? f->consecutive_failures - 1 : 0;
    for (int i = 0; i < n && d < POLL_MAX_BACKOFF; i++)
        d *= 2;
    if (hint > d)
        d = hint;
    d = clamp(d, 1, POLL_MAX_BACKOFF);
    /* Jitter below the bound too, so feeds failing together spread out. */
    long spread = d / 5 + 1;
    d = d - d / 10 + (long)(rnd % (unsigned long)spread);
    return clamp(d, 1, POLL_MAX_BACKOFF);
}

static void adapt(struct store_feed_state *f, const struct poll_cfg *cfg, size_t items_new)
{
    if (!cfg->adaptive)
        return;
    long cur = base_interval(f, cfg);
    /* New items: come back sooner; none: a little later. */
    cur = items_new ? cur * 2 / 3 : cur * 5 / 4;
    f->adaptive_interval = clamp(cur, cfg->min_interval, cfg->max_interval);
}

static int succeeded(struct store_feed_state *f, time_t now, struct poll_outcome *out)
{
    f->last_success = now;
    f->consecutive_failures = 0;
    if (set_str(&f->last_error, NULL) < 0)
        return -1;
    if (f->error_alerted) {
        f->error_alerted = 0;
        out->alert = POLL_ALERT_RECOVERED;
    }
    return 0;
}

static int failed(struct store_feed_state *f, const struct poll_cfg *cfg, const char *error,
                  struct poll_outcome *out)
{
    f->consecutive_failures++;
    if (set_str(&f->last_error, error ? error : "failed") < 0)
        return -1;
    if (!f->error_alerted && (f->gone || f->consecutive_failures >= cfg->error_after)) {
        f->error_alerted = 1;
        out->alert = POLL_ALERT_ERROR;
    }
    return 0;
}

static int track_redirect(struct store_feed_state *f, const struct fetch_result *res,
                          struct poll_outcome *out)
{
    const char *current = f->moved_url ? f->moved_url : f->url;
    if (!res->permanent_url || strcmp(res->permanent_url, current) == 0) {
        f->redirect_count = 0;
        return set_str(&f->redirect_url, NULL);
    }
    if (same(f->redirect_url, res->permanent_url)) {
        f->redirect_count++;
    } else {
        if (set_str(&f->redirect_url, res->permanent_url) < 0)
            return -1;
        f->redirect_count = 1;
    }
    if (f->redirect_count >= POLL_REDIRECTS_TO_MOVE) {
        if (set_str(&f->moved_url, res->permanent_url) < 0 || set_str(&f->redirect_url, NULL) < 0)
            return -1;
        f->redirect_count = 0;
        out->moved = 1;
    }
    return 0;
}

int poll_fetched(struct store_feed_state *f, const struct poll_cfg *cfg,
                 const struct fetch_result *res, int64_t body_hash, time_t now, unsigned int rnd,
                 int sent_conditional, struct poll_outcome *out)
{
    memset(out, 0, sizeof *out);
    f->last_attempt = now;
    f->last_status = res->status;
    f->bytes = (int64_t)res->wire_bytes;
    out->hint = (int)(res->retry_after > res->max_age ? res->retry_after : res->max_age);
    if (out->hint < 0)
        out->hint = 0;
    if (track_redirect(f, res, out) < 0)
        return -1;
    if (!res->ok) {
        if (res->status == 410) {
            f->gone = 1;
            out->gone = 1;
        }
        if (failed(f, cfg, res->error, out) < 0)
            return -1;
        out->delay = f->gone ? 0 : failure_delay(f, cfg, out->hint, rnd);
        return 0;
    }
    /* An unconditional request counts as the periodic check. */
    if (!sent_conditional)
        f->last_unconditional = now;
    if (!res->not_modified) {
        /* The same validator with a different body: the server's
         * validators cannot be trusted for this feed. */
        if (!sent_conditional && !f->unconditional && f->body_hash && body_hash != f->body_hash &&
            (same(res->etag, f->etag) || same(res->last_modified, f->last_modified))) {
            f->unconditional = 1;
            out->lying = 1;
        }
        if (set_str(&f->etag, res->etag) < 0 || set_str(&f->last_modified, res->last_modified) < 0)
            return -1;
        if (body_hash != f->body_hash) {
            /* the body is new: poll_parsed finishes the bookkeeping */
            out->parse = 1;
            return 0;
        }
    }
    /* 304, or the very body stored last time: nothing to parse */
    if (succeeded(f, now, out) < 0)
        return -1;
    adapt(f, cfg, 0);
    out->delay = success_delay(f, cfg, out->hint, rnd);
    return 0;
}

int poll_parsed(struct store_feed_state *f, const struct poll_cfg *cfg, const char *error,
                size_t items_new, size_t items_seen, int ttl, time_t now, unsigned int rnd,
                int64_t body_hash, struct poll_outcome *out)
{
    out->parse = 0;
    if (error) {
        if (failed(f, cfg, error, out) < 0)
            return -1;
        out->delay = failure_delay(f, cfg, out->hint, rnd);
        return 0;
    }
    /* Only a body that was stored counts as seen, so a feed whose body
     * keeps failing keeps being reported. */
    f->body_hash = body_hash;
    f->items_new = (int)items_new;
    f->items_seen = (int)items_seen;
    if (succeeded(f, now, out) < 0)
        return -1;
    adapt(f, cfg, items_new);
    if (ttl > out->hint)
        out->hint = ttl;
    out->delay = success_delay(f, cfg, out->hint, rnd);
    return 0;
}
