/*
 * log: OpenBSD-daemon style logging. Writes to stderr in the foreground and
 * to syslog otherwise (or both when log_init is asked to). Keeps errno.
 */
#ifndef PW_DAEMON_LOG_H
#define PW_DAEMON_LOG_H

/* ident is kept by pointer (syslog's rule): pass a string that lives on. */
void log_init(const char *ident, int to_stderr, int to_syslog);
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_set_verbose(int verbose);

#endif
