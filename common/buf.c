#include "common/buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int buf_grow(struct buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1)
        return -1;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = cap;
    return 0;
}

int buf_append(struct buf *b, const void *data, size_t len)
{
    if (buf_grow(b, len) < 0)
        return -1;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int buf_puts(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_putc(struct buf *b, char c)
{
    return buf_append(b, &c, 1);
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0 || buf_grow(b, (size_t)n) < 0)
        return -1;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
        n = 2;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3;
        cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/* Bytes that buf_json_str cannot copy as they are: quote, backslash, control
 * characters, and every non-ASCII byte (checked as UTF-8). */
static int json_special(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
}

#ifdef __SSE2__
#include <emmintrin.h>

/* How many of the 16 bytes at p need no escaping, checked without branching
 * per byte: ASCII other than quote, backslash and controls, and valid
 * two-byte UTF-8 (Cyrillic, Greek: most non-ASCII feed text). 0 when the
 * block holds anything else; a lead byte at the end is left to the next. */
static size_t json_block(const unsigned char *p)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i bad =
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
    /* controls: 0x00..0x1F, signed 0..31 */
    bad = _mm_or_si128(bad, _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(-1)),
                                          _mm_cmplt_epi8(v, _mm_set1_epi8(0x20))));
    if (_mm_movemask_epi8(bad))
        return 0;
    unsigned hi = (unsigned)_mm_movemask_epi8(v);
    if (!hi)
        return 16;
    __m128i cont = _mm_and_si128(_mm_cmplt_epi8(v, _mm_set1_epi8((char)0xC0)),
                                 _mm_cmplt_epi8(v, _mm_setzero_si128()));
    __m128i lead = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8((char)0xC1)),
                                 _mm_cmplt_epi8(v, _mm_set1_epi8((char)0xE0)));
    unsigned c = (unsigned)_mm_movemask_epi8(cont), l = (unsigned)_mm_movemask_epi8(lead);
    if ((c | l) != hi || c != (((l & 0x7FFF) << 1) & 0xFFFF))
        return 0;
    return l & 0x8000 ? 15 : 16;
}
#endif

/* End of the run at p that needs no escaping: 16 bytes at a time where SSE2
 * exists, else (and for a block the fast test refuses) byte by byte. */
static const unsigned char *json_run(const unsigned char *p, const unsigned char *end)
{
    while (p < end) {
#ifdef __SSE2__
        size_t k;
        if (end - p >= 16 && (k = json_block(p)) != 0) {
            p += k;
            continue;
        }
        const unsigned char *lim = end - p > 16 ? p + 16 : end;
#else
        const unsigned char *lim = end;
#endif
        while (p < lim) {
            size_t n = !json_special(*p) ? 1 : *p >= 0x80 ? utf8_seq_len(p) : 0;
            if (!n)
                return p;
            p += n;
        }
    }
    return p;
}

int buf_json_str(struct buf *b, const char *s)
{
    if (!s)
        return buf_puts(b, "null");
    size_t len = strlen(s);
    /* room for the common case (nothing to escape) up front */
    if (buf_grow(b, len + 2) < 0 || buf_putc(b, '"') < 0)
        return -1;
    /* Runs of bytes that need no escaping (valid UTF-8 included) are copied
     * with one append: text is mostly such runs. */
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        const unsigned char *run = p;
        p = json_run(p, end);
        if (p > run && buf_append(b, run, (size_t)(p - run)) < 0)
            return -1;
        if (p >= end)
            break;
        int rc;
        if (*p == '"' || *p == '\\') {
            char esc[2] = {'\\', (char)*p};
            rc = buf_append(b, esc, 2);
        } else if (*p == '\n') {
            rc = buf_append(b, "\\n", 2);
        } else if (*p == '\r') {
            rc = buf_append(b, "\\r", 2);
        } else if (*p == '\t') {
            rc = buf_append(b, "\\t", 2);
        } else if (*p < 0x20) {
            rc = buf_printf(b, "\\u%04x", *p);
        } else {
            rc = buf_append(b, "\xEF\xBF\xBD", 3); /* invalid UTF-8 byte */
        }
        if (rc < 0)
            return -1;
        p++;
    }
    return buf_putc(b, '"');
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void buf_free(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *buf_detach(struct buf *b)
{
    char *p = b->data;
    if (!p)
        p = strdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

int buf_read_file(struct buf *b, const char *path, size_t max, char *err, size_t errsz)
{
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    if (!f)
        return pw_err(err, errsz, "%s: %s", path, strerror(errno));
    size_t start = b->len;
    int rc = 0;
    for (;;) {
        if (buf_grow(b, 65536) < 0) {
            rc = pw_err(err, errsz, "%s: out of memory", path);
            break;
        }
        size_t n = fread(b->data + b->len, 1, 65536, f);
        b->len += n;
        b->data[b->len] = '\0';
        if (b->len - start > max) {
            rc = pw_err(err, errsz, "%s: larger than %zu bytes", path, max);
            break;
        }
        if (n < 65536) {
            if (ferror(f))
                rc = pw_err(err, errsz, "%s: %s", path, strerror(errno));
            break;
        }
    }
    if (!is_stdin)
        fclose(f);
    return rc;
}

int pw_err(char *err, size_t errsz, const char *fmt, ...)
{
    if (err && errsz) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errsz, fmt, ap);
        va_end(ap);
    }
    return -1;
}
