/* alerts internals shared between its files; not part of the module's interface. */
#ifndef PW_ALERTS_INTERNAL_H
#define PW_ALERTS_INTERNAL_H

#include <stdint.h>
#include <time.h>

#include "alerts/alerts.h"

struct store;

enum alert_mark { ALERT_MARK_SENDING, ALERT_MARK_DONE, ALERT_MARK_FAILED };

/* Marks channel's deliveries of ids[0..n) in one transaction: in flight
 * since at (store_delivery_sending), sent at at (_done), or failed with the
 * next attempt at at and error (_failed). 0, or -1 with err and nothing
 * marked. */
int alert_mark(struct store *st, const char *channel, const int64_t *ids, size_t n,
               enum alert_mark how, time_t at, const char *error, char *err, size_t errsz);

/* Sends one alert to journald. 0, or -1 when this build has no libsystemd
 * or journald refused it (the caller falls back to syslog). */
int alert_journal_send(const char *kind, const char *record, const char *ident, int facility);

#endif
