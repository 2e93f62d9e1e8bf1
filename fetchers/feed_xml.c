/*
 * feed_xml: the fast path for the common case, a well-formed UTF-8 feed
 * without a DOCTYPE. It tokenises the text itself and builds the same libxml2
 * tree that xmlCtxtReadMemory would (namespaces, coalesced text and CDATA,
 * decoded references), so the tree walk in feed.c serves both paths. libxml2's
 * own parser spends most of its time decoding one character at a time, which
 * made it the bulk of a parse.
 *
 * It declines (returns 1) on anything unusual: a DOCTYPE, an entity other than
 * the five predefined ones, a carriage return, a non-ASCII name, a misplaced
 * or undeclared anything, nesting near the pre-pass's depth cap, many
 * attributes. The caller then takes the slow path (feed_prepass.c + libxml2 in
 * recover mode), which also decides about bozo. So this file only has to be
 * right about documents that are well-formed, where XML leaves no choice.
 */
#include "fetchers/feed.h"

#include "common/buf.h"

#include <libxml/tree.h>
#include <libxml/uri.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FAST_MAX_DEPTH 190 /* below feed_prepass.c's MAX_DEPTH: no cut applies */
#define FAST_MAX_ATTRS 64
#define FAST_MAX_NAME 256
#define FAST_MAX_NS 64 /* namespace declarations in scope */

#define DECLINE 1

/* Byte classes for text scanning: 0 is an ordinary byte. */
enum { C_PLAIN, C_STOP, C_BAD };

struct nsdecl {
    const char *prefix; /* NULL: default namespace; points into the text */
    size_t plen;
    xmlNs *ns; /* NULL: xmlns="" (no namespace) */
    int depth;
};

struct fast {
    const char *s;
    size_t n, i;
    xmlDoc *doc;
    xmlNode *cur; /* open element, NULL before the root */
    int depth;
    struct buf text; /* text run being collected, coalesced as libxml2 does */
    struct buf val;  /* decoded attribute values of one tag */
    struct nsdecl ns[FAST_MAX_NS];
    int nns;
    unsigned char cls[256];
};

static int is_name_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_name_char(unsigned char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == ':';
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

/* Scans an ASCII name at i; returns its length, 0 when there is none or it
 * is unusual (non-ASCII, more than one colon, empty prefix or local part). */
static size_t name_at(const struct fast *x, size_t i, size_t *colon)
{
    const char *s = x->s;
    size_t k = i, c = 0;
    *colon = 0;
    if (k >= x->n || !is_name_start((unsigned char)s[k]))
        return 0;
    while (k < x->n && is_name_char((unsigned char)s[k])) {
        if (s[k] == ':') {
            if (c || k + 1 >= x->n || !is_name_start((unsigned char)s[k + 1]))
                return 0;
            c = k - i;
        }
        k++;
    }
    if (k - i >= FAST_MAX_NAME || (k < x->n && (unsigned char)s[k] >= 0x80))
        return 0;
    *colon = c;
    return k - i;
}

/* Checks the byte at i of a class other than C_PLAIN that is not a
 * delimiter: U+FFFE and U+FFFF are not XML characters, other 0xEF lead bytes
 * are fine. Returns the bytes to skip, or 0 when the text must be declined. */
static size_t odd_byte(const struct fast *x, size_t i)
{
    const unsigned char *p = (const unsigned char *)x->s;
    if (p[i] == 0xEF) {
        if (i + 2 < x->n && p[i + 1] == 0xBF && (p[i + 2] == 0xBE || p[i + 2] == 0xBF))
            return 0;
        return 1;
    }
    return 0;
}

static void put_utf8(char *o, unsigned long cp, size_t *len)
{
    if (cp < 0x80) {
        o[0] = (char)cp, *len = 1;
    } else if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6)), o[1] = (char)(0x80 | (cp & 0x3F)), *len = 2;
    } else if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12)), o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F)), *len = 3;
    } else {
        o[0] = (char)(0xF0 | (cp >> 18)), o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), o[3] = (char)(0x80 | (cp & 0x3F)), *len = 4;
    }
}

/* A reference at s[i] == '&' into out; 0, DECLINE or -1 (OOM). */
static int reference(struct fast *x, struct buf *out)
{
    const char *s = x->s;
    size_t i = x->i + 1, n = x->n;
    if (i < n && s[i] == '#') {
        int hex = i + 1 < n && s[i + 1] == 'x'; /* "&#X" is HTML: the slow path says bozo */
        size_t k = i + 1 + (size_t)hex, ds = k;
        unsigned long cp = 0;
        while (k < n && k - ds < 8) {
            char c = s[k];
            int d = c >= '0' && c <= '9'          ? c - '0'
                    : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                  : -1;
            if (d < 0)
                break;
            cp = cp * (hex ? 16u : 10u) + (unsigned long)d;
            k++;
        }
        if (k == ds || k >= n || s[k] != ';')
            return DECLINE;
        if (!(cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
              (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF)))
            return DECLINE;
        char u[4];
        size_t ul;
        put_utf8(u, cp, &ul);
        x->i = k + 1;
        return buf_append(out, u, ul);
    }
    static const struct {
        const char *name;
        char c;
    } predef[] = {{"lt;", '<'}, {"gt;", '>'}, {"amp;", '&'}, {"quot;", '"'}, {"apos;", '\''}};
    for (size_t k = 0; k < sizeof predef / sizeof predef[0]; k++) {
        size_t l = strlen(predef[k].name);
        if (i + l <= n && !memcmp(s + i, predef[k].name, l)) {
            x->i = i + l;
            return buf_append(out, &predef[k].c, 1);
        }
    }
    return DECLINE; /* HTML entity, bare '&': the pre-pass rewrites those */
}

/* Nonzero when a byte of w equals c (exact as a whole-word test). */
static uint64_t has_byte(uint64_t w, unsigned char c)
{
    const uint64_t ones = 0x0101010101010101ull;
    uint64_t v = w ^ (ones * c);
    return (v - ones) & ~v & (ones * 0x80);
}

/* First index in [i, end) whose byte class is not C_PLAIN. Eight bytes are
 * tested at a time for the stop bytes and controls; text is mostly plain. */
static size_t plain_run(const struct fast *x, size_t i, size_t end)
{
    const uint64_t ones = 0x0101010101010101ull;
    while (i + 8 <= end) {
        uint64_t w;
        memcpy(&w, x->s + i, 8);
        if (has_byte(w, '<') | has_byte(w, '&') | has_byte(w, ']') | has_byte(w, 0xEF) |
            ((w - ones * 0x20) & ~w & (ones * 0x80)))
            break;
        i += 8;
    }
    while (i < end && !x->cls[(unsigned char)x->s[i]])
        i++;
    return i;
}

/* Adds the collected text run as one text node. */
static int flush_text(struct fast *x)
{
    if (!x->text.len)
        return 0;
    xmlNode *t = xmlNewDocTextLen(x->doc, (const xmlChar *)x->text.data, (int)x->text.len);
    buf_reset(&x->text);
    if (!t)
        return -1;
    xmlAddChild(x->cur, t);
    return 0;
}

/* Character data at x->i up to the next '<'. */
static int char_data(struct fast *x)
{
    const char *s = x->s;
    size_t i = x->i, n = x->n;
    while (i < n && s[i] != '<') {
        size_t run = plain_run(x, i, n);
        if (run > i && buf_append(&x->text, s + i, run - i) < 0)
            return -1;
        i = run;
        if (i >= n || s[i] == '<')
            break;
        if (s[i] == '&') {
            x->i = i;
            int rc = reference(x, &x->text);
            if (rc)
                return rc;
            i = x->i;
        } else if (s[i] == ']') {
            if (i + 2 < n && s[i + 1] == ']' && s[i + 2] == '>')
                return DECLINE;
            if (buf_append(&x->text, s + i, 1) < 0)
                return -1;
            i++;
        } else {
            size_t k = odd_byte(x, i);
            if (!k || buf_append(&x->text, s + i, k) < 0)
                return k ? -1 : DECLINE;
            i += k;
        }
    }
    x->i = i;
    return 0;
}

/* Checks that s[a, b) holds only XML characters (no CR, as elsewhere). */
static int chars_ok(const struct fast *x, size_t a, size_t b)
{
    for (size_t i = plain_run(x, a, b); i < b; i = plain_run(x, i + 1, b)) {
        unsigned char c = (unsigned char)x->s[i];
        if (x->cls[c] == C_BAD || (c == 0xEF && !odd_byte(x, i)))
            return 0;
    }
    return 1;
}

/* Position of needle at or after i, or n. */
static size_t find(const struct fast *x, size_t i, const char *needle, size_t k)
{
    while (i + k <= x->n) {
        const char *p = memchr(x->s + i, needle[0], x->n - i - k + 1);
        if (!p)
            break;
        i = (size_t)(p - x->s);
        if (!memcmp(p, needle, k))
            return i;
        i++;
    }
    return x->n;
}

/* "<!--" at x->i: a comment node inside the root, nothing outside it. */
static int comment(struct fast *x)
{
    size_t a = x->i + 4, e = find(x, a, "--", 2);
    if (e >= x->n || e + 2 >= x->n || x->s[e + 2] != '>' || !chars_ok(x, a, e))
        return DECLINE;
    x->i = e + 3;
    if (!x->cur)
        return 0;
    if (flush_text(x) < 0)
        return -1;
    char *c = strndup(x->s + a, e - a);
    xmlNode *node = c ? xmlNewDocComment(x->doc, (const xmlChar *)c) : NULL;
    free(c);
    if (!node)
        return -1;
    xmlAddChild(x->cur, node);
    return 0;
}

/* "<![CDATA[" at x->i: its text joins the current run (XML_PARSE_NOCDATA). */
static int cdata(struct fast *x)
{
    size_t a = x->i + 9, e = find(x, a, "]]>", 3);
    if (e >= x->n || !chars_ok(x, a, e))
        return DECLINE;
    x->i = e + 3;
    return buf_append(&x->text, x->s + a, e - a);
}

/* A processing instruction in the prolog or epilogue (xml-stylesheet): skipped,
 * as the tree walk never looks at one; inside the root, declined. */
static int pi(struct fast *x)
{
    size_t colon, l = name_at(x, x->i + 2, &colon);
    const char *t = x->s + x->i + 2;
    if (!l || colon || x->cur)
        return DECLINE;
    if (l >= 3 && (t[0] | 32) == 'x' && (t[1] | 32) == 'm' && (t[2] | 32) == 'l')
        return DECLINE;
    size_t a = x->i + 2 + l, e = find(x, a, "?>", 2);
    if (e >= x->n || (e > a && !is_ws(x->s[a])) || !chars_ok(x, a, e))
        return DECLINE;
    x->i = e + 2;
    return 0;
}

/* The namespace bound to prefix (NULL: the default), innermost first. */
static int lookup_ns(const struct fast *x, const char *prefix, size_t plen, xmlNs **ns)
{
    for (int k = x->nns - 1; k >= 0; k--) {
        const struct nsdecl *d = &x->ns[k];
        if ((!prefix && !d->prefix) ||
            (prefix && d->prefix && d->plen == plen && !memcmp(d->prefix, prefix, plen))) {
            *ns = d->ns;
            return 0;
        }
    }
    *ns = NULL;
    return prefix ? DECLINE : 0; /* an undeclared prefix is a namespace error */
}

struct rawattr {
    size_t name, nlen, colon; /* in the text */
    size_t voff, vlen;        /* decoded value, in x->val */
};

/* An attribute value in quotes at x->i, decoded into x->val. */
static int att_value(struct fast *x, struct rawattr *a)
{
    const char *s = x->s;
    char q = s[x->i];
    if (q != '"' && q != '\'')
        return DECLINE;
    a->voff = x->val.len;
    size_t i = x->i + 1;
    for (;;) {
        size_t run = i;
        while (run < x->n && !x->cls[(unsigned char)s[run]] && s[run] != q && s[run] != '\t' &&
               s[run] != '\n')
            run++;
        if (buf_append(&x->val, s + i, run - i) < 0)
            return -1;
        i = run;
        if (i >= x->n)
            return DECLINE;
        char c = s[i];
        if (c == q) {
            break;
        } else if (c == '\t' || c == '\n') {
            if (buf_putc(&x->val, ' ') < 0) /* attribute-value normalisation */
                return -1;
            i++;
        } else if (c == '&') {
            x->i = i;
            int rc = reference(x, &x->val);
            if (rc)
                return rc;
            i = x->i;
        } else if (c == ']' || c == '>' || c == '"' || c == '\'') {
            if (buf_putc(&x->val, c) < 0)
                return -1;
            i++;
        } else if (c == '<') {
            return DECLINE;
        } else {
            size_t k = odd_byte(x, i);
            if (!k || buf_append(&x->val, s + i, k) < 0)
                return k ? -1 : DECLINE;
            i += k;
        }
    }
    a->vlen = x->val.len - a->voff;
    x->i = i + 1;
    return 0;
}

static int is_xmlns(const struct fast *x, const struct rawattr *a)
{
    const char *nm = x->s + a->name;
    return (a->nlen == 5 && !memcmp(nm, "xmlns", 5)) || (a->colon == 5 && !memcmp(nm, "xmlns", 5));
}

/* libxml2 calls a namespace name it cannot parse as a URI, or one of the two
 * reserved ones, a namespace error (bozo): such documents take the slow path. */
static int uri_ok(const char *href)
{
    if (!*href)
        return 1;
    if (!strcmp(href, "http://www.w3.org/XML/1998/namespace") ||
        !strcmp(href, "http://www.w3.org/2000/xmlns/"))
        return 0;
    xmlURI *u = xmlParseURI(href);
    int ok = u != NULL;
    xmlFreeURI(u);
    return ok;
}

/* Declares the xmlns attributes of the new element on it. */
static int declare_ns(struct fast *x, xmlNode *el, const struct rawattr *a, int na)
{
    for (int k = 0; k < na; k++) {
        if (!is_xmlns(x, &a[k]))
            continue;
        const char *prefix = a[k].colon ? x->s + a[k].name + 6 : NULL;
        size_t plen = a[k].colon ? a[k].nlen - 6 : 0;
        char p[FAST_MAX_NAME], *href = strndup(x->val.data + a[k].voff, a[k].vlen);
        if (!href)
            return -1;
        if (prefix)
            memcpy(p, prefix, plen), p[plen] = '\0';
        int reserved = prefix && ((plen == 3 && !memcmp(prefix, "xml", 3)) ||
                                  (plen == 5 && !memcmp(prefix, "xmlns", 5)));
        if (x->nns >= FAST_MAX_NS || reserved || (prefix && !a[k].vlen) || !uri_ok(href)) {
            free(href);
            return DECLINE;
        }
        xmlNs *ns = NULL;
        if (a[k].vlen) {
            ns = xmlNewNs(el, (const xmlChar *)href, prefix ? (const xmlChar *)p : NULL);
            if (!ns) {
                free(href);
                return DECLINE; /* a duplicate declaration */
            }
        }
        free(href);
        x->ns[x->nns++] = (struct nsdecl){prefix, plen, ns, x->depth};
    }
    return 0;
}

/* "<name" at x->i: parses the tag and opens (or adds, when empty) an element. */
static int start_tag(struct fast *x)
{
    const char *s = x->s;
    size_t colon, l = name_at(x, x->i + 1, &colon);
    if (!l)
        return DECLINE;
    size_t name = x->i + 1;
    struct rawattr a[FAST_MAX_ATTRS];
    int na = 0, empty = 0;
    buf_reset(&x->val);
    x->i = name + l;
    for (;;) {
        size_t ws = x->i;
        while (x->i < x->n && is_ws(s[x->i]))
            x->i++;
        if (x->i >= x->n)
            return DECLINE;
        if (s[x->i] == '>' || (s[x->i] == '/' && x->i + 1 < x->n && s[x->i + 1] == '>')) {
            empty = s[x->i] == '/';
            x->i += empty ? 2 : 1;
            break;
        }
        if (x->i == ws || na == FAST_MAX_ATTRS)
            return DECLINE; /* attributes need space between them */
        struct rawattr *r = &a[na];
        r->name = x->i;
        r->nlen = name_at(x, x->i, &r->colon);
        if (!r->nlen)
            return DECLINE;
        x->i += r->nlen;
        while (x->i < x->n && is_ws(s[x->i]))
            x->i++;
        if (x->i >= x->n || s[x->i] != '=')
            return DECLINE;
        x->i++;
        while (x->i < x->n && is_ws(s[x->i]))
            x->i++;
        if (x->i >= x->n)
            return DECLINE;
        int rc = att_value(x, r);
        if (rc)
            return rc;
        for (int k = 0; k < na; k++)
            if (a[k].nlen == r->nlen && !memcmp(s + a[k].name, s + r->name, r->nlen))
                return DECLINE; /* duplicate attribute */
        na++;
    }
    if (x->depth >= FAST_MAX_DEPTH || (!x->cur && x->doc->children))
        return DECLINE;

    char qn[FAST_MAX_NAME];
    memcpy(qn, s + name, l);
    qn[l] = '\0';
    const char *local = colon ? qn + colon + 1 : qn;
    if (flush_text(x) < 0)
        return -1;
    xmlNode *el = xmlNewDocNode(x->doc, NULL, (const xmlChar *)local, NULL);
    if (!el)
        return -1;
    if (x->cur)
        xmlAddChild(x->cur, el);
    else
        xmlDocSetRootElement(x->doc, el);
    x->depth++;
    int saved_nns = x->nns;
    int rc = declare_ns(x, el, a, na);
    if (rc)
        return rc;
    xmlNs *ens;
    if ((colon && l - colon - 1 == 0) || lookup_ns(x, colon ? qn : NULL, colon, &ens))
        return DECLINE;
    if (colon && !strncmp(qn, "xml", 3) && colon == 3)
        return DECLINE;
    el->ns = ens;
    for (int k = 0; k < na; k++) {
        if (is_xmlns(x, &a[k]))
            continue;
        char an[FAST_MAX_NAME];
        memcpy(an, s + a[k].name, a[k].nlen);
        an[a[k].nlen] = '\0';
        xmlNs *ans = NULL;
        if (a[k].colon) {
            an[a[k].colon] = '\0';
            if (!strcmp(an, "xml"))
                ans = xmlSearchNs(x->doc, el, (const xmlChar *)"xml");
            else if (lookup_ns(x, an, a[k].colon, &ans) || !ans)
                return DECLINE;
            if (!ans)
                return -1;
            /* the same local name under two prefixes may be the same namespace
             * twice (an error); rare enough to leave to libxml2 */
            for (int j = 0; j < k; j++)
                if (a[j].colon && a[j].nlen - a[j].colon == a[k].nlen - a[k].colon &&
                    !memcmp(s + a[j].name + a[j].colon, s + a[k].name + a[k].colon,
                            a[k].nlen - a[k].colon))
                    return DECLINE;
        }
        char *v = strndup(x->val.data + a[k].voff, a[k].vlen);
        if (!v)
            return -1;
        int nul = strlen(v) != a[k].vlen;
        xmlAttr *p =
            nul ? NULL
                : xmlNewNsProp(el, ans, (const xmlChar *)(a[k].colon ? an + a[k].colon + 1 : an),
                               (const xmlChar *)v);
        free(v);
        if (nul)
            return DECLINE;
        if (!p)
            return -1;
    }
    if (empty) {
        x->depth--;
        x->nns = saved_nns;
    } else {
        x->cur = el;
    }
    return 0;
}

/* "</name>" at x->i: must close the open element. */
static int end_tag(struct fast *x)
{
    size_t colon, l = name_at(x, x->i + 2, &colon);
    if (!l || !x->cur)
        return DECLINE;
    const xmlNode *c = x->cur;
    size_t pl = c->ns && c->ns->prefix ? strlen((const char *)c->ns->prefix) : 0;
    const char *nm = x->s + x->i + 2;
    /* the open element's qualified name is its prefix (as written) and name */
    if (pl ? (colon != pl || memcmp(nm, c->ns->prefix, pl) != 0) : colon != 0)
        return DECLINE;
    const char *local = (const char *)c->name;
    if (l - (pl ? pl + 1 : 0) != strlen(local) ||
        memcmp(nm + (pl ? pl + 1 : 0), local, strlen(local)))
        return DECLINE;
    size_t i = x->i + 2 + l;
    while (i < x->n && is_ws(x->s[i]))
        i++;
    if (i >= x->n || x->s[i] != '>')
        return DECLINE;
    x->i = i + 1;
    if (flush_text(x) < 0)
        return -1;
    while (x->nns > 0 && x->ns[x->nns - 1].depth >= x->depth)
        x->nns--;
    x->depth--;
    x->cur = c->parent && c->parent->type == XML_ELEMENT_NODE ? c->parent : NULL;
    return 0;
}

/* Outside the root only white space, comments and processing instructions. */
static int misc(struct fast *x)
{
    while (x->i < x->n && is_ws(x->s[x->i]))
        x->i++;
    return x->i < x->n && x->s[x->i] != '<' ? DECLINE : 0;
}

static int parse(struct fast *x)
{
    const char *s = x->s;
    int rc = 0;
    while (!rc && x->i < x->n) {
        if (!x->cur && (rc = misc(x)) != 0)
            break;
        if (x->i >= x->n)
            break;
        if (s[x->i] != '<') {
            rc = char_data(x);
            continue;
        }
        const char *p = s + x->i;
        size_t left = x->n - x->i;
        if (left >= 2 && p[1] == '/')
            rc = end_tag(x);
        else if (left >= 4 && !memcmp(p, "<!--", 4))
            rc = comment(x);
        else if (left >= 9 && !memcmp(p, "<![CDATA[", 9))
            rc = x->cur ? cdata(x) : DECLINE;
        else if (left >= 2 && p[1] == '?' && !x->doc->children && left >= 6 &&
                 !memcmp(p, "<?xml", 5) && (is_ws(p[5]) || p[5] == '?')) {
            /* the pre-pass drops the XML declaration: the text is UTF-8 now */
            size_t e = find(x, x->i + 2, "?>", 2);
            x->i = e < x->n ? e + 2 : x->n;
        } else if (left >= 2 && p[1] == '?')
            rc = pi(x);
        else if (left >= 2 && p[1] != '!')
            rc = start_tag(x);
        else
            rc = DECLINE; /* DOCTYPE and other declarations */
    }
    if (!rc && (x->cur || !x->doc->children))
        rc = DECLINE; /* unclosed elements, or no root */
    return rc;
}

int feed_xml_fast(const char *s, size_t n, struct _xmlDoc **out)
{
    *out = NULL;
    struct fast *x = calloc(1, sizeof *x);
    if (!x)
        return -1;
    x->s = s;
    x->n = n;
    for (int c = 0; c < 0x20; c++)
        x->cls[c] = C_BAD;
    x->cls['\t'] = x->cls['\n'] = C_PLAIN;
    x->cls['<'] = x->cls['&'] = x->cls[']'] = x->cls[0xEF] = C_STOP;
    int rc = -1;
    x->doc = xmlNewDoc((const xmlChar *)"1.0");
    if (x->doc)
        rc = parse(x);
    buf_free(&x->text);
    buf_free(&x->val);
    if (rc == 0)
        *out = x->doc;
    else
        xmlFreeDoc(x->doc);
    free(x);
    return rc;
}
