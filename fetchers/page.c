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

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* page_emit_text for s[0..n): runs of visible bytes are appended at once. */
static void emit_bytes(struct walker *w, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (is_space(c)) {
            w->pending_space = 1;
            i++;
            continue;
        }
        /* A no-break space (U+00A0) is a space for text purposes. */
        if (c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0xA0) {
            w->pending_space = 1;
            i += 2;
            continue;
        }
        size_t e = i + 1;
        while (e < n && !is_space((unsigned char)s[e]) &&
               !((unsigned char)s[e] == 0xC2 && e + 1 < n && (unsigned char)s[e + 1] == 0xA0))
            e++;
        if (w->out.len) {
            if (w->pending_breaks)
                w->oom |= buf_puts(&w->out, w->pending_breaks > 1 ? "\n\n" : "\n");
            else if (w->pending_space)
                w->oom |= buf_putc(&w->out, ' ');
        }
        w->pending_breaks = 0;
        w->pending_space = 0;
        w->oom |= buf_append(&w->out, s + i, e - i);
        i = e;
    }
}

void page_emit_text(struct walker *w, const char *s)
{
    emit_bytes(w, s, strlen(s));
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

/* Bytes of s[0..n) that are plain text to libxml2's HTML parser and reach
 * the text node unchanged: no markup or entity characters, no control
 * characters but tab and line breaks, and only well-formed UTF-8 of the
 * characters XML allows, without C1 controls and the byte-order mark. */
static size_t plain_run(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F || c == '<' ||
                c == '>' || c == '&')
                break;
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            /* Two bytes (Latin, Cyrillic): only U+0080-U+009F are refused. */
            if (n - i < 2 || (s[i + 1] & 0xC0) != 0x80 || (c == 0xC2 && s[i + 1] < 0xA0))
                break;
            i += 2;
            continue;
        }
        uint32_t cp;
        size_t k;
        if (c >= 0xE0 && c <= 0xEF) {
            k = 3;
            cp = c & 0x0Fu;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 4;
            cp = c & 0x07u;
        } else {
            break;
        }
        if (n - i < k)
            break;
        size_t j = 1;
        for (; j < k && (s[i + j] & 0xC0) == 0x80; j++)
            cp = cp << 6 | (s[i + j] & 0x3Fu);
        if (j < k)
            break;
        if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || cp < 0xA0 ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFEFF || cp == 0xFFFE || cp == 0xFFFF)
            break;
        i += k;
    }
    return i;
}

static size_t skip_blanks(const char *s, size_t i, size_t n)
{
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    return i;
}

/*
 * Most feed items are plain text, or plain-text paragraphs each in a bare
 * <p>...</p>. For those libxml2 builds html > body > p (one per paragraph,
 * an implied one for plain text), so the walk gives each paragraph's text
 * with blank lines between them; make that directly, at a fraction of the
 * parser's cost. Returns 0, having emitted nothing, for anything else
 * (other tags, attributes, entities, text between paragraphs, characters
 * the parser treats specially): the parser decides those.
 */
static int simple_html(const char *html, size_t len, struct walker *w)
{
    const unsigned char *s = (const unsigned char *)html;
    enum { SIMPLE_MAX = 1 << 20 }; /* far below libxml2's text node limits */
    if (len == 0 || len > SIMPLE_MAX)
        return 0;
    size_t i = plain_run(s, len), paras = 0;
    if (i == len) {
        emit_bytes(w, html, len);
        return 1;
    }
    for (i = skip_blanks(html, 0, len); i < len; i = skip_blanks(html, i, len)) {
        size_t r = 0;
        if (len - i >= 7 && !memcmp(html + i, "<p>", 3))
            r = plain_run(s + i + 3, len - i - 3);
        if (len - i < 7 || memcmp(html + i, "<p>", 3) || len - i - 3 - r < 4 ||
            memcmp(html + i + 3 + r, "</p>", 4)) {
            /* Not that shape after all: forget what was emitted. */
            buf_reset(&w->out);
            w->pending_space = w->pending_breaks = w->oom = 0;
            return 0;
        }
        page_emit_break(w, 2);
        emit_bytes(w, html + i + 3, r);
        page_emit_break(w, 2);
        i += 3 + r + 4;
        paras++;
    }
    return paras > 0;
}

int page_html_to_text(const char *html, size_t len, const char *charset, char **out, char *err,
                      size_t errsz)
{
    if (len > (size_t)INT32_MAX)
        return pw_err(err, errsz, "html: document too large");
    struct walker w = {BUF_INIT, 0, 0, 0};
    if (charset || !simple_html(html, len, &w)) {
        htmlDocPtr doc = htmlReadMemory(html, (int)len, NULL, charset ? charset : "UTF-8",
                                        HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                                            HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
        if (doc)
            walk(&w, xmlDocGetRootElement(doc), 0);
        xmlFreeDoc(doc);
    }
    if (w.oom) {
        buf_free(&w.out);
        return pw_err(err, errsz, "html: out of memory");
    }
    *out = buf_detach(&w.out);
    if (!*out)
        return pw_err(err, errsz, "html: out of memory");
    return 0;
}
