/*
 * log: OpenBSD-daemon style logging. Writes to stderr in the foreground and
 * to syslog otherwise (or both when log_init is asked to). Keeps errno.
 */
#ifndef PW_DAEMON_LOG_H
#define PW_DAEMON_LOG_H

/* ident is kept by pointer (syslog's rule): pass a string that lives on.
 * facility is a syslog facility such as LOG_DAEMON. */
void log_init(const char *ident, int to_stderr, int to_syslog, int facility);
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_notice(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Messages less urgent than priority (LOG_ERR .. LOG_DEBUG) are dropped;
 * the default is LOG_INFO. */
void log_set_level(int priority);
/* Whether a message of priority would be logged (to skip gathering it). */
int log_wants(int priority);
/* verbose: log_set_level(LOG_DEBUG); else nothing changes. */
void log_set_verbose(int verbose);

/* The syslog facility and priority for the config's facility and log_level
 * indexes (see conf.h). */
int log_facility_of(int index);
int log_priority_of(int index);

#endif
