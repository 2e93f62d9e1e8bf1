/*
 * page_charset: which charset a page is in, and its bytes as clean UTF-8.
 * Order: the HTTP header, then <meta charset> / <meta http-equiv>, then
 * detection. A declaration the bytes contradict (invalid UTF-8 declared as
 * UTF-8, or valid multi-byte UTF-8 declared as a single-byte charset) is
 * overridden by detection, because lying servers are common and the text is
 * what matters. We decode ourselves (iconv) so that one bad byte becomes
 * U+FFFD instead of stopping libxml2's conversion mid-page.
 */
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>

#include "fetchers/page_int.h"

#define META_SCAN_BYTES (64u * 1024) /* where <meta charset> may hide */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t k;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        k = 2, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        k = 3, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        k = 4, min = 0x10000;
    else
        return 0;
    if (n < k)
        return 0;
    unsigned cp = c & (0x3F >> (k - 1));
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return k;
}

/* Counts invalid and multi-byte UTF-8 sequences. */
static void utf8_stats(const unsigned char *s, size_t n, size_t *bad, size_t *multi)
{
    *bad = *multi = 0;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(s + i, n - i);
        if (!k) {
            ++*bad;
            i++;
            continue;
        }
        *multi += k > 1;
        i += k;
    }
}

static int is_utf8_name(const char *c)
{
    return !strcasecmp(c, "utf-8") || !strcasecmp(c, "utf8");
}

/* Copies a charset token (letters, digits, -_.:) into name. */
static void take_token(const char *p, const char *end, char *name, size_t namesz)
{
    size_t k = 0;
    while (p < end && (*p == ' ' || *p == '"' || *p == '\'' || *p == '='))
        p++;
    while (p < end && k + 1 < namesz &&
           (isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.' || *p == ':'))
        name[k++] = *p++;
    name[k] = '\0';
}

/* Finds needle case-insensitively in [p, end). */
static const char *find_ci(const char *p, const char *end, const char *needle)
{
    size_t n = strlen(needle);
    for (; p + n <= end; p++)
        if (!strncasecmp(p, needle, n))
            return p;
    return NULL;
}

/* The charset of the first <meta charset=X> or <meta http-equiv content=
 * "...; charset=X"> in the head, into name ("" when none). */
static void meta_charset(const char *html, size_t len, char *name, size_t namesz)
{
    const char *end = html + (len < META_SCAN_BYTES ? len : META_SCAN_BYTES);
    name[0] = '\0';
    for (const char *p = html; (p = find_ci(p, end, "<meta")) != NULL; p += 5) {
        const char *gt = memchr(p, '>', (size_t)(end - p));
        if (!gt)
            return;
        const char *cs = find_ci(p, gt, "charset");
        if (!cs)
            continue;
        take_token(cs + 7, gt, name, namesz);
        if (name[0])
            return;
    }
}

/* Guesses a single-byte charset from byte statistics. Cyrillic words are
 * runs of high bytes; in windows-1251 lower-case letters are 0xE0-0xFF, in
 * KOI8-R 0xC0-0xDF. Western text has isolated accented letters instead. */
static const char *guess_legacy(const unsigned char *s, size_t n)
{
    size_t pairs = 0, high = 0, upper_half = 0, lower_half = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0xC0)
            continue;
        high++;
        if (s[i] >= 0xE0)
            upper_half++;
        else
            lower_half++;
        if (i + 1 < n && s[i + 1] >= 0xC0)
            pairs++;
    }
    if (high == 0 || pairs * 3 < high)
        return "windows-1252";
    return upper_half >= lower_half ? "windows-1251" : "koi8-r";
}

static int put_replacement(struct buf *out)
{
    return buf_append(out, "\xEF\xBF\xBD", 3);
}

/* Copies UTF-8, replacing invalid bytes and NULs. */
static int copy_utf8(const unsigned char *s, size_t n, struct buf *out)
{
    if (buf_grow(out, n + 16) < 0)
        return -1;
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(s + i, n - i);
        if (!k) {
            if (put_replacement(out) < 0)
                return -1;
            i++;
            continue;
        }
        if (s[i] == 0) {
            if (buf_putc(out, ' ') < 0)
                return -1;
        } else if (buf_append(out, s + i, k) < 0) {
            return -1;
        }
        i += k;
    }
    return 0;
}

/* Converts with iconv; a byte it cannot convert becomes U+FFFD. */
static int convert(const char *from, const char *s, size_t n, struct buf *out)
{
    iconv_t cd = iconv_open("UTF-8", from);
    if (cd == (iconv_t)-1)
        return 1; /* unknown charset: caller falls back */
    char *in = (char *)s;
    size_t left = n;
    int rc = 0;
    while (left > 0) {
        if (buf_grow(out, left * 3 + 16) < 0) {
            rc = -1;
            break;
        }
        char *o = out->data + out->len;
        size_t room = out->cap - out->len - 1;
        size_t r = iconv(cd, &in, &left, &o, &room);
        out->len = (size_t)(o - out->data);
        out->data[out->len] = '\0';
        if (r == (size_t)-1 && errno != E2BIG) {
            if (put_replacement(out) < 0) {
                rc = -1;
                break;
            }
            in++, left--; /* EILSEQ or a truncated last sequence */
        }
    }
    iconv_close(cd);
    if (rc == 0)
        for (size_t i = 0; i < out->len; i++)
            if (out->data[i] == '\0')
                out->data[i] = ' ';
    return rc;
}

int page_decode(const char *html, size_t len, const char *http_charset, struct buf *out, char *name,
                size_t namesz, char *err, size_t errsz)
{
    const unsigned char *s = (const unsigned char *)html;
    char declared[64] = "";
    size_t bad, multi;

    if (http_charset && *http_charset)
        take_token(http_charset, http_charset + strlen(http_charset), declared, sizeof declared);
    if (!declared[0])
        meta_charset(html, len, declared, sizeof declared);
    utf8_stats(s, len, &bad, &multi);

    /* A few stray bytes in a UTF-8 page are damage, not another charset. */
    int looks_utf8 = bad == 0 || bad * 50 < multi;
    const char *use;
    if (declared[0] && !is_utf8_name(declared) && !(multi > 0 && bad == 0))
        use = declared;
    else if (looks_utf8)
        use = "UTF-8";
    else
        use = guess_legacy(s, len);

    if (!is_utf8_name(use)) {
        int r = convert(use, html, len, out);
        if (r < 0)
            return pw_err(err, errsz, "page: out of memory");
        if (r == 0) {
            snprintf(name, namesz, "%s", use);
            return 0;
        }
        /* An unknown declared name: trust the bytes instead. */
        buf_reset(out);
        use = looks_utf8 ? "UTF-8" : guess_legacy(s, len);
        if (!is_utf8_name(use)) {
            if (convert(use, html, len, out) != 0)
                return pw_err(err, errsz, "page: cannot decode as %s", use);
            snprintf(name, namesz, "%s", use);
            return 0;
        }
    }
    if (copy_utf8(s, len, out) < 0)
        return pw_err(err, errsz, "page: out of memory");
    snprintf(name, namesz, "UTF-8");
    return 0;
}
