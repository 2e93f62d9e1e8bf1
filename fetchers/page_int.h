/*
 * page_int: what the page_*.c files share. Not part of the module's public
 * interface (that is fetchers/page.h).
 */
#ifndef PW_FETCHERS_PAGE_INT_H
#define PW_FETCHERS_PAGE_INT_H

#include <libxml/HTMLparser.h>
#include <stddef.h>

#include "common/buf.h"

/* --- page.c: text output with block-level breaks --------------------- */

struct walker {
    struct buf out;
    int pending_space;
    int pending_breaks; /* 1: newline, 2: blank line */
    int oom;
};

void page_emit_text(struct walker *w, const char *s);
void page_emit_break(struct walker *w, int n);
/* 0: inline, 1: ends a line (li, tr), 2: ends a paragraph. */
int page_block_kind(const char *name);
/* Elements whose content is never text (script, style, ...). */
int page_skipped(const char *name);

/* --- page_charset.c -------------------------------------------------- */

/* Decodes html into UTF-8 in *out (NUL bytes and undecodable bytes become
 * U+FFFD or a space, so the parser never meets an encoding error) and names
 * the charset used in name. 0 or -1 (out of memory). */
int page_decode(const char *html, size_t len, const char *http_charset, struct buf *out, char *name,
                size_t namesz, char *err, size_t errsz);

/* --- page_dom.c / page_score.c: the article node table ---------------- */

enum ptag {
    T_OTHER,
    T_TEXT,
    T_A,
    T_ARTICLE,
    T_ASIDE,
    T_BLOCKQUOTE,
    T_BODY,
    T_BR,
    T_BUTTON,
    T_CAPTION,
    T_CODE,
    T_DD,
    T_DIV,
    T_DL,
    T_DT,
    T_EMBED,
    T_FIELDSET,
    T_FIGCAPTION,
    T_FIGURE,
    T_FOOTER,
    T_FORM,
    T_H1,
    T_H2,
    T_H3,
    T_H4,
    T_H5,
    T_H6,
    T_HEADER,
    T_HTML,
    T_IFRAME,
    T_IMG,
    T_INPUT,
    T_LI,
    T_MAIN,
    T_NAV,
    T_OBJECT,
    T_OL,
    T_P,
    T_PRE,
    T_SECTION,
    T_SELECT,
    T_TABLE,
    T_TD,
    T_TEXTAREA,
    T_TH,
    T_THEAD,
    T_TR,
    T_UL
};

/* Static facts about one node, from the parsed tree (page_dom.c). */
enum {
    NF_BLOCK = 1 << 0,     /* ends a paragraph */
    NF_UNLIKELY = 1 << 1,  /* class/id says boilerplate, nothing says content */
    NF_HIDDEN = 1 << 2,    /* hidden, display:none, aria-hidden, boilerplate role */
    NF_HASHLINK = 1 << 3,  /* <a href="#..."> */
    NF_SHARE = 1 << 4,     /* class/id mentions sharing */
    NF_BYLINE = 1 << 5,    /* rel/itemprop/class says author */
    NF_BODYPROP = 1 << 6,  /* itemprop="articleBody" */
    NF_IN_TABLE = 1 << 7,  /* has a table or code ancestor */
    NF_CAPTION = 1 << 8,   /* figcaption or class caption/credit */
    NF_LINEBREAK = 1 << 9, /* li, tr, br: a line, not a paragraph */
    NF_NOISE = 1 << 10,    /* class/id names a widget never part of an article */
    NF_META = 1 << 11      /* class/id names a date, author, view count, ... */
};

struct pnode {
    xmlNode *x;
    int parent; /* index, -1 at the root */
    int end;    /* one past the last descendant (preorder) */
    int nchild; /* element children */
    unsigned short flags;
    unsigned char tag;
    signed char weight; /* class/id hint: -50..50 */
    int chars;          /* text nodes: characters, whitespace runs counted once */
    int commas;         /* text nodes: commas */
};

struct pdoc {
    htmlDocPtr doc;
    struct pnode *n;
    int len, cap;
    int body; /* index of <body> or of the root */
};

/* Builds the node table of doc (not owned). 0 or -1 (out of memory). */
int page_dom_build(htmlDocPtr doc, struct pdoc *d);
void page_dom_free(struct pdoc *d);
/* Whether attribute attr of x equals value (value in lower case; the
 * attribute is compared case-insensitively). */
int page_attr_is(xmlNode *x, const char *attr, const char *value);

/* Chooses the main text; appends it to w. title (may be NULL) helps drop a
 * repeated headline. 0 or -1 (out of memory). */
int page_score_text(const struct pdoc *d, const char *title, struct walker *w);

/* --- page_meta.c ----------------------------------------------------- */

struct page_meta {
    char *title, *byline, *date, *ld_body;
};

/* Reads title, byline, date and a JSON-LD articleBody. 0 or -1 (OOM). */
int page_meta_read(const struct pdoc *d, struct page_meta *m);
void page_meta_free(struct page_meta *m);

#endif
