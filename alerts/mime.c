/*
 * mime: encoding helpers for alert emails (RFC 2045 quoted-printable and
 * base64, RFC 2047 encoded words, RFC 5322 dates, HTML escaping). Pure
 * functions on buffers; the message itself is put together in mail_render.c.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alerts/mime.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int mime_base64(struct buf *b, const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)s[i + 1] << 8;
        if (i + 2 < n)
            v |= s[i + 2];
        char q[4] = {b64[(v >> 18) & 63], b64[(v >> 12) & 63], i + 1 < n ? b64[(v >> 6) & 63] : '=',
                     i + 2 < n ? b64[v & 63] : '='};
        if (buf_append(b, q, 4) < 0)
            return -1;
    }
    return 0;
}

/* Plain printable ASCII that no reader could take for an encoded word. */
static int plain_header(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            return 0;
    return strstr(s, "=?") == NULL;
}

int alert_rfc2047(struct buf *b, const char *text, size_t col)
{
    if (plain_header(text)) {
        /* Folded at spaces so that lines stay within 78 characters. */
        for (const char *w = text; *w;) {
            size_t n = strcspn(w + 1, " ") + 1;
            if (*w == ' ' && col + n > 78) {
                if (buf_puts(b, "\r\n") < 0)
                    return -1;
                col = 0;
            }
            if (buf_append(b, w, n) < 0)
                return -1;
            col += n;
            w += n;
        }
        return 0;
    }
    const unsigned char *s = (const unsigned char *)text;
    size_t n = strlen(text), i = 0;
    while (i < n) {
        /* Encoded words are at most 75 bytes, lines at most 76 (RFC 2047 2). */
        size_t room = (col + 75 > 76 ? 76 - col : 75) - 12;
        size_t take = room / 4 * 3;
        if (take > n - i)
            take = n - i;
        /* Never cut a UTF-8 sequence: back up to the start of a character. */
        while (take > 0 && i + take < n && (s[i + take] & 0xc0) == 0x80)
            take--;
        if (take == 0) /* a lone continuation run longer than a word: cut anyway */
            take = room / 4 * 3;
        if (buf_puts(b, "=?UTF-8?B?") < 0 || mime_base64(b, s + i, take) < 0 ||
            buf_puts(b, "?=") < 0)
            return -1;
        i += take;
        if (i < n) {
            if (buf_puts(b, "\r\n ") < 0)
                return -1;
            col = 1;
        }
    }
    return 0;
}

/* One soft line break keeps encoded lines within 76 characters. */
static int qp_room(struct buf *b, size_t *col, size_t need)
{
    if (*col + need <= 75)
        return 0;
    *col = 0;
    return buf_puts(b, "=\r\n");
}

int mime_qp(struct buf *b, const char *text)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t col = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        int rc;
        if (*p == '\n') {
            rc = buf_puts(b, "\r\n");
            col = 0;
        } else if (*p == '\r') {
            continue;
        } else if ((*p >= 33 && *p <= 126 && *p != '=') ||
                   ((*p == ' ' || *p == '\t') && p[1] && p[1] != '\n' && p[1] != '\r')) {
            /* Trailing white space would be stripped in transit: encoded. */
            rc = qp_room(b, &col, 1) | buf_putc(b, (char)*p);
            col++;
        } else {
            char e[3] = {'=', hex[*p >> 4], hex[*p & 15]};
            rc = qp_room(b, &col, 3) | buf_append(b, e, 3);
            col += 3;
        }
        if (rc)
            return -1;
    }
    return 0;
}

int mime_html(struct buf *b, const char *s)
{
    for (; s && *s; s++) {
        int rc;
        switch (*s) {
        case '<':
            rc = buf_puts(b, "&lt;");
            break;
        case '>':
            rc = buf_puts(b, "&gt;");
            break;
        case '&':
            rc = buf_puts(b, "&amp;");
            break;
        case '"':
            rc = buf_puts(b, "&quot;");
            break;
        case '\'':
            rc = buf_puts(b, "&#39;");
            break;
        default:
            rc = buf_putc(b, *s);
        }
        if (rc)
            return -1;
    }
    return 0;
}

int mime_date(struct buf *b, time_t t)
{
    /* By hand: strftime's %a and %b follow the locale, RFC 5322 does not. */
    static const char days[][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return -1;
    return buf_printf(b, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
                      months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}
