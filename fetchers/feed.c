/*
 * feed: RSS 0.9x/2.0, RSS 1.0/RDF and Atom 0.3/1.0 into struct feed.
 *
 * Pipeline: charset → UTF-8 (feed_charset.c), entity/DTD pre-pass
 * (feed_prepass.c), libxml2 in recover mode, then a walk over the tree that
 * mirrors feedparser's start/end handlers, because the conformance suite and
 * our users expect feedparser's answers: which element wins when several
 * carry the same field, how typed text is kept, when a guid doubles as link.
 */
#include "fetchers/feed.h"

#include "common/buf.h"

#include <ctype.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/uri.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define FEED_MAX_DEPTH 256 /* deeper nesting is not a feed; also bounds recursion */
#define NAME_MAX_LEN 96

enum { E_TITLE, E_ID, E_SUMMARY, E_AUTHOR, E_NFIELDS };

struct walk {
    struct feed *f;
    xmlDoc *doc;
    int oom;
    int atom10;
    int utf8_doc; /* the bytes were UTF-8: feedparser's latin-1 round trip applies */
    int depth;
    int infeed, inentry, insource, inimage, intextinput, inauthor, incontributor;
    int has_content;
    int title_depth;
    int guidislink;
    int isentrylink;
    int edepth[E_NFIELDS]; /* depth each entry field came from (-1: unset) */
    int entry_has_summary, feed_has_summary;
    char *aname, *aemail;              /* author detail of the current entry */
    const char *base;                  /* current xml:base, absolute when known */
    long ttl_secs, sy_period, sy_freq; /* the feed's polling hints, as read so far */
};

/* One piece of collected content: feedparser decides about the Atom xhtml
 * wrapper <div> on these pieces, so they are kept apart until joined. */
struct pieces {
    struct buf b;
    size_t *start;
    size_t n, cap;
};

static const char xhtml_type[] = "application/xhtml+xml";

/* Namespaces whose elements feedparser treats as plain RSS/Atom ones. */
static const char *const base_ns[] = {
    "http://backend.userland.com/rss",
    "http://blogs.law.harvard.edu/tech/rss",
    "http://purl.org/rss/1.0/",
    "http://my.netscape.com/rdf/simple/0.9/",
    "http://example.com/newformat#",
    "http://example.com/necho",
    "http://purl.org/echo/",
    "uri/of/echo/namespace#",
    "http://purl.org/pie/",
    "http://purl.org/atom/ns#",
    "http://www.w3.org/2005/Atom",
    "http://purl.org/rss/1.0/modules/rss091#",
};

static const struct {
    const char *uri, *prefix;
} known_ns[] = {
    {"http://purl.org/rss/1.0/modules/content/", "content"},
    {"http://purl.org/dc/elements/1.1/", "dc"},
    {"http://purl.org/dc/terms/", "dcterms"},
    {"http://www.w3.org/1999/xhtml", "xhtml"},
    {"http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdf"},
    {"http://www.w3.org/2000/01/rdf-schema#", "rdfs"},
    {"http://www.w3.org/1999/xlink", "xlink"},
    {"http://www.w3.org/XML/1998/namespace", "xml"},
    {"http://purl.org/rss/1.0/modules/slash/", "slash"},
    {"http://purl.org/rss/1.0/modules/syndication/", "sy"},
    {"http://purl.org/rss/1.0/modules/taxonomy/", "taxo"},
    {"http://purl.org/rss/1.0/modules/textinput/", "ti"},
    {"http://purl.org/rss/1.0/modules/image/", "image"},
    {"http://purl.org/rss/1.0/modules/link/", "l"},
    {"http://www.itunes.com/DTDs/PodCast-1.0.dtd", "itunes"},
    {"http://search.yahoo.com/mrss/", "media"},
    {"http://search.yahoo.com/mrss", "media"},
    {"http://wellformedweb.org/commentAPI/", "wfw"},
    {"http://purl.org/rss/1.0/modules/threading/", "thr"},
    {"http://xmlns.com/foaf/0.1/", "foaf"},
    {"http://madskills.com/public/xml/rss/module/trackback/", "trackback"},
};

/* "" for RSS/Atom namespaces and no namespace, the conventional prefix of a
 * known module, else the document's own prefix (as feedparser does). */
static const char *ns_prefix(const xmlNs *ns)
{
    if (!ns || !ns->href || !ns->href[0])
        return "";
    const char *h = (const char *)ns->href;
    if (strcasestr(h, "backend.userland.com/rss"))
        return "";
    for (size_t i = 0; i < sizeof base_ns / sizeof base_ns[0]; i++)
        if (!strcasecmp(h, base_ns[i]))
            return "";
    for (size_t i = 0; i < sizeof known_ns / sizeof known_ns[0]; i++)
        if (!strcasecmp(h, known_ns[i].uri))
            return known_ns[i].prefix;
    return ns->prefix ? (const char *)ns->prefix : "";
}

/* Canonical, lower-case "prefix:local" name of an element or attribute. */
static void canon_name(const xmlNs *ns, const xmlChar *local, char *out, size_t sz)
{
    const char *p = ns_prefix(ns);
    int n = snprintf(out, sz, "%s%s%s", p, *p ? ":" : "", (const char *)local);
    if (n < 0 || (size_t)n >= sz)
        out[0] = '\0'; /* absurdly long names match nothing */
    for (char *c = out; *c; c++)
        *c = (char)tolower((unsigned char)*c);
}

/* Attribute by canonical name ("type", "rdf:about", "xml:base"); caller frees. */
static char *attr(const xmlNode *n, const char *want)
{
    for (const xmlAttr *a = n->properties; a; a = a->next) {
        char name[NAME_MAX_LEN];
        canon_name(a->ns, a->name, name, sizeof name);
        if (!strcmp(name, want))
            return (char *)xmlNodeListGetString(n->doc, a->children, 1);
    }
    return NULL;
}

static char *xstrdup(struct walk *w, const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        w->oom = 1;
    return d;
}

/* Strips ASCII and Unicode-ish whitespace at both ends, in place. */
static void strip(char *s)
{
    size_t n = strlen(s), i = 0;
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    s[n] = '\0';
    while (isspace((unsigned char)s[i]))
        i++;
    if (i)
        memmove(s, s + i, n - i + 1);
}

/* Text that was UTF-8, read as latin-1 and encoded again ("Ã©" for "é"):
 * when every code point fits in a byte and those bytes are valid UTF-8 with
 * at least one multi-byte sequence, the bytes are the real text (feedparser
 * does the same for UTF-8 documents). Rewrites s in place. */
static void undo_double_utf8(char *s)
{
    size_t n = 0, hi = 0;
    const unsigned char *p = (const unsigned char *)s;
    unsigned char *o = (unsigned char *)s;
    for (size_t i = 0; p[i];) {
        if (p[i] < 0x80) {
            i++, n++;
        } else if ((p[i] == 0xC2 || p[i] == 0xC3) && (p[i + 1] & 0xC0) == 0x80) {
            i += 2, n++, hi++;
        } else {
            return; /* a code point above U+00FF: not double-encoded */
        }
    }
    if (!hi)
        return;
    unsigned char *bytes = malloc(n + 1);
    if (!bytes)
        return; /* best effort: the text stays as it was */
    size_t k = 0;
    for (size_t i = 0; p[i]; k++) {
        if (p[i] < 0x80)
            bytes[k] = p[i++];
        else
            bytes[k] = (unsigned char)(((p[i] & 0x03) << 6) | (p[i + 1] & 0x3F)), i += 2;
    }
    bytes[k] = 0;
    for (size_t i = 0; i < k;) {
        size_t l = feed_utf8_len(bytes + i, k - i);
        if (!l) {
            free(bytes);
            return;
        }
        i += l;
    }
    memcpy(o, bytes, k + 1);
    free(bytes);
}

/* feedparser maps C1 controls to windows-1252 characters in every value. */
static char *fix_c1(struct walk *w, char *s)
{
    if (s && w->utf8_doc)
        undo_double_utf8(s);
    if (!s || !strstr(s, "\xC2"))
        return s;
    struct buf b = BUF_INIT;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) {
            if (feed_put_utf8(&b, feed_cp1252_c1(p[1])) < 0)
                goto fail;
            p += 2;
        } else if (buf_putc(&b, (char)*p++) < 0) {
            goto fail;
        }
    }
    char *r = buf_detach(&b);
    if (!r)
        goto fail;
    free(s);
    return r;
fail:
    buf_free(&b);
    w->oom = 1;
    return s;
}

/* Text directly inside n (feedparser gives child elements their own text). */
static char *direct_text(struct walk *w, const xmlNode *n)
{
    struct buf b = BUF_INIT;
    for (const xmlNode *c = n->children; c; c = c->next)
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content &&
            buf_puts(&b, (const char *)c->content) < 0)
            goto fail;
    char *r = buf_detach(&b);
    if (!r)
        goto fail;
    strip(r);
    return fix_c1(w, r);
fail:
    buf_free(&b);
    w->oom = 1;
    return NULL;
}

static char *resolve(struct walk *w, const char *uri)
{
    if (!uri)
        return NULL;
    if (!w->base || !*w->base)
        return xstrdup(w, uri);
    xmlChar *r = xmlBuildURI((const xmlChar *)uri, (const xmlChar *)w->base);
    if (!r)
        return xstrdup(w, uri);
    char *d = xstrdup(w, (const char *)r);
    xmlFree(r);
    return d;
}

static int piece_add(struct pieces *p, const char *s, size_t n, int escape)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        size_t *ns = realloc(p->start, cap * sizeof *ns);
        if (!ns)
            return -1;
        p->start = ns;
        p->cap = cap;
    }
    p->start[p->n++] = p->b.len;
    if (!escape)
        return buf_append(&p->b, s, n);
    for (size_t i = 0; i < n;) {
        size_t run = i;
        while (run < n && s[run] != '&' && s[run] != '<' && s[run] != '>')
            run++;
        if (buf_append(&p->b, s + i, run - i) < 0)
            return -1;
        if (run == n)
            break;
        const char *ent = s[run] == '&' ? "&amp;" : s[run] == '<' ? "&lt;" : "&gt;";
        if (buf_puts(&p->b, ent) < 0)
            return -1;
        i = run + 1;
    }
    return 0;
}

static const char *piece(const struct pieces *p, size_t i, size_t *len)
{
    size_t end = i + 1 < p->n ? p->start[i + 1] : p->b.len;
    *len = end - p->start[i];
    return p->b.data + p->start[i];
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

static int start_tag(struct walk *w, const xmlNode *n, const char *local, struct pieces *p)
{
    struct buf t = BUF_INIT;
    if (buf_putc(&t, '<') < 0 || buf_puts(&t, local) < 0)
        goto fail;
    for (const xmlAttr *a = n->properties; a; a = a->next) {
        char name[NAME_MAX_LEN];
        canon_name(a->ns, a->name, name, sizeof name);
        if (a->ns && !*ns_prefix(a->ns))
            snprintf(name, sizeof name, "%s", (const char *)a->name);
        xmlChar *v = xmlNodeListGetString(w->doc, a->children, 1);
        if (buf_putc(&t, ' ') < 0 || buf_puts(&t, name) < 0 || buf_append(&t, "=\"", 2) < 0) {
            xmlFree(v);
            goto fail;
        }
        for (const char *c = v ? (const char *)v : ""; *c; c++) {
            int rc;
            if (*c == '&')
                rc = buf_puts(&t, "&amp;");
            else if (*c == '<')
                rc = buf_puts(&t, "&lt;");
            else if (*c == '>')
                rc = buf_puts(&t, "&gt;");
            else if (*c == '"')
                rc = buf_puts(&t, "&quot;");
            else
                rc = buf_putc(&t, *c);
            if (rc < 0) {
                xmlFree(v);
                goto fail;
            }
        }
        xmlFree(v);
        if (buf_putc(&t, '"') < 0)
            goto fail;
    }
    /* feedparser declares these namespaces so the markup stays usable */
    if (n->ns && n->ns->href && (!n->parent || n->parent->ns != n->ns)) {
        const char *h = (const char *)n->ns->href;
        if ((!strcmp(local, "svg") && !strcmp(h, "http://www.w3.org/2000/svg")) ||
            (!strcmp(local, "math") && !strcmp(h, "http://www.w3.org/1998/Math/MathML")))
            if (buf_printf(&t, " xmlns=\"%s\"", h) < 0)
                goto fail;
    }
    if (buf_putc(&t, '>') < 0 || piece_add(p, t.data, t.len, 0) < 0)
        goto fail;
    buf_free(&t);
    return 0;
fail:
    buf_free(&t);
    return -1;
}

/* Collects the content of a typed element the way feedparser's handlers see
 * it: text, and markup as soon as the type is (or turns out to be) xhtml. */
static int collect(struct walk *w, const xmlNode *n, char *type, struct pieces *p, int depth)
{
    if (depth > FEED_MAX_DEPTH)
        return 0;
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            if (c->content &&
                piece_add(p, (const char *)c->content, strlen((const char *)c->content),
                          !strcmp(type, xhtml_type)) < 0)
                return -1;
            continue;
        }
        if (c->type != XML_ELEMENT_NODE)
            continue;
        char local[NAME_MAX_LEN];
        snprintf(local, sizeof local, "%s", (const char *)c->name);
        for (char *q = local; *q; q++)
            *q = (char)tolower((unsigned char)*q);
        if (!ends_with(type, "xml")) {
            /* escaped markup wrapped in a div: typepad does this */
            if (!strcmp(local, "div")) {
                if (collect(w, c, type, p, depth + 1) < 0)
                    return -1;
                if (!strcmp(type, xhtml_type) && piece_add(p, "</div>", 6, 0) < 0)
                    return -1;
                continue;
            }
            strcpy(type, xhtml_type); /* "escaped" content that is really markup */
        }
        if (strcmp(type, xhtml_type) != 0) {
            if (collect(w, c, type, p, depth + 1) < 0)
                return -1;
            continue;
        }
        if (start_tag(w, c, local, p) < 0 || collect(w, c, type, p, depth + 1) < 0)
            return -1;
        char end[NAME_MAX_LEN + 4];
        int k = snprintf(end, sizeof end, "</%s>", local);
        if (piece_add(p, end, (size_t)k, 0) < 0)
            return -1;
    }
    return 0;
}

static int is_blank(const struct pieces *p, size_t k)
{
    size_t n;
    const char *s = piece(p, k, &n);
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            return 0;
    return 1;
}

/* Atom 1.0 xhtml: drop the wrapper div when it encloses everything. */
static void unwrap_div(struct pieces *p, size_t *first, size_t *last)
{
    size_t a = 0, b = p->n, len = 0;
    while (b > a + 1 && is_blank(p, b - 1))
        b--;
    while (b > a + 1 && is_blank(p, a))
        a++;
    *first = a;
    *last = b;
    if (b <= a + 1)
        return;
    const char *s = piece(p, a, &len);
    if (!((len == 5 && !memcmp(s, "<div>", 5)) || (len > 5 && !memcmp(s, "<div ", 5))))
        return;
    s = piece(p, b - 1, &len);
    if (len != 6 || memcmp(s, "</div>", 6) != 0)
        return;
    int d = 0;
    for (size_t i = a; i < b - 1; i++) {
        s = piece(p, i, &len);
        if (len >= 2 && s[0] == '<' && s[1] == '/') {
            if (--d == 0)
                return; /* the first div closes early: <div>a</div><div>b</div> */
        } else if (len && s[0] == '<' && !(len >= 2 && s[len - 2] == '/')) {
            d++;
        }
    }
    *first = a + 1;
    *last = b - 1;
}

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Decodes base64 in place when it is valid and yields UTF-8; else keeps s. */
static void base64_decode(char *s)
{
    size_t o = 0, bits = 0;
    unsigned long acc = 0;
    char *out = malloc(strlen(s) + 1);
    if (!out)
        return;
    for (const char *c = s; *c; c++) {
        if (isspace((unsigned char)*c))
            continue;
        if (*c == '=')
            break;
        int v = b64val((unsigned char)*c);
        if (v < 0)
            goto keep;
        acc = (acc << 6) | (unsigned long)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((acc >> bits) & 0xFF);
        }
    }
    for (size_t i = 0; i < o;) {
        size_t k = feed_utf8_len((const unsigned char *)out + i, o - i);
        if (!k || !out[i])
            goto keep;
        i += k;
    }
    memcpy(s, out, o);
    s[o] = '\0';
keep:
    free(out);
}

/* HTML and XHTML values are re-serialised like feedparser's (feed_html.c). */
static int clean_html(struct walk *w, char **s, const char *type)
{
    char *c = NULL;
    if (feed_html_clean(*s, w->base, !strcmp(type, xhtml_type), &c) < 0)
        return -1;
    free(*s);
    *s = c;
    return 0;
}

/* The value of a typed element (title, summary, content ...): feedparser's
 * push_content/pop. *type receives the final content type. */
static char *content_value(struct walk *w, const xmlNode *n, const char *deftype, char *type,
                           size_t typesz)
{
    struct pieces p = {BUF_INIT, NULL, 0, 0};
    char *t = attr(n, "type");
    char *mode = attr(n, "mode");
    snprintf(type, typesz, "%s", t ? t : deftype);
    for (char *c = type; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    if (!strcmp(type, "text") || !strcmp(type, "plain"))
        snprintf(type, typesz, "text/plain");
    else if (!strcmp(type, "html"))
        snprintf(type, typesz, "text/html");
    else if (!strcmp(type, "xhtml"))
        snprintf(type, typesz, "%s", xhtml_type);
    int b64 = (mode && !strcmp(mode, "base64")) ||
              (strncmp(type, "text/", 5) != 0 && !ends_with(type, "xml"));
    xmlFree(t);
    xmlFree(mode);

    char *out = NULL;
    if (collect(w, n, type, &p, 0) < 0)
        goto fail;
    size_t a = 0, b = p.n, len = 0;
    if (w->atom10 && !strcmp(type, xhtml_type))
        unwrap_div(&p, &a, &b);
    struct buf j = BUF_INIT;
    for (size_t i = a; i < b; i++) {
        const char *s = piece(&p, i, &len);
        if (buf_append(&j, s, len) < 0) {
            buf_free(&j);
            goto fail;
        }
    }
    out = buf_detach(&j);
    if (!out)
        goto fail;
    strip(out);
    if (b64)
        base64_decode(out);
    if ((!strcmp(type, "text/html") || !strcmp(type, xhtml_type)) && clean_html(w, &out, type) < 0)
        goto fail;
    buf_free(&p.b);
    free(p.start);
    return fix_c1(w, out);
fail:
    buf_free(&p.b);
    free(p.start);
    w->oom = 1;
    return NULL;
}

static struct feed_entry *cur_entry(struct walk *w)
{
    return w->f->nentries ? &w->f->entries[w->f->nentries - 1] : NULL;
}

static void set_str(char **slot, char *v)
{
    free(*slot);
    *slot = v;
}

/* feedparser undoes "?a=1&b;=2" damage in link elements. */
static void fix_link_query(char *s)
{
    char *o = s;
    for (const char *p = s; *p;) {
        if (!strncmp(p, "&amp;", 5)) {
            *o++ = '&';
            p += 5;
            continue;
        }
        if (*p == '&') {
            const char *q = p + 1;
            while (isalnum((unsigned char)*q) || *q == '_')
                q++;
            if (q > p + 1 && *q == ';') {
                memmove(o, p, (size_t)(q - p));
                o += q - p;
                p = q + 1;
                continue;
            }
        }
        *o++ = *p++;
    }
    *o = '\0';
}

/* feedparser's pop(): where a finished value goes. Takes ownership of v. */
static void store(struct walk *w, const char *elem, char *v)
{
    if (!v)
        return;
    if (!strcmp(elem, "title") && w->title_depth > -1 && w->title_depth <= w->depth) {
        free(v);
        return;
    }
    if (w->inentry && !w->insource) {
        struct feed_entry *e = cur_entry(w);
        if (!e) {
            free(v);
            return;
        }
        if (!strcmp(elem, "content")) {
            if (!e->content)
                e->content = v;
            else
                free(v);
            return;
        }
        if (!strcmp(elem, "link")) {
            if (w->inimage) {
                free(v);
                return;
            }
            fix_link_query(v);
            set_str(&e->link, v);
            return;
        }
        int idx;
        char **slot;
        if (!strcmp(elem, "title")) {
            idx = E_TITLE, slot = &e->title;
        } else if (!strcmp(elem, "id")) {
            idx = E_ID, slot = &e->id;
        } else if (!strcmp(elem, "description") || !strcmp(elem, "summary")) {
            idx = E_SUMMARY, slot = &e->summary;
            w->entry_has_summary = 1;
        } else if (!strcmp(elem, "author")) {
            idx = E_AUTHOR, slot = &e->author;
        } else {
            free(v);
            return;
        }
        if (w->edepth[idx] < 0 || w->depth <= w->edepth[idx]) {
            w->edepth[idx] = w->depth;
            set_str(slot, v);
        } else {
            free(v);
        }
        return;
    }
    if ((w->infeed || w->insource) && !w->insource && !w->inimage && !w->intextinput) {
        if (!strcmp(elem, "title")) {
            set_str(&w->f->title, v);
        } else if (!strcmp(elem, "link")) {
            fix_link_query(v);
            set_str(&w->f->link, v);
        } else if (!strcmp(elem, "description") || !strcmp(elem, "subtitle")) {
            set_str(&w->f->subtitle, v);
        } else {
            if (!strcmp(elem, "summary"))
                w->feed_has_summary = 1;
            free(v);
        }
        return;
    }
    free(v);
}

/* feedparser's _save(key, value): only when the context has no value yet. */
static void save_link(struct walk *w, const char *v)
{
    if (w->insource || w->inimage || w->intextinput)
        return;
    if (w->inentry) {
        struct feed_entry *e = cur_entry(w);
        if (e && !e->link)
            e->link = xstrdup(w, v);
    } else if (!w->f->link) {
        w->f->link = xstrdup(w, v);
    }
}

static void sync_author(struct walk *w)
{
    struct feed_entry *e = cur_entry(w);
    if (!w->inentry || w->insource || !e || (!w->aname && !w->aemail))
        return;
    struct buf b = BUF_INIT;
    int rc;
    if (w->aname && w->aemail)
        rc = buf_printf(&b, "%s (%s)", w->aname, w->aemail);
    else
        rc = buf_puts(&b, w->aname ? w->aname : w->aemail);
    char *s = rc < 0 ? NULL : buf_detach(&b);
    if (!s) {
        buf_free(&b);
        w->oom = 1;
        return;
    }
    set_str(&e->author, s);
}

static void save_date(struct walk *w, const xmlNode *n, int published)
{
    struct feed_entry *e = cur_entry(w);
    if (!w->inentry || w->insource || !e)
        return;
    char *s = direct_text(w, n);
    time_t t;
    int ok = s && feed_parse_date(s, &t) == 0;
    free(s);
    if (published) {
        e->has_published = ok;
        e->published = ok ? t : 0;
    } else {
        e->has_updated = ok;
        e->updated = ok ? t : 0;
    }
}

static int context_has_summary(struct walk *w)
{
    if (w->inentry && !w->insource)
        return w->entry_has_summary;
    return w->feed_has_summary;
}

/* _start_content/_end_content: content, copied to summary when text/html. */
static void do_content(struct walk *w, const xmlNode *n, const char *deftype)
{
    char type[128];
    char *v = content_value(w, n, deftype, type, sizeof type);
    if (!v)
        return;
    int copy =
        !strcmp(type, "text/plain") || !strcmp(type, "text/html") || !strcmp(type, xhtml_type);
    if (copy && w->inentry && !w->insource && !w->entry_has_summary) {
        char *s = xstrdup(w, v);
        if (s)
            store(w, "summary", s);
    }
    store(w, "content", v);
}

static void walk_children(struct walk *w, const xmlNode *n);
static void do_poll_hint(struct walk *w, const xmlNode *n, const char *name);

static void start_entry(struct walk *w, const xmlNode *n)
{
    struct feed *f = w->f;
    struct feed_entry *ne = realloc(f->entries, (f->nentries + 1) * sizeof *ne);
    if (!ne) {
        w->oom = 1;
        return;
    }
    f->entries = ne;
    memset(&f->entries[f->nentries++], 0, sizeof *ne);
    w->inentry = 1;
    w->guidislink = 0;
    w->title_depth = -1;
    w->entry_has_summary = 0;
    for (int i = 0; i < E_NFIELDS; i++)
        w->edepth[i] = -1;
    free(w->aname);
    free(w->aemail);
    w->aname = w->aemail = NULL;
    char *about = attr(n, "rdf:about");
    if (about) {
        cur_entry(w)->id = xstrdup(w, about);
        xmlFree(about);
    }
    walk_children(w, n);
    w->inentry = 0;
    w->has_content = 0;
}

static void do_link(struct walk *w, const xmlNode *n)
{
    char *rel = attr(n, "rel"), *type = attr(n, "type");
    char *href = attr(n, "url");
    if (!href)
        href = attr(n, "uri");
    if (!href)
        href = attr(n, "href");
    const char *r = rel ? rel : "alternate";
    const char *t = type ? type : (!strcmp(r, "self") ? "application/atom+xml" : "text/html");
    if (!strcmp(r, "alternate") && (!strcasecmp(t, "text/html") || !strcasecmp(t, "html") ||
                                    !strcasecmp(t, "xhtml") || !strcasecmp(t, xhtml_type)))
        w->isentrylink = 1;
    if (href && *href) {
        if (w->isentrylink && !w->insource && !w->inimage && !w->intextinput) {
            char *v = resolve(w, href);
            struct feed_entry *e = cur_entry(w);
            if (v && w->inentry && e)
                set_str(&e->link, v);
            else if (v && w->infeed && !w->inentry)
                set_str(&w->f->link, v);
            else
                free(v);
        }
    } else {
        char *v = direct_text(w, n);
        if (v && *v) {
            char *abs = resolve(w, v);
            free(v);
            v = abs;
        }
        /* a URL as element text: only an alternate link may replace one
         * already seen (an enclosure must not win over the page) */
        if (v && strcmp(r, "alternate") != 0) {
            if (*v)
                save_link(w, v);
            free(v);
        } else {
            store(w, "link", v);
        }
    }
    xmlFree(rel);
    xmlFree(type);
    xmlFree(href);
    w->isentrylink = 0;
}

static void do_guid(struct walk *w, const xmlNode *n)
{
    char *pl = attr(n, "ispermalink");
    w->guidislink = !pl || !strcmp(pl, "true");
    xmlFree(pl);
    char *v = direct_text(w, n);
    if (!v)
        return;
    if (w->guidislink && *v) {
        char *abs = resolve(w, v);
        free(v);
        v = abs;
        if (!v)
            return;
    }
    if (w->guidislink)
        save_link(w, v);
    store(w, "id", v);
}

static void do_author(struct walk *w, const xmlNode *n)
{
    w->inauthor = 1;
    if (w->inentry && !w->insource) {
        free(w->aname);
        free(w->aemail);
        w->aname = w->aemail = NULL;
    }
    walk_children(w, n);
    store(w, "author", direct_text(w, n));
    w->inauthor = 0;
    sync_author(w);
}

static void do_author_part(struct walk *w, const xmlNode *n, int email)
{
    char *v = direct_text(w, n);
    if (!v || !w->inauthor || w->incontributor || !w->inentry || w->insource) {
        free(v);
        return;
    }
    if (email)
        set_str(&w->aemail, v);
    else
        set_str(&w->aname, v);
    sync_author(w);
}

static int name_in(const char *name, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(name, *list))
            return 1;
    return 0;
}

static void walk(struct walk *w, const xmlNode *n)
{
    if (w->oom || w->depth >= FEED_MAX_DEPTH)
        return;
    w->depth++;
    const char *saved_base = w->base;
    char *newbase = NULL;
    char *xb = attr(n, "xml:base");
    if (xb) {
        newbase = resolve(w, xb);
        xmlFree(xb);
        if (newbase)
            w->base = newbase;
    }

    char name[NAME_MAX_LEN];
    canon_name(n->ns, n->name, name, sizeof name);
    /* feedparser's hack for empty textinput/image elements of ill-formed feeds */
    static const char *const ti_keep[] = {"title", "link", "description", "name", NULL};
    static const char *const im_keep[] = {"title", "link",  "description", "url",
                                          "href",  "width", "height",      NULL};
    if (!strchr(name, ':')) {
        if (!name_in(name, ti_keep))
            w->intextinput = 0;
        if (!name_in(name, im_keep))
            w->inimage = 0;
    }

    char type[128];
    if (!strcmp(name, "channel") || !strcmp(name, "feed")) {
        w->infeed = 1;
        walk_children(w, n);
        w->infeed = 0;
    } else if (!strcmp(name, "item") || !strcmp(name, "entry")) {
        start_entry(w, n);
    } else if (!strcmp(name, "image")) {
        w->inimage = 1;
        w->title_depth = -1;
        walk_children(w, n);
        w->inimage = 0;
    } else if (!strcmp(name, "textinput")) {
        w->intextinput = 1;
        w->title_depth = -1;
        walk_children(w, n);
        w->intextinput = 0;
    } else if (!strcmp(name, "source")) {
        w->insource = 1;
        w->title_depth = -1;
        walk_children(w, n);
        w->insource = 0;
    } else if (!strcmp(name, "title") || !strcmp(name, "dc:title")) {
        char *v = content_value(w, n, "text/plain", type, sizeof type);
        int nonempty = v && *v;
        store(w, "title", v);
        if (nonempty)
            w->title_depth = w->depth;
    } else if (!strcmp(name, "description") || !strcmp(name, "dc:description") ||
               !strcmp(name, "summary")) {
        int is_summary = !strcmp(name, "summary");
        if (context_has_summary(w) && !w->has_content) {
            w->has_content = 1;
            do_content(w, n, "text/plain");
        } else {
            store(w, is_summary ? "summary" : "description",
                  content_value(w, n, is_summary ? "text/plain" : "text/html", type, sizeof type));
        }
    } else if (!strcmp(name, "content")) {
        w->has_content = 1;
        do_content(w, n, "text/plain");
    } else if (!strcmp(name, "content:encoded") || !strcmp(name, "fullitem")) {
        w->has_content = 1;
        do_content(w, n, "text/html");
    } else if (!strcmp(name, "body") || !strcmp(name, "xhtml:body")) {
        do_content(w, n, xhtml_type);
    } else if (!strcmp(name, "subtitle") || !strcmp(name, "tagline")) {
        store(w, "subtitle", content_value(w, n, "text/plain", type, sizeof type));
    } else if (!strcmp(name, "rights") || !strcmp(name, "copyright") || !strcmp(name, "info") ||
               !strcmp(name, "abstract") || !strcmp(name, "dcterms:abstract")) {
        /* typed text we do not report; its children are markup, not fields */
    } else if (!w->inentry && (!strcmp(name, "ttl") || !strcmp(name, "sy:updateperiod") ||
                               !strcmp(name, "sy:updatefrequency"))) {
        do_poll_hint(w, n, name);
    } else if (!strcmp(name, "link")) {
        do_link(w, n);
    } else if (!strcmp(name, "guid") || !strcmp(name, "id")) {
        do_guid(w, n);
    } else if (!strcmp(name, "author") || !strcmp(name, "managingeditor") ||
               !strcmp(name, "dc:author") || !strcmp(name, "dc:creator")) {
        do_author(w, n);
    } else if (!strcmp(name, "contributor") || !strcmp(name, "dc:contributor")) {
        w->incontributor = 1;
        walk_children(w, n);
        w->incontributor = 0;
    } else if (!strcmp(name, "name")) {
        do_author_part(w, n, 0);
    } else if (!strcmp(name, "email")) {
        do_author_part(w, n, 1);
    } else if (!strcmp(name, "published") || !strcmp(name, "issued") || !strcmp(name, "pubdate") ||
               !strcmp(name, "dcterms:issued")) {
        save_date(w, n, 1);
    } else if (!strcmp(name, "updated") || !strcmp(name, "modified") ||
               !strcmp(name, "lastbuilddate") || !strcmp(name, "dc:date") ||
               !strcmp(name, "dcterms:modified")) {
        save_date(w, n, 0);
    } else {
        walk_children(w, n);
    }

    w->base = saved_base;
    free(newbase);
    w->depth--;
}

/* RSS <ttl> (minutes) and the syndication module's period and frequency:
 * how long a poller should wait, as the feed itself says. */
static void do_poll_hint(struct walk *w, const xmlNode *n, const char *name)
{
    xmlChar *v = xmlNodeGetContent(n);
    if (!v)
        return;
    const char *s = (const char *)v;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    if (!strcmp(name, "sy:updateperiod")) {
        static const struct {
            const char *name;
            long secs;
        } periods[] = {{"hourly", 3600},
                       {"daily", 86400},
                       {"weekly", 7 * 86400},
                       {"monthly", 30 * 86400},
                       {"yearly", 365 * 86400}};
        for (size_t i = 0; i < sizeof periods / sizeof periods[0]; i++)
            if (!strncmp(s, periods[i].name, strlen(periods[i].name)))
                w->sy_period = periods[i].secs;
    } else {
        char *end;
        long x = strtol(s, &end, 10);
        if (end != s && x > 0 && x < 1000000) {
            if (!strcmp(name, "ttl"))
                w->ttl_secs = x * 60;
            else
                w->sy_freq = x;
        }
    }
    xmlFree(v);
    long sy = w->sy_period ? w->sy_period / (w->sy_freq > 0 ? w->sy_freq : 1) : 0;
    long hint = w->ttl_secs > sy ? w->ttl_secs : sy;
    w->f->ttl = hint > 365L * 86400 ? 365 * 86400 : (int)hint;
}

static void walk_children(struct walk *w, const xmlNode *n)
{
    for (const xmlNode *c = n->children; c && !w->oom; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            walk(w, c);
}

/* The document's feed format, or -1 when the root is not a feed's. */
static int feed_root(const xmlNode *root, int *atom10)
{
    const char *name = (const char *)root->name;
    *atom10 = root->ns && root->ns->href &&
              !strcmp((const char *)root->ns->href, "http://www.w3.org/2005/Atom");
    if (!strcasecmp(name, "rss") || !strcasecmp(name, "rdf") || !strcasecmp(name, "feed") ||
        !strcasecmp(name, "channel"))
        return 0;
    return -1;
}

void feed_free(struct feed *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->nentries; i++) {
        struct feed_entry *e = &f->entries[i];
        free(e->title);
        free(e->link);
        free(e->id);
        free(e->summary);
        free(e->content);
        free(e->author);
    }
    free(f->entries);
    free(f->bozo_msg);
    free(f->title);
    free(f->link);
    free(f->subtitle);
    free(f);
}

static int set_bozo(struct feed *f, const char *msg)
{
    f->bozo = 1;
    if (f->bozo_msg)
        return 0;
    f->bozo_msg = strdup(msg);
    return f->bozo_msg ? 0 : -1;
}

/* The slow path: the pre-pass, then libxml2 in recover mode. 0 and *doc, or
 * -1 (OOM, or nothing recovered: then *doc is NULL). Sets bozo messages. */
static int parse_slow(struct feed *f, const struct buf *utf8, const char *base_url, xmlDoc **doc)
{
    struct buf text = BUF_INIT;
    int entity_bozo = 0, rc = -1;
    *doc = NULL;
    if (feed_prepass(utf8->data ? utf8->data : "", utf8->len, &text, &entity_bozo) < 0)
        return -1;
    if (entity_bozo && set_bozo(f, "undefined entity or bare '&'") < 0)
        goto done;
    xmlInitParser();
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt)
        goto done;
    /* No NOENT, no DTDLOAD: the pre-pass removed the DTD anyway. HUGE only
     * lifts libxml2's 10 MB text-node limit, which would otherwise end the
     * parse and lose every later item; entities cannot expand (no DTD left)
     * and depth is capped by the pre-pass, so memory stays linear in len. */
    int opts = XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
               XML_PARSE_IGNORE_ENC | XML_PARSE_NOCDATA | XML_PARSE_HUGE;
    *doc =
        xmlCtxtReadMemory(ctxt, text.data ? text.data : "", (int)text.len, base_url, "UTF-8", opts);
    rc = 0;
    if (*doc && (!ctxt->wellFormed || !ctxt->nsWellFormed)) {
        const xmlError *e = xmlCtxtGetLastError(ctxt);
        char msg[256];
        snprintf(msg, sizeof msg, "not well-formed XML%s%s", e && e->message ? ": " : "",
                 e && e->message ? e->message : "");
        size_t ml = strlen(msg);
        while (ml && (msg[ml - 1] == '\n' || msg[ml - 1] == ' '))
            msg[--ml] = '\0';
        if (set_bozo(f, msg) < 0)
            rc = -1;
    }
    xmlFreeParserCtxt(ctxt);
done:
    buf_free(&text);
    return rc;
}

int feed_parse(const char *data, size_t len, const char *base_url, const char *http_charset,
               struct feed **out, char *err, size_t errsz)
{
    return feed_parse_ex(data, len, base_url, http_charset, 1, out, err, errsz);
}

int feed_parse_ex(const char *data, size_t len, const char *base_url, const char *http_charset,
                  int fast, struct feed **out, char *err, size_t errsz)
{
    struct buf utf8 = BUF_INIT;
    struct feed *f = NULL;
    xmlDocPtr doc = NULL;
    struct walk w;
    memset(&w, 0, sizeof w);
    int charset_bozo = 0, was_utf8 = 0;

    *out = NULL;
    if (!data || len == 0) {
        pw_err(err, errsz, "empty input, not a feed");
        goto fail;
    }
    if (len > INT_MAX) {
        pw_err(err, errsz, "input too large (%zu bytes)", len);
        goto fail;
    }
    f = calloc(1, sizeof *f);
    if (!f)
        goto oom;
    if (feed_to_utf8(data, len, http_charset, &utf8, &charset_bozo, &was_utf8) < 0)
        goto oom;
    if (charset_bozo && set_bozo(f, "document declared or sniffed a wrong charset") < 0)
        goto oom;
    int rc = fast ? feed_xml_fast(utf8.data ? utf8.data : "", utf8.len, &doc) : 1;
    if (rc < 0)
        goto oom;
    if (rc > 0 && parse_slow(f, &utf8, base_url, &doc) < 0)
        goto oom;
    buf_free(&utf8);
    if (!doc || !xmlDocGetRootElement(doc)) {
        pw_err(err, errsz, "not a feed: no XML document element could be recovered");
        goto fail;
    }
    xmlNode *root = xmlDocGetRootElement(doc);
    if (feed_root(root, &w.atom10) < 0) {
        pw_err(err, errsz, "not a feed: document element is <%s>, not rss, RDF or feed",
               (const char *)root->name);
        goto fail;
    }

    w.f = f;
    w.doc = doc;
    w.utf8_doc = was_utf8;
    w.title_depth = -1;
    w.base = base_url;
    for (int i = 0; i < E_NFIELDS; i++)
        w.edepth[i] = -1;
    walk(&w, root);
    free(w.aname);
    free(w.aemail);
    if (w.oom)
        goto oom;

    xmlFreeDoc(doc);
    *out = f;
    return 0;
oom:
    pw_err(err, errsz, "out of memory parsing feed");
fail:
    free(w.aname);
    free(w.aemail);
    xmlFreeDoc(doc);
    buf_free(&utf8);
    feed_free(f);
    return -1;
}

/* Two digits of v at o (printf would dominate a short entry's output). */
static void put2(char *o, int v)
{
    o[0] = (char)('0' + v / 10 % 10);
    o[1] = (char)('0' + v % 10);
}

static int json_date(struct buf *b, int has, time_t t)
{
    struct tm tm;
    if (!has || !gmtime_r(&t, &tm))
        return buf_puts(b, "null");
    int y = tm.tm_year + 1900;
    if (y < 0 || y > 9999)
        return buf_printf(b, "\"%04d-%02d-%02dT%02d:%02d:%02dZ\"", y, tm.tm_mon + 1, tm.tm_mday,
                          tm.tm_hour, tm.tm_min, tm.tm_sec);
    char d[] = "\"0000-00-00T00:00:00Z\"";
    put2(d + 1, y / 100);
    put2(d + 3, y % 100);
    put2(d + 6, tm.tm_mon + 1);
    put2(d + 9, tm.tm_mday);
    put2(d + 12, tm.tm_hour);
    put2(d + 15, tm.tm_min);
    put2(d + 18, tm.tm_sec);
    return buf_append(b, d, sizeof d - 1);
}

int feed_to_json(const struct feed *f, char **json)
{
    struct buf b = BUF_INIT;
    *json = NULL;
    if (buf_printf(&b, "{\"bozo\":%s,\"title\":", f->bozo ? "true" : "false") < 0 ||
        buf_json_str(&b, f->title) < 0 || buf_puts(&b, ",\"link\":") < 0 ||
        buf_json_str(&b, f->link) < 0 || buf_puts(&b, ",\"subtitle\":") < 0 ||
        buf_json_str(&b, f->subtitle) < 0 || buf_puts(&b, ",\"entries\":[") < 0)
        goto fail;
    for (size_t i = 0; i < f->nentries; i++) {
        const struct feed_entry *e = &f->entries[i];
        if ((i && buf_putc(&b, ',') < 0) || buf_puts(&b, "{\"title\":") < 0 ||
            buf_json_str(&b, e->title) < 0 || buf_puts(&b, ",\"link\":") < 0 ||
            buf_json_str(&b, e->link) < 0 || buf_puts(&b, ",\"id\":") < 0 ||
            buf_json_str(&b, e->id) < 0 || buf_puts(&b, ",\"summary\":") < 0 ||
            buf_json_str(&b, e->summary) < 0 || buf_puts(&b, ",\"content\":") < 0 ||
            buf_json_str(&b, e->content) < 0 || buf_puts(&b, ",\"author\":") < 0 ||
            buf_json_str(&b, e->author) < 0 || buf_puts(&b, ",\"published\":") < 0 ||
            json_date(&b, e->has_published, e->published) < 0 ||
            buf_puts(&b, ",\"updated\":") < 0 || json_date(&b, e->has_updated, e->updated) < 0 ||
            buf_putc(&b, '}') < 0)
            goto fail;
    }
    if (buf_puts(&b, "]}") < 0)
        goto fail;
    *json = buf_detach(&b);
    if (!*json)
        goto fail;
    return 0;
fail:
    buf_free(&b);
    return -1;
}
