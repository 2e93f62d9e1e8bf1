/*
 * mail_render: one alert (or a digest of several) as an RFC 5322 message,
 * multipart/alternative with a text/plain and a text/html part. Everything
 * shown comes from the alert's key=value record; all of it is escaped.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/mime.h"

/* Labels for the record's keys, in the order they are shown; other keys
 * follow under their own name. */
static const struct {
    const char *key, *label;
} labels[] = {
    {"canonical", "Canonical text"},
    {"title", "Title"},
    {"url", "Link"},
    {"feed", "Feed"},
    {"score", "Score"},
    {"lang", "Language"},
    {"paragraphs", "Paragraphs"},
    {"passages", "Passages"},
    {"version", "Version"},
    {"added", "Words added"},
    {"removed", "Words removed"},
    {"diff", "What changed"},
    {"failures", "Failures"},
    {"status", "HTTP status"},
    {"error", "Error"},
};
#define NLABELS (sizeof labels / sizeof labels[0])

static const char *label_of(const char *key)
{
    for (size_t i = 0; i < NLABELS; i++)
        if (!strcmp(labels[i].key, key))
            return labels[i].label;
    return key;
}

/* Known keys first in table order, then the rest in record order. */
static size_t rank(const char *key)
{
    for (size_t i = 0; i < NLABELS; i++)
        if (!strcmp(labels[i].key, key))
            return i;
    return NLABELS;
}

static const char *or_else(const char *a, const char *b)
{
    return a ? a : b;
}

static int headline(struct buf *b, const struct alert_fields *f)
{
    const char *what =
        or_else(alert_fields_get(f, "title"), or_else(alert_fields_get(f, "url"), "?"));
    const char *feed = or_else(alert_fields_get(f, "feed"), "?");
    if (!strcmp(f->kind, "coverage"))
        return buf_printf(b, "coverage of %s: %s", or_else(alert_fields_get(f, "canonical"), "?"),
                          what);
    if (!strcmp(f->kind, "changed"))
        return buf_printf(b, "changed: %s", what);
    if (!strcmp(f->kind, "feed-error"))
        return buf_printf(b, "feed %s is failing", feed);
    if (!strcmp(f->kind, "feed-recovered"))
        return buf_printf(b, "feed %s recovered", feed);
    return buf_printf(b, "%s", f->kind);
}

static int text_part(struct buf *b, const struct alert_fields *f, const char *record)
{
    int rc = headline(b, f) | buf_puts(b, "\n\n");
    for (size_t r = 0; r <= NLABELS; r++)
        for (size_t i = 0; i < f->n; i++)
            if (rank(f->v[i].key) == r)
                rc |= buf_printf(b, "%s: %s\n", label_of(f->v[i].key), f->v[i].value);
    return rc | buf_printf(b, "\nRecord: %s\n", record);
}

/* A diff summary (-"old words" +"new words"; ...) with its parts marked. */
static int html_diff(struct buf *b, const char *s)
{
    int rc = 0;
    while (*s && !rc) {
        if ((*s == '-' || *s == '+') && s[1] == '"') {
            const char *end = strchr(s + 2, '"');
            if (end) {
                char *words = strndup(s + 2, (size_t)(end - s - 2));
                if (!words)
                    return -1;
                rc |= buf_puts(b, *s == '-' ? "<del style=\"background:#fdd\">"
                                            : "<ins style=\"background:#dfd\">");
                rc |= mime_html(b, words) | buf_puts(b, *s == '-' ? "</del>" : "</ins>");
                free(words);
                s = end + 1;
                continue;
            }
        }
        char c[2] = {*s++, '\0'};
        rc |= mime_html(b, c);
    }
    return rc;
}

static int is_web_url(const char *u)
{
    return u && (!strncmp(u, "https://", 8) || !strncmp(u, "http://", 7));
}

static int html_part(struct buf *b, const struct alert_fields *f)
{
    struct buf h = BUF_INIT;
    int rc = headline(&h, f);
    rc |= buf_puts(b, "<h2 style=\"font-size:1.1em\">") | mime_html(b, h.data) |
          buf_puts(b, "</h2>\n");
    buf_free(&h);
    const char *url = alert_fields_get(f, "url");
    rc |= buf_puts(b, "<table cellpadding=\"3\">\n");
    for (size_t r = 0; r <= NLABELS; r++)
        for (size_t i = 0; i < f->n; i++) {
            const struct alert_field *v = &f->v[i];
            if (rank(v->key) != r)
                continue;
            rc |= buf_puts(b, "<tr><th align=\"left\" valign=\"top\">") |
                  mime_html(b, label_of(v->key)) | buf_puts(b, "</th><td>");
            if (!strcmp(v->key, "diff")) {
                rc |= html_diff(b, v->value);
            } else if (!strcmp(v->key, "passages")) {
                rc |= buf_puts(b, "<blockquote>") | mime_html(b, v->value) |
                      buf_puts(b, "</blockquote>");
            } else if (!strcmp(v->key, "url") && is_web_url(url)) {
                rc |= buf_puts(b, "<a href=\"") | mime_html(b, url) | buf_puts(b, "\">") |
                      mime_html(b, url) | buf_puts(b, "</a>");
            } else {
                rc |= mime_html(b, v->value);
            }
            rc |= buf_puts(b, "</td></tr>\n");
        }
    return rc | buf_puts(b, "</table>\n");
}

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603u;
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

/* The right-hand side of Message-ID: the sender's domain. */
static int put_domain(struct buf *b, const char *from)
{
    const char *at = from ? strrchr(from, '@') : NULL;
    if (!at || !at[1])
        return buf_puts(b, "presswatch.invalid");
    for (const char *p = at + 1; *p; p++)
        if (*p != '>' && *p > ' ' && *p < 0x7f && buf_putc(b, *p) < 0)
            return -1;
    return 0;
}

static int subject(struct buf *b, const struct alert_mail_item *it, size_t n,
                   const struct alert_fields *first)
{
    struct buf s = BUF_INIT;
    int rc = buf_puts(&s, "[presswatch] ");
    if (n == 1) {
        rc |= headline(&s, first);
    } else {
        static const char *const kinds[] = {"coverage", "changed", "feed-error", "feed-recovered"};
        rc |= buf_printf(&s, "digest: %zu alerts (", n);
        const char *sep = "";
        for (size_t k = 0; k < 4; k++) {
            size_t c = 0;
            for (size_t i = 0; i < n; i++)
                c += !strcmp(it[i].kind, kinds[k]);
            if (c) {
                rc |= buf_printf(&s, "%s%zu %s", sep, c, kinds[k]);
                sep = ", ";
            }
        }
        rc |= buf_putc(&s, ')');
    }
    rc |= buf_puts(b, "Subject: ") | (rc ? -1 : alert_rfc2047(b, s.data, 9)) | buf_puts(b, "\r\n");
    buf_free(&s);
    return rc;
}

static int headers(struct buf *b, const struct alert_mail_item *it, size_t n,
                   const struct alert_fields *first, const struct alert_email_opts *o, time_t now,
                   const char *boundary)
{
    int rc = buf_printf(b, "From: %s\r\nTo: %s\r\n", o->from, o->to);
    rc |= subject(b, it, n, first);
    rc |= buf_puts(b, "Date: ") | mime_date(b, now);
    /* Derived from the alerts, not the time: a resend after a crash between
     * the server's 250 and our bookkeeping carries the same Message-ID. */
    if (n == 1)
        rc |= buf_printf(b, "\r\nMessage-ID: <presswatch.alert-%lld.%016llx@", (long long)it[0].id,
                         (unsigned long long)fnv(o->id_salt));
    else
        rc |= buf_printf(b, "\r\nMessage-ID: <presswatch.digest-%lld-%lld-%zu.%016llx@",
                         (long long)it[0].id, (long long)it[n - 1].id, n,
                         (unsigned long long)fnv(o->id_salt));
    rc |= put_domain(b, o->from) | buf_puts(b, ">\r\nX-Presswatch-Alerts:");
    for (size_t i = 0; i < n; i++)
        rc |= buf_printf(b, "%s%lld", i && i % 12 == 0 ? "\r\n " : " ", (long long)it[i].id);
    rc |= buf_puts(b, "\r\nAuto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n");
    rc |= buf_printf(b, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n", boundary);
    return rc;
}

int alert_mail_render(const struct alert_mail_item *items, size_t n,
                      const struct alert_email_opts *o, time_t now, struct buf *out, char *err,
                      size_t errsz)
{
    if (!n || !o->from || !o->to)
        return pw_err(err, errsz, "mail: nothing to send, or no sender or recipient");
    if (strpbrk(o->from, "\r\n") || strpbrk(o->to, "\r\n"))
        return pw_err(err, errsz, "mail: line break in an address");
    struct alert_fields *f = calloc(n, sizeof *f);
    struct buf text = BUF_INIT, html = BUF_INIT;
    char boundary[64];
    int rc = f ? 0 : -1;
    for (size_t i = 0; i < n && !rc; i++)
        rc = alert_fields_parse(items[i].record, &f[i]);
    if (rc)
        goto done;
    /* "=_" never occurs in quoted-printable, so the boundary cannot either. */
    snprintf(boundary, sizeof boundary, "=_presswatch_%lld_%zu", (long long)items[0].id, n);
    rc |= buf_puts(&html, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head>"
                          "<body style=\"font-family:sans-serif\">\n");
    if (n > 1) {
        rc |= buf_printf(&text, "%zu alerts\n\n", n);
        rc |= buf_printf(&html, "<p>%zu alerts</p>\n", n);
    }
    for (size_t i = 0; i < n; i++) {
        if (i) {
            rc |= buf_puts(&text, "\n----------------------------------------\n\n");
            rc |= buf_puts(&html, "<hr>\n");
        }
        rc |= text_part(&text, &f[i], items[i].record) | html_part(&html, &f[i]);
    }
    rc |= buf_puts(&html, "<p style=\"color:#666;font-size:0.8em\">presswatch</p></body></html>\n");
    rc |= headers(out, items, n, &f[0], o, now, boundary);
    rc |= buf_printf(out,
                     "--%s\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                     "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
                     boundary);
    rc |= mime_qp(out, text.data ? text.data : "");
    rc |= buf_printf(out,
                     "\r\n--%s\r\nContent-Type: text/html; charset=UTF-8\r\n"
                     "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
                     boundary);
    rc |= mime_qp(out, html.data ? html.data : "");
    rc |= buf_printf(out, "\r\n--%s--\r\n", boundary);
done:
    for (size_t i = 0; f && i < n; i++)
        alert_fields_free(&f[i]);
    free(f);
    buf_free(&text);
    buf_free(&html);
    return rc ? pw_err(err, errsz, "mail: out of memory") : 0;
}
