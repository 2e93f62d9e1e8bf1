/*
 * fetch: libcurl multi-socket API driven by a libevent loop.
 *
 * The glue follows curl's hiperfifo/multi-event examples: curl tells us which
 * sockets to watch (CURLMOPT_SOCKETFUNCTION, per-socket context attached with
 * curl_multi_assign) and when to wake it (CURLMOPT_TIMERFUNCTION, which only
 * arms one evtimer); libevent calls back into curl_multi_socket_action; every
 * finished transfer is reported and torn down in the CURLMSG_DONE branch.
 *
 * Our own queue (fetch_queue.c) sits in front of curl: at most max_total
 * easy handles are in the multi handle at once, at most max_per_host for one
 * host:port, started no closer than per_host_gap_ms; the rest wait in their
 * host's FIFO. We queue per host ourselves rather than leave it all to
 * curl's pending list because a transfer parked there would still hold one
 * of the max_total slots: one feed's many pages on a single site could then
 * hold up every other site. CURLMOPT_MAX_HOST_CONNECTIONS stays as the
 * backstop for redirects to another host. Response headers and results are
 * in fetch_resp.c.
 *
 * Re-entrancy: a done callback may call fetch_start (the new transfer is
 * queued behind older ones) and may even call fetch_client_free, in which
 * case the client is destroyed once the callback has returned to us.
 */
#include "fetchers/fetch_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#ifndef PW_VERSION
#define PW_VERSION "0.1.0"
#endif

void xlist_push(struct xlist *l, struct xfer *t)
{
    t->prev = l->tail;
    t->next = NULL;
    if (l->tail)
        l->tail->next = t;
    else
        l->head = t;
    l->tail = t;
    l->n++;
}

void xlist_unlink(struct xlist *l, struct xfer *t)
{
    if (t->prev)
        t->prev->next = t->next;
    else
        l->head = t->next;
    if (t->next)
        t->next->prev = t->prev;
    else
        l->tail = t->prev;
    t->prev = t->next = NULL;
    l->n--;
}

void xfer_free(struct xfer *t)
{
    if (!t)
        return;
    if (t->easy)
        curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->req_headers);
    curl_slist_free_all(t->mail_rcpt);
    buf_free(&t->upload);
    resp_hdrs_free(&t->hdrs);
    buf_free(&t->body);
    free(t->url);
    free(t);
}

/* Drains curl's messages; each finished transfer is reported, then freed. */
static void check_multi_info(struct fetch_client *c)
{
    CURLMsg *msg;
    int left;

    while (!c->closing && (msg = curl_multi_info_read(c->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *easy = msg->easy_handle;
        CURLcode rc = msg->data.result; /* msg is invalid once the handle is removed */
        char *priv = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
        struct xfer *t = (struct xfer *)priv;
        curl_multi_remove_handle(c->multi, easy);
        xlist_unlink(&c->running, t);
        host_done(c, t);
        /* Start waiting transfers first so that a fetch_start from the
         * callback queues behind them. */
        pump(c);
        report_done(c, t, rc);
        xfer_free(t);
    }
}

static void client_destroy(struct fetch_client *c);

/* Every libevent callback of ours ends here: if the user freed the client
 * from one of its callbacks, this is the first point where that is safe. */
void after_dispatch(struct fetch_client *c)
{
    if (c->closing && c->depth == 0)
        client_destroy(c);
}

/* ---- libevent → curl ---------------------------------------------------- */

static void on_socket_event(evutil_socket_t fd, short what, void *arg)
{
    struct sock *s = arg;
    struct fetch_client *c = s->c; /* s may be freed by socket_action */
    int action =
        ((what & EV_READ) ? CURL_CSELECT_IN : 0) | ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);
    int running;

    curl_multi_socket_action(c->multi, fd, action, &running);
    check_multi_info(c);
    after_dispatch(c);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct fetch_client *c = arg;
    int running;

    (void)fd;
    (void)what;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_multi_info(c);
    after_dispatch(c);
}

static void on_deferred(evutil_socket_t fd, short what, void *arg)
{
    struct fetch_client *c = arg;
    struct xfer *t;

    (void)fd;
    (void)what;
    while (!c->closing && (t = c->failed.head)) {
        xlist_unlink(&c->failed, t);
        report_failed(c, t);
        xfer_free(t);
    }
    pump(c);
    after_dispatch(c);
}

/* ---- curl → libevent ---------------------------------------------------- */

static void sock_free(struct fetch_client *c, struct sock *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        c->socks = s->next;
    if (s->next)
        s->next->prev = s->prev;
    event_free(s->ev);
    free(s);
}

/* CURLMOPT_SOCKETFUNCTION: (re)arms the event for a socket, or drops it. */
static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *sockp)
{
    struct fetch_client *c = userp;
    struct sock *s = sockp;

    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (s)
            sock_free(c, s);
        return 0;
    }
    short kind = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
                 ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
    if (!s) {
        s = calloc(1, sizeof(*s));
        if (!s)
            return -1;
        s->c = c;
        s->ev = event_new(c->base, fd, kind, on_socket_event, s);
        if (!s->ev) {
            free(s);
            return -1;
        }
        s->next = c->socks;
        if (c->socks)
            c->socks->prev = s;
        c->socks = s;
        curl_multi_assign(c->multi, fd, s);
    } else {
        /* event_assign needs a non-pending event; this also works from
         * inside the event's own callback. */
        event_del(s->ev);
        if (event_assign(s->ev, c->base, fd, kind, on_socket_event, s) < 0)
            return -1;
    }
    return event_add(s->ev, NULL) < 0 ? -1 : 0;
}

/* CURLMOPT_TIMERFUNCTION: only arms the evtimer; calling curl from here is
 * not allowed (curl is in the middle of its own bookkeeping). */
static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    struct fetch_client *c = userp;

    (void)multi;
    if (timeout_ms < 0)
        return evtimer_del(c->timer) < 0 ? -1 : 0;
    struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    return evtimer_add(c->timer, &tv) < 0 ? -1 : 0;
}

/* CURLOPT_WRITEFUNCTION: receives decoded bytes, so the cap applies to what
 * the body really becomes, not to what compression let through the wire. */
static size_t on_write(char *data, size_t size, size_t nmemb, void *userp)
{
    struct xfer *t = userp;
    size_t n = size * nmemb;

    if (n > t->c->max_body || t->body.len > t->c->max_body - n) {
        t->too_big = 1;
        return 0;
    }
    if (buf_append(&t->body, data, n) < 0) {
        t->no_mem = 1;
        return 0;
    }
    return n;
}

/* ---- public ------------------------------------------------------------- */

int fetch_client_new(struct event_base *base, const struct fetch_opts *opts,
                     struct fetch_client **out, char *err, size_t errsz)
{
    static const struct fetch_opts defaults = {0};
    struct fetch_client *c = NULL;

    *out = NULL;
    if (!opts)
        opts = &defaults;
    if (!base)
        return pw_err(err, errsz, "fetch: no event base");
    if (opts->max_total < 0 || opts->max_per_host < 0 || opts->timeout_ms < 0 ||
        opts->connect_timeout_ms < 0 || opts->per_host_gap_ms < 0 || opts->low_speed_bytes < 0 ||
        opts->low_speed_secs < 0)
        return pw_err(err, errsz, "fetch: negative limit in options");
    /* curl would only notice at the first https transfer, feed by feed. */
    if (opts->ca_file && access(opts->ca_file, R_OK) < 0)
        return pw_err(err, errsz, "fetch: CA file %s: %s", opts->ca_file, strerror(errno));
    c = calloc(1, sizeof(*c));
    if (!c)
        return pw_err(err, errsz, "fetch: out of memory");
    c->base = base;
    c->max_total = opts->max_total ? opts->max_total : 32;
    c->max_per_host = opts->max_per_host ? opts->max_per_host : 4;
    c->timeout_ms = opts->timeout_ms ? opts->timeout_ms : 60000;
    c->connect_timeout_ms = opts->connect_timeout_ms ? opts->connect_timeout_ms : 15000;
    c->max_body = opts->max_body ? opts->max_body : (size_t)16 << 20;
    c->per_host_gap_ms = opts->per_host_gap_ms;
    c->low_speed_bytes = opts->low_speed_bytes ? opts->low_speed_bytes : 1;
    c->low_speed_secs = opts->low_speed_secs ? opts->low_speed_secs : 30;
    c->user_agent = strdup(opts->user_agent ? opts->user_agent : "presswatch/" PW_VERSION);
    c->ca_file = opts->ca_file ? strdup(opts->ca_file) : NULL;
    if (!c->user_agent || (opts->ca_file && !c->ca_file) || hosts_init(c) < 0) {
        pw_err(err, errsz, "fetch: out of memory");
        goto fail;
    }

    /* Reference-counted since 7.84, so several clients (or other modules
     * using curl, like the SMTP sink) can each init and clean up. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        pw_err(err, errsz, "fetch: curl_global_init failed");
        goto fail;
    }
    c->global_init = 1;

    c->timer = evtimer_new(base, on_timer, c);
    c->deferred = event_new(base, -1, 0, on_deferred, c);
    c->multi = curl_multi_init();
    c->share = curl_share_init();
    if (!c->timer || !c->deferred || !c->multi || !c->share) {
        pw_err(err, errsz, "fetch: out of memory");
        goto fail;
    }
    /* The multi handle already gives its transfers one DNS and connection
     * cache, but each fresh easy handle would start with an empty TLS
     * session cache; sharing it lets repeated polls of a host resume. */
    if (curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK) {
        pw_err(err, errsz, "fetch: cannot set up the shared cache");
        goto fail;
    }
    if (curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket) != CURLM_OK ||
        curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c) != CURLM_OK ||
        curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) != CURLM_OK ||
        curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c) != CURLM_OK ||
        curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)c->max_per_host) !=
            CURLM_OK ||
        curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)c->max_total) !=
            CURLM_OK) {
        pw_err(err, errsz, "fetch: cannot configure curl");
        goto fail;
    }
    *out = c;
    return 0;

fail:
    client_destroy(c);
    return -1;
}

/* Frees everything without calling any user callback. */
static void client_destroy(struct fetch_client *c)
{
    struct xfer *t;

    if (!c)
        return;
    while ((t = c->running.head)) {
        xlist_unlink(&c->running, t);
        curl_multi_remove_handle(c->multi, t->easy);
        xfer_free(t);
    }
    hosts_free(c);
    while ((t = c->failed.head)) {
        xlist_unlink(&c->failed, t);
        xfer_free(t);
    }
    if (c->multi)
        curl_multi_cleanup(c->multi);
    /* Sockets of cached connections may be closed without a
     * CURL_POLL_REMOVE; whatever is left is ours to reclaim. */
    while (c->socks)
        sock_free(c, c->socks);
    if (c->share)
        curl_share_cleanup(c->share);
    if (c->timer)
        event_free(c->timer);
    if (c->deferred)
        event_free(c->deferred);
    if (c->global_init)
        curl_global_cleanup();
    free(c->user_agent);
    free(c->ca_file);
    free(c);
}

void fetch_client_free(struct fetch_client *c)
{
    if (!c)
        return;
    if (c->depth > 0) {
        /* Called from a done callback: we are still inside our own loop
         * over curl's messages; after_dispatch finishes the job. */
        c->closing = 1;
        return;
    }
    client_destroy(c);
}

int url_host_key(CURLU *u, const char *prefix, char **key, char *err, size_t errsz)
{
    char *name = NULL, *port = NULL;
    struct buf b = BUF_INIT;
    int ret = -1;

    if (curl_url_get(u, CURLUPART_HOST, &name, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
        pw_err(err, errsz, "fetch: URL without a host");
        goto done;
    }
    for (char *p = name; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (buf_printf(&b, "%s%s:%s", prefix, name, port) < 0 || !(*key = buf_detach(&b))) {
        pw_err(err, errsz, "fetch: out of memory");
        goto done;
    }
    ret = 0;
done:
    buf_free(&b);
    curl_free(port);
    curl_free(name);
    return ret;
}

/* Returns 0 when url's scheme is one we fetch, setting *is_file and, for
 * http(s), *host to a malloc'd lowercase "host:port" (caller frees). */
static int parse_url(const char *url, int *is_file, char **host, char *err, size_t errsz)
{
    CURLU *u = curl_url();
    char *scheme = NULL;
    int ret = -1;

    if (!u)
        return pw_err(err, errsz, "fetch: out of memory");
    /* NON_SUPPORT_SCHEME: parse any scheme, so that the message names it
     * even when this libcurl was built without it. */
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
    if (uc != CURLUE_OK) {
        pw_err(err, errsz, "fetch: bad URL: %s", curl_url_strerror(uc));
        goto fail;
    }
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
        pw_err(err, errsz, "fetch: URL without a scheme");
        goto fail;
    }
    if (strcasecmp(scheme, "http") && strcasecmp(scheme, "https") && strcasecmp(scheme, "file")) {
        pw_err(err, errsz, "fetch: unsupported URL scheme \"%.32s\"", scheme);
        goto fail;
    }
    *is_file = !strcasecmp(scheme, "file");
    *host = NULL;
    if (!*is_file && url_host_key(u, "", host, err, errsz) < 0)
        goto fail;
    ret = 0;
fail:
    curl_free(scheme);
    curl_url_cleanup(u);
    return ret;
}

/* Sets the cautious per-transfer options; returns the first failure. */
static CURLcode setup_easy(struct fetch_client *c, struct xfer *t);

int xfer_prepare(struct fetch_client *c, struct xfer *t)
{
    if (t->easy)
        return 0; /* mail transfers come ready */
    if (!(t->easy = curl_easy_init())) {
        snprintf(t->start_err, sizeof(t->start_err), "cannot start transfer: out of memory");
        return -1;
    }
    CURLcode rc = setup_easy(c, t);
    if (rc != CURLE_OK) {
        snprintf(t->start_err, sizeof(t->start_err), "cannot start transfer: %s",
                 curl_easy_strerror(rc));
        return -1;
    }
    return 0;
}

static CURLcode setup_easy(struct fetch_client *c, struct xfer *t)
{
    CURL *e = t->easy;
    CURLcode rc = CURLE_OK;

#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (rc == CURLE_OK)                                                                        \
            rc = curl_easy_setopt(e, opt, val);                                                    \
    } while (0)
    SET(CURLOPT_URL, t->url);
    SET(CURLOPT_PRIVATE, (void *)t);
    SET(CURLOPT_ERRORBUFFER, t->errbuf);
    SET(CURLOPT_WRITEFUNCTION, on_write);
    SET(CURLOPT_WRITEDATA, (void *)t);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, (void *)t);
    /* A proxy's CONNECT answer is not a hop of ours. */
    SET(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    if (t->req_headers)
        SET(CURLOPT_HTTPHEADER, t->req_headers);
    SET(CURLOPT_SHARE, c->share);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_PROTOCOLS_STR, "http,https,file");
    /* A feed must not bounce us to file:// or anything but the web. */
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, 1L);
    SET(CURLOPT_MAXREDIRS, (long)FETCH_MAX_REDIRS);
    SET(CURLOPT_TIMEOUT_MS, c->timeout_ms);
    SET(CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    /* A server that drips bytes would otherwise hold a slot until the
     * total timeout, which may be long for big pages. */
    SET(CURLOPT_LOW_SPEED_LIMIT, c->low_speed_bytes);
    SET(CURLOPT_LOW_SPEED_TIME, c->low_speed_secs);
    SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L); /* 2 is "on"; 1 means the same since curl 7.66 */
    if (c->ca_file)
        SET(CURLOPT_CAINFO, c->ca_file);
    SET(CURLOPT_ACCEPT_ENCODING, ""); /* every encoding this libcurl decodes */
    SET(CURLOPT_MAXFILESIZE_LARGE,
        (curl_off_t)(c->max_body > (size_t)INT64_MAX ? INT64_MAX : c->max_body));
    SET(CURLOPT_USERAGENT, c->user_agent);
    SET(CURLOPT_FAILONERROR, 0L); /* the status is reported, with the body */
#undef SET
    return rc;
}

/* Appends "name: value" to *list unless value is NULL or empty. A validator
 * comes from an earlier response we stored; a line break in it would let
 * that server inject headers into our requests. */
static int add_header(struct curl_slist **list, const char *name, const char *value, char *err,
                      size_t errsz)
{
    struct buf line = BUF_INIT;
    struct curl_slist *l;

    if (!value || !*value)
        return 0;
    if (strpbrk(value, "\r\n"))
        return pw_err(err, errsz, "fetch: %s value holds a line break", name);
    if (buf_printf(&line, "%s: %s", name, value) < 0)
        return pw_err(err, errsz, "fetch: out of memory");
    l = curl_slist_append(*list, line.data);
    buf_free(&line);
    if (!l)
        return pw_err(err, errsz, "fetch: out of memory");
    *list = l;
    return 0;
}

int fetch_start_req(struct fetch_client *c, const struct fetch_request *req, fetch_done_cb cb,
                    void *arg, char *err, size_t errsz)
{
    struct xfer *t = NULL;
    struct host *h;
    char *host = NULL;
    int is_file = 0;

    if (!c || !req || !req->url || !cb)
        return pw_err(err, errsz, "fetch: missing argument");
    if (c->closing)
        return pw_err(err, errsz, "fetch: client is shutting down");
    if (parse_url(req->url, &is_file, &host, err, errsz) < 0)
        return -1;
    t = calloc(1, sizeof(*t));
    if (!t) {
        pw_err(err, errsz, "fetch: out of memory");
        goto fail;
    }
    t->c = c;
    t->cb = cb;
    t->arg = arg;
    t->is_file = is_file;
    t->url = strdup(req->url);
    if (!t->url) {
        pw_err(err, errsz, "fetch: out of memory");
        goto fail;
    }
    if (!is_file &&
        (add_header(&t->req_headers, "If-None-Match", req->etag, err, errsz) < 0 ||
         add_header(&t->req_headers, "If-Modified-Since", req->last_modified, err, errsz) < 0))
        goto fail;
    /* The curl handle is made when the transfer leaves the queue
     * (xfer_prepare): ten thousand queued feeds must not hold ten thousand
     * handles. */
    if (!(h = host_get(c, host ? host : "", is_file))) {
        pw_err(err, errsz, "fetch: out of memory");
        goto fail;
    }
    free(host);
    host_enqueue(c, h, t);
    /* curl_multi_add_handle only arms a zero timeout; the transfer really
     * starts from the loop, never inside this call. */
    pump(c);
    return 0;

fail:
    free(host);
    xfer_free(t);
    return -1;
}

int fetch_start(struct fetch_client *c, const char *url, fetch_done_cb cb, void *arg, char *err,
                size_t errsz)
{
    const struct fetch_request req = {.url = url};
    return fetch_start_req(c, &req, cb, arg, err, errsz);
}

size_t fetch_pending(const struct fetch_client *c)
{
    if (!c)
        return 0;
    return c->n_queued + c->running.n + c->failed.n;
}
