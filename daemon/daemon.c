#include "daemon/daemon.h"

#include <event2/event.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <syslog.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alerts/alerts.h"
#include "analysis/analysis.h"
#include "common/buf.h"
#include "daemon/cluster.h"
#include "daemon/conf.h"
#include "daemon/ingest.h"
#include "daemon/log.h"
#include "daemon/pages.h"
#include "daemon/poll.h"
#include "fetchers/fetch.h"
#include "store/store.h"

#ifdef PW_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#define RETRY_DELIVERY_SECS 60

/* A feed as the loop runs it. Feeds are never freed before the daemon:
 * a reload that drops one only deactivates it, so a transfer still in flight
 * always finds its feed_run alive. */
struct feed_run {
    struct daemon *d;
    char *name;
    char *url;
    int interval;
    int adaptive;
    int64_t feed_id;
    int active;
    int sent_conditional;             /* the request in flight carried validators */
    int busy;                         /* a transfer is queued or running */
    int fetch_pages;                  /* new items wait for their article page (pages.c) */
    const struct conf_filter *filter; /* in the running config; NULL while inactive */
    struct event *timer;
};

/* The canonical texts as the loop uses them: one match index over all of
 * them, and per text its name, database id and threshold, in index order. */
struct canon_set {
    struct match_index *index;
    struct ingest_canon *v;
    size_t n;
};

struct daemon {
    struct event_base *base;
    struct conf *conf;
    struct store *store;
    struct fetch_client *fetch;
    struct feed_run **feeds;
    size_t nfeeds;
    struct canon_set *canons;
    struct event *ev_term, *ev_int, *ev_hup, *ev_deliver;
    struct event *ev_watchdog;   /* WATCHDOG=1 pings, when systemd asks for them */
    struct alert_mailer *mailer; /* made at the first email delivery */
    int once;
    int foreground;
    size_t busy;         /* feeds with a transfer in flight */
    struct pages *pages; /* article page fetches and revisits */
    /* alert channels of the page being recorded */
    const char *page_channels[ALERT_CHANNELS_MAX];
    unsigned int rng;
    int leased;              /* server database, not --once: feeds come by claims */
    struct cluster *cluster; /* when leased */
    size_t polls;            /* since the last memory_cycle() */
};

static void canons_free(struct canon_set *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        free((char *)c->v[i].name);
    free(c->v);
    match_index_free(c->index);
    free(c);
}

/* Prepares the canonical texts of conf and mirrors them into the store. */
static int canons_load(struct daemon *d, const struct conf *conf, struct canon_set **out, char *err,
                       size_t errsz)
{
    struct canon_set *c = calloc(1, sizeof *c);
    char msg[256];
    if (!c || !(c->v = calloc(conf->ncanonicals ? conf->ncanonicals : 1, sizeof *c->v))) {
        free(c);
        return pw_err(err, errsz, "out of memory");
    }
    if (match_index_new(&c->index, msg, sizeof msg) < 0) {
        pw_err(err, errsz, "canonical texts: %s", msg);
        goto fail;
    }
    for (size_t i = 0; i < conf->ncanonicals; i++) {
        const struct conf_canonical *cc = &conf->canonicals[i];
        struct ingest_canon *ic = &c->v[i];
        size_t id;
        if (!(ic->name = strdup(cc->name))) {
            pw_err(err, errsz, "out of memory");
            goto fail;
        }
        c->n++;
        ic->min_score = cc->min_score;
        ic->filter = &cc->filter;
        if (match_index_add(c->index, cc->name, cc->text, &id, msg, sizeof msg) < 0) {
            pw_err(err, errsz, "canonical '%s': %s", cc->name, msg);
            goto fail;
        }
        ic->m = match_index_canon(c->index, id);
        if (store_canonical_sync(d->store, cc->name, cc->path, cc->text, &ic->id, msg, sizeof msg) <
            0) {
            pw_err(err, errsz, "canonical '%s': %s", cc->name, msg);
            goto fail;
        }
    }
    *out = c;
    return 0;
fail:
    canons_free(c);
    return -1;
}

static unsigned int rnd(struct daemon *d)
{
    /* xorshift: jitter needs spread, not secrecy. */
    d->rng ^= d->rng << 13;
    d->rng ^= d->rng >> 17;
    d->rng ^= d->rng << 5;
    return d->rng;
}

static void schedule(struct feed_run *f, int secs)
{
    if (f->d->leased)
        return; /* no per-feed timers: the claim timer finds due feeds */
    struct timeval tv = {secs, (suseconds_t)(rnd(f->d) % 1000000)};
    evtimer_add(f->timer, &tv);
}

static void maybe_finish_once(struct daemon *d);

/* The channels an alert is queued for: "log" when it has a sink, "email"
 * and "file" when configured. Returns how many of channels[] it set. */
static size_t alert_channels(const struct daemon *d, const char *channels[ALERT_CHANNELS_MAX])
{
    size_t n = 0;
    if (d->conf->syslog || d->foreground)
        channels[n++] = ALERT_CHANNEL_LOG;
    if (d->conf->email_to)
        channels[n++] = ALERT_CHANNEL_EMAIL;
    if (d->conf->alert_file)
        channels[n++] = ALERT_CHANNEL_FILE;
    return n;
}

/* A one-line summary for systemctl status. */
static void notify_status(struct daemon *d)
{
#ifdef PW_HAVE_SYSTEMD
    int64_t log_n = 0, mail_n = 0;
    char err[256];
    if (!getenv("NOTIFY_SOCKET") ||
        store_delivery_backlog(d->store, ALERT_CHANNEL_LOG, &log_n, err, sizeof err) < 0 ||
        store_delivery_backlog(d->store, ALERT_CHANNEL_EMAIL, &mail_n, err, sizeof err) < 0)
        return;
    sd_notifyf(0, "STATUS=%zu feeds, %zu canonical texts; outbox: %lld log, %lld email pending",
               d->conf->nfeeds, (d->canons ? d->canons->n : 0), (long long)log_n,
               (long long)mail_n);
#else
    (void)d;
#endif
}

static void on_mail_report(const struct alert_mail_report *r, void *arg)
{
    struct daemon *d = arg;
    if (r->ok && r->resent)
        log_warnx("alerts: emailed %zu alert%s; %zu went again after an attempt cut off by a"
                  " crash, so the receiver may hold %s twice, under one Message-ID",
                  r->alerts, r->alerts == 1 ? "" : "s", r->resent, r->resent == 1 ? "it" : "them");
    else if (r->ok)
        log_info("alerts: emailed %zu alert%s", r->alerts, r->alerts == 1 ? "" : "s");
    else
        log_warnx("alerts: email of %zu alert%s failed, next try in %llds: %s", r->alerts,
                  r->alerts == 1 ? "" : "s", (long long)(r->retry_at - time(NULL)), r->error);
    notify_status(d);
    if (d->once && !r->busy)
        maybe_finish_once(d);
}

/* Each channel on its own: a failing one never holds up another. */
static void deliver(struct daemon *d)
{
    const struct conf *c = d->conf;
    int journal = c->journal == 2 || (c->journal == 0 && alert_journal_available());
    struct alert_sinks sinks = {c->syslog, d->foreground, c->syslog && journal, c->syslog_ident,
                                log_facility_of(c->syslog_facility)};
    char err[512];
    int n = 0;
    struct alert_log_result lr;
    time_t now = time(NULL);
    if (alerts_deliver(d->store, &sinks, now, &lr, err, sizeof err) < 0)
        log_warnx("alerts: delivery failed, will retry: %s", err);
    else if (lr.resent)
        log_warnx("alerts: logged %d alert%s; %d went again after a delivery cut off by a crash,"
                  " so the system log may hold %s twice",
                  lr.delivered, lr.delivered == 1 ? "" : "s", lr.resent,
                  lr.resent == 1 ? "it" : "them");
    else if (lr.delivered)
        log_debug("alerts: delivered %d", lr.delivered);
    if (c->alert_file && alerts_deliver_file(d->store, c->alert_file, now, &n, err, sizeof err) < 0)
        log_warnx("alerts: file delivery failed, will retry: %s", err);
    if (c->email_to && !d->mailer &&
        alert_mailer_new(d->store, d->fetch, on_mail_report, d, &d->mailer, err, sizeof err) < 0)
        log_warnx("alerts: email: %s", err);
    if (c->email_to && d->mailer) {
        struct alert_email_opts o = {c->email_to,           c->email_from,    c->smtp_url,
                                     c->smtp_credentials,   c->smtp_insecure, c->email_digest,
                                     c->email_max_per_hour, c->email_retry,   c->database};
        if (alert_mailer_run(d->mailer, &o, now, err, sizeof err) < 0)
            log_warnx("alerts: email not sent, will retry: %s", err);
    }
    notify_status(d);
}

static void maybe_finish_once(struct daemon *d)
{
    if (d->once && d->busy == 0 && pages_busy(d->pages) == 0 && !alert_mailer_busy(d->mailer))
        event_base_loopexit(d->base, NULL);
}

static struct poll_cfg poll_cfg_of(const struct daemon *d, const struct feed_run *f)
{
    struct poll_cfg c = {f->interval, f->adaptive, d->conf->interval_min, d->conf->interval_max,
                         d->conf->feed_error_after};
    return c;
}

/* Queues a feed-error or feed-recovered alert (inside the caller's
 * transaction). */
static int feed_alert(struct daemon *d, const struct feed_run *f, const struct store_feed_state *fs,
                      enum poll_alert kind, int failures, time_t now, char *err, size_t errsz)
{
    const char *channels[ALERT_CHANNELS_MAX];
    size_t nchannels = alert_channels(d, channels);
    const char *name = kind == POLL_ALERT_ERROR ? "feed-error" : "feed-recovered";
    struct buf rec = BUF_INIT;
    char num[2][24];
    snprintf(num[0], sizeof num[0], "%d", failures);
    snprintf(num[1], sizeof num[1], "%ld", fs->last_status);
    int oom = buf_puts(&rec, name);
    oom |= alert_kv(&rec, "feed", f->name);
    oom |= alert_kv(&rec, "url", fs->moved_url ? fs->moved_url : fs->url);
    oom |= alert_kv(&rec, "failures", num[0]);
    if (kind == POLL_ALERT_ERROR) {
        oom |= alert_kv(&rec, "status", fs->last_status ? num[1] : NULL);
        oom |=
            alert_kv(&rec, "error", fs->gone ? "gone (HTTP 410): feed disabled" : fs->last_error);
    }
    /* the feed's own filter decides the channels, as for its articles */
    struct ingest_ctx ctx = {
        .st = d->store, .channels = channels, .nchannels = nchannels, .feed_filter = f->filter};
    struct ingest_stats st = {0};
    int rc = oom ? pw_err(err, errsz, "out of memory")
                 : ingest_alert(&ctx, name, &rec, now, &st, err, errsz);
    buf_free(&rec);
    return rc;
}

/* Stores the items of a new body; 0, or -1 with err (rolled back). */
static int ingest(struct daemon *d, struct feed_run *f, const struct fetch_result *res, time_t now,
                  struct ingest_stats *st, char *err, size_t errsz)
{
    const char *channels[ALERT_CHANNELS_MAX];
    size_t nchannels = alert_channels(d, channels);
    struct ingest_ctx ctx = {.st = d->store,
                             .canons = d->canons->v,
                             .ncanons = d->canons->n,
                             .index = d->canons->index,
                             .feed_filter = f->filter,
                             .channels = channels,
                             .nchannels = nchannels,
                             .fetch_pages = f->fetch_pages,
                             .page_due = now};
    const char *url = res->effective_url ? res->effective_url : f->url;
    int rc = ingest_feed(&ctx, f->name, f->feed_id, url, res->body, res->len, res->content_type,
                         now, st, err, errsz);
    return rc;
}

/* Everything one poll result causes, in one transaction: new items and
 * their alerts, the feed's bookkeeping, a feed-error/recovered alert.
 * Returns the delay until the next poll (0: never, the feed is gone). */
static int handle_result(struct daemon *d, struct feed_run *f, const struct fetch_result *res)
{
    struct store_feed_state fs;
    struct poll_outcome out;
    struct poll_cfg cfg = poll_cfg_of(d, f);
    struct ingest_stats st = {0};
    char err[512], perr[512] = "";
    time_t now = time(NULL);
    int delay = f->interval;
    if (store_feed_state_get(d->store, f->feed_id, &fs, err, sizeof err) < 0) {
        log_warnx("feed %s: %s", f->name, err);
        return delay;
    }
    int failures = fs.consecutive_failures;
    int64_t hash = res->ok && !res->not_modified ? poll_body_hash(res->body, res->len) : 0;
    if (poll_fetched(&fs, &cfg, res, hash, now, rnd(d), f->sent_conditional, &out) < 0)
        goto oom;
    if (!res->ok)
        log_warnx("feed %s: %s: %s", f->name, f->url, res->error ? res->error : "failed");
    if (out.moved)
        log_info("feed %s: moved permanently to %s; polling the new address", f->name,
                 fs.moved_url);
    if (out.lying)
        log_warnx("feed %s: the server's validators do not change with the feed; "
                  "polling without conditional requests",
                  f->name);
    if (store_begin(d->store, err, sizeof err) < 0) {
        log_warnx("feed %s: %s", f->name, err);
        goto done;
    }
    if (out.parse) {
        int rc = ingest(d, f, res, now, &st, perr, sizeof perr);
        if (rc < 0) {
            /* Nothing of this body is kept; the failure itself is. */
            store_rollback(d->store);
            log_warnx("feed %s: %s: %s", f->name, f->url, perr);
            if (store_begin(d->store, err, sizeof err) < 0) {
                log_warnx("feed %s: %s", f->name, err);
                goto done;
            }
        } else {
            if (st.bozo)
                log_warnx("feed %s: not well-formed, recovered what could be read: %s", f->name,
                          st.bozo_msg);
            log_info("feed %s: %zu items, %zu new, %zu new versions, %zu alerts", f->name,
                     st.entries, st.new_articles, st.new_versions, st.alerts);
        }
        if (poll_parsed(&fs, &cfg, rc < 0 ? perr : NULL, st.new_articles, st.entries, st.ttl, now,
                        rnd(d), hash, &out) < 0)
            goto oom_rollback;
    } else if (res->ok) {
        log_debug("feed %s: %s", f->name, res->not_modified ? "not modified" : "unchanged");
    }
    fs.next_due = out.delay ? now + out.delay : 0;
    if (out.alert != POLL_ALERT_NONE &&
        feed_alert(d, f, &fs, out.alert,
                   out.alert == POLL_ALERT_ERROR ? fs.consecutive_failures : failures, now, err,
                   sizeof err) < 0)
        goto fail_rollback;
    if (store_feed_state_put(d->store, &fs, err, sizeof err) < 0 ||
        store_commit(d->store, err, sizeof err) < 0)
        goto fail_rollback;
    if (out.gone)
        log_warnx("feed %s: gone (HTTP 410); not polled again until its url changes", f->name);
    delay = out.delay;
    goto done;
oom_rollback:
    pw_err(err, sizeof err, "out of memory");
fail_rollback:
    store_rollback(d->store);
    log_warnx("feed %s: cannot record the poll: %s", f->name, err);
    goto done;
oom:
    log_warnx("feed %s: out of memory", f->name);
done:
    store_feed_state_clear(&fs);
    return delay;
}

/* ---- hooks of pages.c: it records pages as ingest() records feeds ---- */

static const struct conf *pages_conf(void *arg)
{
    return ((const struct daemon *)arg)->conf;
}

static int pages_ctx(void *arg, struct ingest_ctx *ctx, struct ingest_canon **ic, char *err,
                     size_t errsz)
{
    struct daemon *d = arg;
    (void)err;
    (void)errsz;
    *ic = NULL; /* the daemon's canonical set is shared, nothing to free */
    size_t n = alert_channels(d, d->page_channels);
    *ctx = (struct ingest_ctx){.st = d->store,
                               .canons = d->canons->v,
                               .ncanons = d->canons->n,
                               .index = d->canons->index,
                               .channels = d->page_channels,
                               .nchannels = n};
    return 0;
}

static void pages_done(void *arg)
{
    struct daemon *d = arg;
    deliver(d);
    maybe_finish_once(d);
}

/* Once per cycle (as many polls as feeds): the process's memory at
 * LOG_DEBUG, so that a long run shows where memory goes (the soak reads it). */
static void memory_cycle(struct daemon *d)
{
    if (++d->polls < d->nfeeds)
        return;
    d->polls = 0;
    if (!log_wants(LOG_DEBUG))
        return; /* mallinfo2 walks every arena: only when it is logged */
    struct store_memory sm;
    store_memory(d->store, &sm);
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 33)
    struct mallinfo2 mi = mallinfo2();
    log_debug("memory: heap %zu kB in use, %zu kB free, %zu kB mapped; sqlite %lld kB, page "
              "cache %lld kB",
              mi.uordblks / 1024, mi.fordblks / 1024, mi.hblkhd / 1024, (long long)(sm.used / 1024),
              (long long)(sm.cache / 1024));
#else
    log_debug("memory: sqlite %lld kB, page cache %lld kB", (long long)(sm.used / 1024),
              (long long)(sm.cache / 1024));
#endif
}

static void on_fetched(const struct fetch_result *res, void *arg)
{
    struct feed_run *f = arg;
    struct daemon *d = f->d;
    f->busy = 0;
    d->busy--;
    int delay = handle_result(d, f, res);
    pages_kick(d->pages);
    deliver(d);
    memory_cycle(d);
    if (d->once)
        maybe_finish_once(d);
    else if (d->cluster)
        cluster_release(d->cluster, f->feed_id); /* next_due is recorded */
    else if (f->active && delay > 0)
        schedule(f, delay);
}

static void poll_feed(struct feed_run *f)
{
    struct daemon *d = f->d;
    struct store_feed_state fs;
    char err[512];
    if (f->busy || !f->active)
        return;
    if (store_feed_state_get(d->store, f->feed_id, &fs, err, sizeof err) < 0) {
        log_warnx("feed %s: %s", f->name, err);
        if (!d->once)
            schedule(f, f->interval);
        return;
    }
    if (fs.gone) {
        store_feed_state_clear(&fs);
        return;
    }
    struct fetch_request req;
    poll_request(&fs, time(NULL), &req.url, &req.etag, &req.last_modified);
    f->sent_conditional = req.etag || req.last_modified;
    int rc = fetch_start_req(d->fetch, &req, on_fetched, f, err, sizeof err);
    store_feed_state_clear(&fs);
    if (rc < 0) {
        log_warnx("feed %s: %s", f->name, err);
        if (!d->once)
            schedule(f, f->interval);
        return;
    }
    f->busy = 1;
    d->busy++;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    poll_feed(arg);
}

static struct feed_run *find_feed(struct daemon *d, const char *name)
{
    for (size_t i = 0; i < d->nfeeds; i++)
        if (!strcmp(d->feeds[i]->name, name))
            return d->feeds[i];
    return NULL;
}

/* The first poll of a feed: when its stored schedule says (so a restart
 * does not hammer a failing server), else within a few seconds, spread so
 * that feeds do not all start at once. */
static int first_poll(struct daemon *d, struct feed_run *f, char *err, size_t errsz)
{
    struct store_feed_state fs;
    if (store_feed_state_get(d->store, f->feed_id, &fs, err, errsz) < 0)
        return -1;
    time_t now = time(NULL);
    if (fs.gone)
        log_warnx("feed %s: gone (HTTP 410) at its last poll; change its url to poll again",
                  f->name);
    else if (fs.next_due > now)
        schedule(f, (int)(fs.next_due - now));
    else
        schedule(f, (int)(rnd(d) % (unsigned)(f->interval < 10 ? 1 : 10)));
    store_feed_state_clear(&fs);
    return 0;
}

/* Makes the feed set match conf: new feeds are added and polled soon,
 * changed ones updated, dropped ones deactivated. */
static int feeds_apply(struct daemon *d, const struct conf *conf, char *err, size_t errsz)
{
    for (size_t i = 0; i < d->nfeeds; i++) {
        d->feeds[i]->active = 0;
        d->feeds[i]->filter = NULL;
    }
    for (size_t i = 0; i < conf->nfeeds; i++) {
        const struct conf_feed *cf = &conf->feeds[i];
        struct feed_run *f = find_feed(d, cf->name);
        int fresh = 0;
        if (!f) {
            struct feed_run **v = realloc(d->feeds, (d->nfeeds + 1) * sizeof(struct feed_run *));
            if (!v)
                return pw_err(err, errsz, "out of memory");
            d->feeds = v;
            if (!(f = calloc(1, sizeof *f)) || !(f->name = strdup(cf->name)) ||
                !(f->timer = evtimer_new(d->base, on_timer, f))) {
                if (f)
                    free(f->name);
                free(f);
                return pw_err(err, errsz, "out of memory");
            }
            f->d = d;
            d->feeds[d->nfeeds++] = f;
            fresh = 1;
        }
        if (!f->url || strcmp(f->url, cf->url) != 0) {
            char *url = strdup(cf->url);
            if (!url)
                return pw_err(err, errsz, "out of memory");
            free(f->url);
            f->url = url;
        }
        f->interval = cf->interval;
        f->adaptive = cf->adaptive;
        f->fetch_pages = cf->fetch_pages;
        f->active = 1;
        f->filter = &cf->filter;
        if (store_feed_sync(d->store, cf->name, cf->url, &f->feed_id, err, errsz) < 0)
            return -1;
        if (fresh && !d->once && !d->leased && first_poll(d, f, err, errsz) < 0)
            return -1;
    }
    for (size_t i = 0; i < d->nfeeds; i++)
        if (!d->feeds[i]->active)
            evtimer_del(d->feeds[i]->timer);
    return 0;
}

int daemon_reload(struct daemon *d)
{
    struct buf errors = BUF_INIT;
    struct conf *conf = NULL;
    struct canon_set *canons = NULL;
    char err[512];
    if (conf_load(d->conf->path, &conf, &errors) < 0) {
        log_warnx("reload: %s: config not loaded, keeping the running one:\n%s", d->conf->path,
                  errors.data ? errors.data : "");
        buf_free(&errors);
        return -1;
    }
    buf_free(&errors);
    if (strcmp(conf->database, d->conf->database) != 0)
        log_warnx("reload: database path changed; it takes effect at restart");
    if (canons_load(d, conf, &canons, err, sizeof err) < 0) {
        log_warnx("reload: %s; keeping the running config", err);
        conf_free(conf);
        return -1;
    }
    if (feeds_apply(d, conf, err, sizeof err) < 0) {
        /* Feeds may be half applied; keep the new config's canonical texts
         * but report the failure. */
        log_warnx("reload: %s", err);
    }
    canons_free(d->canons);
    d->canons = canons;
    if (d->cluster &&
        cluster_budget(d->cluster, conf->per_host, conf->host_gap_ms, err, sizeof err) < 0)
        log_warnx("reload: %s", err);
    log_set_level(log_priority_of(conf->log_level));
    conf_free(d->conf);
    d->conf = conf;
    log_info("reload: %zu feeds, %zu canonical texts", conf->nfeeds, conf->ncanonicals);
    return 0;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct daemon *d = arg;
    (void)what;
    if (sig == SIGHUP) {
#ifdef PW_HAVE_SYSTEMD
        sd_notify(0, "RELOADING=1");
#endif
        daemon_reload(d);
#ifdef PW_HAVE_SYSTEMD
        sd_notify(0, "READY=1");
#endif
        return;
    }
    /* Callbacks run one at a time, so any feed transaction has already
     * committed; stopping the loop abandons only transfers in flight. */
    log_info("signal %d: stopping", (int)sig);
#ifdef PW_HAVE_SYSTEMD
    sd_notify(0, "STOPPING=1");
#endif
    event_base_loopexit(d->base, NULL);
}

#ifdef PW_HAVE_SYSTEMD
/* Pinged from the loop itself: a loop that hangs stops the pings, and
 * systemd restarts the service. */
static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    sd_notify(0, "WATCHDOG=1");
}
#endif

/* ---- hooks of cluster.c ---- */

static int cluster_room(void *arg)
{
    struct daemon *d = arg;
    /* Only what can start now: the database spaces the starts on a host
     * by claims, so a claimed feed must not wait in the local queue (a
     * poll ending claims again at once, see cluster_release). */
    size_t cap = (size_t)d->conf->concurrency, out = fetch_pending(d->fetch);
    return out < cap ? (int)(cap - out) : 0;
}

static void cluster_claimed(int64_t feed_id, void *arg)
{
    struct daemon *d = arg;
    for (size_t i = 0; i < d->nfeeds; i++) {
        struct feed_run *f = d->feeds[i];
        if (f->feed_id == feed_id && f->active) {
            /* a failure to start leaves the lease to expire: that is the
             * retry delay */
            poll_feed(f);
            return;
        }
    }
    log_debug("node %s: feed %lld is not in this node's config; left to its lease",
              cluster_node(d->cluster), (long long)feed_id);
}

static void on_deliver_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    deliver(arg);
}

int daemon_new(struct conf *conf, const struct daemon_opts *opts, struct daemon **out, char *err,
               size_t errsz)
{
    struct daemon *d = calloc(1, sizeof *d);
    if (!d) {
        conf_free(conf);
        return pw_err(err, errsz, "out of memory");
    }
    d->conf = conf;
    d->once = opts->once;
    d->foreground = opts->foreground;
    d->rng = (unsigned int)time(NULL) ^ ((unsigned int)getpid() << 16) ^ 0x9e3779b9u;
    if (!d->rng)
        d->rng = 1;
    char msg[512];
    if (store_open(conf->database, &d->store, msg, sizeof msg) < 0) {
        pw_err(err, errsz, "%s", msg);
        goto fail;
    }
    if (!(d->base = event_base_new())) {
        pw_err(err, errsz, "cannot create the event loop");
        goto fail;
    }
    struct fetch_opts fo = {
        .max_total = conf->concurrency,
        .max_per_host = conf->per_host,
        .timeout_ms = conf->timeout * 1000L,
        .connect_timeout_ms = conf->timeout < 15 ? conf->timeout * 1000L : 15000L,
        .max_body = (size_t)conf->max_body,
        .user_agent = conf->user_agent,
        .per_host_gap_ms = conf->host_gap_ms,
        .ca_file = conf->ca_file,
    };
    if (fetch_client_new(d->base, &fo, &d->fetch, err, errsz) < 0)
        goto fail;
    struct pages_env pe = {d->base, d->store,   d->fetch,  d->once,
                           d,       pages_conf, pages_ctx, pages_done};
    if (pages_new(&pe, &d->pages, err, errsz) < 0)
        goto fail;
    if (canons_load(d, conf, &d->canons, err, errsz) < 0)
        goto fail;
    d->leased = !d->once && store_is_server(conf->database);
    if (feeds_apply(d, conf, err, errsz) < 0)
        goto fail;
    struct cluster_hooks ch = {cluster_room, cluster_claimed, d};
    if (d->leased &&
        cluster_new(d->base, d->store, conf->node, conf->lease, &ch, &d->cluster, err, errsz) < 0)
        goto fail;
    if (d->cluster &&
        (store_claim_as(d->store, cluster_node(d->cluster), err, errsz) < 0 ||
         cluster_budget(d->cluster, conf->per_host, conf->host_gap_ms, err, errsz) < 0))
        goto fail;
    d->ev_term = evsignal_new(d->base, SIGTERM, on_signal, d);
    d->ev_int = evsignal_new(d->base, SIGINT, on_signal, d);
    d->ev_hup = evsignal_new(d->base, SIGHUP, on_signal, d);
    d->ev_deliver = event_new(d->base, -1, EV_PERSIST, on_deliver_timer, d);
    if (!d->ev_term || !d->ev_int || !d->ev_hup || !d->ev_deliver) {
        pw_err(err, errsz, "out of memory");
        goto fail;
    }
    *out = d;
    return 0;
fail:
    daemon_free(d);
    return -1;
}

int daemon_run(struct daemon *d, char *err, size_t errsz)
{
    struct timeval retry = {RETRY_DELIVERY_SECS, 0};
    if (event_add(d->ev_term, NULL) < 0 || event_add(d->ev_int, NULL) < 0 ||
        event_add(d->ev_hup, NULL) < 0 || event_add(d->ev_deliver, &retry) < 0)
        return pw_err(err, errsz, "cannot install signal handlers");
    /* Alerts left undelivered by an earlier run go out first. */
    deliver(d);
    pages_kick(d->pages); /* revisits that came due while the daemon was not running */
    if (d->once) {
        for (size_t i = 0; i < d->nfeeds; i++)
            poll_feed(d->feeds[i]);
        if (d->busy == 0 && pages_busy(d->pages) == 0)
            return 0;
    }
#ifdef PW_HAVE_SYSTEMD
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
        struct timeval half = {(time_t)(usec / 2000000), (suseconds_t)(usec / 2 % 1000000)};
        d->ev_watchdog = event_new(d->base, -1, EV_PERSIST, on_watchdog, d);
        if (!d->ev_watchdog || event_add(d->ev_watchdog, &half) < 0)
            return pw_err(err, errsz, "cannot start the watchdog timer");
    }
    sd_notify(0, "READY=1");
    notify_status(d);
#endif
    if (d->cluster && cluster_start(d->cluster, err, errsz) < 0)
        return -1;
    log_info("presswatchd: %zu feeds, %zu canonical texts, database %s", d->conf->nfeeds,
             (d->canons ? d->canons->n : 0), d->conf->database);
    if (event_base_dispatch(d->base) < 0)
        return pw_err(err, errsz, "event loop failed");
    /* Stopped by a signal: polls in flight are abandoned, so their feeds
     * (still due) and this node's undelivered alerts go to the other
     * nodes now rather than when the leases expire; an email being sent
     * keeps its claim (it may reach the server after all). */
    if (d->cluster)
        cluster_stop(d->cluster, alert_mailer_busy(d->mailer) ? ALERT_CHANNEL_EMAIL : NULL);
    return 0;
}

void daemon_free(struct daemon *d)
{
    if (!d)
        return;
    /* Transfers first: their callbacks point at feeds and the mailer. */
    fetch_client_free(d->fetch);
    pages_free(d->pages);
    alert_mailer_free(d->mailer);
    cluster_free(d->cluster);
    if (d->ev_watchdog)
        event_free(d->ev_watchdog);
    for (size_t i = 0; i < d->nfeeds; i++) {
        if (d->feeds[i]->timer)
            event_free(d->feeds[i]->timer);
        free(d->feeds[i]->name);
        free(d->feeds[i]->url);
        free(d->feeds[i]);
    }
    free(d->feeds);
    canons_free(d->canons);
    if (d->ev_term)
        event_free(d->ev_term);
    if (d->ev_int)
        event_free(d->ev_int);
    if (d->ev_hup)
        event_free(d->ev_hup);
    if (d->ev_deliver)
        event_free(d->ev_deliver);
    if (d->base)
        event_base_free(d->base);
    store_close(d->store);
    conf_free(d->conf);
    free(d);
}
