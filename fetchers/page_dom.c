/*
 * page_dom: flattens libxml2's tree into a preorder table of nodes with the
 * static facts the scorer needs (tag, class/id hints, text lengths). The
 * table is walked with plain loops, so a page nested 10,000 levels deep
 * costs no stack, and a subtree is the index range [i, n[i].end).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fetchers/page_int.h"

struct tagdef {
    const char *name; /* cppcheck-suppress unusedStructMember ; the bsearch key */
    unsigned char tag;
};

/* Sorted by name for bsearch. */
static const struct tagdef tags[] = {
    {"a", T_A},
    {"article", T_ARTICLE},
    {"aside", T_ASIDE},
    {"blockquote", T_BLOCKQUOTE},
    {"body", T_BODY},
    {"br", T_BR},
    {"button", T_BUTTON},
    {"caption", T_CAPTION},
    {"code", T_CODE},
    {"dd", T_DD},
    {"div", T_DIV},
    {"dl", T_DL},
    {"dt", T_DT},
    {"embed", T_EMBED},
    {"fieldset", T_FIELDSET},
    {"figcaption", T_FIGCAPTION},
    {"figure", T_FIGURE},
    {"footer", T_FOOTER},
    {"form", T_FORM},
    {"h1", T_H1},
    {"h2", T_H2},
    {"h3", T_H3},
    {"h4", T_H4},
    {"h5", T_H5},
    {"h6", T_H6},
    {"header", T_HEADER},
    {"html", T_HTML},
    {"iframe", T_IFRAME},
    {"img", T_IMG},
    {"input", T_INPUT},
    {"li", T_LI},
    {"main", T_MAIN},
    {"nav", T_NAV},
    {"object", T_OBJECT},
    {"ol", T_OL},
    {"p", T_P},
    {"pre", T_PRE},
    {"section", T_SECTION},
    {"select", T_SELECT},
    {"table", T_TABLE},
    {"td", T_TD},
    {"textarea", T_TEXTAREA},
    {"th", T_TH},
    {"thead", T_THEAD},
    {"tr", T_TR},
    {"ul", T_UL},
};

static int tagcmp(const void *k, const void *e)
{
    return strcmp(k, ((const struct tagdef *)e)->name);
}

static unsigned char tag_of(const char *name)
{
    const struct tagdef *t =
        bsearch(name, tags, sizeof tags / sizeof tags[0], sizeof tags[0], tagcmp);
    return t ? t->tag : T_OTHER;
}

/* Class/id vocabulary, after Readability's regular expressions. */
static const char *const unlikely_words[] = {
    "-ad-",       "ai2html",  "banner",     "breadcrumb", "combx",      "comment",    "community",
    "cover-wrap", "disqus",   "extra",      "footer",     "gdpr",       "header",     "legends",
    "menu",       "related",  "remark",     "replies",    "rss",        "shoutbox",   "sidebar",
    "skyscraper", "social",   "sponsor",    "supplement", "ad-break",   "agegate",    "pagination",
    "pager",      "popup",    "yom-remote", "subscri",    "newsletter", "cookie",     "read-also",
    "readalso",   "see-also", "share",      "promo",      "adfox",      "yandex_rtb", "modal"};
static const char *const maybe_words[] = {"and",     "article", "body",   "column",
                                          "content", "main",    "shadow", "text"};
static const char *const negative_words[] = {
    "-ad-",     "hidden", "banner",   "combx",    "comment", "com-",       "contact",
    "footer",   "gdpr",   "masthead", "media",    "meta",    "outbrain",   "promo",
    "related",  "scroll", "share",    "shoutbox", "sidebar", "skyscraper", "sponsor",
    "shopping", "tags",   "widget",   "caption",  "credit",  "subscri",    "advert",
    "counter",  "rating", "author",   "byline",   "social",  "nav",        "breadcrumb"};
static const char *const positive_words[] = {"article", "body",  "content",    "entry", "hentry",
                                             "h-entry", "main",  "page",       "post",  "text",
                                             "blog",    "story", "news-detail"};
/* Widgets that are never article text, whatever else the class says. */
static const char *const noise_words[] = {
    "share",      "social",    "subscribe",      "newsletter",    "read-also", "readalso",
    "see-also",   "related",   "comments-count", "comment-count", "adfox",     "yandex_rtb",
    "advert",     "banner",    "breadcrumb",     "tags",          "likes",     "views-count",
    "print-link", "sharing",   "recommend",      "popular",       "most-read", "outbrain",
    "taboola",    "sponsored", "promo",          "cookie"};

/* Article furniture: short lines of date, author, counters, categories. */
static const char *const meta_words[] = {
    "date",      "time",     "views",     "view-count", "hits",   "author", "byline",
    "rating",    "category", "submitted", "info",       "meta",   "tags",   "counter",
    "statistic", "source",   "comments",  "published",  "updated"};
static const char *const caption_words[] = {"caption",    "credit",     "copyright",
                                            "photo-desc", "photo_desc", "img-desc"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int any_word(const char *s, const char *const *words, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strstr(s, words[i]))
            return 1;
    return 0;
}

/* The value of attribute name as a lower-case copy in buf ("" if absent). */
static void attr_lower(xmlNode *x, const char *name, char *buf, size_t sz)
{
    buf[0] = '\0';
    xmlAttr *a = xmlHasProp(x, (const xmlChar *)name);
    if (!a || !a->children || !a->children->content)
        return;
    const char *v = (const char *)a->children->content;
    size_t k = 0;
    for (; v[k] && k + 1 < sz; k++)
        buf[k] = (char)tolower((unsigned char)v[k]);
    buf[k] = '\0';
}

int page_attr_is(xmlNode *x, const char *attr, const char *value)
{
    char v[64];
    attr_lower(x, attr, v, sizeof v);
    return strcmp(v, value) == 0;
}

static int weight_of(const char *s)
{
    int w = 0;
    if (!*s)
        return 0;
    if (any_word(s, negative_words, COUNT(negative_words)))
        w -= 25;
    if (any_word(s, positive_words, COUNT(positive_words)))
        w += 25;
    return w;
}

static int hidden(xmlNode *x)
{
    char v[256];
    if (xmlHasProp(x, (const xmlChar *)"hidden"))
        return 1;
    attr_lower(x, "aria-hidden", v, sizeof v);
    if (!strcmp(v, "true"))
        return 1;
    attr_lower(x, "style", v, sizeof v);
    if (strstr(v, "display:none") || strstr(v, "display: none") || strstr(v, "visibility:hidden") ||
        strstr(v, "visibility: hidden"))
        return 1;
    static const char *const roles[] = {"menu",  "menubar",     "complementary", "navigation",
                                        "alert", "alertdialog", "dialog"};
    attr_lower(x, "role", v, sizeof v);
    for (size_t i = 0; i < COUNT(roles); i++)
        if (!strcmp(v, roles[i]))
            return 1;
    return 0;
}

/* Sets flags and weight of an element from its attributes. */
static void classify(struct pnode *p, const struct pnode *parent)
{
    char cls[512], id[256], v[64];
    xmlNode *x = p->x;
    attr_lower(x, "class", cls, sizeof cls);
    attr_lower(x, "id", id, sizeof id);
    p->weight = (signed char)(weight_of(cls) + weight_of(id));

    char both[800];
    snprintf(both, sizeof both, "%s %s", cls, id);
    if (any_word(both, unlikely_words, COUNT(unlikely_words)) &&
        !any_word(both, maybe_words, COUNT(maybe_words)) && p->tag != T_BODY && p->tag != T_A)
        p->flags |= NF_UNLIKELY;
    if (any_word(both, noise_words, COUNT(noise_words)) && p->tag != T_BODY && p->tag != T_HTML &&
        p->tag != T_ARTICLE)
        p->flags |= NF_NOISE;
    if (strstr(both, "share"))
        p->flags |= NF_SHARE;
    if (any_word(both, meta_words, COUNT(meta_words)))
        p->flags |= NF_META;
    if (any_word(both, caption_words, COUNT(caption_words)) || p->tag == T_FIGCAPTION)
        p->flags |= NF_CAPTION;
    if (strstr(both, "byline") || page_attr_is(x, "rel", "author"))
        p->flags |= NF_BYLINE;
    attr_lower(x, "itemprop", v, sizeof v);
    if (!strcmp(v, "author"))
        p->flags |= NF_BYLINE;
    if (!strcmp(v, "articlebody")) {
        p->flags |= NF_BODYPROP;
        p->weight = 50;
    }
    if (hidden(x))
        p->flags |= NF_HIDDEN;
    if (p->tag == T_A) {
        attr_lower(x, "href", v, sizeof v);
        if (v[0] == '#')
            p->flags |= NF_HASHLINK;
    }
    if (parent && ((parent->flags & NF_IN_TABLE) || parent->tag == T_TABLE ||
                   parent->tag == T_CODE || parent->tag == T_PRE))
        p->flags |= NF_IN_TABLE;
    int kind = page_block_kind((const char *)x->name);
    if (kind)
        p->flags |= NF_BLOCK;
    if (kind == 1 || p->tag == T_BR)
        p->flags |= NF_LINEBREAK;
}

/* Characters of a text node with whitespace runs counted once. */
static void text_stats(const char *s, int *chars, int *commas)
{
    int c = 0, k = 0, space = 1;
    for (const unsigned char *u = (const unsigned char *)s; *u; u++) {
        if ((*u & 0xC0) == 0x80)
            continue;
        if (isspace(*u)) {
            if (!space)
                c++;
            space = 1;
            continue;
        }
        space = 0;
        c++;
        k += *u == ',';
    }
    *chars = c;
    *commas = k;
}

static int push(struct pdoc *d, xmlNode *x, int parent)
{
    if (d->len == d->cap) {
        int cap = d->cap ? d->cap * 2 : 1024;
        struct pnode *n = realloc(d->n, (size_t)cap * sizeof *n);
        if (!n)
            return -1;
        d->n = n;
        d->cap = cap;
    }
    struct pnode *p = &d->n[d->len];
    memset(p, 0, sizeof *p);
    p->x = x;
    p->parent = parent;
    return d->len++;
}

int page_dom_build(htmlDocPtr doc, struct pdoc *d)
{
    memset(d, 0, sizeof *d);
    d->doc = doc;
    d->body = -1;
    xmlNode *root = xmlDocGetRootElement(doc);
    if (!root)
        return 0;
    /* Iterative preorder walk; cur is the table index of x's parent. */
    int cur = -1;
    xmlNode *x = root;
    for (;;) {
        int descend = 0;
        if (x->type == XML_ELEMENT_NODE && !page_skipped((const char *)x->name)) {
            int i = push(d, x, cur);
            if (i < 0)
                return -1;
            struct pnode *p = &d->n[i];
            p->tag = tag_of((const char *)x->name);
            classify(p, cur >= 0 ? &d->n[cur] : NULL);
            if (cur >= 0)
                d->n[cur].nchild++;
            if (p->tag == T_BODY && d->body < 0)
                d->body = i;
            if (x->children) {
                cur = i;
                descend = 1;
            } else {
                p->end = i + 1;
            }
        } else if ((x->type == XML_TEXT_NODE || x->type == XML_CDATA_SECTION_NODE) && x->content &&
                   cur >= 0) {
            int i = push(d, x, cur);
            if (i < 0)
                return -1;
            struct pnode *p = &d->n[i];
            p->tag = T_TEXT;
            p->end = i + 1;
            text_stats((const char *)x->content, &p->chars, &p->commas);
        }
        if (descend) {
            x = x->children;
            continue;
        }
        /* Every ancestor of x below root was entered, so climbing closes
         * exactly the table entries on the cur chain. */
        while (x != root && !x->next) {
            x = x->parent;
            d->n[cur].end = d->len;
            cur = d->n[cur].parent;
        }
        if (x == root)
            break;
        x = x->next;
    }
    for (; cur >= 0; cur = d->n[cur].parent)
        d->n[cur].end = d->len;
    if (d->body < 0)
        d->body = 0;
    return 0;
}

void page_dom_free(struct pdoc *d)
{
    free(d->n);
    d->n = NULL;
    d->len = d->cap = 0;
}
