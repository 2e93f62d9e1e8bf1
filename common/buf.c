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

int buf_json_str(struct buf *b, const char *s)
{
    if (!s)
        return buf_puts(b, "null");
    if (buf_putc(b, '"') < 0)
        return -1;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int rc = 0;
        if (*p == '"' || *p == '\\') {
            char esc[2] = {'\\', (char)*p};
            rc = buf_append(b, esc, 2);
            p++;
        } else if (*p < 0x20) {
            switch (*p) {
            case '\n':
                rc = buf_puts(b, "\\n");
                break;
            case '\r':
                rc = buf_puts(b, "\\r");
                break;
            case '\t':
                rc = buf_puts(b, "\\t");
                break;
            default:
                rc = buf_printf(b, "\\u%04x", *p);
            }
            p++;
        } else {
            size_t n = utf8_seq_len(p);
            if (n == 0) {
                rc = buf_puts(b, "\xEF\xBF\xBD");
                p++;
            } else {
                rc = buf_append(b, p, n);
                p += n;
            }
        }
        if (rc < 0)
            return -1;
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
