/*
 * Reads back the matcher's detail JSON (match_result_json) stored with each
 * match. A small reader for that one shape rather than a JSON library: the
 * writer is ours, and anything unexpected is skipped, not trusted.
 */
#include "cli/report.h"

#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"

#define MAX_DEPTH 32

struct jp {
    const char *s;
    int bad;
};

static void ws(struct jp *p)
{
    while (*p->s == ' ' || *p->s == '\n' || *p->s == '\t' || *p->s == '\r')
        p->s++;
}

static int eat(struct jp *p, char c)
{
    ws(p);
    if (*p->s != c)
        return 0;
    p->s++;
    return 1;
}

static int put_utf8(struct buf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
    } else {
        u[0] = (char)(0xf0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), u[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
    }
    return buf_append(b, u, n);
}

static int hex4(const char *s, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                            : 16u;
        if (d > 15)
            return -1;
        *v = *v << 4 | d;
    }
    return 0;
}

/* A string literal, decoded; *out malloc'd (NULL: only skip it). */
static int str(struct jp *p, char **out)
{
    struct buf b = BUF_INIT;
    int rc = 0;
    if (!eat(p, '"'))
        goto bad;
    while (*p->s && *p->s != '"') {
        const char *q = p->s;
        while (*q && *q != '"' && *q != '\\')
            q++;
        rc |= out ? buf_append(&b, p->s, (size_t)(q - p->s)) : 0;
        p->s = q;
        if (*q != '\\')
            continue;
        unsigned cp;
        char c = q[1];
        static const char esc[] = "\"\\/bfnrt", map[] = "\"\\/\b\f\n\r\t";
        const char *simple = strchr(esc, c);
        if (c && simple) {
            rc |= out ? buf_putc(&b, map[simple - esc]) : 0;
            p->s += 2;
        } else if (c == 'u' && hex4(q + 2, &cp) == 0) {
            p->s += 6;
            unsigned lo;
            if (cp >= 0xd800 && cp < 0xdc00 && p->s[0] == '\\' && p->s[1] == 'u' &&
                hex4(p->s + 2, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                p->s += 6;
            } else if (cp >= 0xd800 && cp < 0xe000) {
                cp = 0xfffd;
            }
            rc |= out ? put_utf8(&b, cp) : 0;
        } else {
            goto bad;
        }
    }
    if (!eat(p, '"') || rc)
        goto bad;
    if (out && !(*out = buf_detach(&b)))
        goto bad;
    return 0;
bad:
    buf_free(&b);
    p->bad = 1;
    return -1;
}

static double num(struct jp *p)
{
    char *end;
    ws(p);
    double v = strtod(p->s, &end);
    if (end == p->s)
        p->bad = 1;
    p->s = end;
    return v;
}

static int boolean(struct jp *p)
{
    ws(p);
    if (!strncmp(p->s, "true", 4)) {
        p->s += 4;
        return 1;
    }
    if (!strncmp(p->s, "false", 5) || !strncmp(p->s, "null", 4)) {
        p->s += *p->s == 'f' ? 5 : 4;
        return 0;
    }
    p->bad = 1;
    return 0;
}

static void skip_value(struct jp *p, int depth)
{
    ws(p);
    char c = *p->s;
    if (depth > MAX_DEPTH) {
        p->bad = 1;
    } else if (c == '"') {
        str(p, NULL);
    } else if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        p->s++;
        if (eat(p, close))
            return;
        do {
            if (c == '{' && (str(p, NULL) < 0 || !eat(p, ':')))
                p->bad = 1;
            if (!p->bad)
                skip_value(p, depth + 1);
        } while (!p->bad && eat(p, ','));
        if (!eat(p, close))
            p->bad = 1;
    } else if (c == 't' || c == 'f' || c == 'n') {
        boolean(p);
    } else {
        num(p);
    }
}

/* Calls item for each element of an array (empty arrays and null allowed). */
static void array(struct jp *p, void (*item)(struct jp *, void *), void *arg)
{
    ws(p);
    if (!strncmp(p->s, "null", 4)) {
        p->s += 4;
        return;
    }
    if (!eat(p, '['))
        goto bad;
    if (eat(p, ']'))
        return;
    do
        item(p, arg);
    while (!p->bad && eat(p, ','));
    if (!p->bad && eat(p, ']'))
        return;
bad:
    p->bad = 1;
}

static int grow(void **v, size_t n, size_t size)
{
    if (n & (n - 1) && n) /* capacity doubles at powers of two */
        return 0;
    void *nv = realloc(*v, (n ? n * 2 : 4) * size);
    if (!nv)
        return -1;
    *v = nv;
    return 0;
}

static void paragraph_item(struct jp *p, void *arg)
{
    struct match_result *r = arg;
    double v = num(p);
    if (p->bad || grow((void **)&r->paragraphs, r->nparagraphs, sizeof *r->paragraphs) < 0) {
        p->bad = 1;
        return;
    }
    r->paragraphs[r->nparagraphs++] = (int)v;
}

static void change_item(struct jp *p, void *arg)
{
    struct match_passage *m = arg;
    char *s = NULL;
    if (str(p, &s) < 0 || grow((void **)&m->changes, m->nchanges, sizeof *m->changes) < 0) {
        free(s);
        p->bad = 1;
        return;
    }
    m->changes[m->nchanges++] = s;
}

static void passage_item(struct jp *p, void *arg)
{
    struct match_result *r = arg;
    if (grow((void **)&r->passages, r->npassages, sizeof *r->passages) < 0 || !eat(p, '{')) {
        p->bad = 1;
        return;
    }
    struct match_passage *m = &r->passages[r->npassages++];
    memset(m, 0, sizeof *m);
    if (eat(p, '}'))
        return;
    do {
        char *key = NULL, *v = NULL;
        if (str(p, &key) < 0 || !eat(p, ':')) {
            free(key);
            p->bad = 1;
            return;
        }
        if (!strcmp(key, "paragraph"))
            m->paragraph = (int)num(p);
        else if (!strcmp(key, "canonical") && !m->canonical)
            str(p, &m->canonical);
        else if (!strcmp(key, "article") && !m->article)
            str(p, &m->article);
        else if (!strcmp(key, "attributed"))
            m->attributed = boolean(p);
        else if (!strcmp(key, "altered"))
            m->altered = boolean(p);
        else if (!strcmp(key, "changes") && !m->nchanges)
            array(p, change_item, m);
        else if (!strcmp(key, "reuse") && str(p, &v) == 0) {
            enum rep_reuse k = rep_reuse_kind(v);
            m->reuse = k < REUSE_N ? rep_reuse_names[k] : NULL;
        } else
            skip_value(p, 1);
        free(key);
        free(v);
    } while (!p->bad && eat(p, ','));
    if (!eat(p, '}'))
        p->bad = 1;
}

int rep_detail_parse(const char *json, struct match_result *out, char *err, size_t errsz)
{
    struct jp p = {.s = json ? json : "", .bad = 0};
    memset(out, 0, sizeof *out);
    if (!eat(&p, '{'))
        goto bad;
    if (eat(&p, '}'))
        return 0;
    do {
        char *key = NULL, *v = NULL;
        if (str(&p, &key) < 0 || !eat(&p, ':')) {
            free(key);
            goto bad;
        }
        if (!strcmp(key, "score")) {
            out->score = num(&p);
        } else if (!strcmp(key, "covers")) {
            out->covers = boolean(&p);
        } else if (!strcmp(key, "lang") && str(&p, &v) == 0) {
            size_t n = strlen(v);
            n = n < sizeof out->lang - 1 ? n : sizeof out->lang - 1;
            memcpy(out->lang, v, n);
            out->lang[n] = '\0';
        } else if (!strcmp(key, "paragraphs") && !out->nparagraphs) {
            array(&p, paragraph_item, out);
        } else if (!strcmp(key, "passages") && !out->npassages) {
            array(&p, passage_item, out);
        } else {
            skip_value(&p, 1);
        }
        free(key);
        free(v);
    } while (!p.bad && eat(&p, ','));
    if (p.bad || !eat(&p, '}'))
        goto bad;
    return 0;
bad:
    match_result_clear(out);
    return pw_err(err, errsz, "match detail: not the matcher's JSON near byte %zu",
                  (size_t)(p.s - (json ? json : "")));
}
