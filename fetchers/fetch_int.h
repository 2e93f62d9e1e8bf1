/*
 * fetch internals shared by fetch.c (curl/libevent glue, public calls),
 * fetch_queue.c (per-host queues, limits, gaps) and fetch_resp.c (response
 * headers, result). Not part of the module's interface.
 */
#ifndef PW_FETCHERS_FETCH_INT_H
#define PW_FETCHERS_FETCH_INT_H

#include "fetchers/fetch.h"

#include "common/buf.h"

#include <curl/curl.h>
#include <event2/event.h>

#include <stdint.h>

enum { FETCH_MAX_REDIRS = 5 };

struct host;

struct xlist {
    struct xfer *head, *tail;
    size_t n;
};

/* What the header callback keeps of the response being received; reset at
 * every status line so that only the final response counts. */
struct resp_hdrs {
    char *etag, *last_modified, *date, *expires, *retry_after, *age;
    struct buf cache_control; /* every Cache-Control line, joined with "," */
};

struct xfer {
    struct fetch_client *c;
    struct xfer *prev, *next; /* in its host's queue, running or failed */
    struct host *h;           /* while queued or running; NULL after */
    CURL *easy;               /* owned; cleaned up when the transfer is done */
    struct curl_slist *req_headers;
    char *url;
    int is_file;
    fetch_done_cb cb;
    void *arg;
    struct buf body;
    int too_big; /* write callback refused more bytes */
    int no_mem;  /* a callback could not allocate */
    struct resp_hdrs hdrs;
    long hop_status;              /* status of the response whose headers are coming in */
    int hops;                     /* redirect responses seen before it */
    int temporary_hop;            /* one of them was not 301/308 */
    char start_err[128];          /* why curl_multi_add_handle failed (failed list) */
    struct curl_slist *mail_rcpt; /* SMTP only (fetch_mail.c): envelope recipients */
    struct buf upload;            /* SMTP only: the message, read by curl from upload_pos */
    size_t upload_pos;
    char errbuf[CURL_ERROR_SIZE];
};

/* Per-socket context, attached to curl's socket with curl_multi_assign. */
struct sock {
    struct fetch_client *c;
    struct sock *prev, *next;
    struct event *ev;
};

/* One host:port with work queued, running, or a gap still to honour. */
struct host {
    struct fetch_client *c;
    struct host *chain;         /* hash bucket */
    struct host *rprev, *rnext; /* in the ready list */
    int in_ready;
    int unlimited; /* file://: no per-host limit, no gap */
    char *key;     /* "host:port"; "" for file:// */
    struct xlist queued;
    int running;
    int started;             /* last_start_ms is valid */
    uint64_t last_start_ms;  /* monotonic */
    struct event *gap_timer; /* created when first needed */
};

struct fetch_client {
    struct event_base *base;
    CURLM *multi;
    CURLSH *share;
    struct event *timer;    /* curl's timeout */
    struct event *deferred; /* delivers failed starts from the loop */
    struct xlist running, failed;
    size_t n_queued;
    struct host **buckets; /* host table, chained */
    size_t nbuckets, nhosts;
    struct host *ready_head, *ready_tail; /* hosts that may start their next transfer now */
    struct sock *socks;                   /* every socket context, so that free can reclaim them */
    int max_total, max_per_host;
    long timeout_ms, connect_timeout_ms, per_host_gap_ms;
    long low_speed_bytes, low_speed_secs;
    size_t max_body;
    char *user_agent;
    char *ca_file;
    int depth;   /* user callbacks currently on the stack */
    int closing; /* fetch_client_free was called from a callback */
    int global_init;
};

/* fetch.c */
void xlist_push(struct xlist *l, struct xfer *t);
void xlist_unlink(struct xlist *l, struct xfer *t);
void xfer_free(struct xfer *t);
void after_dispatch(struct fetch_client *c);

/* fetch_queue.c */
int hosts_init(struct fetch_client *c);
void hosts_free(struct fetch_client *c); /* frees every queued transfer too */
/* Finds or creates the host entry for key; NULL when out of memory. */
struct host *host_get(struct fetch_client *c, const char *key, int unlimited);
void host_enqueue(struct fetch_client *c, struct host *h, struct xfer *t);
/* A running transfer of t's host ended; t->h is cleared. */
void host_done(struct fetch_client *c, struct xfer *t);
void pump(struct fetch_client *c);
/* The queue key of u's server: prefix then lowercase "host:port", the
 * port filled in from the scheme (caller frees). 0, or -1 with err. */
int url_host_key(CURLU *u, const char *prefix, char **key, char *err, size_t errsz);
/* Makes and sets up t's curl handle if it has none; -1 with t->start_err. */
int xfer_prepare(struct fetch_client *c, struct xfer *t);

/* fetch_resp.c */
size_t on_header(char *data, size_t size, size_t nmemb, void *userp);
void resp_hdrs_free(struct resp_hdrs *h);
void report_done(struct fetch_client *c, struct xfer *t, CURLcode rc);
void report_failed(struct fetch_client *c, struct xfer *t);

#endif
