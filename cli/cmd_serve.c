/*
 * presswatch serve --config FILE [--listen 127.0.0.1:8787]: the report's
 * pages rendered live from the database for each request (libevent evhttp),
 * read-only, on loopback unless told otherwise. GET and HEAD only; a name
 * that is not one of the report's pages is a 404, whatever it contains.
 */
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/report.h"
#include "store/store.h"

#define USAGE "serve --config FILE|--database DB [--canonical NAME] [--listen ADDR:PORT]"
#define DEFAULT_LISTEN "127.0.0.1:8787"

struct server {
    struct store *st;
    const char *only;
};

static void headers(struct evhttp_request *req)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", "text/html; charset=utf-8");
    /* Defence in depth: nothing but our inline CSS may load or run. */
    evhttp_add_header(h, "Content-Security-Policy",
                      "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    evhttp_add_header(h, "Referrer-Policy", "no-referrer");
    evhttp_add_header(h, "Cache-Control", "no-store");
}

static void reply(struct evhttp_request *req, int code, const char *reason, const char *body,
                  size_t len)
{
    struct evbuffer *out = evbuffer_new();
    headers(req);
    if (out && evbuffer_add(out, body, len) == 0) {
        evhttp_send_reply(req, code, reason, out);
    } else {
        evhttp_send_error(req, 500, "Internal Server Error");
    }
    evbuffer_free(out);
}

static void handle(struct evhttp_request *req, void *arg)
{
    const struct server *srv = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    struct report_ctx ctx = {.st = srv->st, .only = srv->only, .now = time(NULL)};
    struct buf b = BUF_INIT;
    char err[512];
    static const char not_found[] =
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Not found</title></head>"
        "<body><h1>Not found</h1><p><a href=\"index.html\">Coverage</a></p></body></html>\n";
    int rc = path && path[0] == '/' ? report_render(&ctx, path + 1, &b, err, sizeof err) : 1;
    if (rc == 0) {
        reply(req, 200, "OK", b.data, b.len);
    } else if (rc > 0) {
        reply(req, 404, "Not Found", not_found, sizeof not_found - 1);
    } else {
        fprintf(stderr, "presswatch: serve %s: %s\n", path, err);
        evhttp_send_error(req, 500, "Internal Server Error");
    }
    buf_free(&b);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    event_base_loopbreak(arg);
}

/* "ADDR:PORT" or "[V6ADDR]:PORT" into host (NUL-terminated) and port. */
static int split_listen(const char *s, char *host, size_t hostsz, unsigned short *port)
{
    const char *colon = strrchr(s, ':'), *h = s, *he = colon;
    if (!colon)
        return -1;
    if (*s == '[') {
        h = s + 1;
        he = strchr(s, ']');
        if (!he || he + 1 != colon)
            return -1;
    }
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (he <= h || (size_t)(he - h) >= hostsz || end == colon + 1 || *end || p < 0 || p > 65535)
        return -1;
    memcpy(host, h, (size_t)(he - h));
    host[he - h] = '\0';
    *port = (unsigned short)p;
    return 0;
}

static int bound_port(struct evhttp_bound_socket *bs)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &len) < 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -1;
}

static int loopback(const char *host)
{
    return !strncmp(host, "127.", 4) || !strcmp(host, "::1") || !strcmp(host, "localhost");
}

int cmd_serve(int argc, char **argv)
{
    struct report_args a = {0};
    struct server srv = {0};
    struct event_base *base = NULL;
    struct evhttp *http = NULL;
    struct event *sigint = NULL, *sigterm = NULL;
    char host[256];
    unsigned short port;
    int rc = 1;
    if (report_args(argc, argv, USAGE, &a) < 0 || a.out)
        return 2;
    if (split_listen(a.listen ? a.listen : DEFAULT_LISTEN, host, sizeof host, &port) < 0) {
        fprintf(stderr, "presswatch: --listen wants ADDR:PORT, e.g. %s\n", DEFAULT_LISTEN);
        return 2;
    }
    if (report_open(a.config, a.database, &srv.st) < 0)
        return 1;
    srv.only = a.canonical;
    if (report_check_canonical(srv.st, a.canonical) < 0)
        goto done;
    if (!(base = event_base_new()) || !(http = evhttp_new(base)) ||
        !(sigint = evsignal_new(base, SIGINT, on_signal, base)) ||
        !(sigterm = evsignal_new(base, SIGTERM, on_signal, base)) || event_add(sigint, NULL) ||
        event_add(sigterm, NULL)) {
        fprintf(stderr, "presswatch: serve: cannot set up the event loop\n");
        goto done;
    }
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
    evhttp_set_gencb(http, handle, &srv);
    struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(http, host, port);
    if (!bs) {
        fprintf(stderr, "presswatch: serve: cannot listen on %s port %u\n", host, port);
        goto done;
    }
    if (!loopback(host))
        fprintf(stderr,
                "presswatch: warning: %s is reachable from other machines; the pages "
                "show everything presswatch collected\n",
                host);
    printf("presswatch: serving http://%s%s%s:%d/ (read-only; Ctrl-C stops)\n",
           strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "", bound_port(bs));
    fflush(stdout);
    rc = event_base_dispatch(base) < 0 ? 1 : 0;
done:
    if (sigint)
        event_free(sigint);
    if (sigterm)
        event_free(sigterm);
    if (http)
        evhttp_free(http);
    if (base)
        event_base_free(base);
    store_close(srv.st);
    return rc;
}
