/*
 * fetch: HTTP(S) and file:// client on libcurl's multi-socket API driven by a
 * libevent loop (the pattern of curl's hiperfifo example). No threads, never
 * blocks the loop.
 *
 * Politeness is built in: a global limit on parallel transfers, a per-host
 * limit and an optional minimum gap between two starts to one host; requests
 * that must wait are queued per host, so a busy host never holds up another.
 */
#ifndef PW_FETCHERS_FETCH_H
#define PW_FETCHERS_FETCH_H

#include <stddef.h>
#include <time.h>

struct event_base;
struct fetch_client;

struct fetch_opts {
    int max_total;           /* parallel transfers in all (0: 32) */
    int max_per_host;        /* parallel transfers per host (0: 4) */
    long timeout_ms;         /* whole transfer (0: 60000) */
    long connect_timeout_ms; /* (0: 15000) */
    size_t max_body;         /* bytes after decoding; larger bodies fail (0: 16 MiB) */
    const char *user_agent;  /* copied; NULL: "presswatch/VERSION" */
    long per_host_gap_ms;    /* minimum gap between starting two requests to one host (0: none) */
    const char *ca_file;     /* copied; CA bundle for TLS verification (NULL: system default);
                                verification is always on */
    long low_speed_bytes;    /* abort when slower than this many bytes/s ... (0: 1) */
    long low_speed_secs;     /* ... for this many seconds (0: 30) */
};

/* One request. Strings are copied by fetch_start_req. */
struct fetch_request {
    const char *url;
    const char *etag;          /* sent as If-None-Match when non-NULL and non-empty */
    const char *last_modified; /* sent as If-Modified-Since when non-NULL and non-empty
                                  (the value as received) */
};

/* Why a transfer ended the way it did, for backoff and health reports. */
enum fetch_kind {
    FETCH_OK,           /* 2xx, or a file:// read */
    FETCH_NOT_MODIFIED, /* 304 to a conditional request */
    FETCH_HTTP_ERROR,   /* any other final status; see status */
    FETCH_DNS,          /* host name did not resolve */
    FETCH_CONNECT,      /* refused, unreachable */
    FETCH_TLS,          /* handshake or certificate verification failed */
    FETCH_TIMEOUT,      /* connect, total or low-speed limit */
    FETCH_TOO_LARGE,    /* body over max_body (after decoding) */
    FETCH_REDIRECTS,    /* more than 5 redirects, or a redirect to a scheme other than http(s) */
    FETCH_OTHER
};

struct fetch_result {
    const char *url;           /* as requested */
    const char *effective_url; /* after redirects */
    long status;               /* final HTTP status; 0 for file:// or when no response */
    const char *content_type;  /* header value or NULL */
    const char *body;          /* NUL-terminated for convenience; may hold NULs */
    size_t len;
    int ok;            /* transfer completed and status is 2xx or 304 (or file:// read) */
    const char *error; /* NULL when ok, else a one-line reason ("HTTP 410", curl's message) */
    enum fetch_kind kind;
    int not_modified;          /* HTTP 304: ok = 1, body empty */
    const char *etag;          /* ETag of the final response, or NULL (a 304 need not repeat
                                  it: keep the one you sent) */
    const char *last_modified; /* Last-Modified of the final response, or NULL */
    long retry_after;          /* seconds from Retry-After (delta-seconds or HTTP-date, the latter
                                  relative to the response's Date when given), -1 when absent */
    long max_age;              /* freshness left, in seconds: Cache-Control max-age (else Expires -
                                  Date), minus Age; -1 when absent */
    const char *permanent_url; /* non-NULL when there was at least one redirect and every hop
                                  was permanent (301/308): the final URL */
    size_t wire_bytes;         /* bytes received on the wire: headers of every hop plus the
                                  final body before decompression */
};

/* Called once per fetch_start, from the loop. Everything in res is owned by
 * the client and valid only during the call. */
typedef void (*fetch_done_cb)(const struct fetch_result *res, void *arg);

/* Returns 0, or -1 with err for bad options or an unreadable ca_file. */
int fetch_client_new(struct event_base *base, const struct fetch_opts *opts,
                     struct fetch_client **out, char *err, size_t errsz);
/* Aborts transfers still running or queued; their callbacks are not called. Accepts NULL. */
void fetch_client_free(struct fetch_client *c);

/* Queues a transfer (started from the loop once under the limits). Every
 * string in req is copied. Returns 0, or -1 with err for a URL scheme other
 * than http, https, file, or a validator holding a line break. */
int fetch_start_req(struct fetch_client *c, const struct fetch_request *req, fetch_done_cb cb,
                    void *arg, char *err, size_t errsz);

/* fetch_start_req with only a URL (an unconditional request). */
int fetch_start(struct fetch_client *c, const char *url, fetch_done_cb cb, void *arg, char *err,
                size_t errsz);

/* One SMTP submission (RFC 5321) through the same loop and limits. Every
 * string and the message bytes are copied by fetch_start_mail. */
struct fetch_mail {
    const char *url;         /* smtp://host[:port] (STARTTLS) or smtps://host[:port] */
    const char *from;        /* envelope sender, MAIL FROM */
    const char *const *rcpt; /* envelope recipients, RCPT TO */
    size_t nrcpt;
    const char *username; /* NULL: no AUTH */
    const char *password;
    const char *data; /* the whole message, CRLF line ends */
    size_t len;
    int insecure; /* smtp:// may go on without STARTTLS when the server offers none */
};

/* Queues an SMTP transfer: only smtp and smtps are allowed for it, TLS is
 * verified (the client's ca_file applies), STARTTLS is required on smtp://
 * unless insecure. The result's ok says the server accepted the message
 * (status: its last reply code); error says why not. 0, or -1 with err for
 * a bad URL or argument. */
int fetch_start_mail(struct fetch_client *c, const struct fetch_mail *m, fetch_done_cb cb,
                     void *arg, char *err, size_t errsz);

/* Transfers queued or running. */
size_t fetch_pending(const struct fetch_client *c);

/* Pure helpers behind the result fields, exposed for tests and callers that
 * keep raw header values. now is the local clock, used when date is NULL or
 * unparsable. Each returns seconds >= 0, or -1 when the header says nothing. */
long fetch_retry_after(const char *value, const char *date, time_t now);
long fetch_max_age(const char *cache_control, const char *expires, const char *date,
                   const char *age, time_t now);

#endif
