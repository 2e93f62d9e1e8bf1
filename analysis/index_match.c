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

/* Tokenises the article for variant v unless it holds that already; only
 * variant 0 carries cross-language keys, and only when want_xkey. keys: 0
 * when only cross-language keys are read, so that any stemmers do. The
 * text is read once per article: later variants take the words of the
 * first and only change their keys. */
static int tokenize_variant(struct match_index *idx, struct variant *v, const char *lang,
                            const char *text, size_t len, int want_xkey, int keys)
{
    int rules = want_xkey ? (int)xl_rules_for(lang) : -1;
    int have = v->gen == idx->gen && (rules < 0 || v->trules == rules);
    if (have && (!keys || (v->tcyr == v->cyr && v->tlat == v->lat)))
        return 0;
    if (!keys && v->gen == idx->gen) {
        v->cyr = v->tcyr; /* keep the keys it has: no stemming */
        v->lat = v->tlat;
    }
    struct tokenizer tz = {0};
    tz.cyr = stemmer(idx, v->cyr);
    tz.lat = stemmer(idx, v->lat);
    if (!tz.cyr || !tz.lat)
        return -1;
    tz.stop = &idx->sh.stop;
    tz.lex = idx->sh.lex;
    tz.want_xkey = want_xkey;
    tz.rules = xl_rules_for(lang);
    tz.cache = idx->wc;
    v->gen = 0;
    if (idx->ents_gen == idx->gen && an_wcache_epoch(idx->wc) == idx->ents_epoch) {
        if (tokens_rekey(&tz, text, &idx->var[idx->ents_var].t, idx->ents, &v->t) < 0)
            return -1;
    } else {
        unsigned long epoch = an_wcache_epoch(idx->wc);
        idx->ents_gen = 0;
        if (tokenize_ents(&tz, text, len, &v->t, &idx->ents, &idx->capents) < 0)
            return -1;
        if (an_wcache_epoch(idx->wc) == epoch) {
            idx->ents_gen = idx->gen;
            idx->ents_epoch = epoch;
            idx->ents_var = (size_t)(v - idx->var);
        }
    }
    v->gen = idx->gen;
    v->tcyr = v->cyr;
    v->tlat = v->lat;
    v->trules = rules;
    return 0;
}

static size_t cross_candidates(struct match_index *idx, const int *mode, double threshold,
                               uint32_t *cand, size_t ncand, unsigned char *seen)
{
    size_t nk = 0, ns = 0, nt = 0;
    if (index_unique_keys(&idx->var[0].t, 1, idx->uxkeys, &nk, &idx->xset, &idx->capxset,
                          &idx->nxset) < 0)
        return (size_t)-1;
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
            n += (uint32_t)index_set_has(idx->xset, idx->nxset, idx->xc[j]);
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
    uint32_t *c = realloc(idx->cand, ncap * sizeof *c);
    if (c)
        idx->cand = c;
    unsigned char *cs = realloc(idx->cseen, ncap);
    if (cs)
        idx->cseen = cs;
    if (!a || !t || !sa || !st || !c || !cs)
        return -1;
    memset(idx->acc, 0, ncap * sizeof *idx->acc);
    memset(idx->sacc, 0, scap * sizeof *idx->sacc);
    memset(idx->cseen, 0, ncap);
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

/* What an article's candidates depend on besides its text: per canonical
 * language, the stemmers of the tokenisation it is compared with (NULL:
 * cross-language), and the rules of the cross-language keys. */
struct plan {
    const char *cyr[MAX_LANGS], *lat[MAX_LANGS];
    int rules; /* -1: no canonical is in another language */
};

static int same_plan(const struct plan *a, const struct plan *b, size_t nlangs)
{
    for (size_t l = 0; l < nlangs; l++)
        if (a->cyr[l] != b->cyr[l] || a->lat[l] != b->lat[l])
            return 0;
    return a->rules == b->rules;
}

/* How the article is compared when it is in lang: mode[] per canonical
 * language, the variants' stemmers, *p. Returns the variants used. */
static size_t make_plan(struct match_index *idx, const char *lang, int *mode, struct plan *p)
{
    size_t used = 0;
    const char *cyr, *lat;
    tokenizer_stemmers(lang, lang, &cyr, &lat);
    used = (size_t)variant(idx, used, cyr, lat) + 1;
    int any_cross = 0;
    for (size_t l = 0; l < idx->nlangs; l++) {
        const char *cl = idx->langs[l];
        p->cyr[l] = p->lat[l] = NULL;
        if (strcmp(lang, "und") && strcmp(cl, "und") && strcmp(lang, cl)) {
            mode[l] = -1;
            any_cross = 1;
            continue;
        }
        tokenizer_stemmers(lang, cl, &cyr, &lat);
        mode[l] = variant(idx, used, cyr, lat);
        if ((size_t)mode[l] == used)
            used++;
        p->cyr[l] = idx->var[mode[l]].cyr;
        p->lat[l] = idx->var[mode[l]].lat;
    }
    for (size_t v = used; v < idx->nvar; v++)
        idx->var[v].cyr = NULL; /* not this article's: same_candidates stops there */
    p->rules = any_cross ? (int)xl_rules_for(lang) : -1;
    return used;
}

/* Tokenises the article as planned for lang and puts the canonicals worth
 * a full match into idx->cand[0..*ncand), ascending (idx->cseen is left
 * clear). */
static int candidates(struct match_index *idx, const char *lang, size_t used, const int *mode,
                      const struct plan *p, const char *article, size_t len, double threshold,
                      size_t *ncand)
{
    size_t maxtok = 0;
    for (size_t v = 0; v < used; v++) {
        /* Only cross-language matching reads the cross-language keys, and
         * only same-language matching the stems. */
        int keys = v > 0;
        for (size_t l = 0; l < idx->nlangs && !keys; l++)
            keys = mode[l] == 0;
        if (tokenize_variant(idx, &idx->var[v], lang, article, len, v == 0 && p->rules >= 0, keys) <
            0)
            return -1;
        if (idx->var[v].t.n > maxtok)
            maxtok = idx->var[v].t.n;
    }
    if (scratch(idx, maxtok) < 0)
        return -1;
    uint32_t *cand = idx->cand;
    size_t n = 0;
    if (threshold <= 0.0) {
        for (size_t id = 0; id < idx->n; id++)
            cand[n++] = (uint32_t)id;
    } else {
        /* A quote covers at QUOTE_SHARE of the threshold (match_covers). */
        if (index_same_candidates(idx, mode, QUOTE_SHARE * threshold, cand, &n, idx->cseen) < 0 ||
            (p->rules >= 0 &&
             (n = cross_candidates(idx, mode, threshold, cand, n, idx->cseen)) == (size_t)-1)) {
            memset(idx->cseen, 0, idx->scratch_n); /* OOM midway */
            return -1;
        }
        for (size_t i = 0; i < n; i++)
            idx->cseen[cand[i]] = 0;
    }
    qsort(cand, n, sizeof *cand, cmp_u32);
    *ncand = n;
    return 0;
}

/* Scores the candidates (idx->cand[0..ncand), compared as mode[] says);
 * with cb, reports those covered, else sets *covered when one is and
 * stops. */
static int score(struct match_index *idx, const int *mode, size_t ncand, const char *article,
                 size_t len, double threshold, const char *lang, match_index_cb cb, void *arg,
                 int *covered, char *err, size_t errsz)
{
    for (size_t i = 0; i < ncand; i++) {
        uint32_t id = idx->cand[i];
        const struct entry *e = &idx->e[id];
        int m = mode[e->lang], cross = m < 0;
        struct match_result r;
        if (match_tokens(e->c, article, len, &idx->var[cross ? 0 : m].t, cross, threshold, &r, err,
                         errsz) < 0)
            return -1;
        memcpy(r.lang, lang, sizeof r.lang);
        int rc = 0;
        if (!covered)
            rc = r.covers && cb ? cb(arg, id, &r) : 0;
        else if (r.covers)
            *covered = 1;
        match_result_clear(&r);
        if (rc < 0)
            return pw_err(err, errsz, "stopped by the caller");
        if (covered && *covered)
            break;
    }
    return 0;
}

int match_index_article(struct match_index *idx, const char *article, double threshold,
                        match_index_cb cb, void *arg, char *err, size_t errsz)
{
    int mode[MAX_LANGS];
    char lang[8];
    struct plan plan, tried[AN_LANG_OPTIONS];
    size_t ntried = 0, ncand = 0;
    if (!idx)
        return pw_err(err, errsz, "no index");
    if (idx->dirty && (rebuild(idx) < 0 || index_filter_build(idx) < 0))
        goto oom;
    idx->dirty = 0;
    if (!idx->wc && an_wcache_new(&idx->wc) < 0)
        goto oom;
    idx->gen++;
    if (!article)
        article = "";
    size_t len = xl_body_len(article, strnlen(article, TEXT_MAX));

    /*
     * The language. When the cheap guess is unsure, the n-gram comparison
     * decides; but it changes the outcome only if, in some language it may
     * answer, a canonical is covered. Try each (once per distinct plan:
     * the same plan gives the same scores): when none covers one, nothing
     * is reported whatever the language, and the comparison is not run.
     */
    int sure;
    const char *guess = an_lang_guess_sh(&idx->sh, article, &sure);
    const char *opts[AN_LANG_OPTIONS];
    size_t nopts = an_lang_options(&idx->sh, article, guess, sure, opts);
    snprintf(lang, sizeof lang, "%s", guess);
    if (nopts > 1) {
        size_t i = 0;
        int covered = 0;
        for (; i < nopts && !covered; i++) {
            size_t used = make_plan(idx, opts[i], mode, &plan), j = 0;
            while (j < ntried && !same_plan(&tried[j], &plan, idx->nlangs))
                j++;
            if (j < ntried)
                continue;
            tried[ntried++] = plan;
            if (candidates(idx, opts[i], used, mode, &plan, article, len, threshold, &ncand) < 0)
                goto oom;
            if (score(idx, mode, ncand, article, len, threshold, lang, NULL, NULL, &covered, err,
                      errsz) < 0)
                return -1;
        }
        if (!covered)
            return 0;
        snprintf(lang, sizeof lang, "%s", an_lang_decide(&idx->sh, article, guess, sure));
    }
    size_t used = make_plan(idx, lang, mode, &plan);
    if (candidates(idx, lang, used, mode, &plan, article, len, threshold, &ncand) < 0)
        goto oom;
    return score(idx, mode, ncand, article, len, threshold, lang, cb, arg, NULL, err, errsz);
oom:
    return pw_err(err, errsz, "out of memory matching an article");
}
