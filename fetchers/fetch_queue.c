/*
 * fetch queue: which transfer starts next.
 *
 * Every transfer waits in the FIFO of its host (host:port). A host is on the
 * ready list when its queue is not empty and it may start one more transfer
 * now: fewer than max_per_host running and per_host_gap_ms elapsed since its
 * last start. pump() takes the first ready host, starts the head of its
 * queue and puts the host back at the tail if it is still ready, so hosts
 * take turns and one site's many pages cannot hold up the others. Every
 * step is O(1): nothing scans the waiting transfers, which matters with
 * thousands of feeds queued at the start of a cycle.
 *
 * A host held back only by the gap arms its own evtimer for the moment the
 * gap ends. The same timer reclaims the entry of a host with nothing left to
 * do once its gap is over: until then the entry remembers the last start, so
 * that a request made from a done callback still honours the gap.
 */
#include "fetchers/fetch_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* FNV-1a: keys are short host:port strings. */
static size_t hash_key(const char *s)
{
    uint64_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return (size_t)h;
}

int hosts_init(struct fetch_client *c)
{
    c->nbuckets = 64;
    c->buckets = calloc(c->nbuckets, sizeof(struct host *));
    return c->buckets ? 0 : -1;
}

/* Doubles the table; on failure the old one simply stays (chains get longer). */
static void hosts_grow(struct fetch_client *c)
{
    size_t n = c->nbuckets * 2;
    struct host **b = calloc(n, sizeof(struct host *));

    if (!b)
        return;
    for (size_t i = 0; i < c->nbuckets; i++) {
        struct host *h = c->buckets[i];
        while (h) {
            struct host *next = h->chain;
            size_t j = hash_key(h->key) & (n - 1);
            h->chain = b[j];
            b[j] = h;
            h = next;
        }
    }
    free(c->buckets);
    c->buckets = b;
    c->nbuckets = n;
}

static void ready_remove(struct fetch_client *c, struct host *h)
{
    if (!h->in_ready)
        return;
    if (h->rprev)
        h->rprev->rnext = h->rnext;
    else
        c->ready_head = h->rnext;
    if (h->rnext)
        h->rnext->rprev = h->rprev;
    else
        c->ready_tail = h->rprev;
    h->rprev = h->rnext = NULL;
    h->in_ready = 0;
}

static void ready_push(struct fetch_client *c, struct host *h)
{
    if (h->in_ready)
        return;
    h->rprev = c->ready_tail;
    h->rnext = NULL;
    if (c->ready_tail)
        c->ready_tail->rnext = h;
    else
        c->ready_head = h;
    c->ready_tail = h;
    h->in_ready = 1;
}

/* Frees the entry and every transfer still queued on it (no callbacks). */
static void host_free(struct fetch_client *c, struct host *h)
{
    struct host **p = &c->buckets[hash_key(h->key) & (c->nbuckets - 1)];
    struct xfer *t;

    while (*p != h)
        p = &(*p)->chain;
    *p = h->chain;
    c->nhosts--;
    ready_remove(c, h);
    while ((t = h->queued.head)) {
        xlist_unlink(&h->queued, t);
        c->n_queued--;
        xfer_free(t);
    }
    if (h->gap_timer)
        event_free(h->gap_timer);
    free(h->key);
    free(h);
}

void hosts_free(struct fetch_client *c)
{
    if (!c->buckets)
        return;
    for (size_t i = 0; i < c->nbuckets; i++)
        while (c->buckets[i])
            host_free(c, c->buckets[i]);
    free(c->buckets);
    c->buckets = NULL;
}

struct host *host_get(struct fetch_client *c, const char *key, int unlimited)
{
    size_t i = hash_key(key) & (c->nbuckets - 1);
    struct host *h;

    for (h = c->buckets[i]; h; h = h->chain)
        if (!strcmp(h->key, key))
            return h;
    h = calloc(1, sizeof(*h));
    if (!h || !(h->key = strdup(key))) {
        free(h);
        return NULL;
    }
    h->c = c;
    h->unlimited = unlimited;
    h->chain = c->buckets[i];
    c->buckets[i] = h;
    if (++c->nhosts > c->nbuckets)
        hosts_grow(c);
    return h;
}

static void host_update(struct fetch_client *c, struct host *h);

static void on_gap_timer(evutil_socket_t fd, short what, void *arg)
{
    struct host *h = arg;
    struct fetch_client *c = h->c;

    (void)fd;
    (void)what;
    host_update(c, h); /* may free h */
    pump(c);
    after_dispatch(c);
}

/* Arms h's timer for when its gap ends. Returns -1 when that is impossible
 * (out of memory): the caller then lets the host go rather than strand it. */
static int arm_gap(struct fetch_client *c, struct host *h, uint64_t wait_ms)
{
    struct timeval tv = {.tv_sec = (time_t)(wait_ms / 1000),
                         .tv_usec = (suseconds_t)(wait_ms % 1000) * 1000};

    if (!h->gap_timer && !(h->gap_timer = evtimer_new(c->base, on_gap_timer, h)))
        return -1;
    return evtimer_add(h->gap_timer, &tv);
}

/* Puts h where it belongs after any change: on the ready list, waiting for
 * a running transfer to end, waiting for its gap, or gone. May free h. */
static void host_update(struct fetch_client *c, struct host *h)
{
    uint64_t gap_left = 0;

    if (!h->unlimited && h->started && c->per_host_gap_ms > 0) {
        uint64_t since = now_ms() - h->last_start_ms;
        if (since < (uint64_t)c->per_host_gap_ms)
            gap_left = (uint64_t)c->per_host_gap_ms - since;
    }
    if (!h->queued.n) {
        ready_remove(c, h);
        if (!h->running && (!gap_left || arm_gap(c, h, gap_left) < 0))
            host_free(c, h);
        return;
    }
    if (!h->unlimited && h->running >= c->max_per_host) {
        ready_remove(c, h); /* host_done brings it back */
        return;
    }
    if (gap_left && arm_gap(c, h, gap_left) == 0) {
        ready_remove(c, h);
        return;
    }
    ready_push(c, h);
}

void host_enqueue(struct fetch_client *c, struct host *h, struct xfer *t)
{
    t->h = h;
    xlist_push(&h->queued, t);
    c->n_queued++;
    host_update(c, h);
}

void host_done(struct fetch_client *c, struct xfer *t)
{
    struct host *h = t->h;

    t->h = NULL;
    if (!h)
        return;
    h->running--;
    host_update(c, h);
}

/* Moves queued transfers into curl while there is room. Never calls a user
 * callback: a transfer curl refuses goes to the failed list, reported from
 * the deferred event, so that fetch_start never calls back synchronously. */
void pump(struct fetch_client *c)
{
    struct host *h;

    while (!c->closing && c->running.n < (size_t)c->max_total && (h = c->ready_head)) {
        struct xfer *t = h->queued.head;
        xlist_unlink(&h->queued, t);
        c->n_queued--;
        ready_remove(c, h);
        CURLMcode mc = CURLM_OK;
        if (xfer_prepare(c, t) < 0 || (mc = curl_multi_add_handle(c->multi, t->easy)) != CURLM_OK) {
            if (mc != CURLM_OK)
                snprintf(t->start_err, sizeof(t->start_err), "cannot start transfer: %s",
                         curl_multi_strerror(mc));
            t->h = NULL;
            xlist_push(&c->failed, t);
            event_active(c->deferred, 0, 0);
        } else {
            xlist_push(&c->running, t);
            h->running++;
            h->started = 1;
            h->last_start_ms = now_ms();
        }
        host_update(c, h); /* back at the tail if it may start another */
    }
}
