/*
 * index_filter: which canonicals an article may cover in their own language.
 *
 * match_tokens marks a canonical token as reported in two ways only: a
 * shingle (three consecutive content keys) of the article equals one of the
 * canonical's, or the token's sentence is aligned, which needs at least
 * MIN_ALIGNED_KEYS shared keys and half of the sentence's distinct keys. So
 * the tokens of alignable sentences plus three per shingle hit bound the
 * score from above, and a canonical whose bound is below the threshold is
 * skipped: the filter never drops one that match_article finds covered.
 *
 * Finding the alignable sentences without walking every posting of every
 * word is prefix filtering, as in set-similarity joins: a sentence that
 * needs r of its n keys must share one of its n - r + 1 rarest keys (rarest
 * among all canonicals). Only those are indexed, so widespread words cost
 * nothing per article; each sentence so found is then checked exactly.
 *
 * The prefix is PREFIX_EXTRA keys longer than it must be, so a sentence has
 * to share PREFIX_EXTRA + 1 of its indexed keys before it is checked: most
 * sentences that share one rare-ish word by chance stop there.
 */
#include "analysis/index.h"

#include <stdlib.h>
#include <string.h>

enum { MIN_ALIGNED_KEYS = 3 }; /* as match.c */
#define ALIGN_SHARE 0.5        /* as match.c */
enum { PREFIX_EXTRA = 2 };

struct kd {
    uint64_t key;
    uint32_t df;
};

int index_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sizes *set for n keys and empties it. */
static int set_reset(uint64_t **set, size_t *cap, size_t *nset, size_t n)
{
    size_t c = 16;
    while (c < n * 2 + 1)
        c *= 2;
    if (c > *cap) {
        uint64_t *p = realloc(*set, c * sizeof *p);
        if (!p)
            return -1;
        *set = p;
        *cap = c;
    }
    *nset = c;
    memset(*set, 0, c * sizeof **set);
    return 0;
}

/* Adds k (not 0) to the set; 1 when it was not there yet. */
static int set_add(uint64_t *set, size_t nset, uint64_t k)
{
    size_t j = (size_t)(k ^ (k >> 29)) & (nset - 1);
    while (set[j] && set[j] != k)
        j = (j + 1) & (nset - 1);
    if (set[j])
        return 0;
    set[j] = k;
    return 1;
}

int index_set_has(const uint64_t *set, size_t nset, uint64_t k)
{
    size_t j = (size_t)(k ^ (k >> 29)) & (nset - 1);
    while (set[j] && set[j] != k)
        j = (j + 1) & (nset - 1);
    return set[j] == k;
}

/* A hash set rather than sorting: the callers need each key once and a
 * fast membership test, never an order. */
int index_unique_keys(const struct toks *t, int cross, uint64_t *out, size_t *nout, uint64_t **set,
                      size_t *cap, size_t *nset)
{
    size_t u = 0;
    if (set_reset(set, cap, nset, t->n) < 0)
        return -1;
    for (size_t i = 0; i < t->n; i++) {
        uint64_t k = cross ? t->v[i].xkey : t->v[i].key;
        if (t->v[i].content && k && set_add(*set, *nset, k))
            out[u++] = k;
    }
    *nout = u;
    return 0;
}

/* Rarest first; the key breaks ties so that builds repeat. */
static int cmp_df(const void *a, const void *b)
{
    const struct kd *x = a, *y = b;
    if (x->df != y->df)
        return x->df < y->df ? -1 : 1;
    return x->key < y->key ? -1 : x->key > y->key;
}

void index_filter_clear(struct match_index *idx)
{
    kmap_free(&idx->pkeys);
    kmap_free(&idx->shmap);
    free(idx->pposts.v);
    free(idx->shposts.v);
    free(idx->sk_first);
    free(idx->skeys);
    free(idx->sreq);
    free(idx->sneed);
    free(idx->scanon);
    memset(&idx->pposts, 0, sizeof idx->pposts);
    memset(&idx->shposts, 0, sizeof idx->shposts);
    idx->sk_first = idx->sreq = idx->sneed = idx->scanon = NULL;
    idx->skeys = NULL;
    idx->filter_ok = 0;
}

static uint32_t key_df(const struct match_index *idx, uint64_t key)
{
    uint32_t h = kmap_get(&idx->keys, key);
    return h == NONE ? 0 : idx->kp[h].df;
}

/* One canonical's sentences: distinct keys, required count, prefix keys;
 * and its shingles. v is scratch for one sentence's keys. */
static int filter_canon(struct match_index *idx, uint32_t id, struct kd *v, size_t *nsk)
{
    const struct match_canon *c = idx->e[id].c;
    uint32_t base = idx->e[id].sent_base;
    for (uint32_t s = 0; s < c->t.nsent; s++) {
        uint32_t g = base + s;
        const struct csent *cs = &c->sents[s];
        size_t n = 0;
        idx->scanon[g] = id;
        for (uint32_t t = cs->first; cs->first != NONE && t <= cs->last; t++) {
            const struct tok *k = &c->t.v[t];
            if (!k->content)
                continue;
            size_t j = 0;
            while (j < n && v[j].key != k->key)
                j++;
            if (j == n) {
                v[n].key = k->key;
                v[n++].df = key_df(idx, k->key);
            }
        }
        uint32_t req = (uint32_t)((double)n * ALIGN_SHARE + 0.999999);
        idx->sreq[g] = req < MIN_ALIGNED_KEYS ? MIN_ALIGNED_KEYS : req;
        idx->sk_first[g] = (uint32_t)*nsk;
        for (size_t j = 0; j < n; j++)
            idx->skeys[(*nsk)++] = v[j].key;
        idx->sk_first[g + 1] = (uint32_t)*nsk;
        if (n < idx->sreq[g])
            continue; /* can never be aligned */
        qsort(v, n, sizeof *v, cmp_df);
        size_t plen = n - idx->sreq[g] + 1 + PREFIX_EXTRA;
        if (plen > n)
            plen = n;
        /* The keys left out can supply at most n - plen of those needed. */
        idx->sneed[g] = idx->sreq[g] - (uint32_t)(n - plen);
        for (size_t j = 0; j < plen; j++)
            if (kmap_add_grow(&idx->pkeys, &idx->pposts, v[j].key, g) < 0)
                return -1;
    }
    for (size_t i = 0; i + 2 < c->nctok; i++) {
        uint64_t sh =
            an_mix3(c->t.v[c->ctok[i]].key, c->t.v[c->ctok[i + 1]].key, c->t.v[c->ctok[i + 2]].key);
        if (kmap_add_grow(&idx->shmap, &idx->shposts, sh, id) < 0)
            return -1;
    }
    return 0;
}

int index_filter_build(struct match_index *idx)
{
    struct kd *v = NULL;
    size_t nsk = 0, ntok = 0, maxs = 1;
    index_filter_clear(idx);
    for (size_t i = 0; i < idx->n; i++) {
        ntok += idx->e[i].c->nctok;
        if (idx->e[i].c->t.n + 1 > maxs)
            maxs = idx->e[i].c->t.n + 1;
    }
    v = malloc(maxs * sizeof *v);
    idx->sk_first = calloc(idx->nsent + 1, sizeof *idx->sk_first);
    idx->skeys = malloc((ntok ? ntok : 1) * sizeof *idx->skeys);
    idx->sreq = calloc(idx->nsent + 1, sizeof *idx->sreq);
    idx->sneed = calloc(idx->nsent + 1, sizeof *idx->sneed);
    idx->scanon = calloc(idx->nsent + 1, sizeof *idx->scanon);
    if (!v || !idx->sk_first || !idx->skeys || !idx->sreq || !idx->sneed || !idx->scanon)
        goto oom;
    for (uint32_t id = 0; id < idx->n; id++)
        if (filter_canon(idx, id, v, &nsk) < 0)
            goto oom;
    free(v);
    v = NULL;
    if (kmap_compact(&idx->pkeys, &idx->pposts) < 0 || kmap_compact(&idx->shmap, &idx->shposts) < 0)
        goto oom;
    idx->filter_ok = 1;
    return 0;
oom:
    free(v);
    index_filter_clear(idx);
    return -1;
}

/* The article's distinct shingles, as match.c computes them (the set
 * idx->kset is reused to find repeats). */
static int article_shingles(struct match_index *idx, const struct toks *t, size_t *nout)
{
    uint64_t k0 = 0, k1 = 0;
    size_t seen = 0, n = 0;
    if (set_reset(&idx->kset, &idx->capset, &idx->nset, t->n) < 0)
        return -1;
    for (size_t i = 0; i < t->n; i++) {
        if (!t->v[i].content)
            continue;
        uint64_t k2 = t->v[i].key;
        if (++seen >= 3) {
            uint64_t sh = an_mix3(k0, k1, k2);
            if (set_add(idx->kset, idx->nset, sh))
                idx->ush[n++] = sh;
        }
        k0 = k1;
        k1 = k2;
    }
    *nout = n;
    return 0;
}

int index_same_candidates(struct match_index *idx, const int *mode, double threshold,
                          uint32_t *cand, size_t *ncand, unsigned char *seen)
{
    for (size_t v = 0; v < idx->nvar && idx->var[v].cyr; v++) {
        size_t nk = 0, nt = 0, ns = 0, nsh = 0;
        if (index_unique_keys(&idx->var[v].t, 0, idx->ukeys, &nk, &idx->kset, &idx->capset,
                              &idx->nset) < 0)
            return -1;
        /* Sentences sharing a prefix key, each checked once. */
        for (size_t i = 0; i < nk; i++)
            for (uint32_t h = kmap_get(&idx->pkeys, idx->ukeys[i]); h != NONE;
                 h = idx->pposts.v[h].next) {
                uint32_t g = idx->pposts.v[h].val;
                if (idx->sacc[g]++ == 0)
                    idx->stouched[ns++] = g;
            }
        for (size_t i = 0; i < ns; i++) {
            uint32_t g = idx->stouched[i], id = idx->scanon[g], n = 0, hits = idx->sacc[g];
            idx->sacc[g] = 0;
            if (hits < idx->sneed[g] || mode[idx->e[id].lang] != (int)v)
                continue;
            uint32_t left = idx->sk_first[g + 1] - idx->sk_first[g];
            for (uint32_t j = idx->sk_first[g];
                 j < idx->sk_first[g + 1] && n < idx->sreq[g] && n + left >= idx->sreq[g];
                 j++, left--)
                n += (uint32_t)index_set_has(idx->kset, idx->nset, idx->skeys[j]);
            if (n < idx->sreq[g])
                continue;
            if (idx->acc[id] == 0)
                idx->touched[nt++] = id;
            idx->acc[id] += idx->scont[g];
        }
        /* Each shingle occurrence marks at most three tokens. */
        if (article_shingles(idx, &idx->var[v].t, &nsh) < 0)
            return -1;
        for (size_t i = 0; i < nsh; i++)
            for (uint32_t h = kmap_get(&idx->shmap, idx->ush[i]); h != NONE;
                 h = idx->shposts.v[h].next) {
                uint32_t id = idx->shposts.v[h].val;
                if (mode[idx->e[id].lang] != (int)v)
                    continue;
                if (idx->acc[id] == 0)
                    idx->touched[nt++] = id;
                idx->acc[id] += 3;
            }
        for (size_t i = 0; i < nt; i++) {
            uint32_t id = idx->touched[i];
            if (!seen[id] && idx->acc[id] >= threshold * (double)idx->e[id].c->nctok - 1e-9) {
                seen[id] = 1;
                cand[(*ncand)++] = id;
            }
            idx->acc[id] = 0;
        }
    }
    return 0;
}
