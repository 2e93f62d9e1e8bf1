/* alerts internals shared between its files; not part of the module's interface. */
#ifndef PW_ALERTS_INTERNAL_H
#define PW_ALERTS_INTERNAL_H

#include "alerts/alerts.h"

/* Sends one alert to journald. 0, or -1 when this build has no libsystemd
 * or journald refused it (the caller falls back to syslog). */
int alert_journal_send(const char *kind, const char *record, const char *ident, int facility);

#endif
