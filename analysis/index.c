/*
 * index: many canonical texts matched at once.
 *
 * All canonicals share one stopword map, one lexicon and one set of
 * stemmers. Inverted indexes over them pick the few canonicals worth a full
 * match (match_tokens) for an article:
 *   - same language (index_filter.c): the sentences an article can align and
 *     its shingles bound a canonical's score from above; prefix filtering
 *     finds them without walking the postings of widespread words. Exact.
 *   - cross-language (index_match.c): cross-language key -> (canonical,
 *     sentence). A sentence is reported only when it shares at least
 *     XMIN_SHARED keys with the article; the canonical is a candidate when
 *     such sentences hold at least the threshold share of its content. Keys
 *     that more than 1/8 of the canonicals hold (and at least 64) are not
 *     walked, and count only in sentences a rarer key touched: a sentence
 *     reported through widespread words alone is not worth a full match.
 *     Not exact in that corner.
 *
 * The article is decoded, its language detected and its text read once;
 * each stemmer pair the canonicals' languages need only re-keys its words,
 * and a cache of words seen before spares folding and stemming them again.
 * When the cheap language guess is unsure, the costly n-gram comparison
 * runs only if some language it may answer gets a canonical covered
 * (index_match.c).
 */
#include "analysis/analysis.h"

#include "analysis/index.h"
#include "analysis/internal.h"
#include "common/buf.h"

#include <libstemmer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int index_grow(void **v, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *p = realloc(*v, c * size);
    if (!p)
        return -1;
    *v = p;
    *cap = c;
    return 0;
}

int match_index_new(struct match_index **out, char *err, size_t errsz)
{
    struct match_index *idx = calloc(1, sizeof *idx);
    *out = NULL;
    if (!idx || an_shared_init(&idx->sh) < 0 || kmap_init(&idx->keys, 1024) < 0 ||
        kmap_init(&idx->xkeys, 1024) < 0) {
        match_index_free(idx);
        return pw_err(err, errsz, "out of memory creating the match index");
    }
    *out = idx;
    return 0;
}

void match_index_free(struct match_index *idx)
{
    if (!idx)
        return;
    for (size_t i = 0; i < idx->n; i++) {
        free(idx->e[i].name);
        match_canon_free(idx->e[i].c);
    }
    free(idx->e);
    an_shared_clear(&idx->sh);
    kmap_free(&idx->keys);
    kmap_free(&idx->xkeys);
    free(idx->kp);
    free(idx->xp);
    free(idx->scont);
    free(idx->xc_first);
    free(idx->xc);
    index_filter_clear(idx);
    for (size_t i = 0; i < idx->nstem; i++)
        sb_stemmer_delete(idx->stem[i]);
    for (size_t i = 0; i < idx->nvar; i++)
        free(idx->var[i].t.v);
    free(idx->acc);
    free(idx->touched);
    free(idx->sacc);
    free(idx->stouched);
    free(idx->ukeys);
    free(idx->uxkeys);
    free(idx->ush);
    free(idx->kset);
    free(idx->xset);
    free(idx->cand);
    free(idx->cseen);
    an_wcache_free(idx->wc);
    free(idx->ents);
    free(idx);
}

size_t match_index_count(const struct match_index *idx)
{
    return idx ? idx->n : 0;
}

const char *match_index_name(const struct match_index *idx, size_t id)
{
    return idx && id < idx->n ? idx->e[id].name : NULL;
}

const struct match_canon *match_index_canon(const struct match_index *idx, size_t id)
{
    return idx && id < idx->n ? idx->e[id].c : NULL;
}

static int lang_id(struct match_index *idx, const char *lang, uint32_t *out)
{
    for (size_t i = 0; i < idx->nlangs; i++)
        if (!strcmp(idx->langs[i], lang)) {
            *out = (uint32_t)i;
            return 0;
        }
    if (idx->nlangs == MAX_LANGS)
        return -1;
    snprintf(idx->langs[idx->nlangs], sizeof idx->langs[0], "%s", lang);
    *out = (uint32_t)idx->nlangs++;
    return 0;
}

/* Adds the canonical's postings: one per (key, canonical) with a count, one
 * per (cross-language key, sentence). Chains are newest first, so a repeat
 * of this canonical is at the head. */
static int index_canon(struct match_index *idx, uint32_t id)
{
    const struct match_canon *c = idx->e[id].c;
    uint32_t base = idx->e[id].sent_base;
    for (size_t i = 0; i < c->nctok; i++) {
        const struct tok *k = &c->t.v[c->ctok[i]];
        idx->scont[base + k->sent]++;
        uint32_t h = kmap_get(&idx->keys, k->key);
        if (h != NONE && idx->kp[h].canon == id) {
            idx->kp[h].cnt++;
        } else {
            if (index_grow((void **)&idx->kp, &idx->capkp, idx->nkp + 1, sizeof *idx->kp) < 0 ||
                kmap_add_grow(&idx->keys, NULL, k->key, 0) < 0)
                return -1;
            struct ipost *p = &idx->kp[idx->nkp];
            p->canon = id;
            p->cnt = 1;
            p->next = h;
            p->df = h == NONE ? 1 : idx->kp[h].df + 1;
            kmap_set_head(&idx->keys, k->key, (uint32_t)idx->nkp++);
        }
        if (!k->xkey)
            continue;
        h = kmap_get(&idx->xkeys, k->xkey);
        if (h != NONE && idx->xp[h].canon == id && idx->xp[h].sent == base + k->sent)
            continue;
        if (index_grow((void **)&idx->xp, &idx->capxp, idx->nxp + 1, sizeof *idx->xp) < 0 ||
            kmap_add_grow(&idx->xkeys, NULL, k->xkey, 0) < 0)
            return -1;
        struct xpost *x = &idx->xp[idx->nxp];
        x->canon = id;
        x->sent = base + k->sent;
        x->next = h;
        x->df = h == NONE ? 1 : idx->xp[h].df + (idx->xp[h].canon != id);
        kmap_set_head(&idx->xkeys, k->xkey, (uint32_t)idx->nxp++);
    }
    return 0;
}

int match_index_add(struct match_index *idx, const char *name, const char *text, size_t *id,
                    char *err, size_t errsz)
{
    struct match_canon *c = NULL;
    char *dup = NULL;
    if (!idx || !name)
        return pw_err(err, errsz, "no index or no name");
    if (idx->n >= UINT32_MAX / 2)
        return pw_err(err, errsz, "too many canonical texts");
    if (canon_build(text, &idx->sh, &c, err, errsz) < 0)
        return -1;
    dup = strdup(name);
    if (!dup || index_grow((void **)&idx->e, &idx->cap, idx->n + 1, sizeof *idx->e) < 0 ||
        index_grow((void **)&idx->scont, &idx->capsent, idx->nsent + c->t.nsent + 1,
                   sizeof *idx->scont) < 0)
        goto oom;
    struct entry *e = &idx->e[idx->n];
    memset(e, 0, sizeof *e);
    if (lang_id(idx, c->lang, &e->lang) < 0) {
        free(dup);
        match_canon_free(c);
        return pw_err(err, errsz, "%s: too many languages among the canonical texts", name);
    }
    e->name = dup;
    e->c = c;
    e->sent_base = (uint32_t)idx->nsent;
    memset(idx->scont + idx->nsent, 0, c->t.nsent * sizeof *idx->scont);
    idx->nsent += c->t.nsent;
    idx->n++;
    idx->dirty = 1;
    if (index_canon(idx, (uint32_t)idx->n - 1) < 0)
        return pw_err(err, errsz, "out of memory indexing %s", name);
    if (id)
        *id = idx->n - 1;
    return 0;
oom:
    free(dup);
    match_canon_free(c);
    return pw_err(err, errsz, "out of memory indexing %s", name);
}
