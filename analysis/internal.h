/*
 * Private to analysis/: helpers shared by its files. Not a public header.
 */
#ifndef PW_ANALYSIS_INTERNAL_H
#define PW_ANALYSIS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

struct match_result;

enum {
    KEY_CPS = 6,          /* stem prefix kept: joins inflections and end typos */
    SENT_MAX_TOKENS = 80, /* longer runs without punctuation are cut */
    WORD_MAX_BYTES = 256, /* longer "words" are hashed by their prefix */
    PASSAGE_MAX_BYTES = 1200
};
#define TEXT_MAX ((size_t)16 * 1024 * 1024) /* offsets are 32-bit; larger input is cut */
#define NONE UINT32_MAX

/* A quote (match_result.quoted) repeats this many content words of a
 * sentence in a row; it covers with QUOTE_SHARE of the threshold
 * (match_covers). */
enum { QUOTE_MIN_WORDS = 10 };
#define QUOTE_SHARE 0.5

/* ---- hashing and maps (kmap.c) ---- */

uint64_t an_fnv(const void *p, size_t n);
uint64_t an_mix3(uint64_t a, uint64_t b, uint64_t c);

/* Open-addressing map from a 64-bit hash to the head of a posting chain. */
struct kmap {
    uint64_t *keys; /* 0 = empty slot; hash 0 is stored as 1 */
    uint32_t *head;
    size_t cap, n;
};

struct post {
    uint32_t val;
    uint32_t next;
};

struct posts {
    struct post *v;
    size_t n, cap;
};

void kmap_free(struct kmap *m);
int kmap_init(struct kmap *m, size_t expect); /* sized once: expect keys at most */
uint32_t kmap_get(const struct kmap *m, uint64_t key);
/* Whether key is in the map (also a key added without postings). */
int kmap_has(const struct kmap *m, uint64_t key);
/* Prepends val to key's chain (ps NULL: only records the key). -1 when full or OOM. */
int kmap_add(struct kmap *m, struct posts *ps, uint64_t key, uint32_t val);
/* Sets the chain head of a key already in the map (chains kept elsewhere). */
void kmap_set_head(struct kmap *m, uint64_t key, uint32_t head);
/* Like kmap_add, but grows the map when needed. */
int kmap_add_grow(struct kmap *m, struct posts *ps, uint64_t key, uint32_t val);
/* Lays each chain out contiguously, in the same order, once no more are
 * added: walking a chain then reads memory in sequence. -1 on OOM. */
int kmap_compact(struct kmap *m, struct posts *ps);

/* ---- cross-language keys (xlang.c, lexicon.c) ---- */

/* Latin letters of other languages follow different spelling rules. */
enum xl_rules { XL_SLAVIC, XL_ENGLISH, XL_GERMANIC_ROMANCE };

enum xl_rules xl_rules_for(const char *lang);

/* The built-in lexicon, number words, negations and reporting cues as one
 * hash map of word prefixes: built once per owner, read-only after. */
struct xl_lex;
int xl_lex_new(struct xl_lex **out); /* -1 on OOM */
void xl_lex_free(struct xl_lex *l);  /* accepts NULL */

enum { NEG_WEAK = 1, NEG_VERB = 2 };

/* What a word says beyond its stem, found in one pass over its prefixes. */
struct xl_feat {
    uint64_t xkey;        /* cross-language key, 0 when not asked for or no letters */
    int num;              /* value of a number or number word, else 0 */
    unsigned char neg;    /* negation: NEG_WEAK ("без", "no") or NEG_VERB ("не", "not") */
    unsigned char report; /* attributes speech ("заяви", "said", "according") */
    unsigned char month;  /* 1..12 for a month name in any of the languages, else 0 */
};

/*
 * Features of word (folded UTF-8, lower case, n bytes). The cross-language
 * key (when want_xkey) survives translation between related languages and
 * alphabets: a concept id when the word is in the built-in lexicon of news
 * vocabulary, the digits for a number, else a sound-class skeleton of the
 * word's first consonants ("информационной" and "information" both give
 * A-N-P-R). German compounds take the concept of their last listed part.
 */
void xl_word(const struct xl_lex *lex, const char *w, size_t n, enum xl_rules rules, int want_xkey,
             struct xl_feat *out);
/* The cross-language key of the number v (as xl_word gives for its digits). */
uint64_t xl_num_key(int v);
/* 1000 or 1000000 when folded word w names that scale ("тысяч", "хиляди",
 * "million", "млн"), else 0. */
int xl_scale_word(const char *w, size_t n);

/* Bytes of text that belong to the article body: scraped pages end with
 * share widgets, comment counters and other headlines, which start at a
 * short line such as "Сподели:" or "Comments (0)". */
size_t xl_body_len(const char *text, size_t len);

/* ---- language (text.c, langid.c) ---- */

/* text_lang, and whether distinctive letters or enough function words made
 * the guess (*sure = 1), or it is weak. */
const char *text_lang_guess(const char *s, int *sure);
/* Function words of the language guess as one map, and the longest one
 * (longer words need no lookup). */
struct an_fnwords {
    struct kmap map;
    size_t max_bytes;
};
/* -1 on OOM or when two of them share a hash (then guess without it). */
int an_fnwords_init(struct an_fnwords *f);
/* The same guess, looking function words up in fnw rather than scanning
 * the lists; fnw NULL scans them. */
const char *an_lang_guess(const struct an_fnwords *fnw, const char *s, int *sure);

/* ---- shared read-only resources ---- */

/* Built once and shared by every canonical of an index (or owned by one
 * canonical of the per-text API). */
struct an_shared {
    struct kmap stop; /* function words: no weight */
    struct xl_lex *lex;
    struct text_langid *lid; /* NULL when the fingerprints are missing */
    struct an_fnwords fnw;   /* map.cap 0 when unusable */
};

/* The language of s, using the shared fingerprints when present. */
const char *an_lang(const struct an_shared *sh, const char *s);

/*
 * an_lang in two steps, so that the n-gram comparison, the costly part, is
 * run only when the answer matters. an_lang_options gives every language
 * an_lang may answer for s: the guess alone when text_lang is sure (or the
 * fingerprints are missing), else the guess and each fingerprint language
 * of the script s is mostly written in. an_lang_decide gives the answer.
 * guess and sure are an_lang_guess's for s.
 */
enum { AN_LANG_OPTIONS = 12 };
const char *an_lang_guess_sh(const struct an_shared *sh, const char *s, int *sure);
size_t an_lang_options(const struct an_shared *sh, const char *s, const char *guess, int sure,
                       const char *out[AN_LANG_OPTIONS]);
const char *an_lang_decide(const struct an_shared *sh, const char *s, const char *guess, int sure);

int an_shared_init(struct an_shared *sh); /* -1 on OOM; clear it anyway */
void an_shared_clear(struct an_shared *sh);

/* ---- tokens (tokenize.c) ---- */

struct tok {
    uint64_t word;       /* hash of the folded word */
    uint64_t key;        /* hash of the stem prefix */
    uint32_t start, end; /* bytes in the source text */
    uint32_t sent;
    uint32_t para; /* canonical only: 1-based */
    uint64_t xkey; /* cross-language key, 0 when not computed */
    int num;       /* value of a number or number word, else 0 */
    unsigned char content, neg, upper, report;
    unsigned char negpfx; /* starts like a negated word ("ненанесение", "non-") */
    unsigned char month;  /* 1..12: a month name */
};

struct toks {
    struct tok *v;
    size_t n, cap;
    uint32_t nsent;
};

/* What tokenize learnt about words, by their bytes: news repeats its
 * vocabulary, and folding, stemming and cross-language keys cost far more
 * than a lookup. Bounded (emptied when full); one owner at a time. */
struct an_wcache;
int an_wcache_new(struct an_wcache **out); /* -1 on OOM */
void an_wcache_free(struct an_wcache *c);  /* accepts NULL */

/* One stemmer per script, so that a Latin name in a Russian text or a page
 * whose widgets fooled the language guess still stems its words. Either may
 * be NULL: keys are then word prefixes. */
struct tokenizer {
    struct sb_stemmer *cyr, *lat;
    const struct kmap *stop;
    const struct xl_lex *lex; /* always set: numbers, negation, reporting */
    int want_xkey;            /* compute cross-language keys */
    enum xl_rules rules;
    struct an_wcache *cache; /* NULL: none; else used with the same stop and lex only */
};

/* Stemmers for a text in lang; fallback (the canonical's language) decides
 * for the script lang does not use. Returns -1 on OOM. */
int tokenizer_init(struct tokenizer *tz, const char *lang, const char *fallback,
                   const struct an_shared *sh);
void tokenizer_clear(struct tokenizer *tz);
/* Names of the stemmers tokenizer_init picks (for caching tokenisations). */
void tokenizer_stemmers(const char *lang, const char *fallback, const char **cyr, const char **lat);
/* Words of text[0..len) with sentence numbers; out is reset first. */
int tokenize(const struct tokenizer *tz, const char *text, size_t len, struct toks *out);
/* tokenize with tz->cache, also giving each token's cache entry in
 * (*ents)[0..out->n) (room *cap, grown as needed). The entries stay valid
 * while an_wcache_epoch is unchanged: compare it before and after. */
int tokenize_ents(const struct tokenizer *tz, const char *text, size_t len, struct toks *out,
                  uint32_t **ents, size_t *cap);
unsigned long an_wcache_epoch(const struct an_wcache *c);
/* What tokenize with tz gives for the text that gave src (entries ents,
 * still valid), without reading the text again: the same words with keys
 * for tz's stemmers and cross-language keys as tz asks. out may be src.
 * Adds nothing to the cache. -1 on OOM. */
int tokens_rekey(const struct tokenizer *tz, const char *text, const struct toks *src,
                 const uint32_t *ents, struct toks *out);

/* ---- canonical (canon.c) and article (match.c) ---- */

struct csent {
    uint32_t first, last; /* token range, inclusive */
    uint32_t nkeys;       /* distinct content keys */
    uint32_t para;        /* paragraph holding most of its content */
    double xw;            /* summed weight of its distinct cross-language keys */
    int hasnum;           /* holds a number (digits or a number word) */
};

struct match_canon {
    char *text; /* the raw canonical, for passages */
    size_t len;
    char lang[8];
    struct toks t;
    struct csent *sents;
    size_t nparas;
    uint32_t *ctok; /* indices of weighted content tokens, in order */
    size_t nctok;
    unsigned char *weighted; /* per paragraph (index 1..nparas): counts for the score */
    const struct an_shared *sh;
    struct an_shared *own_sh; /* set when sh is this canonical's own */
    struct kmap bykey;        /* content key -> sentences (distinct per sentence) */
    struct kmap shingles;     /* 3 keys -> ctok position of the first */
    struct posts key_posts, sh_posts;
    struct kmap byx; /* cross-language key -> sentences (distinct per sentence) */
    struct posts x_posts;
};

/* Prepares a canonical using shared resources sh (borrowed; must outlive it). */
int canon_build(const char *text, const struct an_shared *sh, struct match_canon **out, char *err,
                size_t errsz);

/* log(1 + sentences / sentences holding key). */
double canon_x_weight(const struct match_canon *c, uint64_t key);

/*
 * Scores the tokenised article a (text article[0..len), language lang)
 * against c. cross: a is in another language than c (keys are cross-language
 * keys). out->lang is left as the caller set it.
 */
int match_tokens(const struct match_canon *c, const char *article, size_t len, const struct toks *a,
                 int cross, double threshold, struct match_result *out, char *err, size_t errsz);

/* What changed between a canonical sentence c[0..nc) and the article's
 * passage a[0..na): numbers, months, names and negation. ctext and atext
 * are the texts the tokens point into (names are quoted from them). cross:
 * the passage is a translation; several: it spans more than one article
 * sentence (negation across languages is then not compared). Appends
 * malloc'd descriptions to *out (n entries). -1 on OOM. */
int passage_changes(const char *ctext, const struct tok *c, size_t nc, const char *atext,
                    const struct tok *a, size_t na, int cross, int several, char ***out, size_t *n);

#endif
