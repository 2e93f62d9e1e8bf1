/*
 * Private to analysis/: the match index's layout, shared by index.c (adding
 * canonicals) and index_match.c (matching articles). Not a public header.
 */
#ifndef PW_ANALYSIS_INDEX_H
#define PW_ANALYSIS_INDEX_H

#include "analysis/internal.h"

#include <stddef.h>
#include <stdint.h>

enum {
    COMMON_MIN = 64,  /* a key in fewer canonicals is never common */
    COMMON_SHARE = 8, /* ... else common when in more than 1/8 of them */
    XMIN_SHARED = 3,  /* as match.c's XMIN_KEYS */
    MAX_STEMMERS = 8,
    MAX_VARIANTS = 4, /* tokenisations of one article (stemmer pairs) */
    MAX_LANGS = 32
};

struct ipost {
    uint32_t canon, cnt; /* cnt: content tokens of canon with this key */
    uint32_t next, df;   /* df: canonicals on the chain from here on */
};

struct xpost {
    uint32_t canon, sent; /* sent: global sentence number */
    uint32_t next, df;
};

struct entry {
    char *name;
    struct match_canon *c;
    uint32_t lang;      /* index into idx->langs */
    uint32_t sent_base; /* its sentences' global numbers start here */
};

struct variant {
    const char *cyr, *lat; /* stemmer names (static strings) */
    struct toks t;
    /* What t holds: article number gen with stemmers tcyr/tlat, and
     * cross-language keys by rules trules (-1: none). An article tried in
     * several languages tokenises once per distinct need. */
    const char *tcyr, *tlat;
    int trules;
    unsigned long gen;
};

struct match_index {
    struct an_shared sh;
    struct entry *e;
    size_t n, cap;
    char langs[MAX_LANGS][8];
    size_t nlangs;
    struct kmap keys; /* content key -> ipost chain */
    struct ipost *kp;
    size_t nkp, capkp;
    struct kmap xkeys; /* cross-language key -> xpost chain */
    struct xpost *xp;
    size_t nxp, capxp;
    uint32_t *scont; /* per global sentence: content tokens */
    size_t nsent, capsent;
    /* Rebuilt after additions: common keys and what they hold. */
    int dirty;
    uint32_t common_df;
    uint32_t *xc_first; /* per global sentence + 1: range in xc */
    uint64_t *xc;       /* common cross-language keys of each sentence */
    /* Same-language filter (index_filter.c), rebuilt after additions. */
    int filter_ok;
    struct kmap pkeys; /* rarer keys of each sentence -> global sentences */
    struct posts pposts;
    uint32_t *sk_first; /* per global sentence + 1: range in skeys */
    uint64_t *skeys;    /* distinct content keys of each sentence */
    uint32_t *sreq;     /* shared keys a sentence needs to be aligned */
    uint32_t *sneed;    /* of those, how many must be among its indexed keys */
    uint32_t *scanon;   /* canonical of each global sentence */
    struct kmap shmap;  /* shingle -> canonicals (one posting per occurrence) */
    struct posts shposts;
    uint64_t *ush;  /* scratch: the article's shingles */
    uint64_t *kset; /* scratch: the article's keys as a set */
    size_t nset, capset;
    /* Per article scratch. */
    struct sb_stemmer *stem[MAX_STEMMERS];
    const char *stem_name[MAX_STEMMERS];
    size_t nstem;
    struct variant var[MAX_VARIANTS];
    size_t nvar;
    uint32_t *acc, *touched;     /* per canonical */
    uint32_t *sacc, *stouched;   /* per global sentence */
    size_t scratch_n, scratch_s; /* sizes acc and sacc were cleared for */
    uint64_t *ukeys, *uxkeys;    /* the article's distinct keys */
    size_t capu;
    uint64_t *xset; /* scratch: the article's cross-language keys as a set */
    size_t nxset, capxset;
    uint32_t *cand;       /* per canonical: the article's candidates */
    unsigned char *cseen; /* per canonical: in cand (cleared after use) */
    size_t capcand;
    unsigned long gen;    /* articles matched so far */
    struct an_wcache *wc; /* words already tokenised */
    uint32_t *ents;       /* cache entries of the tokens of var[ents_var] */
    size_t capents, ents_var;
    unsigned long ents_gen, ents_epoch; /* ents is for article ents_gen, cache epoch ents_epoch */
};

/* Same-language filter (index_filter.c): builds it for threshold, then adds
 * the canonicals whose bound reaches it to cand (once each, seen[]).
 * mode[lang] is the tokenisation variant a canonical of that language uses,
 * -1 for cross-language. */
int index_filter_build(struct match_index *idx);
void index_filter_clear(struct match_index *idx);
int index_same_candidates(struct match_index *idx, const int *mode, double threshold,
                          uint32_t *cand, size_t *ncand, unsigned char *seen); /* -1: OOM */
int index_cmp_u64(const void *a, const void *b);
/* Distinct keys (cross: cross-language keys) of t's content tokens, in no
 * particular order, into out; *set (capacity *cap, grown as needed) holds
 * them as an open-addressing set of *nset slots afterwards (see
 * index_set_has). -1 on OOM. */
int index_unique_keys(const struct toks *t, int cross, uint64_t *out, size_t *nout, uint64_t **set,
                      size_t *cap, size_t *nset);
int index_set_has(const uint64_t *set, size_t nset, uint64_t k);

/* Grows *v (elements of size bytes) to hold need; -1 on OOM. */
int index_grow(void **v, size_t *cap, size_t need, size_t size);

#endif
