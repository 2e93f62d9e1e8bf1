#include "daemon/daemon.h"

#include <event2/event.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alerts/alerts.h"
#include "analysis/analysis.h"
#include "common/buf.h"
#include "daemon/conf.h"
#include "daemon/ingest.h"
#include "daemon/log.h"
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
    int64_t feed_id;
    int active;
    int busy; /* a transfer is queued or running */
    struct event *timer;
};

struct canon_run {
    char *name;
    int64_t id;
    struct match_canon *m;
};

struct daemon {
    struct event_base *base;
    struct conf *conf;
    struct store *store;
    struct fetch_client *fetch;
    struct feed_run **feeds;
    size_t nfeeds;
    struct canon_run *canons;
    size_t ncanons;
    struct event *ev_term, *ev_int, *ev_hup, *ev_deliver;
    int once;
    int foreground;
    size_t busy; /* feeds with a transfer in flight */
    unsigned int rng;
};

static void canons_free(struct canon_run *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(c[i].name);
        match_canon_free(c[i].m);
    }
    free(c);
}

/* Prepares the canonical texts of conf and mirrors them into the store. */
static int canons_load(struct daemon *d, const struct conf *conf, struct canon_run **out, char *err,
                       size_t errsz)
{
    struct canon_run *c = calloc(conf->ncanonicals ? conf->ncanonicals : 1, sizeof *c);
    if (!c)
        return pw_err(err, errsz, "out of memory");
    for (size_t i = 0; i < conf->ncanonicals; i++) {
        const struct conf_canonical *cc = &conf->canonicals[i];
        char msg[256];
        if (!(c[i].name = strdup(cc->name))) {
            pw_err(err, errsz, "out of memory");
            goto fail;
        }
        if (match_canon_new(cc->text, &c[i].m, msg, sizeof msg) < 0) {
            pw_err(err, errsz, "canonical '%s': %s", cc->name, msg);
            goto fail;
        }
        if (store_canonical_sync(d->store, cc->name, cc->path, cc->text, &c[i].id, msg,
                                 sizeof msg) < 0) {
            pw_err(err, errsz, "canonical '%s': %s", cc->name, msg);
            goto fail;
        }
    }
    *out = c;
    return 0;
fail:
    canons_free(c, conf->ncanonicals);
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
    struct timeval tv = {secs, (suseconds_t)(rnd(f->d) % 1000000)};
    evtimer_add(f->timer, &tv);
}

/* The next poll: the feed's interval plus up to a tenth of it, so feeds
 * configured alike drift apart instead of polling in lockstep. */
static void schedule_next(struct feed_run *f)
{
    int spread = f->interval / 10;
    schedule(f, f->interval + (spread > 0 ? (int)(rnd(f->d) % (unsigned)spread) : 0));
}

static void deliver(struct daemon *d)
{
    struct alert_sinks sinks = {d->conf->syslog, d->foreground};
    char err[512];
    int n = 0;
    if (alerts_deliver(d->store, &sinks, time(NULL), &n, err, sizeof err) < 0)
        log_warnx("alerts: delivery failed, will retry: %s", err);
    else if (n)
        log_debug("alerts: delivered %d", n);
}

static void maybe_finish_once(struct daemon *d)
{
    if (d->once && d->busy == 0)
        event_base_loopexit(d->base, NULL);
}

static void on_fetched(const struct fetch_result *res, void *arg)
{
    struct feed_run *f = arg;
    struct daemon *d = f->d;
    char err[512];
    time_t now = time(NULL);
    f->busy = 0;
    d->busy--;
    if (!res->ok) {
        log_warnx("feed %s: %s: %s", f->name, f->url, res->error ? res->error : "failed");
        if (store_feed_result(d->store, f->feed_id, now, res->status, res->error, err, sizeof err) <
            0)
            log_warnx("feed %s: cannot record failure: %s", f->name, err);
    } else {
        struct ingest_canon *ic = calloc(d->ncanons ? d->ncanons : 1, sizeof *ic);
        const char *channels[] = {ALERT_CHANNEL_LOG};
        struct ingest_stats st;
        if (!ic) {
            log_warnx("feed %s: out of memory", f->name);
            goto next;
        }
        for (size_t i = 0; i < d->ncanons; i++)
            ic[i] = (struct ingest_canon){d->canons[i].name, d->canons[i].id, d->canons[i].m};
        struct ingest_ctx ctx = {d->store,   ic,
                                 d->ncanons, d->conf->min_score,
                                 channels,   d->conf->syslog || d->foreground ? 1 : 0};
        const char *url = res->effective_url ? res->effective_url : f->url;
        if (ingest_feed(&ctx, f->name, f->feed_id, url, res->body, res->len, res->content_type,
                        res->status, now, &st, err, sizeof err) < 0) {
            char msg[600];
            log_warnx("feed %s: %s: %s", f->name, f->url, err);
            snprintf(msg, sizeof msg, "%s", err);
            if (store_feed_result(d->store, f->feed_id, now, res->status, msg, err, sizeof err) < 0)
                log_warnx("feed %s: cannot record failure: %s", f->name, err);
        } else {
            if (st.bozo)
                log_warnx("feed %s: not well-formed, recovered what could be read: %s", f->name,
                          st.bozo_msg);
            log_info("feed %s: %zu items, %zu new, %zu new versions, %zu alerts", f->name,
                     st.entries, st.new_articles, st.new_versions, st.alerts);
        }
        free(ic);
    }
next:
    deliver(d);
    if (d->once)
        maybe_finish_once(d);
    else if (f->active)
        schedule_next(f);
}

static void poll_feed(struct feed_run *f)
{
    struct daemon *d = f->d;
    char err[256];
    if (f->busy || !f->active)
        return;
    if (fetch_start(d->fetch, f->url, on_fetched, f, err, sizeof err) < 0) {
        log_warnx("feed %s: %s", f->name, err);
        if (!d->once)
            schedule_next(f);
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

/* Makes the feed set match conf: new feeds are added and polled soon,
 * changed ones updated, dropped ones deactivated. */
static int feeds_apply(struct daemon *d, const struct conf *conf, char *err, size_t errsz)
{
    for (size_t i = 0; i < d->nfeeds; i++)
        d->feeds[i]->active = 0;
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
        f->active = 1;
        if (store_feed_sync(d->store, cf->name, cf->url, &f->feed_id, err, errsz) < 0)
            return -1;
        /* A first poll spread over a few seconds, not all feeds at once. */
        if (fresh && !d->once)
            schedule(f, (int)(rnd(d) % (unsigned)(cf->interval < 10 ? 1 : 10)));
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
    struct canon_run *canons = NULL;
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
    canons_free(d->canons, d->ncanons);
    d->canons = canons;
    d->ncanons = conf->ncanonicals;
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
    };
    if (fetch_client_new(d->base, &fo, &d->fetch, err, errsz) < 0)
        goto fail;
    if (canons_load(d, conf, &d->canons, err, errsz) < 0)
        goto fail;
    d->ncanons = conf->ncanonicals;
    if (feeds_apply(d, conf, err, errsz) < 0)
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
    if (d->once) {
        for (size_t i = 0; i < d->nfeeds; i++)
            poll_feed(d->feeds[i]);
        if (d->busy == 0)
            return 0;
    }
#ifdef PW_HAVE_SYSTEMD
    sd_notify(0, "READY=1");
#endif
    log_info("presswatchd: %zu feeds, %zu canonical texts, database %s", d->conf->nfeeds,
             d->ncanons, d->conf->database);
    if (event_base_dispatch(d->base) < 0)
        return pw_err(err, errsz, "event loop failed");
    return 0;
}

void daemon_free(struct daemon *d)
{
    if (!d)
        return;
    /* Transfers first: their callbacks point at feeds. */
    fetch_client_free(d->fetch);
    for (size_t i = 0; i < d->nfeeds; i++) {
        if (d->feeds[i]->timer)
            event_free(d->feeds[i]->timer);
        free(d->feeds[i]->name);
        free(d->feeds[i]->url);
        free(d->feeds[i]);
    }
    free(d->feeds);
    canons_free(d->canons, d->ncanons);
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
