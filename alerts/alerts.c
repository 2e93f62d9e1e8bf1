#include "alerts/alerts.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "alerts/internal.h"
#include "store/store.h"

int alert_kv(struct buf *b, const char *key, const char *value)
{
    if (!value)
        return 0;
    if (b->len && buf_putc(b, ' ') < 0)
        return -1;
    if (buf_puts(b, key) < 0 || buf_putc(b, '=') < 0)
        return -1;
    int quote = *value == '\0';
    for (const unsigned char *p = (const unsigned char *)value; *p && !quote; p++)
        quote = *p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f;
    if (!quote)
        return buf_puts(b, value);
    if (buf_putc(b, '"') < 0)
        return -1;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        int rc;
        if (*p == '"' || *p == '\\') {
            char esc[2] = {'\\', (char)*p};
            rc = buf_append(b, esc, 2);
        } else if (*p < ' ' || *p == 0x7f) {
            rc = buf_putc(b, ' ');
        } else {
            rc = buf_putc(b, (char)*p);
        }
        if (rc < 0)
            return -1;
    }
    return buf_putc(b, '"');
}

struct due {
    int64_t id;
    char *record;
    char *kind;
    int cut_off;
};

struct due_list {
    struct due *v;
    size_t n, cap;
    int oom;
};

/* The store forbids store calls inside its walk, so due rows are copied out
 * first and marked afterwards. */
static int collect(const struct store_delivery *d, void *arg)
{
    struct due_list *l = arg;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        struct due *v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            l->oom = 1;
            return 1;
        }
        l->v = v;
        l->cap = cap;
    }
    char *record = strdup(d->record);
    char *kind = strdup(d->kind);
    if (!record || !kind) {
        free(record);
        free(kind);
        l->oom = 1;
        return 1;
    }
    struct due *slot = &l->v[l->n++];
    slot->id = d->alert_id;
    slot->record = record;
    slot->kind = kind;
    slot->cut_off = d->cut_off;
    return 0;
}

/* What someone should look at is a notice, a failing feed a warning, and
 * its recovery only information. */
int alert_severity(const char *kind)
{
    if (!strcmp(kind, "feed-error"))
        return LOG_WARNING;
    if (!strcmp(kind, "feed-recovered"))
        return LOG_INFO;
    return LOG_NOTICE;
}

/* journald when asked for and reachable, else syslog(3). */
static void to_system_log(const struct alert_sinks *sinks, const char *kind, const char *record)
{
    if (sinks->to_journal && alert_journal_send(kind, record, sinks->ident, sinks->facility) == 0)
        return;
    if (sinks->to_syslog || sinks->to_journal)
        syslog(alert_severity(kind), "%s", record);
}

int alert_mark(struct store *st, const char *channel, const int64_t *ids, size_t n,
               enum alert_mark how, time_t at, const char *error, char *err, size_t errsz)
{
    if (store_begin(st, err, errsz) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int rc = how == ALERT_MARK_SENDING
                     ? store_delivery_sending(st, ids[i], channel, at, err, errsz)
                 : how == ALERT_MARK_DONE
                     ? store_delivery_done(st, ids[i], channel, at, err, errsz)
                     : store_delivery_failed(st, ids[i], channel, at, error, err, errsz);
        if (rc < 0) {
            store_rollback(st);
            return -1;
        }
    }
    return store_commit(st, err, errsz);
}

int alerts_deliver(struct store *st, const struct alert_sinks *sinks, time_t now,
                   struct alert_log_result *res, char *err, size_t errsz)
{
    struct due_list l = {0};
    int64_t *ids = NULL;
    int rc = 0;
    *res = (struct alert_log_result){0};
    if (store_delivery_due(st, ALERT_CHANNEL_LOG, now, 1000, collect, &l, err, errsz) < 0) {
        rc = -1;
        goto done;
    }
    if (l.oom) {
        rc = pw_err(err, errsz, "alerts: out of memory");
        goto done;
    }
    if (!l.n)
        goto done;
    if (!(ids = malloc(l.n * sizeof *ids))) {
        rc = pw_err(err, errsz, "alerts: out of memory");
        goto done;
    }
    for (size_t i = 0; i < l.n; i++)
        ids[i] = l.v[i].id;
    /* Recorded first, so that a crash before the marking below is known:
     * syslog cannot be read back, so those lines go again, counted. */
    if (alert_mark(st, ALERT_CHANNEL_LOG, ids, l.n, ALERT_MARK_SENDING, now, NULL, err, errsz) <
        0) {
        rc = -1;
        goto done;
    }
    for (size_t i = 0; i < l.n; i++) {
        to_system_log(sinks, l.v[i].kind, l.v[i].record);
        if (sinks->to_stderr)
            fprintf(stderr, "alert: %s\n", l.v[i].record);
    }
    if (alert_mark(st, ALERT_CHANNEL_LOG, ids, l.n, ALERT_MARK_DONE, now, NULL, err, errsz) < 0) {
        rc = -1;
        goto done;
    }
    res->delivered = (int)l.n;
    for (size_t i = 0; i < l.n; i++)
        res->resent += l.v[i].cut_off != 0;
done:
    free(ids);
    for (size_t i = 0; i < l.n; i++) {
        free(l.v[i].record);
        free(l.v[i].kind);
    }
    free(l.v);
    return rc;
}
