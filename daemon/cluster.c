#include "daemon/cluster.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "daemon/log.h"
#include "store/store.h"

/* Claims are cheap (a few statements), so a short tick keeps feeds close
 * to their due time; a full batch means more are due, so the next comes
 * sooner, and as soon as a poll ends and frees room. */
#define CLAIM_TICK_MS 1000
#define CLAIM_AGAIN_MS 100

struct cluster {
    struct event_base *base;
    struct store *st;
    char *node;
    int lease;
    struct cluster_hooks hooks;
    struct event *ev_claim, *ev_beat;
    int more;      /* the last claim filled the room: more feeds are likely due */
    int last_room; /* what that claim asked for */
    int soon;      /* a claim is armed for the next loop turn */
};

static void arm(struct event *ev, long ms)
{
    struct timeval tv = {ms / 1000, (suseconds_t)(ms % 1000) * 1000};
    evtimer_add(ev, &tv);
}

struct claim_ctx {
    struct cluster *c;
    int n;
};

static int on_claim(int64_t feed_id, void *arg)
{
    struct claim_ctx *cc = arg;
    cc->n++;
    cc->c->hooks.claimed(feed_id, cc->c->hooks.arg);
    return 0;
}

static void on_claim_tick(evutil_socket_t fd, short what, void *arg)
{
    struct cluster *c = arg;
    struct claim_ctx cc = {c, 0};
    char err[512];
    (void)fd;
    (void)what;
    c->soon = 0;
    int room = c->hooks.room(c->hooks.arg);
    if (room > 0 && store_feeds_claim(c->st, c->node, time(NULL), c->lease, room, on_claim, &cc,
                                      err, sizeof err) < 0)
        log_warnx("node %s: claiming feeds: %s", c->node, err);
    c->more = room > 0 && cc.n == room;
    c->last_room = room;
    arm(c->ev_claim, c->more ? CLAIM_AGAIN_MS : CLAIM_TICK_MS);
}

static void beat(struct cluster *c)
{
    char err[512];
    if (store_node_heartbeat(c->st, c->node, time(NULL), err, sizeof err) < 0)
        log_warnx("node %s: heartbeat: %s", c->node, err);
}

static void on_beat(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    beat(arg);
}

int cluster_new(struct event_base *base, struct store *st, const char *node, int lease,
                const struct cluster_hooks *hooks, struct cluster **out, char *err, size_t errsz)
{
    struct cluster *c = calloc(1, sizeof *c);
    if (!c)
        return pw_err(err, errsz, "out of memory");
    c->base = base;
    c->st = st;
    c->lease = lease;
    c->hooks = *hooks;
    if (node) {
        c->node = strdup(node);
    } else {
        char host[256];
        /* host-pid: unique per process, so two daemons on one machine
         * are two nodes */
        if (gethostname(host, sizeof host) < 0)
            snprintf(host, sizeof host, "localhost");
        host[sizeof host - 1] = '\0';
        if (asprintf(&c->node, "%s-%ld", host, (long)getpid()) < 0)
            c->node = NULL;
    }
    if (!c->node || !(c->ev_claim = evtimer_new(base, on_claim_tick, c)) ||
        !(c->ev_beat = event_new(base, -1, EV_PERSIST, on_beat, c))) {
        cluster_free(c);
        return pw_err(err, errsz, "out of memory");
    }
    *out = c;
    return 0;
}

int cluster_start(struct cluster *c, char *err, size_t errsz)
{
    /* a third of the lease: status then tells a live node from a dead one
     * well before its leases expire */
    int every = c->lease / 3 > 0 ? c->lease / 3 : 1;
    struct timeval tv = {every, 0};
    beat(c);
    if (event_add(c->ev_beat, &tv) < 0)
        return pw_err(err, errsz, "cannot start the heartbeat timer");
    arm(c->ev_claim, 0);
    log_info("node %s: claiming due feeds with %ds leases", c->node, c->lease);
    return 0;
}

void cluster_release(struct cluster *c, int64_t feed_id)
{
    char err[512];
    if (store_feed_release(c->st, feed_id, c->node, err, sizeof err) < 0)
        log_warnx("node %s: releasing feed %lld: %s", c->node, (long long)feed_id, err);
    /* more are due: claim again once half the room is free (claims come
     * in batches, not one per poll) */
    if (c->more && !c->soon && c->hooks.room(c->hooks.arg) * 2 >= c->last_room) {
        c->soon = 1;
        arm(c->ev_claim, 0);
    }
}

int cluster_budget(struct cluster *c, int per_host, long gap_ms, char *err, size_t errsz)
{
    return store_hosts_budget(c->st, per_host, gap_ms, err, errsz);
}

void cluster_stop(struct cluster *c, const char *keep_channel)
{
    char err[512];
    if (store_node_release(c->st, c->node, keep_channel, err, sizeof err) < 0)
        log_warnx("node %s: releasing its leases: %s (they expire on their own)", c->node, err);
    else
        log_info("node %s: leases released", c->node);
}

const char *cluster_node(const struct cluster *c)
{
    return c->node;
}

void cluster_free(struct cluster *c)
{
    if (!c)
        return;
    if (c->ev_claim)
        event_free(c->ev_claim);
    if (c->ev_beat)
        event_free(c->ev_beat);
    free(c->node);
    free(c);
}
