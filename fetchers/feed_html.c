/*
 * feed_html: re-serialises the HTML inside typed feed values (title, summary,
 * content ...) the way feedparser's SGML-based processor does, because users
 * and the conformance suite compare our strings with feedparser's:
 *
 * - tag and attribute names lower-cased, attributes de-duplicated (last value
 *   wins) and sorted, values double-quoted and escaped; void elements written
 *   as "<br />", their end tags dropped; other tags are written as they come
 *   (no balancing: SGML without a DTD knows no element nesting);
 * - character references normalised (&#X41; → &#x41;, windows-1252 codes such
 *   as &#146; → &#x2019;), unknown entity names escaped (&foo → &amp;foo);
 * - links in href/src-like attributes resolved against the base URI, and
 *   script-bearing URIs emptied;
 * - script/style/applet elements dropped with their text, on* attributes
 *   dropped; inline SVG/MathML get their namespace and SVG's camelCase names.
 *
 * Everything here works on UTF-8 and keeps no state per open element.
 */
#include "fetchers/feed.h"

#include "common/buf.h"

#include <libxml/HTMLparser.h>
#include <libxml/uri.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_ATTRS 64   /* attributes kept per tag; an attribute flood is cut */
#define MAX_TAGNAME 64 /* longer tag names are written as text */

struct attr {
    char name[MAX_TAGNAME];
    size_t off, vlen; /* value, in the scratch buffer */
};

struct html {
    struct buf *out;
    const char *base;
    int xhtml;
    int svg, math;      /* depth of inline SVG / MathML */
    int drop;           /* inside script/style/applet: text is dropped */
    struct buf scratch; /* attribute values of the current tag */
};

static const char *const void_elems[] = {
    "area",  "base",    "basefont", "br",   "col",  "command", "embed",  "frame", "hr",  "img",
    "input", "isindex", "keygen",   "link", "meta", "param",   "source", "track", "wbr", NULL};

/* Elements whose content is code: dropped with it. */
static const char *const dropped_elems[] = {"script", "style", "applet", NULL};

/* SVG names that are camelCase (lower-cased by the tokenizer, as in HTML5). */
static const char *const svg_camel[] = {"altGlyph",
                                        "altGlyphDef",
                                        "altGlyphItem",
                                        "animateColor",
                                        "animateMotion",
                                        "animateTransform",
                                        "attributeName",
                                        "attributeType",
                                        "baseFrequency",
                                        "baseProfile",
                                        "calcMode",
                                        "clipPath",
                                        "clipPathUnits",
                                        "diffuseConstant",
                                        "edgeMode",
                                        "externalResourcesRequired",
                                        "foreignObject",
                                        "glyphRef",
                                        "gradientTransform",
                                        "gradientUnits",
                                        "kernelMatrix",
                                        "kernelUnitLength",
                                        "keyPoints",
                                        "keySplines",
                                        "keyTimes",
                                        "lengthAdjust",
                                        "limitingConeAngle",
                                        "linearGradient",
                                        "markerHeight",
                                        "markerUnits",
                                        "markerWidth",
                                        "maskContentUnits",
                                        "maskUnits",
                                        "numOctaves",
                                        "pathLength",
                                        "patternContentUnits",
                                        "patternTransform",
                                        "patternUnits",
                                        "pointsAtX",
                                        "pointsAtY",
                                        "pointsAtZ",
                                        "preserveAlpha",
                                        "preserveAspectRatio",
                                        "primitiveUnits",
                                        "radialGradient",
                                        "refX",
                                        "refY",
                                        "repeatCount",
                                        "repeatDur",
                                        "requiredExtensions",
                                        "requiredFeatures",
                                        "specularConstant",
                                        "specularExponent",
                                        "spreadMethod",
                                        "startOffset",
                                        "stdDeviation",
                                        "stitchTiles",
                                        "surfaceScale",
                                        "systemLanguage",
                                        "tableValues",
                                        "targetX",
                                        "targetY",
                                        "textLength",
                                        "textPath",
                                        "viewBox",
                                        "viewTarget",
                                        "xChannelSelector",
                                        "yChannelSelector",
                                        "zoomAndPan",
                                        NULL};

/* (element, attribute) pairs that hold a URI to resolve. */
static const char *const uri_attrs[][2] = {
    {"a", "href"},          {"applet", "codebase"}, {"area", "href"},       {"audio", "src"},
    {"blockquote", "cite"}, {"body", "background"}, {"del", "cite"},        {"form", "action"},
    {"frame", "longdesc"},  {"frame", "src"},       {"iframe", "longdesc"}, {"iframe", "src"},
    {"head", "profile"},    {"img", "longdesc"},    {"img", "src"},         {"img", "usemap"},
    {"input", "src"},       {"input", "usemap"},    {"ins", "cite"},        {"link", "href"},
    {"object", "classid"},  {"object", "codebase"}, {"object", "data"},     {"object", "usemap"},
    {"q", "cite"},          {"script", "src"},      {"source", "src"},      {"video", "poster"},
    {"video", "src"},
};

static int in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(s, *list))
            return 1;
    return 0;
}

static const char *svg_name(const char *lower)
{
    for (const char *const *p = svg_camel; *p; p++)
        if (!strcasecmp(lower, *p))
            return *p;
    return lower;
}

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_alnum(char c)
{
    return is_alpha(c) || is_digit(c);
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int is_xdigit(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Characters of an unquoted attribute value (SGML's liberal set). */
static int is_bare_val(char c)
{
    return is_alnum(c) || (c && strchr("][-./,:;+*%?!&$()_#=~'\"@", c));
}

/* The three textual fix-ups feedparser applies before tokenising:
 * "<!x" that is no declaration becomes text, "<tag/>" is expanded, and
 * &#39; &#34; become quotes. */
static int prefix_pass(const char *s, size_t n, struct buf *o)
{
    for (size_t i = 0; i < n;) {
        size_t run = i;
        while (run < n && s[run] != '<' && s[run] != '&')
            run++;
        if (run > i) {
            if (buf_append(o, s + i, run - i) < 0)
                return -1;
            i = run;
            continue;
        }
        if (s[i] == '<' && i + 1 < n && s[i + 1] == '!' &&
            !(i + 9 <= n && !memcmp(s + i + 2, "DOCTYPE", 7)) &&
            !(i + 4 <= n && !memcmp(s + i + 2, "--", 2)) && !(i + 2 < n && s[i + 2] == '[')) {
            if (buf_puts(o, "&lt;") < 0)
                return -1;
            i++;
            continue;
        }
        if (s[i] == '<') {
            /* shortest "<name\s*\/>" with a name free of space and angle brackets */
            size_t j = i + 1;
            while (j < n && s[j] != '<' && s[j] != '>' && !is_ws(s[j])) {
                size_t k = j + 1;
                while (k < n && is_ws(s[k]))
                    k++;
                if (k + 1 < n && s[k] == '/' && s[k + 1] == '>' && j + 1 > i + 1) {
                    size_t tl = j + 1 - (i + 1);
                    char tag[MAX_TAGNAME];
                    if (tl < sizeof tag) {
                        memcpy(tag, s + i + 1, tl);
                        tag[tl] = '\0';
                        int rc = in_list(tag, void_elems) ? buf_printf(o, "<%s />", tag)
                                                          : buf_printf(o, "<%s></%s>", tag, tag);
                        if (rc < 0)
                            return -1;
                        i = k + 2;
                        goto next;
                    }
                }
                if (k > j + 1)
                    break; /* whitespace not followed by "/>" ends the attempt */
                j++;
            }
        }
        if (s[i] == '&' && i + 5 <= n &&
            (!memcmp(s + i, "&#39;", 5) || !memcmp(s + i, "&#34;", 5))) {
            if (buf_putc(o, s[i + 2] == '3' && s[i + 3] == '9' ? '\'' : '"') < 0)
                return -1;
            i += 5;
            continue;
        }
        if (buf_putc(o, s[i]) < 0)
            return -1;
        i++;
    next:;
    }
    return 0;
}

static int emit(struct html *h, const char *s, size_t n)
{
    if (h->drop)
        return 0;
    return buf_append(h->out, s, n);
}

/* "&#146;" / "&#X41;": lower-cased, windows-1252 codes mapped to Unicode. */
static int charref(struct html *h, const char *ref, size_t n)
{
    char r[32];
    if (n >= sizeof r)
        return emit(h, "&#", 2) < 0 || emit(h, ref, n) < 0 || emit(h, ";", 1) < 0 ? -1 : 0;
    for (size_t i = 0; i < n; i++)
        r[i] = (char)(ref[i] >= 'A' && ref[i] <= 'Z' ? ref[i] + 32 : ref[i]);
    r[n] = '\0';
    unsigned long v = r[0] == 'x' ? strtoul(r + 1, NULL, 16) : strtoul(r, NULL, 10);
    if (v >= 0x80 && v <= 0x9F && feed_cp1252_c1((unsigned)v) != v) {
        char t[16];
        int k = snprintf(t, sizeof t, "&#x%x;", feed_cp1252_c1((unsigned)v));
        return emit(h, t, (size_t)k);
    }
    return emit(h, "&#", 2) < 0 || emit(h, r, n) < 0 || emit(h, ";", 1) < 0 ? -1 : 0;
}

/* At s[i] == '&': writes the reference and returns the index after it. */
static int amp(struct html *h, const char *s, size_t n, size_t *i)
{
    size_t j = *i + 1;
    if (j < n && s[j] == '#') {
        size_t k = j + 1, ds;
        int hex = k < n && (s[k] == 'x' || s[k] == 'X');
        ds = k + (size_t)hex;
        k = ds;
        while (k < n && (hex ? is_xdigit(s[k]) : is_digit(s[k])))
            k++;
        if (k > ds && k < n && s[k] == ';') {
            *i = k + 1;
            return charref(h, s + j + 1, k - j - 1);
        }
    } else if (j < n && is_alpha(s[j])) {
        size_t k = j;
        while (k < n && (is_alnum(s[k]) || s[k] == '-' || s[k] == '.'))
            k++;
        /* SGML needs a terminator; at the very end it is just text */
        if (k < n) {
            char name[MAX_TAGNAME];
            size_t nl = k - j;
            *i = k + (s[k] == ';');
            if (nl < sizeof name) {
                memcpy(name, s + j, nl);
                name[nl] = '\0';
                if (!strcmp(name, "apos") || htmlEntityLookup((const xmlChar *)name))
                    return emit(h, "&", 1) < 0 || emit(h, name, nl) < 0 || emit(h, ";", 1) < 0 ? -1
                                                                                               : 0;
            }
            return emit(h, "&amp;", 5) < 0 || emit(h, s + j, nl) < 0 ? -1 : 0;
        }
    }
    *i = *i + 1;
    return emit(h, "&", 1);
}

static int cmp_attr(const void *a, const void *b)
{
    return strcmp(((const struct attr *)a)->name, ((const struct attr *)b)->name);
}

/* "&" that starts no reference, as feedparser's attribute writer sees it. */
static int bare_amp(const char *v, size_t i, size_t n)
{
    size_t k = i + 1;
    if (k < n && v[k] == '#') {
        k++;
        int hex = k < n && v[k] == 'x';
        k += (size_t)hex;
        size_t ds = k;
        while (k < n && (hex ? is_xdigit(v[k]) : is_digit(v[k])))
            k++;
        return !(k > ds && k < n && v[k] == ';');
    }
    size_t ds = k;
    while (k < n && (is_alnum(v[k]) || v[k] == '_' || (unsigned char)v[k] >= 0x80))
        k++;
    return !(k > ds && k < n && v[k] == ';');
}

static int put_attr_value(struct buf *o, const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rc;
        if (v[i] == '>')
            rc = buf_puts(o, "&gt;");
        else if (v[i] == '<')
            rc = buf_puts(o, "&lt;");
        else if (v[i] == '"')
            rc = buf_puts(o, "&quot;");
        else if (v[i] == '&' && bare_amp(v, i, n))
            rc = buf_puts(o, "&amp;");
        else
            rc = buf_putc(o, v[i]);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* A URI attribute: resolved against the base, emptied when it would run code. */
static int put_uri(struct html *h, const char *v, size_t n, int resolve)
{
    while (n && is_ws(*v))
        v++, n--;
    while (n && is_ws(v[n - 1]))
        n--;
    char *raw = strndup(v, n);
    if (!raw)
        return -1;
    xmlChar *abs = NULL;
    if (resolve && h->base && *h->base && n)
        abs = xmlBuildURI((const xmlChar *)raw, (const xmlChar *)h->base);
    const char *u = abs ? (const char *)abs : raw;
    const char *colon = strchr(u, ':');
    int bad = 0;
    if (colon) {
        size_t sl = (size_t)(colon - u);
        static const char *const code_schemes[] = {"javascript", "vbscript", "livescript", "data",
                                                   NULL};
        for (const char *const *p = code_schemes; *p; p++)
            if (sl == strlen(*p) && !strncasecmp(u, *p, sl))
                bad = 1;
    }
    int rc = bad ? 0 : put_attr_value(h->out, u, strlen(u));
    xmlFree(abs);
    free(raw);
    return rc;
}

static int is_uri_attr(const char *tag, const char *name)
{
    for (size_t i = 0; i < sizeof uri_attrs / sizeof uri_attrs[0]; i++)
        if (!strcmp(tag, uri_attrs[i][0]) && !strcmp(name, uri_attrs[i][1]))
            return 1;
    return 0;
}

/* Adds or replaces (last value wins) an attribute; its value is copied into
 * scratch, which may move, hence offsets. A flood past MAX_ATTRS is dropped. */
static int add_attr(struct html *h, struct attr *a, int *na, const char *name, const char *v,
                    size_t vl)
{
    int i = 0;
    while (i < *na && strcmp(a[i].name, name) != 0)
        i++;
    if (i == *na) {
        if (*na >= MAX_ATTRS || strlen(name) >= MAX_TAGNAME)
            return 0;
        snprintf(a[i].name, MAX_TAGNAME, "%s", name);
        (*na)++;
    }
    a[i].off = h->scratch.len;
    a[i].vlen = vl;
    return buf_append(&h->scratch, v, vl);
}

static const char *val(const struct html *h, const struct attr *a)
{
    return h->scratch.data + a->off;
}

static int write_start(struct html *h, const char *tag, struct attr *a, int na)
{
    int has_xmlns = 0, has_xlink = 0, has_xmlns_xlink = 0;
    for (int i = 0; i < na; i++) {
        has_xmlns |= !strcmp(a[i].name, "xmlns");
        has_xlink |= !strncmp(a[i].name, "xlink:", 6);
        has_xmlns_xlink |= !strcmp(a[i].name, "xmlns:xlink");
    }
    /* HTML5 inline SVG/MathML carry no namespace; feedparser adds it */
    if (!has_xmlns && !strcmp(tag, "svg"))
        if (add_attr(h, a, &na, "xmlns", "http://www.w3.org/2000/svg", 26) < 0)
            return -1;
    if (!has_xmlns && !strcmp(tag, "math"))
        if (add_attr(h, a, &na, "xmlns", "http://www.w3.org/1998/Math/MathML", 34) < 0)
            return -1;
    for (int i = 0; i < na; i++) {
        if (!strcmp(tag, "svg") && !strcmp(a[i].name, "xmlns") && a[i].vlen == 26 &&
            !memcmp(val(h, &a[i]), "http://www.w3.org/2000/svg", 26))
            h->svg++;
        if (!strcmp(tag, "math") && !strcmp(a[i].name, "xmlns") && a[i].vlen == 34 &&
            !memcmp(val(h, &a[i]), "http://www.w3.org/1998/Math/MathML", 34))
            h->math++;
    }
    if ((h->svg || h->math) && has_xlink && !has_xmlns_xlink)
        if (add_attr(h, a, &na, "xmlns:xlink", "http://www.w3.org/1999/xlink", 28) < 0)
            return -1;
    qsort(a, (size_t)na, sizeof *a, cmp_attr);

    const char *shown = h->svg ? svg_name(tag) : tag;
    if (in_list(tag, dropped_elems))
        h->drop++;
    if (h->drop)
        return 0;
    if (buf_putc(h->out, '<') < 0 || buf_puts(h->out, shown) < 0)
        return -1;
    for (int i = 0; i < na; i++) {
        if (!strncmp(a[i].name, "on", 2))
            continue; /* event handlers run script */
        const char *an = h->svg ? svg_name(a[i].name) : a[i].name;
        if (buf_putc(h->out, ' ') < 0 || buf_puts(h->out, an) < 0 ||
            buf_append(h->out, "=\"", 2) < 0)
            return -1;
        int rc;
        if (!strcmp(a[i].name, "href") || is_uri_attr(tag, a[i].name)) {
            rc = put_uri(h, val(h, &a[i]), a[i].vlen, is_uri_attr(tag, a[i].name));
        } else if (!strcmp(a[i].name, "rel") || !strcmp(a[i].name, "type")) {
            char *lv = strndup(val(h, &a[i]), a[i].vlen);
            if (!lv)
                return -1;
            for (char *c = lv; *c; c++)
                if (*c >= 'A' && *c <= 'Z')
                    *c = (char)(*c + 32);
            rc = put_attr_value(h->out, lv, a[i].vlen);
            free(lv);
        } else {
            rc = put_attr_value(h->out, val(h, &a[i]), a[i].vlen);
        }
        if (rc < 0 || buf_putc(h->out, '"') < 0)
            return -1;
    }
    if (buf_puts(h->out, in_list(tag, void_elems) ? " />" : ">") < 0)
        return -1;
    return 0;
}

static int write_end(struct html *h, const char *tag)
{
    int was_drop = h->drop > 0;
    if (in_list(tag, dropped_elems) && h->drop)
        h->drop--;
    const char *shown = h->svg ? svg_name(tag) : tag;
    if (!strcmp(tag, "svg") && h->svg)
        h->svg--;
    if (!strcmp(tag, "math") && h->math)
        h->math--;
    if (was_drop || in_list(tag, void_elems))
        return 0;
    if (buf_append(h->out, "</", 2) < 0 || buf_puts(h->out, shown) < 0)
        return -1;
    return buf_putc(h->out, '>');
}

/* End of a start tag at s[i..]: the first '<' or '>' outside quotes. */
static size_t tag_end(const char *s, size_t n, size_t i)
{
    for (size_t k = i; k < n; k++) {
        if (s[k] == '<' || s[k] == '>')
            return k;
        if (s[k] == '"' || s[k] == '\'') {
            const char *q = memchr(s + k + 1, s[k], n - k - 1);
            if (!q)
                continue; /* unbalanced quote: an ordinary character */
            size_t e = (size_t)(q - s) + 1;
            if (e < n && (s[e] == '>' || s[e] == '/' || is_ws(s[e]) || is_alnum(s[e])))
                k = e - 1;
        }
    }
    return n;
}

/* At s[i] == '<' followed by a letter; returns 0 and *next, or 1 when the tag
 * is incomplete (the rest is text). */
static int start_tag(struct html *h, const char *s, size_t n, size_t i, size_t *next)
{
    size_t e = tag_end(s, n, i + 1);
    if (e >= n)
        return 1;
    size_t k = i + 1;
    while (k < e && (is_alnum(s[k]) || strchr("-_.:", s[k])))
        k++;
    char tag[MAX_TAGNAME];
    if (k - i - 1 >= sizeof tag)
        return 1;
    for (size_t c = i + 1; c < k; c++)
        tag[c - i - 1] = (char)(s[c] >= 'A' && s[c] <= 'Z' ? s[c] + 32 : s[c]);
    tag[k - i - 1] = '\0';

    struct attr a[MAX_ATTRS + 4];
    int na = 0;
    buf_reset(&h->scratch);
    while (k < e) {
        while (k < e && is_ws(s[k]))
            k++;
        if (k >= e || !(is_alpha(s[k]) || s[k] == '_'))
            break;
        size_t ns = k;
        while (k < e && (is_alnum(s[k]) || strchr("-:._", s[k])))
            k++;
        char name[MAX_TAGNAME];
        size_t nl = k - ns < sizeof name ? k - ns : sizeof name - 1;
        for (size_t c = 0; c < nl; c++)
            name[c] = (char)(s[ns + c] >= 'A' && s[ns + c] <= 'Z' ? s[ns + c] + 32 : s[ns + c]);
        name[nl] = '\0';
        if (k < e && s[k] == '$')
            k++;
        size_t save = k;
        while (k < e && is_ws(s[k]))
            k++;
        const char *v;
        size_t vl;
        if (k < e && s[k] == '=') {
            k++;
            while (k < e && is_ws(s[k]))
                k++;
            size_t vs = k;
            if (k < e && (s[k] == '"' || s[k] == '\'')) {
                const char *q = memchr(s + k + 1, s[k], e - k - 1);
                if (q) {
                    v = s + vs + 1;
                    vl = (size_t)(q - v);
                    k = (size_t)(q - s) + 1;
                    goto got;
                }
            }
            while (k < e && is_bare_val(s[k]))
                k++;
            v = s + vs;
            vl = k - vs;
            if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0])
                v++, vl -= 2;
        } else {
            k = save;
            v = name;
            vl = strlen(name);
        }
    got:
        if (add_attr(h, a, &na, name, v, vl) < 0)
            return -1;
    }
    int selfclose = e > 0 && s[e] == '>' && s[e - 1] == '/';
    if (write_start(h, tag, a, na) < 0)
        return -1;
    if (h->xhtml && selfclose && write_end(h, tag) < 0)
        return -1;
    *next = s[e] == '>' ? e + 1 : e;
    return 0;
}

static int tokenize(struct html *h, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] != '<' && s[j] != '&')
            j++;
        if (j > i && emit(h, s + i, j - i) < 0)
            return -1;
        i = j;
        if (i >= n)
            break;
        if (s[i] == '&') {
            if (amp(h, s, n, &i) < 0)
                return -1;
            continue;
        }
        /* s[i] == '<' */
        if (i + 1 < n && is_alpha(s[i + 1])) {
            size_t next;
            int rc = start_tag(h, s, n, i, &next);
            if (rc < 0)
                return -1;
            if (rc == 0) {
                i = next;
                continue;
            }
        } else if (i + 2 < n && s[i + 1] == '/' && is_alpha(s[i + 2])) {
            const char *gt = memchr(s + i, '>', n - i);
            if (gt) {
                size_t k = i + 2;
                char tag[MAX_TAGNAME];
                size_t tl = 0;
                while (k < (size_t)(gt - s) && (is_alnum(s[k]) || strchr("-_.:", s[k])) &&
                       tl + 1 < sizeof tag) {
                    tag[tl++] = (char)(s[k] >= 'A' && s[k] <= 'Z' ? s[k] + 32 : s[k]);
                    k++;
                }
                tag[tl] = '\0';
                if (write_end(h, tag) < 0)
                    return -1;
                i = (size_t)(gt - s) + 1;
                continue;
            }
        } else if (i + 4 <= n && !memcmp(s + i, "<!--", 4)) {
            const char *end = NULL;
            for (size_t k = i + 4; k + 3 <= n; k++)
                if (!memcmp(s + k, "-->", 3)) {
                    end = s + k;
                    break;
                }
            if (end) {
                size_t e = (size_t)(end - s) + 3;
                if (emit(h, s + i, e - i) < 0)
                    return -1;
                i = e;
                continue;
            }
        } else if (i + 1 < n && (s[i + 1] == '!' || s[i + 1] == '?')) {
            /* declarations and processing instructions are dropped */
            const char *gt = memchr(s + i, '>', n - i);
            if (gt) {
                i = (size_t)(gt - s) + 1;
                continue;
            }
        }
        if (emit(h, "<", 1) < 0)
            return -1;
        i++;
    }
    return 0;
}

int feed_html_clean(const char *in, const char *base, int xhtml, char **out)
{
    *out = NULL;
    size_t n = strlen(in);
    if (!strpbrk(in, "<&")) {
        *out = strdup(in);
        return *out ? 0 : -1;
    }
    struct buf pre = BUF_INIT, o = BUF_INIT;
    struct html *h = calloc(1, sizeof *h);
    if (!h)
        return -1;
    h->out = &o;
    h->base = base;
    h->xhtml = xhtml;
    /* CDATA inside HTML is text, not a section. Each textual pass below is
     * skipped when its trigger is absent: most values need none of them. */
    struct buf cd = BUF_INIT;
    const char *src = in;
    size_t srclen = n;
    if (strstr(in, "<![CDATA[")) {
        /* room reserved up front only where something is always appended: a
         * grown but empty buf has no terminating NUL yet */
        if (buf_grow(&cd, n) < 0)
            goto fail;
        for (const char *p = in; *p;) {
            const char *q = strstr(p, "<![CDATA[");
            if (!q) {
                if (buf_puts(&cd, p) < 0)
                    goto fail;
                break;
            }
            if (buf_append(&cd, p, (size_t)(q - p)) < 0 || buf_puts(&cd, "&lt;![CDATA[") < 0)
                goto fail;
            p = q + 9;
        }
        if (!cd.data)
            goto fail;
        src = cd.data;
        srclen = cd.len;
    }
    if (strstr(src, "<!") || strstr(src, "/>") || strstr(src, "&#3")) {
        if (prefix_pass(src, srclen, &pre) < 0)
            goto fail;
        src = pre.data ? pre.data : "";
        srclen = pre.len;
    }
    /* sized once; reset so that it is terminated even if nothing is written */
    if (buf_grow(&o, srclen) < 0)
        goto fail;
    buf_reset(&o);
    if (tokenize(h, src, srclen) < 0)
        goto fail;
    /* strip, and CRLF → LF, as feedparser finishes */
    size_t a = 0, len = o.len;
    char *r = buf_detach(&o);
    if (!r)
        goto fail;
    if (memchr(r, '\r', len)) {
        char *w = r;
        for (const char *p = r; *p; p++)
            if (!(p[0] == '\r' && p[1] == '\n'))
                *w++ = *p;
        *w = '\0';
        len = (size_t)(w - r);
    }
    while (len && is_ws(r[len - 1]))
        r[--len] = '\0';
    while (is_ws(r[a]))
        a++;
    memmove(r, r + a, len - a + 1);
    *out = r;
    buf_free(&cd);
    buf_free(&pre);
    buf_free(&h->scratch);
    free(h);
    return 0;
fail:
    buf_free(&cd);
    buf_free(&pre);
    buf_free(&o);
    buf_free(&h->scratch);
    free(h);
    return -1;
}
