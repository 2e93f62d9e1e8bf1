/*
 * alerts: builds alert records and delivers the outbox to its channels.
 *
 * An alert is written to the store's outbox (store_alert_add) in the same
 * transaction as its cause, with one delivery row per channel; alerts_deliver
 * later sends what is due and marks it, so a crash loses nothing. Today's
 * channel is "log": syslog(3) and/or stderr, one key=value line per alert.
 */
#ifndef PW_ALERTS_ALERTS_H
#define PW_ALERTS_ALERTS_H

#include <stddef.h>
#include <time.h>

#include "common/buf.h"

struct store;

#define ALERT_CHANNEL_LOG "log"

/* Appends " key=value" to b (no leading space when b is empty), quoting the
 * value with "" and escaping \ and " when it holds spaces, quotes, '=' or
 * control characters; control characters become spaces. NULL values are
 * skipped. Returns 0 or -1 on OOM. */
int alert_kv(struct buf *b, const char *key, const char *value);

struct alert_sinks {
    int to_syslog; /* syslog(3); the caller has called openlog() */
    int to_stderr;
};

/* Delivers every due "log" delivery to the sinks and marks it done. Sets
 * *delivered to how many were sent. 0, or -1 with err when the store failed
 * (what was sent before stays marked). */
int alerts_deliver(struct store *st, const struct alert_sinks *sinks, time_t now, int *delivered,
                   char *err, size_t errsz);

#endif
