#include "daemon/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

/* Logging is process-wide by nature (stderr, syslog): these three settings are
 * the one piece of state kept outside the daemon's context struct. */
static struct {
    int to_stderr;
    int to_syslog;
    int verbose;
} log_cfg = {1, 0, 0};

void log_init(const char *ident, int to_stderr, int to_syslog)
{
    log_cfg.to_stderr = to_stderr;
    log_cfg.to_syslog = to_syslog;
    if (to_syslog)
        openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_verbose(int verbose)
{
    log_cfg.verbose = verbose;
}

static void vlog(int pri, const char *fmt, va_list ap)
{
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

void log_warnx(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(LOG_WARNING, fmt, ap);
    va_end(ap);
}

void log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(LOG_INFO, fmt, ap);
    va_end(ap);
}

void log_debug(const char *fmt, ...)
{
    if (!log_cfg.verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog(LOG_DEBUG, fmt, ap);
    va_end(ap);
}
