/*
 * fetch: HTTP(S) and file:// client on libcurl's multi-socket API driven by a
 * libevent loop (the pattern of curl's hiperfifo example). No threads, never
 * blocks the loop.
 */
#ifndef PW_FETCHERS_FETCH_H
#define PW_FETCHERS_FETCH_H

#include <stddef.h>

struct event_base;
struct fetch_client;

struct fetch_opts {
    int max_total;           /* parallel transfers in all (0: 32) */
    int max_per_host;        /* parallel transfers per host (0: 4) */
    long timeout_ms;         /* whole transfer (0: 60000) */
    long connect_timeout_ms; /* (0: 15000) */
    size_t max_body;         /* bytes after decoding; larger bodies fail (0: 16 MiB) */
    const char *user_agent;  /* copied; NULL: "presswatch/VERSION" */
};

struct fetch_result {
    const char *url;           /* as requested */
    const char *effective_url; /* after redirects */
    long status;               /* HTTP status; 0 for file:// or when no response */
    const char *content_type;  /* header value or NULL */
    const char *body;          /* NUL-terminated for convenience; may hold NULs */
    size_t len;
    int ok;            /* transfer completed and status is 2xx (or file:// read) */
    const char *error; /* NULL when ok, else a one-line reason ("HTTP 404", curl's message) */
};

/* Called once per fetch_start, from the loop. Everything in res is owned by
 * the client and valid only during the call. */
typedef void (*fetch_done_cb)(const struct fetch_result *res, void *arg);

int fetch_client_new(struct event_base *base, const struct fetch_opts *opts,
                     struct fetch_client **out, char *err, size_t errsz);
/* Aborts transfers still running or queued; their callbacks are not called. Accepts NULL. */
void fetch_client_free(struct fetch_client *c);

/* Queues a transfer (started at once when under the limits). url is copied.
 * Returns 0, or -1 with err for a URL scheme other than http, https, file. */
int fetch_start(struct fetch_client *c, const char *url, fetch_done_cb cb, void *arg, char *err,
                size_t errsz);

/* Transfers queued or running. */
size_t fetch_pending(const struct fetch_client *c);

#endif
