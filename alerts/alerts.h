/*
 * alerts: builds alert records and delivers the outbox to its channels.
 * (Filled in by the daemon work; see alerts.c.)
 */
#ifndef PW_ALERTS_ALERTS_H
#define PW_ALERTS_ALERTS_H

#include "common/buf.h"

/* Appends " key=value" to b (no leading space when b is empty), quoting the
 * value with "" and escaping \ and " when it holds spaces, quotes, '=' or
 * control characters; control characters become spaces. NULL values are
 * skipped. Returns 0 or -1 on OOM. */
int alert_kv(struct buf *b, const char *key, const char *value);

#endif
