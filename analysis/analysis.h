/*
 * analysis: text normalisation, language guess, coverage matching of an
 * article against a canonical text, and word-level diffs between versions.
 * Pure computation: no I/O, no logging.
 */
#ifndef PW_ANALYSIS_ANALYSIS_H
#define PW_ANALYSIS_ANALYSIS_H

#include <stddef.h>

/* ---- normalisation and language ---- */

/* NFKC + case fold + quotes/dashes/whitespace unified, markup emphasis (*, _)
 * dropped; invalid UTF-8 bytes are dropped. Returns a malloc'd string (caller
 * frees) or NULL on OOM. */
char *text_normalize(const char *s, size_t len);

/* ISO 639-1 code of the text's language ("ru", "bg", "uk", "sr", "en", ...),
 * or "und" when unknown. Returns a static string. */
const char *text_lang(const char *s);

/* ---- coverage matching ---- */

struct match_canon; /* a canonical text prepared for matching */

/* Prepares text (UTF-8; paragraphs are separated by blank lines, numbered from
 * 1). Free with match_canon_free. */
int match_canon_new(const char *text, struct match_canon **out, char *err, size_t errsz);
void match_canon_free(struct match_canon *c); /* accepts NULL */
size_t match_canon_paragraphs(const struct match_canon *c);

struct match_passage {
    int paragraph;     /* 1-based canonical paragraph */
    char *canonical;   /* the canonical sentence or passage */
    char *article;     /* the article passage that reproduces it */
    int altered;       /* misquote: a number, negation or name changed (see changes) */
    const char *reuse; /* "verbatim", "paraphrased" or "translated" (static string) */
    int attributed;    /* the speaker or the statement is named in or next to it */
    char **changes;    /* what changed, e.g. "number 25 -> 26"; nchanges entries */
    size_t nchanges;
};

struct match_result {
    double score;    /* 0..1: how much of the canonical text the article covers */
    int covers;      /* score >= the threshold given to match_article */
    char lang[8];    /* detected language of the article */
    int *paragraphs; /* covered canonical paragraphs, ascending, 1-based */
    size_t nparagraphs;
    struct match_passage *passages;
    size_t npassages;
};

/* Scores article (UTF-8, any garbage tolerated) against c. Fills *out, which
 * the caller releases with match_result_clear. */
int match_article(const struct match_canon *c, const char *article, double threshold,
                  struct match_result *out, char *err, size_t errsz);
void match_result_clear(struct match_result *r);

/* The design's JSON for one result:
 * {"file","score","covers","lang","paragraphs":[...],
 *  "passages":[{"paragraph","canonical","article","reuse","attributed","altered","changes":[...]}]}
 * file may be NULL (written as null). *json is malloc'd; caller frees. */
int match_result_json(const struct match_result *r, const char *file, char **json);

/* Comma list of the covered paragraphs ("3,4,5"), malloc'd; caller frees. */
char *match_paragraph_list(const struct match_result *r);

/* ---- word-level diff ---- */

struct diff_summary {
    size_t words_added;
    size_t words_removed;
    char *summary; /* one line, e.g. `-"old words" +"new words"; ...`, at most ~300 bytes; caller
                      frees */
};

/* Word-level diff of old_text -> new_text. */
int diff_words(const char *old_text, const char *new_text, struct diff_summary *out, char *err,
               size_t errsz);
void diff_summary_clear(struct diff_summary *d);

#endif
