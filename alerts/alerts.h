/*
 * alerts: builds alert records and delivers the outbox to its channels.
 *
 * An alert is written to the store's outbox (store_alert_add) in the same
 * transaction as its cause, with one delivery row per channel. Each channel
 * then sends what is due on its own and marks it, so a crash loses nothing
 * and one failing channel never holds up another:
 *
 * - "log": syslog(3) and/or stderr, one key=value line per alert, severity
 *   by kind; with libsystemd the same fields go to journald instead of
 *   syslog(3) (PRESSWATCH_KIND=, PRESSWATCH_CANONICAL=, ...).
 * - "email": MIME messages through SMTP on the fetch client's loop, one per
 *   alert or one digest per period, rate-limited, retried with exponential
 *   backoff (alert_mailer_*).
 * - "file": one line per alert appended to a file, exactly once even across
 *   a crash between writing and marking (alerts_deliver_file).
 */
#ifndef PW_ALERTS_ALERTS_H
#define PW_ALERTS_ALERTS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"

struct store;
struct fetch_client;

#define ALERT_CHANNEL_LOG "log"
#define ALERT_CHANNEL_EMAIL "email"
#define ALERT_CHANNEL_FILE "file"
#define ALERT_CHANNELS_MAX 3 /* log, email, file */

/* Appends " key=value" to b (no leading space when b is empty), quoting the
 * value with "" and escaping \ and " when it holds spaces, quotes, '=' or
 * control characters; control characters become spaces. NULL values are
 * skipped. Returns 0 or -1 on OOM. */
int alert_kv(struct buf *b, const char *key, const char *value);

/* ---- records ---- */

struct alert_field {
    const char *key, *value; /* unquoted */
};
/* A record "kind key=value ..." split into its fields. Owns its strings. */
struct alert_fields {
    const char *kind;
    struct alert_field *v;
    size_t n;
    char *mem;
};
/* 0, or -1 when memory ran out. Malformed parts are kept as best it can. */
int alert_fields_parse(const char *record, struct alert_fields *out);
void alert_fields_free(struct alert_fields *f); /* accepts a zeroed struct */
/* The value of key, or NULL. */
const char *alert_fields_get(const struct alert_fields *f, const char *key);

/* syslog priority of an alert kind: feed-error is a warning, feed-recovered
 * info, the rest (coverage, changed) notices. */
int alert_severity(const char *kind);

/* ---- log channel ---- */

struct alert_sinks {
    int to_syslog; /* syslog(3); the caller has called openlog() */
    int to_stderr;
    int to_journal;    /* journald with fields (libsystemd builds); replaces syslog(3),
                          whose lines journald would otherwise get twice */
    const char *ident; /* SYSLOG_IDENTIFIER of journal records (NULL: presswatchd) */
    int facility;      /* SYSLOG_FACILITY of journal records, e.g. LOG_DAEMON */
};

struct alert_log_result {
    int delivered; /* lines written and marked */
    int resent;    /* of them, written again after a crash cut off their first
                    * delivery: syslog may hold them twice */
};

/* Delivers every due "log" delivery (up to 1,000) to the sinks: records
 * them in flight, writes them, marks them done, each step for all at once.
 * Fills *res. 0, or -1 with err when the store failed (nothing is marked
 * done then; the next call writes those alerts again, counted as resent). */
int alerts_deliver(struct store *st, const struct alert_sinks *sinks, time_t now,
                   struct alert_log_result *res, char *err, size_t errsz);

/* The journald fields of one alert, each "NAME=value" (MESSAGE, PRIORITY,
 * SYSLOG_IDENTIFIER, SYSLOG_FACILITY, PRESSWATCH_KIND and PRESSWATCH_<KEY>
 * for every key of the record, upper-cased, '-' as '_'), separated by '\n'
 * in out (values never hold one). 0 or -1 on OOM. */
int alert_journal_fields(const char *kind, const char *record, const char *ident, int facility,
                         struct buf *out);

/* 1 when journald's socket is there to write to. */
int alert_journal_available(void);

/* ---- file channel ---- */

/* Appends every pending "file" delivery to path as its record followed by
 * " alert_id=N" and a newline, fsyncs, then marks them done. First it reads
 * the file's tail: pending alerts already there (written before a crash or
 * a failed mark) are only marked, and a torn last line is cut off. Sets
 * *delivered to how many were marked. 0, or -1 with err (what was written
 * and marked before stays so; the rest is retried by the next call). */
int alerts_deliver_file(struct store *st, const char *path, time_t now, int *delivered, char *err,
                        size_t errsz);

/* ---- email channel ---- */

struct alert_email_opts {
    const char *to;          /* recipients, comma-separated */
    const char *from;        /* From: and envelope sender */
    const char *smtp_url;    /* smtp:// (STARTTLS) or smtps:// */
    const char *credentials; /* file holding user:password (mode 0600 or stricter); NULL: no AUTH */
    int insecure;            /* smtp:// may go without STARTTLS when the server offers none */
    int digest_secs;         /* 0: one message per alert; else at most one per period */
    int max_per_hour;        /* messages per hour (0: no limit); beyond it alerts wait and the
                                next message carries all of them */
    int retry_secs;          /* first retry delay, doubling per attempt up to 6 h (0: 60) */
    const char *id_salt;     /* makes Message-IDs unique per database (its path); nullable */
};

/* One alert in a message. */
struct alert_mail_item {
    int64_t id;
    const char *kind;
    const char *record;
    int resend; /* an earlier attempt was cut off after it may have reached the server */
};

/* Renders the RFC 5322 message for items[0..n) (n > 1: a digest): UTF-8
 * subject in RFC 2047 words, Date, a Message-ID derived from the alert ids
 * (the same alerts always give the same id, so a resend after a crash is
 * recognisable), multipart/alternative text/plain + text/html in
 * quoted-printable, CRLF line ends. 0, or -1 with err. */
int alert_mail_render(const struct alert_mail_item *items, size_t n,
                      const struct alert_email_opts *o, time_t now, struct buf *out, char *err,
                      size_t errsz);

/* Appends text as a header value: as is when it is printable ASCII, else as
 * RFC 2047 B-encoded UTF-8 words of at most 75 bytes, folded with CRLF SP,
 * never splitting a character. col is the column where text starts. */
int alert_rfc2047(struct buf *b, const char *text, size_t col);

/* Reads "user:password" (first line) from path, refusing a file that group
 * or others may read, and saying why. The caller frees both (the password
 * with alert_secret_free). 0 or -1 with err. */
int alert_credentials_load(const char *path, char **user, char **password, char *err, size_t errsz);
void alert_secret_free(char *secret); /* wipes, then frees; accepts NULL */

struct alert_mailer;

/* What a finished SMTP transfer did, for the caller to log. */
struct alert_mail_report {
    int ok;
    size_t alerts;     /* in the message */
    const char *error; /* when !ok */
    time_t retry_at;   /* when !ok */
    int busy;          /* another message went out right away */
    size_t resent;     /* alerts in it whose earlier attempt was cut off: the
                        * receiver may hold them twice, under one Message-ID */
};
typedef void (*alert_mailer_cb)(const struct alert_mail_report *r, void *arg);

/* The mailer sends on fc (which must outlive it, or be freed first: then no
 * callback comes) and marks deliveries in st. cb (nullable) hears of every
 * finished transfer. */
int alert_mailer_new(struct store *st, struct fetch_client *fc, alert_mailer_cb cb, void *arg,
                     struct alert_mailer **out, char *err, size_t errsz);
void alert_mailer_free(struct alert_mailer *m); /* accepts NULL */

/* Starts sending due email deliveries under o (copied): one message at a
 * time; after a success the next due one follows at once, after a failure
 * the channel rests until the backoff ends. 0 (also when nothing was due or
 * it is busy), or -1 with err when a message could not even be started (its
 * deliveries are then rescheduled). */
int alert_mailer_run(struct alert_mailer *m, const struct alert_email_opts *o, time_t now,
                     char *err, size_t errsz);
/* 1 while a message is in flight; 0 for NULL. */
int alert_mailer_busy(const struct alert_mailer *m);

#endif
