/*
 * email channel: sends the outbox's "email" deliveries through SMTP on the
 * fetch client, one message at a time, and marks them.
 *
 * Exactly once, as far as SMTP allows: deliveries are marked sent only when
 * the server has answered 250 to the message. A crash in the window between
 * the server taking the message and the commit of store_delivery_done sends
 * it again at the next start (RFC 1047 describes the window; no SMTP client
 * can close it). The resend carries the same Message-ID, derived from the
 * alert ids, so mailboxes that dedupe on it show one message; and since each
 * attempt is recorded (store_delivery_sending) before it starts, the resend
 * is counted and reported, never silent. No other window loses or repeats
 * an alert.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alerts/alerts.h"
#include "alerts/internal.h"
#include "fetchers/fetch.h"
#include "store/store.h"

#define MAX_BATCH 500            /* alerts in one digest; the rest go in the next */
#define MAX_BACKOFF (6LL * 3600) /* a day's outage still retries four times a day */

/* The mailer's own copy of the options: a reload may free the config while
 * a message is in flight, and the next message starts from the callback. */
struct opts_copy {
    char *to, *from, *smtp_url, *credentials, *id_salt;
    struct alert_email_opts o;
};

struct alert_mailer {
    struct store *st;
    struct fetch_client *fc;
    alert_mailer_cb cb;
    void *cb_arg;
    struct opts_copy opts;
    int busy;
    time_t rest_until; /* after a failure the channel waits, whatever is due */
    int64_t *ids;      /* of the message in flight */
    size_t nids;
    size_t resent; /* of them, sent again after a cut-off attempt */
    int attempts;  /* most attempts among them */
};

struct due {
    struct alert_mail_item *v;
    size_t n, cap;
    int attempts, oom;
};

void alert_secret_free(char *secret)
{
    if (!secret)
        return;
    explicit_bzero(secret, strlen(secret));
    free(secret);
}

int alert_credentials_load(const char *path, char **user, char **password, char *err, size_t errsz)
{
    struct stat sb;
    char line[1024];
    *user = *password = NULL;
    /* Checked on the open file, so that the file read is the file checked. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return pw_err(err, errsz, "smtp_credentials %s: %s", path, strerror(errno));
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return pw_err(err, errsz, "smtp_credentials %s: not a regular file", path);
    }
    if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
        close(fd);
        return pw_err(err, errsz,
                      "smtp_credentials %s: mode %04o lets %s read or change the SMTP password;"
                      " run chmod 600 %s (owner: the daemon's user)",
                      path, (unsigned)(sb.st_mode & 07777),
                      (sb.st_mode & S_IRWXG) && (sb.st_mode & S_IRWXO) ? "the group and others"
                      : (sb.st_mode & S_IRWXG)                         ? "the group"
                                                                       : "others",
                      path);
    }
    ssize_t n = read(fd, line, sizeof line - 1);
    close(fd);
    if (n < 0)
        return pw_err(err, errsz, "smtp_credentials %s: %s", path, strerror(errno));
    line[n] = '\0';
    line[strcspn(line, "\r\n")] = '\0';
    char *colon = strchr(line, ':');
    int rc = 0;
    if (!colon || colon == line) {
        rc = pw_err(err, errsz, "smtp_credentials %s: expected user:password on the first line",
                    path);
    } else {
        *colon = '\0';
        *user = strdup(line);
        *password = strdup(colon + 1);
        if (!*user || !*password) {
            free(*user);
            alert_secret_free(*password);
            *user = *password = NULL;
            rc = pw_err(err, errsz, "out of memory");
        }
    }
    explicit_bzero(line, sizeof line);
    return rc;
}

static void opts_clear(struct opts_copy *c)
{
    free(c->to);
    free(c->from);
    free(c->smtp_url);
    free(c->credentials);
    free(c->id_salt);
    memset(c, 0, sizeof *c);
}

static char *dup_or_null(const char *s, int *oom)
{
    char *d = s ? strdup(s) : NULL;
    *oom |= s && !d;
    return d;
}

static int opts_set(struct opts_copy *c, const struct alert_email_opts *o)
{
    struct opts_copy n = {0};
    int oom = 0;
    n.to = dup_or_null(o->to, &oom);
    n.from = dup_or_null(o->from, &oom);
    n.smtp_url = dup_or_null(o->smtp_url, &oom);
    n.credentials = dup_or_null(o->credentials, &oom);
    n.id_salt = dup_or_null(o->id_salt, &oom);
    if (oom) {
        opts_clear(&n);
        return -1;
    }
    n.o = *o;
    n.o.to = n.to;
    n.o.from = n.from;
    n.o.smtp_url = n.smtp_url;
    n.o.credentials = n.credentials;
    n.o.id_salt = n.id_salt;
    opts_clear(c);
    *c = n;
    return 0;
}

int alert_mailer_new(struct store *st, struct fetch_client *fc, alert_mailer_cb cb, void *arg,
                     struct alert_mailer **out, char *err, size_t errsz)
{
    struct alert_mailer *m = calloc(1, sizeof *m);
    if (!m)
        return pw_err(err, errsz, "out of memory");
    m->st = st;
    m->fc = fc;
    m->cb = cb;
    m->cb_arg = arg;
    *out = m;
    return 0;
}

void alert_mailer_free(struct alert_mailer *m)
{
    if (!m)
        return;
    opts_clear(&m->opts);
    free(m->ids);
    free(m);
}

int alert_mailer_busy(const struct alert_mailer *m)
{
    return m && m->busy;
}

/* The store forbids store calls inside its walk: rows are copied out. */
static int collect(const struct store_delivery *d, void *arg)
{
    struct due *l = arg;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct alert_mail_item *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            goto oom;
        l->v = v;
        l->cap = cap;
    }
    char *kind = strdup(d->kind), *record = strdup(d->record);
    if (!kind || !record) {
        free(kind);
        free(record);
        goto oom;
    }
    l->v[l->n++] = (struct alert_mail_item){d->alert_id, kind, record, d->cut_off};
    if (d->attempts > l->attempts)
        l->attempts = d->attempts;
    return 0;
oom:
    l->oom = 1;
    return 1;
}

static void due_free(struct due *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free((char *)l->v[i].kind);
        free((char *)l->v[i].record);
    }
    free(l->v);
}

static int backoff(const struct alert_email_opts *o, int attempts)
{
    long long d = o->retry_secs > 0 ? o->retry_secs : 60;
    for (int i = 0; i < attempts && d < MAX_BACKOFF; i++)
        d *= 2;
    return (int)(d < MAX_BACKOFF ? d : MAX_BACKOFF);
}

/* Marks the message's deliveries, in one transaction. */
static int mark(struct alert_mailer *m, int ok, time_t now, time_t retry_at, const char *error,
                char *err, size_t errsz)
{
    return alert_mark(m->st, ALERT_CHANNEL_EMAIL, m->ids, m->nids,
                      ok ? ALERT_MARK_DONE : ALERT_MARK_FAILED, ok ? now : retry_at, error, err,
                      errsz);
}

static void on_sent(const struct fetch_result *res, void *arg)
{
    struct alert_mailer *m = arg;
    time_t now = time(NULL);
    char err[512];
    struct alert_mail_report r = {
        .ok = res->ok, .alerts = m->nids, .error = res->error, .resent = m->resent};
    m->busy = 0;
    if (!res->ok) {
        r.retry_at = now + backoff(&m->opts.o, m->attempts);
        m->rest_until = r.retry_at;
    }
    if (mark(m, res->ok, now, r.retry_at, res->error ? res->error : "failed", err, sizeof err) <
        0) {
        /* Sent but not marked: it goes again, with the same Message-ID. */
        r.ok = 0;
        r.error = err;
        m->rest_until = r.retry_at = now + backoff(&m->opts.o, 0);
    }
    if (r.ok && alert_mailer_run(m, &m->opts.o, now, err, sizeof err) == 0)
        r.busy = m->busy;
    if (m->cb)
        m->cb(&r, m->cb_arg);
}

/* Splits "a@x, b@y" into the envelope recipients (pointers into s). */
static size_t split_rcpt(char *s, const char **v, size_t max)
{
    size_t n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(s, ", \t", &save); tok && n < max;
         tok = strtok_r(NULL, ", \t", &save))
        v[n++] = tok;
    return n;
}

static int send_batch(struct alert_mailer *m, const struct due *l, size_t n, time_t now, char *err,
                      size_t errsz)
{
    const struct alert_email_opts *o = &m->opts.o;
    struct buf msg = BUF_INIT;
    char *user = NULL, *password = NULL, *to = NULL;
    const char *rcpt[32];
    int rc = -1;
    int64_t *ids = realloc(m->ids, n * sizeof *ids);
    m->nids = 0;
    if (!ids || !(to = strdup(o->to))) {
        if (ids)
            m->ids = ids;
        pw_err(err, errsz, "out of memory");
        goto done;
    }
    /* Known before anything can fail, so that a failure reschedules them. */
    m->ids = ids;
    m->nids = n;
    m->attempts = l->attempts;
    m->resent = 0;
    for (size_t i = 0; i < n; i++) {
        ids[i] = l->v[i].id;
        m->resent += l->v[i].resend != 0;
    }
    if (o->credentials && alert_credentials_load(o->credentials, &user, &password, err, errsz) < 0)
        goto done;
    if (alert_mail_render(l->v, n, o, now, &msg, err, errsz) < 0)
        goto done;
    struct fetch_mail fm = {.url = o->smtp_url,
                            .from = o->from,
                            .rcpt = rcpt,
                            .nrcpt = split_rcpt(to, rcpt, 32),
                            .username = user,
                            .password = password,
                            .data = msg.data,
                            .len = msg.len,
                            .insecure = o->insecure};
    /* Recorded before any byte can reach the server, so that a crash during
     * the attempt is known at the next one. */
    if (alert_mark(m->st, ALERT_CHANNEL_EMAIL, m->ids, m->nids, ALERT_MARK_SENDING, now, NULL, err,
                   errsz) < 0)
        goto done;
    if (fetch_start_mail(m->fc, &fm, on_sent, m, err, errsz) < 0)
        goto done;
    m->busy = 1;
    rc = 0;
done:
    free(to);
    free(user);
    alert_secret_free(password);
    buf_free(&msg);
    return rc;
}

int alert_mailer_run(struct alert_mailer *m, const struct alert_email_opts *o, time_t now,
                     char *err, size_t errsz)
{
    struct due l = {0};
    int64_t sent_hour;
    time_t last;
    int rc = 0;
    if (m->busy || !o->to || !o->smtp_url || now < m->rest_until)
        return 0;
    if (&m->opts.o != o && opts_set(&m->opts, o) < 0)
        return pw_err(err, errsz, "out of memory");
    o = &m->opts.o;
    if (store_delivery_sent_stats(m->st, ALERT_CHANNEL_EMAIL, now - 3600, &sent_hour, &last, err,
                                  errsz) < 0)
        return -1;
    if (o->max_per_hour > 0 && sent_hour >= o->max_per_hour)
        return 0;
    /* A digest goes when its oldest alert has waited a period; all that is
     * due goes with it, so digests are at least a period apart. */
    if (o->digest_secs > 0) {
        time_t oldest;
        if (store_delivery_oldest_due(m->st, ALERT_CHANNEL_EMAIL, now, &oldest, err, errsz) < 0)
            return -1;
        if (!oldest || now < oldest + o->digest_secs)
            return 0;
    }
    if (store_delivery_due(m->st, ALERT_CHANNEL_EMAIL, now, MAX_BATCH, collect, &l, err, errsz) <
        0) {
        rc = -1;
        goto done;
    }
    if (l.oom) {
        rc = pw_err(err, errsz, "out of memory");
        goto done;
    }
    if (!l.n)
        goto done;
    /* A digest takes all that is due; so does the last message the hourly
     * limit allows, so that nothing waits past the hour behind it. */
    int all = o->digest_secs > 0 || (o->max_per_hour > 0 && sent_hour + 1 >= o->max_per_hour);
    size_t n = all ? l.n : 1;
    if (send_batch(m, &l, n, now, err, errsz) < 0) {
        char e2[256];
        time_t at = now + backoff(o, l.attempts);
        m->rest_until = at;
        if (mark(m, 0, now, at, err, e2, sizeof e2) < 0)
            pw_err(err, errsz, "%s", e2);
        rc = -1;
    }
done:
    due_free(&l);
    return rc;
}
