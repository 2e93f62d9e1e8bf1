/*
 * index_match: one article against every canonical of an index (see index.c
 * for how candidates are chosen and why the choice is safe).
 */
#include "analysis/analysis.h"

#include "analysis/index.h"
#include "analysis/internal.h"
#include "common/buf.h"

#include <libstemmer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Finds which cross-language keys a large share of the canonicals hold, and
 * per sentence its common ones. Runs once after additions. */
static int rebuild(struct match_index *idx)
{
    uint32_t cdf = (uint32_t)(idx->n / COMMON_SHARE);
    if (cdf < COMMON_MIN)
        cdf = COMMON_MIN;
    idx->common_df = cdf;
    free(idx->xc_first);
    free(idx->xc);
    idx->xc = NULL;
    idx->xc_first = calloc(idx->nsent + 2, sizeof *idx->xc_first);
    if (!idx->xc_first)
        return -1;
    size_t total = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < idx->xkeys.cap; i++) {
            uint32_t h = idx->xkeys.keys[i] ? idx->xkeys.head[i] : NONE;
            if (h == NONE || idx->xp[h].df <= cdf)
                continue;
            for (; h != NONE; h = idx->xp[h].next) {
                uint32_t s = idx->xp[h].sent;
                if (pass == 0)
                    idx->xc_first[s + 2]++;
                else
                    idx->xc[idx->xc_first[s + 1]++] = idx->xkeys.keys[i];
            }
        }
        if (pass == 0) {
            /* Counting sort: after the prefix sums, xc_first[s + 1] is where
             * sentence s's keys go; filling moves it to their end. */
            for (size_t s = 2; s < idx->nsent + 2; s++)
                idx->xc_first[s] += idx->xc_first[s - 1];
            total = idx->xc_first[idx->nsent + 1];
            idx->xc = malloc((total ? total : 1) * sizeof *idx->xc);
            if (!idx->xc)
                return -1;
        }
    }
    return 0;
}

static struct sb_stemmer *stemmer(struct match_index *idx, const char *name)
{
    for (size_t i = 0; i < idx->nstem; i++)
        if (!strcmp(idx->stem_name[i], name))
            return idx->stem[i];
    if (idx->nstem == MAX_STEMMERS)
        return NULL;
    struct sb_stemmer *s = sb_stemmer_new(name, NULL);
    if (!s)
        return NULL;
    idx->stem[idx->nstem] = s;
    idx->stem_name[idx->nstem++] = name;
    return s;
}

/* The article's tokenisation for a stemmer pair: index into idx->var, -1 on
 * OOM. Variants keep their memory from article to article. */
static int variant(struct match_index *idx, size_t used, const char *cyr, const char *lat)
{
    for (size_t v = 0; v < used; v++)
        if (idx->var[v].cyr == cyr && idx->var[v].lat == lat)
            return (int)v;
    if (used == MAX_VARIANTS)
        return 0; /* cannot happen with the languages we stem; 0 is close */
    if (used == idx->nvar)
        idx->nvar++;
    idx->var[used].cyr = cyr;
    idx->var[used].lat = lat;
    return (int)used;
}

static int tokenize_variant(struct match_index *idx, struct variant *v, const char *lang,
                            const char *text, size_t len, int want_xkey)
{
    struct tokenizer tz = {0};
    tz.cyr = stemmer(idx, v->cyr);
    tz.lat = stemmer(idx, v->lat);
    if (!tz.cyr || !tz.lat)
        return -1;
    tz.stop = &idx->sh.stop;
    tz.lex = idx->sh.lex;
    tz.want_xkey = want_xkey;
    tz.rules = xl_rules_for(lang);
    return tokenize(&tz, text, len, &v->t);
}

static int has_key(const uint64_t *keys, size_t n, uint64_t k)
{
    return bsearch(&k, keys, n, sizeof *keys, index_cmp_u64) != NULL;
}

static size_t cross_candidates(struct match_index *idx, const int *mode, double threshold,
                               uint32_t *cand, size_t ncand, unsigned char *seen)
{
    size_t nk = index_unique_keys(&idx->var[0].t, 1, idx->uxkeys), ns = 0, nt = 0;
    for (size_t i = 0; i < nk; i++) {
        uint32_t h = kmap_get(&idx->xkeys, idx->uxkeys[i]);
        if (h == NONE || idx->xp[h].df > idx->common_df)
            continue;
        for (; h != NONE; h = idx->xp[h].next) {
            const struct xpost *p = &idx->xp[h];
            if (mode[idx->e[p->canon].lang] != -1)
                continue;
            if (idx->sacc[p->sent]++ == 0)
                idx->stouched[ns++] = p->sent;
        }
    }
    for (size_t i = 0; i < ns; i++) {
        uint32_t s = idx->stouched[i], n = idx->sacc[s];
        idx->sacc[s] = 0;
        for (uint32_t j = idx->xc_first[s]; j < idx->xc_first[s + 1] && n < XMIN_SHARED; j++)
            n += (uint32_t)has_key(idx->uxkeys, nk, idx->xc[j]);
        if (n < XMIN_SHARED)
            continue;
        /* The sentence's canonical: the last whose first sentence is <= s. */
        size_t lo = 0, hi = idx->n;
        while (hi - lo > 1) {
            size_t mid = (lo + hi) / 2;
            if (idx->e[mid].sent_base <= s)
                lo = mid;
            else
                hi = mid;
        }
        if (idx->acc[lo] == 0)
            idx->touched[nt++] = (uint32_t)lo;
        idx->acc[lo] += idx->scont[s];
    }
    for (size_t i = 0; i < nt; i++) {
        uint32_t id = idx->touched[i];
        if (!seen[id] && idx->acc[id] >= threshold * (double)idx->e[id].c->nctok - 1e-9) {
            seen[id] = 1;
            cand[ncand++] = id;
        }
        idx->acc[id] = 0;
    }
    return ncand;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Scratch sized for the index and the article. */
static int scratch(struct match_index *idx, size_t ntok)
{
    size_t ncap = idx->n ? idx->n : 1, scap = idx->nsent ? idx->nsent : 1;
    /* Counters go back to zero after each use: clear them only when the
     * index grew, so that an article costs nothing per canonical here. */
    if (idx->acc && ncap == idx->scratch_n && scap == idx->scratch_s)
        goto keys;
    uint32_t *a = realloc(idx->acc, ncap * sizeof *a);
    if (a)
        idx->acc = a;
    uint32_t *t = realloc(idx->touched, ncap * sizeof *t);
    if (t)
        idx->touched = t;
    uint32_t *sa = realloc(idx->sacc, scap * sizeof *sa);
    if (sa)
        idx->sacc = sa;
    uint32_t *st = realloc(idx->stouched, scap * sizeof *st);
    if (st)
        idx->stouched = st;
    if (!a || !t || !sa || !st)
        return -1;
    memset(idx->acc, 0, ncap * sizeof *idx->acc);
    memset(idx->sacc, 0, scap * sizeof *idx->sacc);
    idx->scratch_n = ncap;
    idx->scratch_s = scap;
keys:
    if (ntok + 1 > idx->capu) {
        uint64_t *u = realloc(idx->ukeys, (ntok + 1) * sizeof *u);
        if (u)
            idx->ukeys = u;
        uint64_t *x = realloc(idx->uxkeys, (ntok + 1) * sizeof *x);
        if (x)
            idx->uxkeys = x;
        uint64_t *sh = realloc(idx->ush, (ntok + 1) * sizeof *sh);
        if (sh)
            idx->ush = sh;
        if (!u || !x || !sh)
            return -1;
        idx->capu = ntok + 1;
    }
    return 0;
}

int match_index_article(struct match_index *idx, const char *article, double threshold,
                        match_index_cb cb, void *arg, char *err, size_t errsz)
{
    uint32_t *cand = NULL;
    unsigned char *seen = NULL;
    int mode[MAX_LANGS];
    char lang[8];
    if (!idx)
        return pw_err(err, errsz, "no index");
    if (idx->dirty && (rebuild(idx) < 0 || index_filter_build(idx) < 0))
        goto oom;
    idx->dirty = 0;
    if (!article)
        article = "";
    size_t len = xl_body_len(article, strnlen(article, TEXT_MAX));
    snprintf(lang, sizeof lang, "%s", an_lang(&idx->sh, article));

    /* Which tokenisation each canonical language needs; the first variant
     * also carries the cross-language keys. */
    size_t used = 0;
    const char *cyr, *lat;
    tokenizer_stemmers(lang, lang, &cyr, &lat);
    used = (size_t)variant(idx, used, cyr, lat) + 1;
    int any_cross = 0;
    for (size_t l = 0; l < idx->nlangs; l++) {
        const char *cl = idx->langs[l];
        if (strcmp(lang, "und") && strcmp(cl, "und") && strcmp(lang, cl)) {
            mode[l] = -1;
            any_cross = 1;
            continue;
        }
        tokenizer_stemmers(lang, cl, &cyr, &lat);
        mode[l] = variant(idx, used, cyr, lat);
        if ((size_t)mode[l] == used)
            used++;
    }
    size_t maxtok = 0;
    for (size_t v = 0; v < used; v++) {
        if (tokenize_variant(idx, &idx->var[v], lang, article, len, v == 0) < 0)
            goto oom;
        if (idx->var[v].t.n > maxtok)
            maxtok = idx->var[v].t.n;
    }
    for (size_t v = used; v < idx->nvar; v++)
        idx->var[v].cyr = NULL; /* not this article's: same_candidates stops there */
    if (scratch(idx, maxtok) < 0)
        goto oom;
    cand = malloc((idx->n ? idx->n : 1) * sizeof *cand);
    seen = calloc(idx->n ? idx->n : 1, 1);
    if (!cand || !seen)
        goto oom;

    size_t ncand = 0;
    if (threshold <= 0.0) {
        for (size_t id = 0; id < idx->n; id++)
            cand[ncand++] = (uint32_t)id;
    } else {
        if (index_same_candidates(idx, mode, threshold, cand, &ncand, seen) < 0)
            goto oom;
        if (any_cross)
            ncand = cross_candidates(idx, mode, threshold, cand, ncand, seen);
    }
    qsort(cand, ncand, sizeof *cand, cmp_u32);

    for (size_t i = 0; i < ncand; i++) {
        const struct entry *e = &idx->e[cand[i]];
        int m = mode[e->lang], cross = m < 0;
        struct match_result r;
        if (match_tokens(e->c, article, len, &idx->var[cross ? 0 : m].t, cross, threshold, &r, err,
                         errsz) < 0)
            goto fail;
        memcpy(r.lang, lang, sizeof r.lang);
        int rc = r.covers && cb ? cb(arg, cand[i], &r) : 0;
        match_result_clear(&r);
        if (rc < 0) {
            pw_err(err, errsz, "stopped by the caller");
            goto fail;
        }
    }
    free(cand);
    free(seen);
    return 0;
oom:
    pw_err(err, errsz, "out of memory matching an article");
fail:
    free(cand);
    free(seen);
    return -1;
}
