/*
 * feed: RSS 0.9x/2.0, RSS 1.0/RDF and Atom 0.3/1.0 parser (libxml2).
 *
 * Pure: bytes in, a struct feed out; no network, no file system (external
 * entities and DTDs are never loaded). Field semantics follow feedparser's, as
 * described in the conformance suite's README.
 */
#ifndef PW_FETCHERS_FEED_H
#define PW_FETCHERS_FEED_H

#include <stddef.h>
#include <time.h>

struct feed_entry {
    char *title; /* every string is UTF-8 or NULL when absent */
    char *link;  /* absolute when a base was known */
    char *id;    /* guid / atom:id; NULL when the feed has none */
    char *summary;
    char *content;
    char *author;
    time_t published; /* UTC; valid only when has_published */
    time_t updated;
    int has_published;
    int has_updated;
};

struct feed {
    int bozo;       /* input was not well-formed or its charset was wrong */
    char *bozo_msg; /* why, or NULL */
    char *title;
    char *link;
    char *subtitle;
    int ttl; /* seconds the feed asks pollers to wait: RSS <ttl>, or sy:updatePeriod over
                sy:updateFrequency (the larger); 0 when it says nothing */
    struct feed_entry *entries;
    size_t nentries;
};

/*
 * Parses len bytes of data. base_url (nullable) resolves relative links;
 * http_charset (nullable) is the charset from an HTTP Content-Type header.
 * Returns 0 and a feed in *out (free with feed_free) for anything that could be
 * recovered as a feed (bozo set when recovery was needed); -1 with a message in
 * err when the input is not a feed at all.
 */
int feed_parse(const char *data, size_t len, const char *base_url, const char *http_charset,
               struct feed **out, char *err, size_t errsz);
void feed_free(struct feed *f); /* accepts NULL */

/* Writes the design's JSON contract for f into *json (caller frees); 0 or -1 on OOM. */
int feed_to_json(const struct feed *f, char **json);

/* Parses an RFC 822 / W3CDTF / ISO 8601 date string; 0 and *out (UTC) or -1. */
int feed_parse_date(const char *s, time_t *out);

/*
 * Internal to the feed_*.c files of this module (charset and UTF-8 helpers),
 * declared here so that the parser keeps a single header; other modules
 * should not call them.
 */
struct buf;
/* Converts feed bytes to UTF-8 into out (BOM removed); sets *bozo when the
 * charset had to be guessed, *was_utf8 when the bytes were UTF-8 already.
 * 0, or -1 on OOM. */
int feed_to_utf8(const char *data, size_t len, const char *http_charset, struct buf *out, int *bozo,
                 int *was_utf8);
/* Re-serialises HTML as feedparser does and resolves its links against base
 * (nullable); see feed_html.c. *out is malloc'd. 0, or -1 on OOM. */
int feed_html_clean(const char *in, const char *base, int xhtml, char **out);
/* Rewrites DTD, undeclared entities and XML declaration of UTF-8 feed text
 * (see feed_prepass.c); sets *bozo when the text was not well-formed. */
int feed_prepass(const char *s, size_t n, struct buf *out, int *bozo);
/* feed_parse, with the fast path of feed_xml.c (fast) or without it (0):
 * both must give the same feed, which tests and the fuzzer compare. */
int feed_parse_ex(const char *data, size_t len, const char *base_url, const char *http_charset,
                  int fast, struct feed **out, char *err, size_t errsz);
/* Fast path for well-formed UTF-8 without a DOCTYPE (feed_xml.c): 0 and the
 * tree libxml2 would build in *doc (xmlFreeDoc), 1 when the text needs the
 * pre-pass and libxml2's recovering parser, -1 on OOM. */
struct _xmlDoc;
int feed_xml_fast(const char *s, size_t n, struct _xmlDoc **doc);
/* windows-1252's character for a C1 control code point, else cp itself. */
unsigned int feed_cp1252_c1(unsigned int cp);
int feed_put_utf8(struct buf *b, unsigned int cp);
/* Length of the valid UTF-8 sequence at s (n bytes available), 0 if invalid. */
size_t feed_utf8_len(const unsigned char *s, size_t n);

#endif
