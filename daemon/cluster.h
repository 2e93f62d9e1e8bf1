/*
 * cluster: several daemons (nodes) sharing the feeds of one server database.
 * Instead of a timer per feed, a node claims due feeds through leases
 * (store_feeds_claim), polls them, and releases each once its poll is
 * recorded; a heartbeat timer says it is alive. A node that dies just
 * stops: its leases expire, and the others claim its feeds within one
 * lease period.
 *
 * Ownership: cluster_new copies node; the store and event base are
 * borrowed and must outlive the cluster. cluster_free accepts NULL.
 */
#ifndef PW_DAEMON_CLUSTER_H
#define PW_DAEMON_CLUSTER_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct store;
struct cluster;

struct cluster_hooks {
    /* How many more feeds the node can take now (claims never exceed it). */
    int (*room)(void *arg);
    /* A feed claimed for this node: start its poll, whose end calls
     * cluster_release. A feed the node does not know is left leased (and
     * so goes to another node when the lease expires). */
    void (*claimed)(int64_t feed_id, void *arg);
    void *arg;
};

/* node NULL: "hostname-pid". lease: seconds. */
int cluster_new(struct event_base *base, struct store *st, const char *node, int lease,
                const struct cluster_hooks *hooks, struct cluster **out, char *err, size_t errsz);
/* Records the first heartbeat and starts the claim and heartbeat timers. */
int cluster_start(struct cluster *c, char *err, size_t errsz);
/* Ends the lease on a feed whose poll (and next_due) is recorded. */
void cluster_release(struct cluster *c, int64_t feed_id);
/* Per-host politeness over all nodes: claims keep at most per_host feeds
 * of one host leased and start on one host at least gap_ms apart (see
 * store_hosts_budget). Call again on reload. */
int cluster_budget(struct cluster *c, int per_host, long gap_ms, char *err, size_t errsz);
/* A clean stop (the loop has ended, no poll will be recorded any more):
 * hands the node's feed leases and delivery claims back at once, except
 * the claims of keep_channel (NULL: none), whose message may be in flight. */
void cluster_stop(struct cluster *c, const char *keep_channel);
const char *cluster_node(const struct cluster *c);
void cluster_free(struct cluster *c);

#endif
