/*
 * page_meta: headline, byline and date from the places publishers put them
 * (Open Graph and article: meta tags, schema.org microdata, JSON-LD, <time>,
 * <title> and <h1>), and a JSON-LD articleBody for when the page's own
 * markup hides the text. The strongest source wins: a field once set is
 * never overwritten by a weaker one.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fetchers/page_int.h"

#define MAX_HEADLINE 1000

static char *attr(xmlNode *x, const char *name)
{
    return (char *)xmlGetProp(x, (const xmlChar *)name);
}

/* A copy of s with whitespace collapsed and trimmed, or NULL if empty or
 * out of memory (then *oom is set). */
static char *squeeze(const char *s, size_t n, int *oom)
{
    char *o = malloc(n + 1);
    if (!o) {
        *oom = 1;
        return NULL;
    }
    size_t k = 0;
    int space = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isspace(c) || (c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0xA0)) {
            i += c == 0xC2;
            space = k > 0;
            continue;
        }
        if (space)
            o[k++] = ' ';
        space = 0;
        o[k++] = (char)c;
    }
    o[k] = '\0';
    if (!k) {
        free(o);
        return NULL;
    }
    return o;
}

/* Sets *slot to a squeezed copy of s unless it is already set; long values
 * are cut at a character boundary. -1 when memory ran out. */
static int offer(char **slot, const char *s)
{
    if (*slot || !s)
        return 0;
    size_t n = strnlen(s, MAX_HEADLINE + 1);
    if (n > MAX_HEADLINE) {
        n = MAX_HEADLINE;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    int oom = 0;
    *slot = squeeze(s, n, &oom);
    return oom ? -1 : 0;
}

static int offer_text(char **slot, xmlNode *x)
{
    if (*slot)
        return 0;
    char *t = (char *)xmlNodeGetContent(x);
    int rc = offer(slot, t);
    xmlFree(t);
    return rc;
}

/* Decodes the JSON string starting after its opening quote at s. */
static char *json_string(const char *s)
{
    struct buf b = BUF_INIT;
    for (; *s && *s != '"'; s++) {
        if (*s != '\\') {
            if (buf_putc(&b, *s) < 0)
                goto fail;
            continue;
        }
        s++;
        char c = *s;
        if (!c)
            break;
        if (c == 'u') {
            unsigned cp = 0;
            if (sscanf(s + 1, "%4x", &cp) != 1 || strspn(s + 1, "0123456789abcdefABCDEF") < 4)
                break;
            s += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && s[1] == '\\' && s[2] == 'u') {
                unsigned lo = 0;
                if (sscanf(s + 3, "%4x", &lo) == 1 && lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    s += 6;
                }
            }
            if (cp >= 0xD800 && cp <= 0xDFFF)
                cp = 0xFFFD;
            char u[4];
            int k;
            if (cp < 0x80)
                u[0] = (char)cp, k = 1;
            else if (cp < 0x800)
                u[0] = (char)(0xC0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3F)), k = 2;
            else if (cp < 0x10000)
                u[0] = (char)(0xE0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 0x3F)),
                u[2] = (char)(0x80 | (cp & 0x3F)), k = 3;
            else
                u[0] = (char)(0xF0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 0x3F)),
                u[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (char)(0x80 | (cp & 0x3F)), k = 4;
            if (buf_append(&b, u, (size_t)k) < 0)
                goto fail;
            continue;
        }
        const char *from = "bfnrt", *to = "\b\f\n\r\t";
        const char *e = strchr(from, c);
        if (buf_putc(&b, e ? to[e - from] : c) < 0)
            goto fail;
    }
    return buf_detach(&b);
fail:
    buf_free(&b);
    return NULL;
}

/* The string value of "key" in JSON text js (first occurrence), or NULL.
 * A full JSON parser buys nothing here: publishers' JSON-LD is often
 * invalid, and we want one string. *oom is set when memory ran out. */
static char *json_value(const char *js, const char *key, int *oom)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    for (const char *p = strstr(js, pat); p; p = strstr(p + 1, pat)) {
        const char *v = p + strlen(pat);
        while (isspace((unsigned char)*v))
            v++;
        if (*v != ':')
            continue;
        v++;
        while (isspace((unsigned char)*v))
            v++;
        if (*v == '{' || *v == '[') {
            /* An object (author: {"name": ...}): take its name nearby. */
            const char *n = strstr(v, "\"name\"");
            if (!n || n - v > 300)
                continue;
            v = n + 6;
            while (isspace((unsigned char)*v) || *v == ':')
                v++;
        }
        if (*v != '"')
            continue;
        char *s = json_string(v + 1);
        if (!s)
            *oom = 1;
        return s;
    }
    return NULL;
}

static int read_ld(const char *js, struct page_meta *m, char **ld_title)
{
    int oom = 0;
    const char *keys[] = {"articleBody", "datePublished", "author", "headline"};
    char **slots[] = {&m->ld_body, &m->date, &m->byline, ld_title};
    for (size_t i = 0; i < 4; i++) {
        if (*slots[i])
            continue;
        char *v = json_value(js, keys[i], &oom);
        if (v && i > 0) {
            int rc = offer(slots[i], v);
            free(v);
            if (rc < 0)
                return -1;
        } else {
            *slots[i] = v;
        }
    }
    return oom ? -1 : 0;
}

/* Meta tags by name or property, in priority order per field. */
static int read_metatag(xmlNode *x, struct page_meta *m, char **og, char **tw)
{
    char *key = attr(x, "property");
    if (!key)
        key = attr(x, "name");
    if (!key)
        key = attr(x, "itemprop");
    char *content = key ? attr(x, "content") : NULL;
    int rc = 0;
    if (content) {
        if (!strcasecmp(key, "og:title"))
            rc = offer(og, content);
        else if (!strcasecmp(key, "twitter:title"))
            rc = offer(tw, content);
        else if (!strcasecmp(key, "article:published_time") || !strcasecmp(key, "datepublished") ||
                 !strcasecmp(key, "pubdate") || !strcasecmp(key, "publish-date") ||
                 !strcasecmp(key, "dc.date") || !strcasecmp(key, "date"))
            rc = offer(&m->date, content);
        else if ((!strcasecmp(key, "author") || !strcasecmp(key, "article:author")) &&
                 strncmp(content, "http", 4))
            rc = offer(&m->byline, content);
    }
    xmlFree(key);
    xmlFree(content);
    return rc;
}

/* Headline separators that usually set off the site name. */
static const char *const seps[] = {" | ", " - ", " — ", " – ", " :: ", " » ", " « ", " / ", " · "};

static int words(const char *s, size_t n)
{
    int w = 0, in = 0;
    for (size_t i = 0; i < n; i++) {
        int sp = s[i] == ' ';
        w += !sp && !in;
        in = !sp;
    }
    return w;
}

/* Drops a site name from a headline, as Readability does: cut at the last
 * separator, unless that leaves under three words, then after the first. */
static void strip_site(char *t)
{
    const char *first = NULL, *last = NULL;
    size_t flen = 0;
    for (size_t i = 0; i < sizeof seps / sizeof seps[0]; i++) {
        size_t n = strlen(seps[i]);
        for (const char *p = strstr(t, seps[i]); p; p = strstr(p + 1, seps[i])) {
            if (!first || p < first)
                first = p, flen = n;
            if (!last || p > last)
                last = p;
        }
    }
    if (!last)
        return;
    if (words(t, (size_t)(last - t)) >= 3) {
        t[last - t] = '\0';
        return;
    }
    const char *rest = first + flen;
    if (words(rest, strlen(rest)) >= 3)
        memmove(t, rest, strlen(rest) + 1);
}

/* Picks the headline: an <h1> the meta titles contain, else the cleaned
 * og:title, JSON-LD headline, twitter:title or <title>, else the <h1>. */
static int choose_title(struct page_meta *m, char **cands, size_t nc, char *h1)
{
    for (size_t i = 0; h1 && i < nc; i++)
        if (cands[i] && strlen(h1) >= 10 && strstr(cands[i], h1)) {
            m->title = strdup(h1);
            return m->title ? 0 : -1;
        }
    for (size_t i = 0; i < nc; i++)
        if (cands[i]) {
            m->title = strdup(cands[i]);
            if (!m->title)
                return -1;
            strip_site(m->title);
            return 0;
        }
    if (h1)
        m->title = strdup(h1);
    return h1 && !m->title ? -1 : 0;
}

int page_meta_read(const struct pdoc *d, struct page_meta *m)
{
    char *og = NULL, *tw = NULL, *ld_title = NULL, *tag_title = NULL, *h1 = NULL;
    char *time_dt = NULL, *prop_byline = NULL;
    int rc = 0;
    memset(m, 0, sizeof *m);
    xmlNode *root = xmlDocGetRootElement(d->doc);
    /* Iterative preorder walk over the whole tree, head included. */
    for (xmlNode *x = root; x && rc == 0;) {
        if (x->type == XML_ELEMENT_NODE) {
            const char *name = (const char *)x->name;
            if (!strcmp(name, "meta")) {
                rc = read_metatag(x, m, &og, &tw);
            } else if (!strcmp(name, "title") && !tag_title) {
                rc = offer_text(&tag_title, x);
            } else if (!strcmp(name, "h1") && !h1) {
                rc = offer_text(&h1, x);
            } else if (!strcmp(name, "script")) {
                char *type = attr(x, "type");
                if (type && strstr(type, "ld+json")) {
                    char *js = (char *)xmlNodeGetContent(x);
                    if (js)
                        rc = read_ld(js, m, &ld_title);
                    xmlFree(js);
                }
                xmlFree(type);
            } else if (!strcmp(name, "time") && !time_dt) {
                char *v = attr(x, "datetime");
                rc = offer(&time_dt, v);
                xmlFree(v);
            } else if (!prop_byline && (page_attr_is(x, "itemprop", "author") ||
                                        page_attr_is(x, "rel", "author"))) {
                rc = offer_text(&prop_byline, x);
                if (prop_byline && strlen(prop_byline) > 100) {
                    free(prop_byline);
                    prop_byline = NULL;
                }
            }
            if (x->children && strcmp(name, "script") && strcmp(name, "style")) {
                x = x->children;
                continue;
            }
        }
        while (x != root && !x->next)
            x = x->parent;
        x = x == root ? NULL : x->next;
    }
    if (rc == 0) {
        char *cands[] = {og, ld_title, tw, tag_title};
        rc = choose_title(m, cands, 4, h1);
    }
    if (rc == 0 && !m->date && time_dt) {
        m->date = time_dt;
        time_dt = NULL;
    }
    if (rc == 0 && !m->byline && prop_byline) {
        m->byline = prop_byline;
        prop_byline = NULL;
    }
    free(og);
    free(tw);
    free(ld_title);
    free(tag_title);
    free(h1);
    free(time_dt);
    free(prop_byline);
    if (rc < 0)
        page_meta_free(m);
    return rc;
}

void page_meta_free(struct page_meta *m)
{
    free(m->title);
    free(m->byline);
    free(m->date);
    free(m->ld_body);
    memset(m, 0, sizeof *m);
}
