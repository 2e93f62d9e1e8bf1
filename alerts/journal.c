/*
 * journald sink: the alert's key=value record as structured fields, so that
 * `journalctl PRESSWATCH_KIND=coverage PRESSWATCH_CANONICAL=x` selects alerts
 * without grep. Builds without libsystemd keep syslog(3) only.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

#include "alerts/internal.h"

#ifdef PW_HAVE_SYSTEMD
#include <systemd/sd-journal.h>
#endif

/* Field names are [A-Z0-9_], not starting with '_' or a digit. */
static int put_name(struct buf *b, const char *key)
{
    if (buf_puts(b, "PRESSWATCH_") < 0)
        return -1;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        char c = isalnum(*p) && *p < 0x80 ? (char)toupper(*p) : '_';
        if (buf_putc(b, c) < 0)
            return -1;
    }
    return 0;
}

int alert_journal_fields(const char *kind, const char *record, const char *ident, int facility,
                         struct buf *out)
{
    struct alert_fields f;
    if (alert_fields_parse(record, &f) < 0)
        return -1;
    int rc = buf_printf(out,
                        "MESSAGE=%s\nPRIORITY=%d\nSYSLOG_IDENTIFIER=%s\nSYSLOG_FACILITY=%d\n"
                        "PRESSWATCH_KIND=%s",
                        record, alert_severity(kind), ident ? ident : "presswatchd",
                        LOG_FAC(facility), kind);
    for (size_t i = 0; i < f.n && rc == 0; i++) {
        if (!*f.v[i].key || !strcmp(f.v[i].key, "kind"))
            continue;
        rc |= buf_putc(out, '\n');
        rc |= put_name(out, f.v[i].key);
        rc |= buf_printf(out, "=%s", f.v[i].value);
    }
    alert_fields_free(&f);
    return rc ? -1 : 0;
}

int alert_journal_available(void)
{
    return access("/run/systemd/journal/socket", W_OK) == 0;
}

int alert_journal_send(const char *kind, const char *record, const char *ident, int facility)
{
#ifdef PW_HAVE_SYSTEMD
    struct buf b = BUF_INIT;
    struct iovec *iov = NULL;
    int rc = -1;
    if (alert_journal_fields(kind, record, ident, facility, &b) < 0)
        goto done;
    size_t n = 1;
    for (size_t i = 0; i < b.len; i++)
        n += b.data[i] == '\n';
    if (!(iov = calloc(n, sizeof *iov)))
        goto done;
    n = 0;
    for (char *p = b.data; p;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        iov[n++] = (struct iovec){p, strlen(p)};
        p = nl ? nl + 1 : NULL;
    }
    rc = sd_journal_sendv(iov, (int)n) < 0 ? -1 : 0;
done:
    free(iov);
    buf_free(&b);
    return rc;
#else
    (void)kind;
    (void)record;
    (void)ident;
    (void)facility;
    return -1;
#endif
}
