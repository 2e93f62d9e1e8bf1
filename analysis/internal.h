/*
 * Private to analysis/: helpers shared by its files. Not a public header.
 */
#ifndef PW_ANALYSIS_INTERNAL_H
#define PW_ANALYSIS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* Latin letters of other languages follow different spelling rules. */
enum xl_rules { XL_SLAVIC, XL_ENGLISH, XL_GERMANIC_ROMANCE };

enum xl_rules xl_rules_for(const char *lang);

/* The built-in lexicon as a hash map: built once per owner, read-only. */
struct xl_lex;
int xl_lex_new(struct xl_lex **out); /* -1 on OOM */
void xl_lex_free(struct xl_lex *l);  /* accepts NULL */

/*
 * A key that survives translation between related languages and alphabets:
 * a concept id when the word is in the built-in lexicon of news vocabulary,
 * the digits for a number, else a sound-class skeleton of the word's first
 * consonants ("информационной" and "information" both give A-N-P-R).
 * word is folded UTF-8 (lower case). Returns 0 for words with no letters.
 */
uint64_t xl_key(const struct xl_lex *lex, const char *word, size_t n, enum xl_rules rules);

/* Value 1..12 of a number word ("четири", "four", "vier") or a digit string,
 * 0 when not a number. */
int xl_number(const char *word, size_t n);

/* True for a negation particle ("не", "not", "nicht", ...). */
int xl_negation(const char *word, size_t n);

/* True for a verb or phrase head that attributes speech ("заяви",
 * "said", "according", ...). */
int xl_reporting(const char *word, size_t n);

/* Bytes of text that belong to the article body: scraped pages end with
 * share widgets, comment counters and other headlines, which start at a
 * short line such as "Сподели:" or "Comments (0)". */
size_t xl_body_len(const char *text, size_t len);

/* ---- tokens (match.c) ---- */

struct tok {
    uint64_t word;       /* hash of the folded word */
    uint64_t key;        /* hash of the stem prefix */
    uint32_t start, end; /* bytes in the source text */
    uint32_t sent;
    uint32_t para; /* canonical only: 1-based */
    uint64_t xkey; /* cross-language key (xl_key), 0 when not computed */
    int num;       /* value of a number or number word, else 0 */
    unsigned char content, neg, upper, report;
};

struct toks {
    struct tok *v;
    size_t n, cap;
    uint32_t nsent;
};

/* What changed between a canonical sentence c[0..nc) and the article's
 * passage a[0..na): numbers, and within one language negation.
 * Appends malloc'd descriptions to *out (n entries). -1 on OOM. */
int passage_changes(const struct tok *c, size_t nc, const struct tok *a, size_t na, int cross,
                    char ***out, size_t *n);

#endif
