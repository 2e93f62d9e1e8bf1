/*
 * report: the pages of `presswatch report` (a static site) and `presswatch
 * serve` (the same pages live). Internal to cli/.
 *
 * Every page is generated into a struct buf by one renderer, whichever
 * command asked, so that both show the same thing. Page names are flat,
 * relative and built only from numbers and fixed words (index.html,
 * feeds.html, canonical-ID.html, table-ID-COL-a|d-PAGE.html,
 * propagation-ID.html, article-ID.html): links work from a folder and from
 * the server alike, and no name from the database ever reaches a path.
 *
 * Errors: functions return 0 or -1 with a message in err; renderers that
 * look something up return 1 when it does not exist (a 404).
 */
#ifndef PW_CLI_REPORT_H
#define PW_CLI_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"

struct store;

/* ---- HTML output: report_html.c ---- */

/* Appends text from a feed, a page or the database, escaped for HTML text
 * and for quoted attribute values: & < > " ' become entities; invalid UTF-8
 * and control characters become U+FFFD; bidirectional embedding, override
 * and isolate controls (U+202A-U+202E, U+2066-U+2069) are shown as
 * "[U+202E]" so that they cannot reorder the page around them. NULL appends
 * nothing. 0 or -1 (out of memory). */
int html_esc(struct buf *b, const char *s);
int html_escn(struct buf *b, const char *s, size_t n);
/* Text with its paragraphs (blank-line separated) as <p> elements. */
int html_paragraphs(struct buf *b, const char *s);
/* 1 when url may become an href: http or https only (no javascript:, data:). */
int html_web_url(const char *url);
/* <a href=url>text</a> for web URLs, else the escaped text alone. */
int html_link(struct buf *b, const char *url, const char *text);

/* The page's head (inline CSS, a restrictive CSP, viewport) and navigation;
 * title is escaped; css adds the CSS_* parts the page uses. */
enum { CSS_TABLE = 1, CSS_OVERVIEW = 2, CSS_ARTICLE = 4 };
int html_open(struct buf *b, const char *title, unsigned css);
int html_close(struct buf *b, time_t generated);
/* "2026-11-23 09:30" UTC, or "-" for 0. */
void rep_time(time_t t, char *out, size_t n);

/* ---- the data of one canonical text: report_data.c ---- */

enum rep_reuse { REUSE_VERBATIM, REUSE_TRANSLATED, REUSE_PARAPHRASED, REUSE_N };
extern const char *const rep_reuse_names[REUSE_N];

struct rep_row { /* one covering article */
    int64_t article_id;
    char *feed;
    char *title; /* nullable */
    char *link;  /* nullable */
    char *lang;  /* "und" when unknown */
    time_t first_seen, published, first_covered;
    time_t appeared; /* published when plausible, else first_seen */
    int active, versions, version_no;
    double score;
    int *paras; /* covered canonical paragraphs, 1-based */
    size_t nparas;
    int npassages, altered, attributed;
    int reuse[REUSE_N]; /* passages per kind of reuse */
    long source;        /* the likely source's row index, -1: none (report_prop.c) */
    double similarity;  /* with it, 0..1 */
};

struct rep_canon {
    int64_t id;
    char *name;
    char *text;
    size_t nparagraphs;
    int64_t narticles, noutlets;
    size_t nlangs;        /* after rep_canon_rows */
    struct rep_row *rows; /* by first_covered, after rep_canon_rows */
    size_t nrows;
};

/* The canonical texts (name only: NULL for all), without rows. */
int rep_canons(struct store *st, const char *only, struct rep_canon **out, size_t *n, char *err,
               size_t errsz);
/* Loads the covering articles of c. */
int rep_canon_rows(struct store *st, struct rep_canon *c, char *err, size_t errsz);
void rep_canons_free(struct rep_canon *v, size_t n); /* accepts NULL */
/* Blank-line separated paragraphs, as the matcher numbers them. */
size_t rep_count_paragraphs(const char *text);
/* The kind named by s, or REUSE_N. */
enum rep_reuse rep_reuse_kind(const char *s);
/* The reuse label of a row: its kinds, most passages first ("" when none). */
void rep_reuse_label(const struct rep_row *r, char *out, size_t n);

/* The detail JSON of a match (as match_result_json writes it) back into a
 * match_result (release with match_result_clear); reuse points at
 * rep_reuse_names. Unknown fields are skipped, missing ones left 0. */
struct match_result;
int rep_detail_parse(const char *json, struct match_result *out, char *err, size_t errsz);

/* ---- propagation: report_prop.c ---- */

/* Sets source and similarity of every row of c: the most similar article
 * that appeared before it (Jaccard of word 3-shingles of the texts that
 * first covered). */
int rep_sources(struct store *st, struct rep_canon *c, char *err, size_t errsz);
/* Row indices of c by appearance (caller frees). NULL on OOM. */
size_t *rep_by_appearance(const struct rep_canon *c);

/* ---- pages ---- */

struct report_ctx {
    struct store *st;
    const char *only; /* --canonical, or NULL for all */
    time_t now;       /* shown as the generation time */
};

enum rep_col {
    COL_OUTLET,
    COL_TITLE,
    COL_LANG,
    COL_SEEN,
    COL_SCORE,
    COL_PARAS,
    COL_ALTERED,
    COL_REUSE,
    COL_ATTRIB,
    COL_N
};
#define REP_PAGE_ROWS 200 /* rows per table page */

int rep_index_page(const struct report_ctx *ctx, struct buf *b, char *err, size_t errsz);
int rep_feeds_page(const struct report_ctx *ctx, struct buf *b, char *err, size_t errsz);
/* The overview: counts, timeline, first table page in order of first seen. */
int rep_overview_page(const struct report_ctx *ctx, const struct rep_canon *c, struct buf *b);
/* Table page (1-based) of c, rows v sorted by col; 1 when page is past the end. */
int rep_table_page(const struct report_ctx *ctx, const struct rep_canon *c,
                   const struct rep_row *const *v, enum rep_col col, int desc, size_t page,
                   struct buf *b);
size_t rep_table_pages(const struct rep_canon *c);
/* Rows of c in the order of col (caller frees the array); NULL on OOM. */
const struct rep_row **rep_table_sort(const struct rep_canon *c, enum rep_col col, int desc);
/* One page of the table (rows v from rep_table_sort) with its heading links. */
int rep_table(struct buf *b, const struct rep_canon *c, const struct rep_row *const *v,
              enum rep_col col, int desc, size_t page);
const char *rep_col_key(enum rep_col col);
int rep_col_parse(const char *key, enum rep_col *col);
/* Needs rep_sources first. */
int rep_prop_page(const struct report_ctx *ctx, const struct rep_canon *c, struct buf *b);
int rep_timeline(struct buf *b, const struct rep_canon *c);
/* 1 when there is no such article. */
int rep_article_page(const struct report_ctx *ctx, int64_t article_id, struct buf *b, char *err,
                     size_t errsz);
/* A word diff of two versions as HTML, <del>/<ins> marking the changes. */
int rep_diff_html(struct buf *b, const char *old_text, const char *new_text, size_t *added,
                  size_t *removed, char *err, size_t errsz);

/* ---- the commands: cmd_report.c ---- */

struct report_args {
    const char *config, *database, *canonical, *out, *listen;
};
/* Parses both commands' options; prints usage and returns -1 when wrong. */
int report_args(int argc, char **argv, const char *usage, struct report_args *a);
/* Opens the database of config (or database) read-only; errors on stderr. */
int report_open(const char *config, const char *database, struct store **st);
/* -1 with a message on stderr when name (if any) is no canonical text. */
int report_check_canonical(struct store *st, const char *name);

/* ---- the site: report_site.c ---- */

/* Renders the page called name (e.g. "article-12.html") into b. 0, 1 when
 * there is no such page, -1 on error. */
int report_render(const struct report_ctx *ctx, const char *name, struct buf *b, char *err,
                  size_t errsz);
/* Writes every page into dir (created if needed); *pages counts them. */
int report_write(const struct report_ctx *ctx, const char *dir, size_t *pages, char *err,
                 size_t errsz);

#endif
