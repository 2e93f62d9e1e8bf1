/*
 * page: HTML pages to text with libxml2's HTML parser. page_html_to_text()
 * turns feed summaries and content (HTML fragments) into plain text;
 * page_extract() finds an article page's main text, the way Mozilla
 * Readability does (content scoring of paragraphs and their ancestors), and
 * its headline, byline and date.
 */
#ifndef PW_FETCHERS_PAGE_H
#define PW_FETCHERS_PAGE_H

#include <stddef.h>

/* Larger pages are refused: no article needs more, and parse time is linear. */
#define PAGE_MAX_BYTES (16u * 1024 * 1024)

/* Converts len bytes of HTML (charset: its name, or NULL for UTF-8) into
 * UTF-8 text: block elements become paragraph breaks, script/style and
 * other non-text elements are dropped, whitespace is collapsed. Never loads
 * anything from the network. *out is malloc'd (caller frees). 0 or -1. */
int page_html_to_text(const char *html, size_t len, const char *charset, char **out, char *err,
                      size_t errsz);

/* An extracted article. Every string is malloc'd UTF-8 owned by the struct;
 * fields not found are NULL, except text, which is never NULL on success. */
struct page_article {
    char *title;   /* headline, site name removed */
    char *byline;  /* author(s) as the page states them */
    char *date;    /* publication date as the page states it (often ISO-8601) */
    char *text;    /* main text, paragraphs separated by blank lines */
    char *charset; /* the charset the page was decoded from */
};

/* Extracts the main text of an HTML page. http_charset is the charset
 * parameter of the HTTP Content-Type (NULL when none); then <meta charset>
 * or <meta http-equiv>, then detection (valid UTF-8, else windows-1251,
 * KOI8-R or windows-1252 by byte statistics) decide; a declared charset the
 * bytes contradict is overridden. url (may be NULL) is only informative.
 * Fills *out (caller releases it with page_article_free()) and returns 0, or
 * returns -1 with a reason in err for pages that are too large, not HTML,
 * or have no text. Never loads anything from the network. */
int page_extract(const char *html, size_t len, const char *http_charset, const char *url,
                 struct page_article *out, char *err, size_t errsz);

/* Frees the strings of a (possibly NULL) article and zeroes it. */
void page_article_free(struct page_article *a);

#endif
