/*
 * page: HTML to text (page_html_to_text) and the text output shared with the
 * article extractor (page_extract.c).
 */
#include "fetchers/page.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "fetchers/page_int.h"

/* Elements whose content is never article text. */
int page_skipped(const char *name)
{
    static const char *const names[] = {"script", "style",  "noscript", "template",
                                        "iframe", "object", "svg",      "head"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcasecmp(name, names[i]))
            return 1;
    return 0;
}

/* Elements that end a paragraph (a blank line) or a line. */
static int block_level(const char *name)
{
    static const char *const names[] = {
        "p",    "div",   "section", "article", "blockquote", "h1",     "h2",      "h3",
        "h4",   "h5",    "h6",      "ul",      "ol",         "li",     "table",   "tr",
        "pre",  "hr",    "dl",      "dd",      "dt",         "figure", "header",  "footer",
        "main", "aside", "nav",     "address", "figcaption", "form",   "fieldset"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcasecmp(name, names[i]))
            return 1;
    return 0;
}

int page_block_kind(const char *name)
{
    if (!block_level(name))
        return 0;
    return !strcasecmp(name, "li") || !strcasecmp(name, "tr") ? 1 : 2;
}

void page_emit_break(struct walker *w, int n)
{
    if (n > w->pending_breaks)
        w->pending_breaks = n;
}

void page_emit_text(struct walker *w, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
            w->pending_space = 1;
            continue;
        }
        /* A no-break space (U+00A0) is a space for text purposes. */
        if (c == 0xC2 && (unsigned char)s[1] == 0xA0) {
            w->pending_space = 1;
            s++;
            continue;
        }
        if (w->out.len) {
            if (w->pending_breaks)
                w->oom |= buf_puts(&w->out, w->pending_breaks > 1 ? "\n\n" : "\n");
            else if (w->pending_space)
                w->oom |= buf_putc(&w->out, ' ');
        }
        w->pending_breaks = 0;
        w->pending_space = 0;
        w->oom |= buf_putc(&w->out, (char)c);
    }
}

static void walk(struct walker *w, xmlNode *n, int depth)
{
    /* Deep nesting is legal HTML but must not exhaust the stack. */
    if (depth > 256)
        return;
    for (; n; n = n->next) {
        if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            if (n->content)
                page_emit_text(w, (const char *)n->content);
            continue;
        }
        if (n->type != XML_ELEMENT_NODE)
            continue;
        const char *name = (const char *)n->name;
        if (page_skipped(name))
            continue;
        if (!strcasecmp(name, "br")) {
            page_emit_break(w, 1);
            continue;
        }
        int block = page_block_kind(name);
        if (block)
            page_emit_break(w, block);
        walk(w, n->children, depth + 1);
        if (block)
            page_emit_break(w, block);
    }
}

int page_html_to_text(const char *html, size_t len, const char *charset, char **out, char *err,
                      size_t errsz)
{
    if (len > (size_t)INT32_MAX)
        return pw_err(err, errsz, "html: document too large");
    htmlDocPtr doc = htmlReadMemory(html, (int)len, NULL, charset ? charset : "UTF-8",
                                    HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                        HTML_PARSE_NONET);
    struct walker w = {BUF_INIT, 0, 0, 0};
    if (doc)
        walk(&w, xmlDocGetRootElement(doc), 0);
    xmlFreeDoc(doc);
    if (w.oom) {
        buf_free(&w.out);
        return pw_err(err, errsz, "html: out of memory");
    }
    *out = buf_detach(&w.out);
    if (!*out)
        return pw_err(err, errsz, "html: out of memory");
    return 0;
}
