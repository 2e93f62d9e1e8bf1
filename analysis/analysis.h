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

/* text_lang with a second opinion: where it is unsure ("und", or Cyrillic
 * text without the letters that tell bg/mk/ru/uk/sr/be apart), libexttextcat's
 * n-gram fingerprints decide. text_langid_new reads the fingerprint files
 * (-1 with a message when they cannot be read); a NULL l is text_lang.
 * Read-only after creation: one l may serve many threads. */
struct text_langid;
int text_langid_new(struct text_langid **out, char *err, size_t errsz);
void text_langid_free(struct text_langid *l);                        /* accepts NULL */
const char *text_langid(const struct text_langid *l, const char *s); /* static string */

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
    int covers;      /* match_covers(result, the threshold given to match_article) */
    int quoted;      /* QUOTE_MIN_WORDS (10) content words or more of a canonical sentence
                      * are quoted word for word, and attributed */
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

/* Whether r reports its canonical text at threshold: score >= threshold,
 * or a short report that quotes the text (r->quoted) with at least half of
 * it. A word-for-word, attributed quote of a whole sentence is the plainest
 * way to report a text, and a brief that quotes one paragraph reaches only
 * a fifth of a long statement. */
int match_covers(const struct match_result *r, double threshold);

/* The design's JSON for one result:
 * {"file","score","covers","quoted","lang","paragraphs":[...],
 *  "passages":[{"paragraph","canonical","article","reuse","attributed","altered","changes":[...]}]}
 * file may be NULL (written as null). *json is malloc'd; caller frees. */
int match_result_json(const struct match_result *r, const char *file, char **json);

/* Comma list of the covered paragraphs ("3,4,5"), malloc'd; caller frees. */
char *match_paragraph_list(const struct match_result *r);

/* ---- many canonical texts at once ---- */

/*
 * An index over all canonical texts: matching an article costs about its
 * length plus the few canonicals it may cover, not one full comparison per
 * canonical. The article is decoded, its language detected and its words
 * tokenised once. Results are those of match_article on each canonical
 * (same score, paragraphs, passages). Not thread-safe: matching reuses
 * scratch memory inside the index, and a cache of the words seen (about
 * 4 MB at most).
 */
struct match_index;

int match_index_new(struct match_index **out, char *err, size_t errsz);
void match_index_free(struct match_index *idx); /* accepts NULL */

/* Prepares text (as match_canon_new) under name (copied); *id (may be NULL)
 * receives its number, 0, 1, 2... in order of addition. */
int match_index_add(struct match_index *idx, const char *name, const char *text, size_t *id,
                    char *err, size_t errsz);
size_t match_index_count(const struct match_index *idx);
const char *match_index_name(const struct match_index *idx, size_t id); /* NULL if no such id */
/* The prepared canonical, for match_article (owned by the index). */
const struct match_canon *match_index_canon(const struct match_index *idx, size_t id);

/* Called once per canonical the article covers (score >= threshold), in
 * order of id; r is valid during the call only. Return -1 to stop. */
typedef int (*match_index_cb)(void *arg, size_t id, const struct match_result *r);

/* Matches article against every canonical of idx. Canonicals whose score
 * cannot reach threshold are skipped unscored; give the lowest threshold of
 * interest (e.g. the lowest per-text min_score) and filter in cb. */
int match_index_article(struct match_index *idx, const char *article, double threshold,
                        match_index_cb cb, void *arg, char *err, size_t errsz);

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

/* The same word diff as operations on the original texts, for rendering
 * (presswatch diff) and for finding the changed sentence. Words are compared
 * as diff_words compares them; equal runs are given from the new text. */
enum diff_kind { DIFF_SAME, DIFF_DEL, DIFF_ADD };

struct diff_op {
    enum diff_kind kind;
    size_t start, end; /* bytes of the words, in old_text for DIFF_DEL, else in new_text */
    size_t gap_end;    /* end of the white space after them, in the same text */
};

struct diff_ops {
    struct diff_op *v; /* in text order; a DEL comes before the ADD that replaces it */
    size_t n;
    size_t words_added;
    size_t words_removed;
    int exact; /* 0: too different to align word by word; the changed middle is one DEL and one
                  ADD, and the word counts ignore order */
};

/* Fills *out (release with diff_ops_clear). NULL texts are empty. 0 or -1. */
int diff_ops_words(const char *old_text, const char *new_text, struct diff_ops *out, char *err,
                   size_t errsz);
void diff_ops_clear(struct diff_ops *d); /* accepts NULL */

/* The sentence holding the first change, in the new text (in the old one
 * when the change only removed words), on one line, at most about max bytes
 * (cut on UTF-8 boundaries, marked "..."). malloc'd; NULL when nothing
 * changed or on OOM. */
char *diff_first_sentence(const char *old_text, const char *new_text, const struct diff_ops *ops,
                          size_t max);

#endif
