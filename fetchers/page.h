/*
 * page: HTML to plain text with libxml2's HTML parser. The start of the
 * article-page extractor; today it turns feed summaries and content (HTML
 * fragments) into the text that is stored and matched.
 */
#ifndef PW_FETCHERS_PAGE_H
#define PW_FETCHERS_PAGE_H

#include <stddef.h>

/* Converts len bytes of HTML (charset: its name, or NULL for UTF-8) into
 * UTF-8 text: block elements become paragraph breaks, script/style and
 * other non-text elements are dropped, whitespace is collapsed. Never loads
 * anything from the network. *out is malloc'd (caller frees). 0 or -1. */
int page_html_to_text(const char *html, size_t len, const char *charset, char **out, char *err,
                      size_t errsz);

#endif
