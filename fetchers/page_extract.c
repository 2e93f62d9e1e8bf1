/*
 * page_extract: one article page in, its headline, byline, date and main
 * text out. Decoding and charset choice are in page_charset.c, the node
 * table in page_dom.c, the choice of text in page_score.c, the headline,
 * byline and date in page_meta.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fetchers/page.h"
#include "fetchers/page_int.h"

/* JSON-LD articleBody replaces the page's text only when the markup gave
 * much less; it is often a teaser cut at a few hundred characters. */
#define LD_MIN_CHARS 400
#define LD_RATIO 2

/* Whether the bytes are plainly not a text document (images, archives,
 * PDFs, UTF-16), judged from the start of the data. */
static const char *not_html(const unsigned char *s, size_t len)
{
    static const struct {
        const char *magic;
        size_t n;
        const char *what;
    } magics[] = {{"%PDF", 4, "a PDF document"},      {"\x89PNG", 4, "a PNG image"},
                  {"GIF8", 4, "a GIF image"},         {"\xFF\xD8\xFF", 3, "a JPEG image"},
                  {"PK\x03\x04", 4, "a ZIP archive"}, {"\x1F\x8B", 2, "gzip data"},
                  {"\xFE\xFF", 2, "UTF-16 text"},     {"\xFF\xFE", 2, "UTF-16 text"}};
    for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++)
        if (len >= magics[i].n && !memcmp(s, magics[i].magic, magics[i].n))
            return magics[i].what;
    const unsigned char *end = s + (len < 4096 ? len : 4096);
    size_t ctl = 0;
    for (const unsigned char *p = s; p < end; p++)
        ctl += *p < 0x09 || (*p > 0x0D && *p < 0x20);
    size_t n = (size_t)(end - s);
    /* Text documents have next to no control bytes; random data has 10%. */
    return ctl * 50 > n ? "binary data" : NULL;
}

static size_t count_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80 && !((unsigned char)*s <= ' ');
    return n;
}

int page_extract(const char *html, size_t len, const char *http_charset, const char *url,
                 struct page_article *out, char *err, size_t errsz)
{
    struct buf utf8 = BUF_INIT;
    struct walker w = {BUF_INIT, 0, 0, 0};
    struct pdoc d = {0};
    struct page_meta m = {0};
    htmlDocPtr doc = NULL;
    char charset[64];
    const char *what;
    int rc = -1;

    memset(out, 0, sizeof *out);
    if (!html || len == 0)
        return pw_err(err, errsz, "page: empty document");
    if (len > PAGE_MAX_BYTES)
        return pw_err(err, errsz, "page: %zu bytes, over the %u-byte limit", len,
                      (unsigned)PAGE_MAX_BYTES);
    if ((what = not_html((const unsigned char *)html, len)) != NULL)
        return pw_err(err, errsz, "page: not HTML but %s", what);
    if (page_decode(html, len, http_charset, &utf8, charset, sizeof charset, err, errsz) < 0)
        return -1;
    /* The bytes are UTF-8 now whatever the page declares, hence IGNORE_ENC. */
    doc = htmlReadMemory(utf8.data, (int)utf8.len, url, "UTF-8",
                         HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                             HTML_PARSE_NONET | HTML_PARSE_IGNORE_ENC | HTML_PARSE_COMPACT);
    if (!doc) {
        pw_err(err, errsz, "page: not parseable as HTML");
        goto out;
    }
    if (page_dom_build(doc, &d) < 0 || page_meta_read(&d, &m) < 0 ||
        page_score_text(&d, m.title, &w) < 0) {
        pw_err(err, errsz, "page: out of memory");
        goto out;
    }
    char *text = buf_detach(&w.out);
    if (!text) {
        pw_err(err, errsz, "page: out of memory");
        goto out;
    }
    if (m.ld_body) {
        size_t ld = count_chars(m.ld_body);
        if (ld >= LD_MIN_CHARS && count_chars(text) * LD_RATIO < ld) {
            char *ldt = NULL;
            if (page_html_to_text(m.ld_body, strlen(m.ld_body), NULL, &ldt, err, errsz) < 0) {
                free(text);
                goto out;
            }
            free(text);
            text = ldt;
        }
    }
    if (!count_chars(text)) {
        free(text);
        pw_err(err, errsz, "page: no article text found");
        goto out;
    }
    out->text = text;
    out->charset = strdup(charset);
    out->title = m.title;
    out->byline = m.byline;
    out->date = m.date;
    m.title = m.byline = m.date = NULL;
    if (!out->charset) {
        page_article_free(out);
        pw_err(err, errsz, "page: out of memory");
        goto out;
    }
    rc = 0;
out:
    page_meta_free(&m);
    page_dom_free(&d);
    xmlFreeDoc(doc);
    buf_free(&w.out);
    buf_free(&utf8);
    return rc;
}

void page_article_free(struct page_article *a)
{
    if (!a)
        return;
    free(a->title);
    free(a->byline);
    free(a->date);
    free(a->text);
    free(a->charset);
    memset(a, 0, sizeof *a);
}
