/*
 * feed_charset: turns feed bytes in whatever charset into UTF-8 before libxml2
 * sees them, so that the entity pre-pass and the parser work on one encoding.
 * Order of authority: byte order mark, HTTP charset, UTF-16/32 byte pattern,
 * XML declaration, then UTF-8. When the chosen charset is unknown or the bytes
 * are not valid in it, the feed is bozo and decoded as UTF-8 or, failing that,
 * windows-1252, which accepts every byte.
 */
#include "fetchers/feed.h"

#include "common/buf.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* windows-1252's 0x80..0x9F; 0 where the code page leaves the byte undefined
 * (those bytes are then kept as the C1 control, as browsers do). */
static const uint16_t cp1252_c1[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

unsigned int feed_cp1252_c1(unsigned int cp)
{
    if (cp >= 0x80 && cp <= 0x9F && cp1252_c1[cp - 0x80])
        return cp1252_c1[cp - 0x80];
    return cp;
}

static int put_utf8(struct buf *b, uint32_t cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return buf_append(b, u, n);
}

int feed_put_utf8(struct buf *b, unsigned int cp)
{
    return put_utf8(b, cp);
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
size_t feed_utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t k;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
        k = 2;
        cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        k = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        k = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (k > n)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return k;
}

#ifdef __SSE2__
#include <emmintrin.h>

/* Bytes of the 16 at p that are valid ASCII or two-byte UTF-8 (Cyrillic,
 * Greek, Latin-1: most feed text) without branching per byte; 0 when the
 * block holds anything else. A lead byte at the end is left for the next
 * block, so that every block starts on a character. */
static size_t block_2byte(const unsigned char *p)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    unsigned hi = (unsigned)_mm_movemask_epi8(v);
    if (!hi)
        return 16;
    /* continuation 0x80..0xBF; lead 0xC2..0xDF (signed compares after bias) */
    __m128i cont = _mm_cmplt_epi8(v, _mm_set1_epi8((char)0xC0));
    cont = _mm_and_si128(cont, _mm_cmplt_epi8(v, _mm_setzero_si128()));
    __m128i lead = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8((char)0xC1)),
                                 _mm_cmplt_epi8(v, _mm_set1_epi8((char)0xE0)));
    unsigned c = (unsigned)_mm_movemask_epi8(cont), l = (unsigned)_mm_movemask_epi8(lead);
    unsigned l_in = l & 0x7FFF; /* a lead in the last byte continues in the next block */
    if ((c | l) != hi || c != ((l_in << 1) & 0xFFFF) || (c & 1))
        return 0;
    return l & 0x8000 ? 15 : 16;
}
#endif

/* Whole-buffer check. Blocks of ASCII and two-byte text are checked 16 bytes
 * at a time where SSE2 exists; anything else byte by byte. */
static int utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
#ifdef __SSE2__
        size_t k;
        if (i + 16 <= n && (k = block_2byte(p + i)) != 0) {
            i += k;
            continue;
        }
        size_t lim = i + 16 < n ? i + 16 : n;
#else
        size_t lim = n;
#endif
        while (i < lim) {
            size_t len = p[i] < 0x80 ? 1 : feed_utf8_len(p + i, n - i);
            if (!len)
                return 0;
            i += len;
        }
    }
    return 1;
}

/* windows-1251 (0x80..0xFF) as glibc's iconv has it; 0 for the one byte it
 * leaves undefined. A table beats iconv's per-character calls severalfold,
 * and Cyrillic feeds in this charset are everyday for our users. */
static const uint16_t cp1251_hi[128] = {
    0x0402, 0x0403, 0x201A, 0x0453, 0x201E, 0x2026, 0x2020, 0x2021, 0x20AC, 0x2030, 0x0409, 0x2039,
    0x040A, 0x040C, 0x040B, 0x040F, 0x0452, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
    0x0000, 0x2122, 0x0459, 0x203A, 0x045A, 0x045C, 0x045B, 0x045F, 0x00A0, 0x040E, 0x045E, 0x0408,
    0x00A4, 0x0490, 0x00A6, 0x00A7, 0x0401, 0x00A9, 0x0404, 0x00AB, 0x00AC, 0x00AD, 0x00AE, 0x0407,
    0x00B0, 0x00B1, 0x0406, 0x0456, 0x0491, 0x00B5, 0x00B6, 0x00B7, 0x0451, 0x2116, 0x0454, 0x00BB,
    0x0458, 0x0405, 0x0455, 0x0457, 0x0410, 0x0411, 0x0412, 0x0413, 0x0414, 0x0415, 0x0416, 0x0417,
    0x0418, 0x0419, 0x041A, 0x041B, 0x041C, 0x041D, 0x041E, 0x041F, 0x0420, 0x0421, 0x0422, 0x0423,
    0x0424, 0x0425, 0x0426, 0x0427, 0x0428, 0x0429, 0x042A, 0x042B, 0x042C, 0x042D, 0x042E, 0x042F,
    0x0430, 0x0431, 0x0432, 0x0433, 0x0434, 0x0435, 0x0436, 0x0437, 0x0438, 0x0439, 0x043A, 0x043B,
    0x043C, 0x043D, 0x043E, 0x043F, 0x0440, 0x0441, 0x0442, 0x0443, 0x0444, 0x0445, 0x0446, 0x0447,
    0x0448, 0x0449, 0x044A, 0x044B, 0x044C, 0x044D, 0x044E, 0x044F};

/* Decodes a single-byte charset whose upper half is hi; 1 when a byte is
 * undefined in it (as iconv would fail), 0, or -1 on OOM. */
static int decode_table(const char *s, size_t n, const uint16_t *hi, struct buf *out)
{
    if (n > (SIZE_MAX - 16) / 3 || buf_grow(out, n * 3) < 0)
        return -1;
    unsigned char *o = (unsigned char *)out->data + out->len;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) {
            *o++ = c;
            continue;
        }
        unsigned cp = hi[c - 0x80];
        if (!cp)
            return 1;
        if (cp < 0x800) {
            *o++ = (unsigned char)(0xC0 | (cp >> 6));
        } else {
            *o++ = (unsigned char)(0xE0 | (cp >> 12));
            *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        }
        *o++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    out->len = (size_t)((char *)o - out->data);
    out->data[out->len] = '\0';
    return 0;
}

static int decode_cp1252(const char *s, size_t n, struct buf *out)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (put_utf8(out, feed_cp1252_c1(c)) < 0)
            return -1;
    }
    return 0;
}

/* Converts with iconv; 0 on success, 1 when the bytes are invalid in that
 * charset or the charset is unknown, -1 on OOM. */
static int convert(const char *cs, const char *s, size_t n, struct buf *out)
{
    if (!strcasecmp(cs, "UTF-8")) {
        if (!utf8_valid(s, n))
            return 1;
        return buf_append(out, s, n);
    }
    if (!strcasecmp(cs, "WINDOWS-1252"))
        return decode_cp1252(s, n, out);
    if (!strcasecmp(cs, "WINDOWS-1251") || !strcasecmp(cs, "CP1251"))
        return decode_table(s, n, cp1251_hi, out);
    iconv_t cd = iconv_open("UTF-8", cs);
    if (cd == (iconv_t)-1)
        return 1;
    int rc = 0;
    char *in = (char *)s;
    size_t inleft = n;
    while (inleft > 0) {
        if (buf_grow(out, inleft * 4 + 16) < 0) {
            rc = -1;
            break;
        }
        char *o = out->data + out->len;
        size_t oleft = out->cap - out->len - 1;
        size_t r = iconv(cd, &in, &inleft, &o, &oleft);
        out->len = (size_t)(o - out->data);
        out->data[out->len] = '\0';
        if (r == (size_t)-1 && errno != E2BIG) {
            rc = 1;
            break;
        }
    }
    iconv_close(cd);
    if (rc == 0 && !utf8_valid(out->data ? out->data : "", out->len))
        rc = 1;
    return rc;
}

/* Python and IANA spellings that glibc's iconv does not know, or that need a
 * byte order we already found. */
static void normalize_charset(const char *in, char *out, size_t outsz)
{
    size_t j = 0;
    for (size_t i = 0; in[i] && j + 1 < outsz; i++)
        out[j++] = (char)tolower((unsigned char)(in[i] == '_' ? '-' : in[i]));
    out[j] = '\0';
    static const struct {
        const char *from, *to;
    } alias[] = {
        {"u8", "utf-8"},
        {"utf8", "utf-8"},
        {"utf", "utf-8"},
        {"utf-8-sig", "utf-8"},
        {"u16", "utf-16"},
        {"utf16", "utf-16"},
        {"u32", "utf-32"},
        {"utf32", "utf-32"},
        {"latin-1", "iso-8859-1"},
        {"latin1", "iso-8859-1"},
        {"iso-latin-1", "iso-8859-1"},
        {"l1", "iso-8859-1"},
        {"cp1252", "windows-1252"},
        {"x-mac-cyrillic", "maccyrillic"},
        {"iso-8859-1", "windows-1252"},
        {"us-ascii", "windows-1252"},
        {"ascii", "windows-1252"},
    };
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
        if (!strcmp(out, alias[i].from)) {
            snprintf(out, outsz, "%s", alias[i].to);
            break;
        }
}

static int is_wide(const char *cs)
{
    return !strncmp(cs, "utf-16", 6) || !strncmp(cs, "utf-32", 6) || !strncmp(cs, "ucs-", 4);
}

/* Reads encoding="..." from an XML declaration in ASCII-compatible bytes. */
static void declared_charset(const char *s, size_t n, char *out, size_t outsz)
{
    out[0] = '\0';
    if (n < 6 || memcmp(s, "<?xml", 5) != 0)
        return;
    const char *end = memchr(s, '>', n < 512 ? n : 512);
    if (!end)
        return;
    for (const char *p = s + 5; p + 8 < end; p++) {
        if (memcmp(p, "encoding", 8) != 0)
            continue;
        p += 8;
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == '='))
            p++;
        if (p >= end || (*p != '"' && *p != '\''))
            return;
        char q = *p++;
        size_t j = 0;
        while (p < end && *p != q && j + 1 < outsz)
            out[j++] = *p++;
        out[j] = '\0';
        return;
    }
}

/* For wide encodings: the ASCII characters of the start, one per code unit. */
static size_t narrow_prefix(const char *s, size_t n, int width, int big, char *out, size_t outsz)
{
    size_t j = 0;
    for (size_t i = 0; i + (size_t)width <= n && j + 1 < outsz; i += (size_t)width) {
        unsigned char c = (unsigned char)s[big ? i + (size_t)width - 1 : i];
        out[j++] = (char)c;
    }
    out[j] = '\0';
    return j;
}

int feed_to_utf8(const char *data, size_t len, const char *http_charset, struct buf *out, int *bozo,
                 int *was_utf8)
{
    *was_utf8 = 0;
    const unsigned char *u = (const unsigned char *)data;
    const char *bom = NULL;
    size_t skip = 0;
    if (len >= 4 && !memcmp(u, "\x00\x00\xFE\xFF", 4))
        bom = "UTF-32BE", skip = 4;
    else if (len >= 4 && !memcmp(u, "\xFF\xFE\x00\x00", 4))
        bom = "UTF-32LE", skip = 4;
    else if (len >= 3 && !memcmp(u, "\xEF\xBB\xBF", 3))
        bom = "UTF-8", skip = 3;
    else if (len >= 2 && !memcmp(u, "\xFE\xFF", 2))
        bom = "UTF-16BE", skip = 2;
    else if (len >= 2 && !memcmp(u, "\xFF\xFE", 2))
        bom = "UTF-16LE", skip = 2;
    data += skip;
    len -= skip;
    u += skip;

    const char *sniff = NULL;
    if (len >= 4) {
        if (!u[0] && !u[1] && !u[2] && u[3])
            sniff = "UTF-32BE";
        else if (u[0] && !u[1] && !u[2] && !u[3])
            sniff = "UTF-32LE";
        else if (!u[0] && u[1] && !u[2])
            sniff = "UTF-16BE";
        else if (u[0] && !u[1] && !u[3])
            sniff = "UTF-16LE";
    }
    const char *family = bom ? bom : sniff;
    char decl[64], cs[64];
    if (family && strcmp(family, "UTF-8") != 0) {
        char head[512];
        int width = family[4] == '3' ? 4 : 2;
        int big = strstr(family, "BE") != NULL;
        size_t hn = narrow_prefix(data, len, width, big, head, sizeof head);
        declared_charset(head, hn, decl, sizeof decl);
    } else {
        declared_charset(data, len, decl, sizeof decl);
    }
    normalize_charset(decl, cs, sizeof cs);

    char httpcs[64] = "";
    if (http_charset && *http_charset)
        normalize_charset(http_charset, httpcs, sizeof httpcs);

    const char *choice;
    if (bom)
        choice = bom;
    else if (httpcs[0])
        choice = httpcs;
    else if (sniff)
        choice = sniff;
    else if (cs[0] && !is_wide(cs))
        choice = cs;
    else
        choice = "UTF-8";

    int rc = convert(choice, data, len, out);
    if (rc <= 0) {
        *was_utf8 = rc == 0 && !strcasecmp(choice, "UTF-8");
        return rc;
    }
    /* the declared or sniffed charset failed: recover, and say so */
    *bozo = 1;
    buf_reset(out);
    rc = convert("UTF-8", data, len, out);
    if (rc <= 0) {
        *was_utf8 = rc == 0;
        return rc;
    }
    buf_reset(out);
    return decode_cp1252(data, len, out);
}
