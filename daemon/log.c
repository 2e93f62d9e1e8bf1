#include "daemon/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

/* Logging is process-wide by nature (stderr, syslog): these settings are
 * the one piece of state kept outside the daemon's context struct. */
static struct {
    int to_stderr;
    int to_syslog;
    int level;
} log_cfg = {1, 0, LOG_INFO};

void log_init(const char *ident, int to_stderr, int to_syslog, int facility)
{
    log_cfg.to_stderr = to_stderr;
    log_cfg.to_syslog = to_syslog;
    if (to_syslog)
        openlog(ident, LOG_PID | LOG_NDELAY, facility);
}

int log_wants(int priority)
{
    return priority <= log_cfg.level;
}

void log_set_level(int priority)
{
    log_cfg.level = priority;
}

void log_set_verbose(int verbose)
{
    if (verbose)
        log_cfg.level = LOG_DEBUG;
}

int log_facility_of(int index)
{
    static const int fac[] = {LOG_DAEMON, LOG_USER,   LOG_MAIL,   LOG_LOCAL0,
                              LOG_LOCAL1, LOG_LOCAL2, LOG_LOCAL3, LOG_LOCAL4,
                              LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7};
    return index >= 0 && index < (int)(sizeof fac / sizeof fac[0]) ? fac[index] : LOG_DAEMON;
}

int log_priority_of(int index)
{
    static const int pri[] = {LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG};
    return index >= 0 && index < (int)(sizeof pri / sizeof pri[0]) ? pri[index] : LOG_INFO;
}

static void vlog(int pri, const char *fmt, va_list ap)
{
    if (pri > log_cfg.level)
        return;
    int saved = errno;
    if (log_cfg.to_stderr) {
        va_list ap2;
        va_copy(ap2, ap);
        vfprintf(stderr, fmt, ap2);
        fputc('\n', stderr);
        va_end(ap2);
    }
    if (log_cfg.to_syslog)
        vsyslog(pri, fmt, ap);
    errno = saved;
}

#define LOG_FN(name, pri)                                                                          \
    void name(const char *fmt, ...)                                                                \
    {                                                                                              \
        va_list ap;                                                                                \
        va_start(ap, fmt);                                                                         \
        vlog(pri, fmt, ap);                                                                        \
        va_end(ap);                                                                                \
    }
LOG_FN(log_warnx, LOG_WARNING)
LOG_FN(log_notice, LOG_NOTICE)
LOG_FN(log_info, LOG_INFO)
LOG_FN(log_debug, LOG_DEBUG)
