/*
 * fetch: integration tests against a real evhttp server on 127.0.0.1, run on
 * the same event_base as the client. Offline: nothing leaves the loopback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fetchers/fetch.h"

#include <arpa/inet.h>
#include <limits.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* printf 'hello, gzip world\n' | gzip -n -9 | xxd -i */
static const unsigned char small_gz[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03,
                                         0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0xd7, 0x51, 0x48, 0xaf, 0xca,
                                         0x2c, 0x50, 0x28, 0xcf, 0x2f, 0xca, 0x49, 0xe1, 0x02, 0x00,
                                         0xe0, 0x7b, 0x8d, 0x05, 0x12, 0x00, 0x00, 0x00};

/* head -c 100000 /dev/zero | gzip -n -9 | xxd -i: 132 bytes on the wire,
 * 100000 once decoded, to check that the cap applies to decoded bytes. */
static const unsigned char zeros_gz[] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xed, 0xc1, 0x31, 0x01, 0x00,
    0x00, 0x00, 0xc2, 0xa0, 0xf5, 0x4f, 0x6d, 0x0d, 0x0f, 0xa0, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x80, 0x57, 0x03, 0x7d, 0x95, 0x11, 0xd4, 0xa0, 0x86, 0x01, 0x00};

#define GUARD_SECONDS 20 /* no test may run the loop longer than this */

/* Fixed dates for the cache and Retry-After headers: with the response's
 * own Date in the past, only date arithmetic can give the expected delays. */
#define DATE_0 "Sat, 01 Jan 2000 00:00:00 GMT"
#define DATE_300 "Sat, 01 Jan 2000 00:05:00 GMT"
#define DATE_3600 "Sat, 01 Jan 2000 01:00:00 GMT"
#define ETAG_V1 "\"v1\""

struct fx {
    struct event_base *base;
    struct evhttp *http;
    struct event *tick; /* keeps EVLOOP_ONCE returning so the guard is checked */
    int port, port2;    /* the same server on two ports: two "hosts" */
    int in_flight, max_in_flight, slow_served;
    char url[256];
    char seen_inm[128], seen_ims[128]; /* validators of the last request */
    double stamps[2][8];               /* arrival of /stamp/1 and /stamp/2 requests */
    int nstamps[2];
    struct drip *drip; /* the slow-drip reply in progress, if any */
};

struct got {
    int calls;
    int ok;
    long status;
    char *url, *eff, *ctype, *body, *error;
    size_t len;
    enum fetch_kind kind;
    int not_modified;
    char *etag, *last_modified, *permanent_url;
    long retry_after, max_age;
    size_t wire_bytes;
};

static double now(void);

/* ---- server ------------------------------------------------------------- */

static void reply(struct evhttp_request *req, int code, const char *reason, const char *ctype,
                  const void *body, size_t len)
{
    struct evbuffer *b = evbuffer_new();
    assert_non_null(b);
    if (ctype)
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", ctype);
    evbuffer_add(b, body, len);
    evhttp_send_reply(req, code, reason, b);
    evbuffer_free(b);
}

static void redirect_code(struct evhttp_request *req, int code, const char *location)
{
    evhttp_add_header(evhttp_request_get_output_headers(req), "Location", location);
    reply(req, code, "Redirect", NULL, "", 0);
}

static void redirect(struct evhttp_request *req, const char *location)
{
    redirect_code(req, 302, location);
}

static void add_hdr(struct evhttp_request *req, const char *name, const char *value)
{
    assert_int_equal(evhttp_add_header(evhttp_request_get_output_headers(req), name, value), 0);
}

/* Copies a request header (or "" when absent) for the test to check. */
static void keep_hdr(struct evhttp_request *req, const char *name, char *out, size_t outsz)
{
    const char *v = evhttp_find_header(evhttp_request_get_input_headers(req), name);
    snprintf(out, outsz, "%s", v ? v : "");
}

/* Slow drip: one byte of a chunked body every 200 ms, 50 bytes in all,
 * unless the client hangs up first (the close callback then stops it). */
struct drip {
    struct fx *fx;
    struct evhttp_request *req;
    struct event *ev;
    int sent;
};

static void drip_stop(struct drip *d)
{
    evhttp_connection_set_closecb(evhttp_request_get_connection(d->req), NULL, NULL);
    d->fx->drip = NULL;
    event_free(d->ev);
    free(d);
}

static void drip_closed(struct evhttp_connection *evcon, void *arg)
{
    struct drip *d = arg;
    (void)evcon;
    d->fx->drip = NULL;
    event_free(d->ev);
    free(d);
}

static void drip_cb(evutil_socket_t fd, short what, void *arg)
{
    struct drip *d = arg;
    struct timeval tv = {0, 200 * 1000};
    struct evbuffer *b = evbuffer_new();
    (void)fd;
    (void)what;
    assert_non_null(b);
    if (++d->sent >= 50) {
        struct evhttp_request *req = d->req;
        drip_stop(d);
        evhttp_send_reply_end(req);
        evbuffer_free(b);
        return;
    }
    evbuffer_add(b, "x", 1);
    assert_int_equal(evtimer_add(d->ev, &tv), 0);
    evhttp_send_reply_chunk(d->req, b);
    evbuffer_free(b);
}

struct slow_reply {
    struct fx *fx;
    struct evhttp_request *req;
};

static void slow_reply_cb(evutil_socket_t fd, short what, void *arg)
{
    struct slow_reply *sr = arg;
    (void)fd;
    (void)what;
    sr->fx->in_flight--;
    sr->fx->slow_served++;
    reply(sr->req, 200, "OK", "text/plain", "slow", 4);
    free(sr);
}

static void handler(struct evhttp_request *req, void *arg)
{
    struct fx *fx = arg;
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    int n;

    if (!path)
        path = "/";
    if (!strcmp(path, "/ok")) {
        reply(req, 200, "OK", "text/plain; charset=utf-8", "hello world\n", 12);
    } else if (!strcmp(path, "/404")) {
        reply(req, 404, "Not Found", "text/html", "<p>gone</p>", 11);
    } else if (!strcmp(path, "/500")) {
        reply(req, 500, "Internal Server Error", "text/plain", "boom", 4);
    } else if (sscanf(path, "/chain/%d", &n) == 1) {
        if (n <= 0) {
            reply(req, 200, "OK", "application/rss+xml", "<rss/>", 6);
        } else {
            char loc[64];
            snprintf(loc, sizeof(loc), "/chain/%d", n - 1);
            redirect(req, loc);
        }
    } else if (sscanf(path, "/perm/%d", &n) == 1) {
        if (n <= 0) {
            reply(req, 200, "OK", "application/rss+xml", "<rss/>", 6);
        } else {
            char loc[64];
            snprintf(loc, sizeof(loc), "/perm/%d", n - 1);
            redirect_code(req, 301, loc);
        }
    } else if (!strcmp(path, "/p308")) {
        redirect_code(req, 308, "/ok");
    } else if (!strcmp(path, "/mix")) {
        redirect_code(req, 301, "/chain/1"); /* which answers 302 */
    } else if (!strcmp(path, "/loop")) {
        redirect_code(req, 301, "/loop");
    } else if (!strcmp(path, "/hop-etag")) {
        /* Validators on a redirect belong to the redirect, not the feed. */
        add_hdr(req, "ETag", "\"hop\"");
        add_hdr(req, "Last-Modified", DATE_0);
        add_hdr(req, "Cache-Control", "max-age=99");
        redirect_code(req, 301, "/ok");
    } else if (!strcmp(path, "/etag")) {
        keep_hdr(req, "If-None-Match", fx->seen_inm, sizeof(fx->seen_inm));
        add_hdr(req, "ETag", ETAG_V1);
        if (!strcmp(fx->seen_inm, ETAG_V1))
            evhttp_send_reply(req, 304, "Not Modified", NULL);
        else
            reply(req, 200, "OK", "text/plain", "etag body", 9);
    } else if (!strcmp(path, "/lm")) {
        keep_hdr(req, "If-Modified-Since", fx->seen_ims, sizeof(fx->seen_ims));
        add_hdr(req, "Last-Modified", DATE_0);
        if (!strcmp(fx->seen_ims, DATE_0))
            evhttp_send_reply(req, 304, "Not Modified", NULL);
        else
            reply(req, 200, "OK", "text/plain", "lm body", 7);
    } else if (!strcmp(path, "/410")) {
        reply(req, 410, "Gone", "text/plain", "gone", 4);
    } else if (!strcmp(path, "/429")) {
        add_hdr(req, "Retry-After", "120");
        reply(req, 429, "Too Many Requests", "text/plain", "later", 5);
    } else if (!strcmp(path, "/503-date")) {
        add_hdr(req, "Date", DATE_0);
        add_hdr(req, "Retry-After", DATE_3600);
        reply(req, 503, "Service Unavailable", "text/plain", "later", 5);
    } else if (!strcmp(path, "/503-now")) {
        /* No Date of ours: evhttp stamps the current time, as servers do. */
        char when[64];
        time_t t = time(NULL) + 100;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(when, sizeof(when), "%a, %d %b %Y %H:%M:%S GMT", &tm);
        add_hdr(req, "Retry-After", when);
        reply(req, 503, "Service Unavailable", "text/plain", "later", 5);
    } else if (!strcmp(path, "/max-age")) {
        add_hdr(req, "Cache-Control", "public, max-age=600");
        add_hdr(req, "Date", DATE_0);
        add_hdr(req, "Expires", DATE_300); /* max-age wins over Expires */
        reply(req, 200, "OK", "text/plain", "fresh", 5);
    } else if (!strcmp(path, "/expires")) {
        add_hdr(req, "Date", DATE_0);
        add_hdr(req, "Expires", DATE_300);
        reply(req, 200, "OK", "text/plain", "fresh", 5);
    } else if (!strcmp(path, "/aged")) {
        add_hdr(req, "Cache-Control", "max-age=600");
        add_hdr(req, "Age", "100");
        reply(req, 200, "OK", "text/plain", "fresh", 5);
    } else if (!strcmp(path, "/drip")) {
        struct drip *d = calloc(1, sizeof(*d));
        struct timeval tv = {0, 200 * 1000};
        assert_non_null(d);
        d->fx = fx;
        d->req = req;
        d->ev = evtimer_new(fx->base, drip_cb, d);
        assert_non_null(d->ev);
        fx->drip = d;
        evhttp_connection_set_closecb(evhttp_request_get_connection(req), drip_closed, d);
        evhttp_send_reply_start(req, 200, "OK");
        assert_int_equal(evtimer_add(d->ev, &tv), 0);
    } else if (sscanf(path, "/stamp/%d", &n) == 1 && n >= 1 && n <= 2) {
        int i = n - 1;
        assert_true(fx->nstamps[i] < 8);
        fx->stamps[i][fx->nstamps[i]++] = now();
        reply(req, 200, "OK", "text/plain", "stamp", 5);
    } else if (!strcmp(path, "/to-file")) {
        redirect(req, "file:///etc/hostname");
    } else if (!strcmp(path, "/big")) {
        static char big[5000];
        memset(big, 'x', sizeof(big));
        reply(req, 200, "OK", "text/plain", big, sizeof(big));
    } else if (!strcmp(path, "/gzip") || !strcmp(path, "/bomb")) {
        int bomb = !strcmp(path, "/bomb");
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Encoding", "gzip");
        reply(req, 200, "OK", "text/plain", bomb ? zeros_gz : small_gz,
              bomb ? sizeof(zeros_gz) : sizeof(small_gz));
    } else if (!strcmp(path, "/stall")) {
        /* Never answered: the client must give up on its own. evhttp frees
         * the request when the client closes the connection. */
    } else if (!strcmp(path, "/slow")) {
        struct slow_reply *sr = malloc(sizeof(*sr));
        struct timeval tv = {0, 100 * 1000};
        assert_non_null(sr);
        sr->fx = fx;
        sr->req = req;
        if (++fx->in_flight > fx->max_in_flight)
            fx->max_in_flight = fx->in_flight;
        assert_int_equal(event_base_once(fx->base, -1, EV_TIMEOUT, slow_reply_cb, sr, &tv), 0);
    } else {
        reply(req, 404, "Not Found", "text/plain", "?", 1);
    }
}

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
}

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof(*fx));
    struct sockaddr_in sin;
    socklen_t slen;
    struct timeval tv = {0, 50 * 1000};

    assert_non_null(fx);
    fx->base = event_base_new();
    assert_non_null(fx->base);
    fx->http = evhttp_new(fx->base);
    assert_non_null(fx->http);
    evhttp_set_gencb(fx->http, handler, fx);
    for (int i = 0; i < 2; i++) {
        struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(fx->http, "127.0.0.1", 0);
        assert_non_null(bs);
        slen = sizeof(sin);
        assert_int_equal(
            getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sin, &slen), 0);
        *(i ? &fx->port2 : &fx->port) = ntohs(sin.sin_port);
    }
    fx->tick = event_new(fx->base, -1, EV_PERSIST, tick_cb, NULL);
    assert_non_null(fx->tick);
    assert_int_equal(event_add(fx->tick, &tv), 0);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    event_free(fx->tick);
    evhttp_free(fx->http);
    event_base_free(fx->base);
    free(fx);
    return 0;
}

static const char *url(struct fx *fx, const char *path)
{
    snprintf(fx->url, sizeof(fx->url), "http://127.0.0.1:%d%s", fx->port, path);
    return fx->url;
}

/* ---- client helpers ----------------------------------------------------- */

static char *dup_or_null(const char *s)
{
    char *d;
    if (!s)
        return NULL;
    d = strdup(s);
    assert_non_null(d);
    return d;
}

static void record(const struct fetch_result *res, void *arg)
{
    struct got *g = arg;

    g->calls++;
    assert_non_null(res->url);
    assert_non_null(res->effective_url);
    assert_non_null(res->body);
    assert_int_equal(res->body[res->len], '\0');
    assert_true(res->ok ? res->error == NULL : res->error != NULL);
    if (getenv("PW_TEST_VERBOSE"))
        print_message("%s -> %ld %s\n", res->url, res->status, res->error ? res->error : "ok");
    if (res->error) /* one line */
        assert_null(strchr(res->error, '\n'));
    g->ok = res->ok;
    g->status = res->status;
    g->len = res->len;
    g->url = dup_or_null(res->url);
    g->eff = dup_or_null(res->effective_url);
    g->ctype = dup_or_null(res->content_type);
    g->body = malloc(res->len + 1);
    assert_non_null(g->body);
    memcpy(g->body, res->body, res->len + 1);
    g->error = dup_or_null(res->error);
    g->kind = res->kind;
    g->not_modified = res->not_modified;
    g->etag = dup_or_null(res->etag);
    g->last_modified = dup_or_null(res->last_modified);
    g->permanent_url = dup_or_null(res->permanent_url);
    g->retry_after = res->retry_after;
    g->max_age = res->max_age;
    g->wire_bytes = res->wire_bytes;
    assert_true(res->ok == (res->kind == FETCH_OK || res->kind == FETCH_NOT_MODIFIED));
    assert_true(res->not_modified == (res->kind == FETCH_NOT_MODIFIED));
}

static void got_free(struct got *g)
{
    free(g->url);
    free(g->eff);
    free(g->ctype);
    free(g->body);
    free(g->error);
    free(g->etag);
    free(g->last_modified);
    free(g->permanent_url);
    memset(g, 0, sizeof(*g));
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs the loop until *count reaches want, failing the test past the guard. */
static void run_until(struct fx *fx, const int *count, int want)
{
    double end = now() + GUARD_SECONDS;
    while (*count < want) {
        assert_true(now() < end);
        event_base_loop(fx->base, EVLOOP_ONCE);
    }
}

static struct fetch_client *client(struct fx *fx, const struct fetch_opts *opts)
{
    struct fetch_client *c = NULL;
    char err[256];
    assert_int_equal(fetch_client_new(fx->base, opts, &c, err, sizeof(err)), 0);
    assert_non_null(c);
    return c;
}

/* One fetch with the given options; the result lands in g. */
static void fetch_one(struct fx *fx, const struct fetch_opts *opts, const char *u, struct got *g)
{
    struct fetch_client *c = client(fx, opts);
    char err[256];
    assert_int_equal(fetch_start(c, u, record, g, err, sizeof(err)), 0);
    assert_int_equal(fetch_pending(c), 1);
    run_until(fx, &g->calls, 1);
    assert_int_equal(g->calls, 1);
    assert_int_equal(fetch_pending(c), 0);
    fetch_client_free(c);
}

/* One request with validators; the result lands in g. */
static void fetch_one_req(struct fx *fx, const struct fetch_opts *opts,
                          const struct fetch_request *req, struct got *g)
{
    struct fetch_client *c = client(fx, opts);
    char err[256];
    assert_int_equal(fetch_start_req(c, req, record, g, err, sizeof(err)), 0);
    run_until(fx, &g->calls, 1);
    assert_int_equal(g->calls, 1);
    assert_int_equal(fetch_pending(c), 0);
    fetch_client_free(c);
}

/* ---- tests -------------------------------------------------------------- */

static void test_fetch_ok(void **state)
{
    struct fx *fx = *state;
    struct got g = {0};
    fetch_one(fx, NULL, url(fx, "/ok"), &g);
    assert_true(g.ok);
    assert_int_equal(g.status, 200);
    assert_string_equal(g.body, "hello world\n");
    assert_int_equal(g.len, 12);
    assert_string_equal(g.ctype, "text/plain; charset=utf-8");
    assert_string_equal(g.eff, url(fx, "/ok"));
    assert_string_equal(g.url, url(fx, "/ok"));
    assert_null(g.error);
    got_free(&g);
}

static void test_fetch_404(void **state)
{
    struct fx *fx = *state;
    struct got g = {0};
    fetch_one(fx, NULL, url(fx, "/404"), &g);
    assert_false(g.ok);
    assert_int_equal(g.status, 404);
    assert_string_equal(g.error, "HTTP 404");
    got_free(&g);
}

static void test_fetch_500(void **state)
{
    struct fx *fx = *state;
    struct got g = {0};
    fetch_one(fx, NULL, url(fx, "/500"), &g);
    assert_false(g.ok);
    assert_int_equal(g.status, 500);
    assert_string_equal(g.error, "HTTP 500");
    got_free(&g);
}

static void test_fetch_redirect_ok(void **state)
{
    struct fx *fx = *state;
    struct got g = {0};
    fetch_one(fx, NULL, url(fx, "/chain/3"), &g);
    assert_true(g.ok);
    assert_int_equal(g.status, 200);
    assert_string_equal(g.url, url(fx, "/chain/3"));
    assert_string_equal(g.eff, url(fx, "/chain/0"));
    assert_string_equal(g.body, "<rss/>");
    assert_string_equal(g.ctype, "application/rss+xml");
    got_free(&g);
}

static void test_fetch_redirect_too_many(void **state)
{
    struct fx *fx = *state;
    struct got g = {0};
    fetch_one(fx, NULL, url(fx, "/chain/7"), &g);
    assert_false(g.ok);
    assert_non_null(strstr(g.error, "edirect"));
    got_free(&g);
}

static void test_fetch_redirect_to_file_refused(void **state)
{
    struct fx *fx = *state;
    struct got g = {0};
    fetch_one(fx, NULL, url(fx, "/to-file"), &g);
    assert_false(g.ok);
    assert_non_null(g.error);
    got_free(&g);
}

static void test_fetch_body_too_large(void **state)
{
    struct fx *fx = *state;
    struct fetch_opts o = {.max_body = 1000};
    struct got g = {0};
    fetch_one(fx, &o, url(fx, "/big"), &g);
    assert_false(g.ok);
    assert_string_equal(g.error, "body larger than 1000 bytes");
    got_free(&g);
}

static void test_fetch_gzip(void **state)
{
    struct fx *fx = *state;
    struct got g = {0};
    fetch_one(fx, NULL, url(fx, "/gzip"), &g);
    assert_true(g.ok);
    assert_string_equal(g.body, "hello, gzip world\n");
    got_free(&g);
}

static void test_fetch_gzip_bomb(void **state)
{
    struct fx *fx = *state;
    struct fetch_opts o = {.max_body = 1000};
    struct got g = {0};
    fetch_one(fx, &o, url(fx, "/bomb"), &g);
    assert_false(g.ok);
    assert_string_equal(g.error, "body larger than 1000 bytes");
    assert_true(g.len <= 1000);
    got_free(&g);

    /* The same body fits once the cap allows its decoded size. */
    o.max_body = 100000;
    fetch_one(fx, &o, url(fx, "/bomb"), &g);
    assert_true(g.ok);
    assert_int_equal(g.len, 100000);
    got_free(&g);
}

static void test_fetch_stall_timeout(void **state)
{
    struct fx *fx = *state;
    struct fetch_opts o = {.timeout_ms = 300};
    struct got g = {0};
    fetch_one(fx, &o, url(fx, "/stall"), &g);
    assert_false(g.ok);
    assert_int_equal(g.status, 0);
    assert_non_null(strstr(g.error, "timed out"));
    got_free(&g);
}

static void test_fetch_refused(void **state)
{
    struct fx *fx = *state;
    struct sockaddr_in sin = {.sin_family = AF_INET};
    socklen_t slen = sizeof(sin);
    struct got g = {0};
    char u[64];

    /* Bound but not listening: the port stays ours and connects get RST. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &slen), 0);
    snprintf(u, sizeof(u), "http://127.0.0.1:%d/", ntohs(sin.sin_port));
    fetch_one(fx, NULL, u, &g);
    close(fd);
    assert_false(g.ok);
    assert_int_equal(g.status, 0);
    assert_non_null(g.error);
    got_free(&g);
}

static void test_fetch_file_url(void **state)
{
    struct fx *fx = *state;
    const char *tmp = getenv("TMPDIR");
    char path[512], u[600];
    struct got g = {0};

    snprintf(path, sizeof(path), "%s/pw_fetch_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "<feed/>\n", 8), 8);
    close(fd);
    snprintf(u, sizeof(u), "file://%s", path);
    fetch_one(fx, NULL, u, &g);
    assert_true(g.ok);
    assert_int_equal(g.status, 0);
    assert_string_equal(g.body, "<feed/>\n");
    got_free(&g);

    struct fetch_opts o = {.max_body = 4};
    fetch_one(fx, &o, u, &g);
    assert_false(g.ok);
    assert_string_equal(g.error, "body larger than 4 bytes");
    got_free(&g);

    unlink(path);
    fetch_one(fx, NULL, u, &g);
    assert_false(g.ok);
    assert_non_null(g.error);
    got_free(&g);
}

static void never_called(const struct fetch_result *res, void *arg)
{
    (void)res;
    (void)arg;
    fail_msg("callback called");
}

static void test_fetch_bad_scheme(void **state)
{
    struct fx *fx = *state;
    struct fetch_client *c = client(fx, NULL);
    char err[256];

    err[0] = '\0';
    assert_int_equal(fetch_start(c, "ftp://127.0.0.1/x", never_called, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "ftp"));
    assert_int_equal(fetch_start(c, "gopher://127.0.0.1/x", never_called, NULL, err, sizeof(err)),
                     -1);
    assert_int_equal(fetch_start(c, "no scheme", never_called, NULL, err, sizeof(err)), -1);
    assert_int_equal(fetch_start(c, "", never_called, NULL, err, sizeof(err)), -1);
    assert_int_equal(fetch_pending(c), 0);
    fetch_client_free(c);
}

static void test_fetch_concurrency(void **state)
{
    struct fx *fx = *state;
    struct fetch_opts o = {.max_total = 2};
    struct fetch_client *c = client(fx, &o);
    struct got g[10] = {0};
    int done = 0;
    char err[256];

    for (int i = 0; i < 10; i++)
        assert_int_equal(fetch_start(c, url(fx, "/slow"), record, &g[i], err, sizeof(err)), 0);
    assert_int_equal(fetch_pending(c), 10);
    double end = now() + GUARD_SECONDS;
    while (done < 10) {
        assert_true(now() < end);
        event_base_loop(fx->base, EVLOOP_ONCE);
        done = 0;
        for (int i = 0; i < 10; i++)
            done += g[i].calls;
    }
    assert_int_equal(fetch_pending(c), 0);
    assert_int_equal(fx->slow_served, 10);
    assert_true(fx->max_in_flight <= 2);
    assert_int_equal(fx->max_in_flight, 2); /* and the two did run side by side */
    for (int i = 0; i < 10; i++) {
        assert_int_equal(g[i].calls, 1);
        assert_true(g[i].ok);
        assert_string_equal(g[i].body, "slow");
        got_free(&g[i]);
    }
    fetch_client_free(c);
}

/* Per-host limit: at most two at a time for one host, and a busy host does
 * not hold up another one queued behind it. */
struct order {
    struct fx *fx;
    int calls;
    int slow_served; /* the server's count when this one finished */
};

static void order_cb(const struct fetch_result *res, void *arg)
{
    struct order *o = arg;
    assert_true(res->ok);
    o->calls++;
    o->slow_served = o->fx->slow_served;
}

static void test_fetch_per_host(void **state)
{
    struct fx *fx = *state;
    struct fetch_opts o = {.max_total = 10, .max_per_host = 2};
    struct fetch_client *c = client(fx, &o);
    struct got g[6] = {0};
    struct order other = {fx, 0, -1};
    char err[256], u2[64];
    int done = 0;

    for (int i = 0; i < 6; i++)
        assert_int_equal(fetch_start(c, url(fx, "/slow"), record, &g[i], err, sizeof(err)), 0);
    snprintf(u2, sizeof(u2), "http://127.0.0.1:%d/ok", fx->port2);
    assert_int_equal(fetch_start(c, u2, order_cb, &other, err, sizeof(err)), 0);
    double end = now() + GUARD_SECONDS;
    while (done < 6 || !other.calls) {
        assert_true(now() < end);
        event_base_loop(fx->base, EVLOOP_ONCE);
        done = 0;
        for (int i = 0; i < 6; i++)
            done += g[i].calls;
    }
    assert_int_equal(fx->max_in_flight, 2);
    assert_int_equal(other.calls, 1);
    assert_int_equal(other.slow_served, 0); /* did not wait for the first host */
    for (int i = 0; i < 6; i++) {
        assert_true(g[i].ok);
        got_free(&g[i]);
    }
    fetch_client_free(c);
}

/* Both limits at once: max_total counts only transfers that really run. */
static void test_fetch_busy_host_does_not_block(void **state)
{
    struct fx *fx = *state;
    struct fetch_opts o = {.max_total = 2, .max_per_host = 1};
    struct fetch_client *c = client(fx, &o);
    struct got g[3] = {0};
    struct order other = {fx, 0, -1};
    char err[256], u2[64];
    int done = 0;

    for (int i = 0; i < 3; i++)
        assert_int_equal(fetch_start(c, url(fx, "/slow"), record, &g[i], err, sizeof(err)), 0);
    snprintf(u2, sizeof(u2), "http://127.0.0.1:%d/ok", fx->port2);
    assert_int_equal(fetch_start(c, u2, order_cb, &other, err, sizeof(err)), 0);
    double end = now() + GUARD_SECONDS;
    while (done < 3 || !other.calls) {
        assert_true(now() < end);
        event_base_loop(fx->base, EVLOOP_ONCE);
        done = g[0].calls + g[1].calls + g[2].calls;
    }
    assert_int_equal(fx->max_in_flight, 1);
    assert_int_equal(other.slow_served, 0);
    for (int i = 0; i < 3; i++) {
        assert_true(g[i].ok);
        got_free(&g[i]);
    }
    fetch_client_free(c);
}

/* A done callback that starts the next fetch, as the daemon does. */
struct chain {
    struct fx *fx;
    struct fetch_client *c;
    int done, ok;
};

static void chain_cb(const struct fetch_result *res, void *arg)
{
    struct chain *ch = arg;
    ch->done++;
    ch->ok += res->ok;
    if (ch->done < 5) {
        char err[256];
        assert_int_equal(fetch_start(ch->c, url(ch->fx, "/ok"), chain_cb, ch, err, sizeof(err)), 0);
    }
}

static void test_fetch_reentrant(void **state)
{
    struct fx *fx = *state;
    struct fetch_opts o = {.max_total = 1};
    struct chain ch = {fx, client(fx, &o), 0, 0};
    char err[256];

    assert_int_equal(fetch_start(ch.c, url(fx, "/ok"), chain_cb, &ch, err, sizeof(err)), 0);
    run_until(fx, &ch.done, 5);
    assert_int_equal(ch.ok, 5);
    assert_int_equal(fetch_pending(ch.c), 0);
    fetch_client_free(ch.c);
}

static void test_fetch_free_aborts(void **state)
{
    struct fx *fx = *state;
    struct fetch_opts o = {.max_total = 2};
    struct fetch_client *c = client(fx, &o);
    char err[256];

    for (int i = 0; i < 5; i++)
        assert_int_equal(fetch_start(c, url(fx, "/stall"), never_called, NULL, err, sizeof(err)),
                         0);
    /* Let the first two connect and send their requests. */
    double end = now() + 0.5;
    while (now() < end)
        event_base_loop(fx->base, EVLOOP_ONCE);
    assert_int_equal(fetch_pending(c), 5);
    fetch_client_free(c);
    fetch_client_free(NULL);
    /* The loop must hold nothing of the client any more. */
    end = now() + 0.2;
    while (now() < end)
        event_base_loop(fx->base, EVLOOP_ONCE);
}

/* Freeing the client from a callback: the rest are dropped without calls. */
struct killer {
    struct fetch_client *c;
    int calls;
};

static void kill_cb(const struct fetch_result *res, void *arg)
{
    struct killer *k = arg;
    char err[256];
    (void)res;
    k->calls++;
    fetch_client_free(k->c);
    /* The client is going away: no new work is accepted. */
    assert_int_equal(fetch_start(k->c, "http://127.0.0.1/", never_called, NULL, err, sizeof(err)),
                     -1);
}

static void test_fetch_free_from_callback(void **state)
{
    struct fx *fx = *state;
    struct fetch_opts o = {.max_total = 1};
    struct killer k = {client(fx, &o), 0};
    char err[256];

    assert_int_equal(fetch_start(k.c, url(fx, "/ok"), kill_cb, &k, err, sizeof(err)), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(fetch_start(k.c, url(fx, "/ok"), never_called, NULL, err, sizeof(err)), 0);
    run_until(fx, &k.calls, 1);
    double end = now() + 0.3;
    while (now() < end)
        event_base_loop(fx->base, EVLOOP_ONCE);
    assert_int_equal(k.calls, 1);
}

static void test_fetch_bad_opts(void **state)
{
    struct fx *fx = *state;
    struct fetch_opts o = {.max_total = -1};
    struct fetch_client *c = (struct fetch_client *)1;
    char err[256];

    assert_int_equal(fetch_client_new(fx->base, &o, &c, err, sizeof(err)), -1);
    assert_null(c);
    assert_true(err[0] != '\0');
}

/* ---- conditional requests, cache hints, redirects, error kinds ---------- */

static void test_fetch_plain_fields(void **state)
{
    struct fx *fx = *state;
    struct got g = {0};
    fetch_one(fx, NULL, url(fx, "/ok"), &g);
    assert_int_equal(g.kind, FETCH_OK);
    assert_false(g.not_modified);
    assert_null(g.etag);
    assert_null(g.last_modified);
    assert_null(g.permanent_url);
    assert_int_equal(g.retry_after, -1);
    assert_int_equal(g.max_age, -1);
    assert_true(g.wire_bytes > 12); /* the body and at least a status line */
    got_free(&g);
}

static void test_fetch_etag_304(void **state)
{
    struct fx *fx = *state;
    struct got g = {0};

    fetch_one(fx, NULL, url(fx, "/etag"), &g);
    assert_int_equal(g.kind, FETCH_OK);
    assert_string_equal(fx->seen_inm, ""); /* unconditional */
    assert_string_equal(g.etag, ETAG_V1);
    assert_string_equal(g.body, "etag body");

    char *etag = g.etag;
    g.etag = NULL;
    got_free(&g);
    struct fetch_request req = {.url = url(fx, "/etag"), .etag = etag};
    fetch_one_req(fx, NULL, &req, &g);
    assert_string_equal(fx->seen_inm, ETAG_V1);
    assert_true(g.ok);
    assert_true(g.not_modified);
    assert_int_equal(g.kind, FETCH_NOT_MODIFIED);
    assert_int_equal(g.status, 304);
    assert_null(g.error);
    assert_int_equal(g.len, 0);
    assert_string_equal(g.body, "");
    assert_string_equal(g.etag, ETAG_V1);
    got_free(&g);

    /* A validator the server no longer recognises gets the full body. */
    req.etag = "\"v0\"";
    fetch_one_req(fx, NULL, &req, &g);
    assert_string_equal(fx->seen_inm, "\"v0\"");
    assert_int_equal(g.kind, FETCH_OK);
    assert_int_equal(g.status, 200);
    assert_string_equal(g.body, "etag body");
    got_free(&g);
    free(etag);
}

static void test_fetch_last_modified_304(void **state)
{
    struct fx *fx = *state;
    struct got g = {0};

    fetch_one(fx, NULL, url(fx, "/lm"), &g);
    assert_int_equal(g.kind, FETCH_OK);
    assert_string_equal(fx->seen_ims, "");
    assert_string_equal(g.last_modified, DATE_0);
    assert_null(g.etag);
    got_free(&g);

    struct fetch_request req = {.url = url(fx, "/lm"), .last_modified = DATE_0};
    fetch_one_req(fx, NULL, &req, &g);
    assert_string_equal(fx->seen_ims, DATE_0);
    assert_true(g.ok);
    assert_true(g.not_modified);
    assert_int_equal(g.kind, FETCH_NOT_MODIFIED);
    assert_int_equal(g.len, 0);
    got_free(&g);

    /* Empty validators are not sent at all. */
    req.last_modified = "";
    req.etag = "";
    fetch_one_req(fx, NULL, &req, &g);
    assert_string_equal(fx->seen_ims, "");
    assert_int_equal(g.kind, FETCH_OK);
    got_free(&g);
}

static void test_fetch_validator_injection(void **state)
{
    struct fx *fx = *state;
    struct fetch_client *c = client(fx, NULL);
    struct fetch_request req = {.url = url(fx, "/etag"), .etag = "\"x\"\r\nX-Evil: 1"};
    char err[256];

    err[0] = '\0';
    assert_int_equal(fetch_start_req(c, &req, never_called, NULL, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "If-None-Match"));
    req.etag = NULL;
    req.last_modified = "x\n";
    assert_int_equal(fetch_start_req(c, &req, never_called, NULL, err, sizeof(err)), -1);
    assert_int_equal(fetch_pending(c), 0);
    fetch_client_free(c);
}

static void test_fetch_retry_after(void **state)
{
    struct fx *fx = *state;
    struct got g = {0};

    fetch_one(fx, NULL, url(fx, "/429"), &g);
    assert_false(g.ok);
    assert_int_equal(g.kind, FETCH_HTTP_ERROR);
    assert_int_equal(g.status, 429);
    assert_int_equal(g.retry_after, 120);
    got_free(&g);

    /* An HTTP date, measured against the response's Date. */
    fetch_one(fx, NULL, url(fx, "/503-date"), &g);
    assert_int_equal(g.kind, FETCH_HTTP_ERROR);
    assert_string_equal(g.error, "HTTP 503");
    assert_int_equal(g.retry_after, 3600);
    got_free(&g);

    /* An HTTP date against the server's current Date. */
    fetch_one(fx, NULL, url(fx, "/503-now"), &g);
    assert_int_equal(g.status, 503);
    assert_in_range(g.retry_after, 98, 100);
    got_free(&g);
}

static void test_fetch_cache_hints(void **state)
{
    struct fx *fx = *state;
    struct got g = {0};

    fetch_one(fx, NULL, url(fx, "/max-age"), &g);
    assert_int_equal(g.max_age, 600);
    assert_int_equal(g.retry_after, -1);
    got_free(&g);
    fetch_one(fx, NULL, url(fx, "/expires"), &g);
    assert_int_equal(g.max_age, 300);
    got_free(&g);
    fetch_one(fx, NULL, url(fx, "/aged"), &g);
    assert_int_equal(g.max_age, 500);
    got_free(&g);
}

static void test_fetch_permanent_redirects(void **state)
{
    struct fx *fx = *state;
    struct got g = {0};

    fetch_one(fx, NULL, url(fx, "/perm/2"), &g); /* 301 → 301 → 200 */
    assert_int_equal(g.kind, FETCH_OK);
    assert_string_equal(g.permanent_url, url(fx, "/perm/0"));
    assert_string_equal(g.eff, url(fx, "/perm/0"));
    got_free(&g);

    fetch_one(fx, NULL, url(fx, "/p308"), &g); /* 308 → 200 */
    assert_string_equal(g.permanent_url, url(fx, "/ok"));
    got_free(&g);

    fetch_one(fx, NULL, url(fx, "/chain/1"), &g); /* 302 → 200 */
    assert_int_equal(g.kind, FETCH_OK);
    assert_string_equal(g.eff, url(fx, "/chain/0"));
    assert_null(g.permanent_url);
    got_free(&g);

    fetch_one(fx, NULL, url(fx, "/mix"), &g); /* 301 → 302 → 200 */
    assert_int_equal(g.kind, FETCH_OK);
    assert_string_equal(g.eff, url(fx, "/chain/0"));
    assert_null(g.permanent_url);
    got_free(&g);
}

static void test_fetch_headers_reset_per_hop(void **state)
{
    struct fx *fx = *state;
    struct got g = {0};

    fetch_one(fx, NULL, url(fx, "/hop-etag"), &g); /* 301 with validators → 200 without */
    assert_int_equal(g.kind, FETCH_OK);
    assert_string_equal(g.body, "hello world\n");
    assert_null(g.etag);
    assert_null(g.last_modified);
    assert_int_equal(g.max_age, -1);
    assert_string_equal(g.permanent_url, url(fx, "/ok"));
    got_free(&g);
}

static void test_fetch_redirect_loop(void **state)
{
    struct fx *fx = *state;
    struct got g = {0};

    fetch_one(fx, NULL, url(fx, "/loop"), &g);
    assert_false(g.ok);
    assert_int_equal(g.kind, FETCH_REDIRECTS);
    assert_null(g.permanent_url);
    got_free(&g);

    fetch_one(fx, NULL, url(fx, "/chain/6"), &g);
    assert_int_equal(g.kind, FETCH_REDIRECTS);
    got_free(&g);
    fetch_one(fx, NULL, url(fx, "/chain/5"), &g); /* exactly the limit */
    assert_int_equal(g.kind, FETCH_OK);
    got_free(&g);

    fetch_one(fx, NULL, url(fx, "/to-file"), &g);
    assert_int_equal(g.kind, FETCH_REDIRECTS);
    got_free(&g);
}

static void test_fetch_kinds(void **state)
{
    struct fx *fx = *state;
    struct got g = {0};
    char u[64];

    fetch_one(fx, NULL, url(fx, "/410"), &g);
    assert_false(g.ok);
    assert_int_equal(g.kind, FETCH_HTTP_ERROR);
    assert_int_equal(g.status, 410);
    assert_string_equal(g.error, "HTTP 410");
    got_free(&g);

    struct fetch_opts o = {.max_body = 1000};
    fetch_one(fx, &o, url(fx, "/big"), &g);
    assert_int_equal(g.kind, FETCH_TOO_LARGE);
    got_free(&g);

    o.max_body = 100000; /* decoded size counts for the cap, wire size for the bytes */
    fetch_one(fx, &o, url(fx, "/bomb"), &g);
    assert_int_equal(g.kind, FETCH_OK);
    assert_int_equal(g.len, 100000);
    assert_true(g.wire_bytes >= 132 && g.wire_bytes < 1000);
    got_free(&g);

    struct fetch_opts st = {.timeout_ms = 300};
    fetch_one(fx, &st, url(fx, "/stall"), &g);
    assert_int_equal(g.kind, FETCH_TIMEOUT);
    got_free(&g);

    /* TLS to a plain HTTP port: the handshake fails. */
    snprintf(u, sizeof(u), "https://127.0.0.1:%d/ok", fx->port);
    fetch_one(fx, NULL, u, &g);
    assert_false(g.ok);
    assert_int_equal(g.kind, FETCH_TLS);
    got_free(&g);
}

static void test_fetch_refused_kind(void **state)
{
    struct fx *fx = *state;
    struct sockaddr_in sin = {.sin_family = AF_INET};
    socklen_t slen = sizeof(sin);
    struct got g = {0};
    char u[64];

    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &slen), 0);
    snprintf(u, sizeof(u), "http://127.0.0.1:%d/", ntohs(sin.sin_port));
    fetch_one(fx, NULL, u, &g);
    close(fd);
    assert_int_equal(g.kind, FETCH_CONNECT);
    got_free(&g);
}

static void test_fetch_slow_drip(void **state)
{
    struct fx *fx = *state;
    struct fetch_opts o = {.low_speed_bytes = 1000, .low_speed_secs = 1};
    struct got g = {0};

    double t0 = now();
    fetch_one(fx, &o, url(fx, "/drip"), &g);
    double took = now() - t0;
    assert_false(g.ok);
    assert_int_equal(g.kind, FETCH_TIMEOUT);
    assert_int_equal(g.status, 200);
    assert_true(took >= 0.9 && took < 4.0); /* the drip would last 10 s */
    got_free(&g);
}

static void test_fetch_ca_file(void **state)
{
    struct fx *fx = *state;
    struct fetch_opts o = {.ca_file = "/nonexistent/ca.pem"};
    struct fetch_client *c = NULL;
    char err[256];

    assert_int_equal(fetch_client_new(fx->base, &o, &c, err, sizeof(err)), -1);
    assert_null(c);
    assert_non_null(strstr(err, "/nonexistent/ca.pem"));
}

/* Runs the loop until every count in counts[0..n) is set. */
static void run_all(struct fx *fx, struct got *g, int n)
{
    double end = now() + GUARD_SECONDS;
    for (;;) {
        int done = 0;
        for (int i = 0; i < n; i++)
            done += g[i].calls;
        if (done == n)
            return;
        assert_true(now() < end);
        event_base_loop(fx->base, EVLOOP_ONCE);
    }
}

/* Three requests to one host with a 300 ms gap: the server sees them at
 * least ~300 ms apart (30 ms slack for connection setup differences),
 * while a request to another host queued behind them is not held back. */
static void gap_run(struct fx *fx, long gap_ms)
{
    struct fetch_opts o = {.max_per_host = 4, .per_host_gap_ms = gap_ms};
    struct fetch_client *c = client(fx, &o);
    struct got g[4] = {0};
    char err[256], u2[64];

    for (int i = 0; i < 3; i++)
        assert_int_equal(fetch_start(c, url(fx, "/stamp/1"), record, &g[i], err, sizeof(err)), 0);
    snprintf(u2, sizeof(u2), "http://127.0.0.1:%d/stamp/2", fx->port2);
    assert_int_equal(fetch_start(c, u2, record, &g[3], err, sizeof(err)), 0);
    run_all(fx, g, 4);
    for (int i = 0; i < 4; i++) {
        assert_true(g[i].ok);
        got_free(&g[i]);
    }
    fetch_client_free(c);
    assert_int_equal(fx->nstamps[0], 3);
    assert_int_equal(fx->nstamps[1], 1);
}

static void test_fetch_per_host_gap(void **state)
{
    struct fx *fx = *state;

    gap_run(fx, 300);
    for (int i = 1; i < 3; i++)
        assert_true(fx->stamps[0][i] - fx->stamps[0][i - 1] >= 0.27);
    assert_true(fx->stamps[1][0] - fx->stamps[0][0] < 0.15);

    /* Control: without a gap the same three arrive together, so the
     * assertions above do measure the gap. */
    memset(fx->nstamps, 0, sizeof(fx->nstamps));
    gap_run(fx, 0);
    assert_true(fx->stamps[0][2] - fx->stamps[0][0] < 0.15);
}

/* A request made from the done callback of the previous one to the same
 * host still waits for the gap. */
struct gap_chain {
    struct fx *fx;
    struct fetch_client *c;
    int done;
};

static void gap_chain_cb(const struct fetch_result *res, void *arg)
{
    struct gap_chain *gc = arg;
    assert_true(res->ok);
    if (++gc->done < 2) {
        char err[256];
        assert_int_equal(
            fetch_start(gc->c, url(gc->fx, "/stamp/1"), gap_chain_cb, gc, err, sizeof(err)), 0);
    }
}

static void test_fetch_gap_from_callback(void **state)
{
    struct fx *fx = *state;
    struct fetch_opts o = {.per_host_gap_ms = 300};
    struct gap_chain gc = {fx, client(fx, &o), 0};
    char err[256];

    assert_int_equal(fetch_start(gc.c, url(fx, "/stamp/1"), gap_chain_cb, &gc, err, sizeof(err)),
                     0);
    run_until(fx, &gc.done, 2);
    assert_int_equal(fx->nstamps[0], 2);
    assert_true(fx->stamps[0][1] - fx->stamps[0][0] >= 0.27);
    fetch_client_free(gc.c);
}

/* ---- header value helpers ----------------------------------------------- */

#define T_1994 784111777 /* Sun, 06 Nov 1994 08:49:37 GMT */

static void test_fetch_retry_after_values(void **state)
{
    (void)state;
    assert_int_equal(fetch_retry_after(NULL, NULL, T_1994), -1);
    assert_int_equal(fetch_retry_after("120", NULL, T_1994), 120);
    assert_int_equal(fetch_retry_after(" 7 ", NULL, T_1994), 7);
    assert_int_equal(fetch_retry_after("0", NULL, T_1994), 0);
    assert_int_equal(fetch_retry_after("-5", NULL, T_1994), -1);
    assert_int_equal(fetch_retry_after("soon", NULL, T_1994), -1);
    assert_int_equal(fetch_retry_after("", NULL, T_1994), -1);
    assert_int_equal(fetch_retry_after("99999999999999999999999", NULL, T_1994), LONG_MAX);
    /* The three date forms, against now and against the response's Date. */
    assert_int_equal(fetch_retry_after("Sun, 06 Nov 1994 08:50:37 GMT", NULL, T_1994), 60);
    assert_int_equal(fetch_retry_after("Sunday, 06-Nov-94 08:50:37 GMT", NULL, T_1994), 60);
    assert_int_equal(fetch_retry_after("Sun Nov  6 08:50:37 1994", NULL, T_1994), 60);
    assert_int_equal(
        fetch_retry_after("Sun, 06 Nov 1994 08:50:37 GMT", "Sun, 06 Nov 1994 08:40:37 GMT", T_1994),
        600);
    /* A date in the past: go ahead now. */
    assert_int_equal(fetch_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", NULL, T_1994), 0);
    /* A Date that does not parse falls back to our clock. */
    assert_int_equal(fetch_retry_after("Sun, 06 Nov 1994 08:50:37 GMT", "garbage", T_1994), 60);
}

static void test_fetch_max_age_values(void **state)
{
    (void)state;
    assert_int_equal(fetch_max_age(NULL, NULL, NULL, NULL, T_1994), -1);
    assert_int_equal(fetch_max_age("max-age=600", NULL, NULL, NULL, T_1994), 600);
    assert_int_equal(fetch_max_age("public,MAX-AGE=60", NULL, NULL, NULL, T_1994), 60);
    assert_int_equal(fetch_max_age("no-cache, max-age = 30 ", NULL, NULL, NULL, T_1994), 30);
    assert_int_equal(fetch_max_age("max-age=\"45\"", NULL, NULL, NULL, T_1994), 45);
    assert_int_equal(fetch_max_age("s-maxage=10", NULL, NULL, NULL, T_1994), -1);
    assert_int_equal(fetch_max_age("max-age=soon", NULL, NULL, NULL, T_1994), -1);
    assert_int_equal(fetch_max_age("private", NULL, NULL, NULL, T_1994), -1);
    /* Expires, against Date or our clock; unparsable means already stale. */
    assert_int_equal(fetch_max_age(NULL, "Sun, 06 Nov 1994 08:59:37 GMT", NULL, NULL, T_1994), 600);
    assert_int_equal(fetch_max_age(NULL, "Sun, 06 Nov 1994 08:59:37 GMT",
                                   "Sun, 06 Nov 1994 08:58:37 GMT", NULL, T_1994),
                     60);
    assert_int_equal(fetch_max_age(NULL, "0", NULL, NULL, T_1994), 0);
    assert_int_equal(fetch_max_age(NULL, "Sun, 06 Nov 1994 08:00:00 GMT", NULL, NULL, T_1994), 0);
    /* max-age wins over Expires; Age is taken off. */
    assert_int_equal(fetch_max_age("max-age=100", "0", NULL, NULL, T_1994), 100);
    assert_int_equal(fetch_max_age("max-age=100", NULL, NULL, "40", T_1994), 60);
    assert_int_equal(fetch_max_age("max-age=100", NULL, NULL, "400", T_1994), 0);
    assert_int_equal(fetch_max_age("max-age=100", NULL, NULL, "bogus", T_1994), 100);
}

int main(void)
{
    /* Loopback only: a proxy from the environment must not get in the way. */
    setenv("NO_PROXY", "*", 1);
    setenv("no_proxy", "*", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fetch_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_404, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_500, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_redirect_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_redirect_too_many, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_redirect_to_file_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_body_too_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_gzip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_gzip_bomb, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_stall_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_file_url, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_bad_scheme, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_concurrency, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_per_host, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_busy_host_does_not_block, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_reentrant, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_free_aborts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_free_from_callback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_bad_opts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_plain_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_etag_304, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_last_modified_304, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_validator_injection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_retry_after, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_cache_hints, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_permanent_redirects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_headers_reset_per_hop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_redirect_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_kinds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_refused_kind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_slow_drip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_ca_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_per_host_gap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_gap_from_callback, setup, teardown),
        cmocka_unit_test(test_fetch_retry_after_values),
        cmocka_unit_test(test_fetch_max_age_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
