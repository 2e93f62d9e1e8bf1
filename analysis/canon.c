/*
 * canon: a canonical text prepared for matching. Its words become tokens
 * with paragraph and sentence numbers, and three maps index them: content
 * key -> sentences (alignment), three consecutive keys -> position
 * (shingles, verbatim quotes), cross-language key -> sentences (translations).
 */
#include "analysis/internal.h"

#include "analysis/analysis.h"
#include "common/buf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void match_canon_free(struct match_canon *c)
{
    if (!c)
        return;
    free(c->text);
    free(c->t.v);
    free(c->sents);
    free(c->ctok);
    free(c->weighted);
    if (c->own_sh) {
        an_shared_clear(c->own_sh);
        free(c->own_sh);
    }
    kmap_free(&c->bykey);
    kmap_free(&c->shingles);
    free(c->key_posts.v);
    free(c->sh_posts.v);
    kmap_free(&c->byx);
    free(c->x_posts.v);
    free(c);
}

size_t match_canon_paragraphs(const struct match_canon *c)
{
    return c ? c->nparas : 0;
}

static int is_blank_line(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\f' && s[i] != '\v')
            return 0;
    return 1;
}

/* Numbers paragraphs the way a reader of the file counts them: maximal runs of
 * non-blank lines, 1-based, whatever they contain. */
static int assign_paragraphs(struct match_canon *c, uint32_t **pstart)
{
    size_t cap = 16, np = 0;
    uint32_t *st = malloc(cap * sizeof *st);
    if (!st)
        return -1;
    int in_para = 0;
    size_t i = 0;
    while (i < c->len) {
        const char *nl = memchr(c->text + i, '\n', c->len - i);
        size_t e = nl ? (size_t)(nl - c->text) : c->len;
        if (is_blank_line(c->text + i, e - i)) {
            in_para = 0;
        } else if (!in_para) {
            if (np == cap) {
                uint32_t *v = realloc(st, cap * 2 * sizeof *v);
                if (!v) {
                    free(st);
                    return -1;
                }
                st = v;
                cap *= 2;
            }
            st[np++] = (uint32_t)i;
            in_para = 1;
        }
        i = e + 1;
    }
    c->nparas = np;
    size_t p = 0;
    for (size_t t = 0; t < c->t.n; t++) {
        while (p < np && st[p] <= c->t.v[t].start)
            p++;
        c->t.v[t].para = (uint32_t)(p ? p : 1);
    }
    *pstart = st;
    return 0;
}

/* A heading: one short line with no sentence-final punctuation and text
 * after it (the statement's title, a "press release" line). It names the
 * text rather than saying anything, so reporting it is not reporting the
 * text. List items (a leading "-", "* ", "•" or "1.") are content. */
static int is_heading(const char *s, size_t n, int last)
{
    if (last)
        return 0;
    while (n && (unsigned char)s[n - 1] <= ' ')
        n--;
    size_t b = 0;
    while (b < n && (unsigned char)s[b] <= ' ')
        b++;
    if (b >= n || memchr(s + b, '\n', n - b))
        return 0;
    if (s[b] == '-' || s[b] == '+' || (s[b] == '*' && b + 1 < n && s[b + 1] == ' ') ||
        (n - b >= 3 && !memcmp(s + b, "\xe2\x80\xa2", 3)) || (s[b] >= '0' && s[b] <= '9'))
        return 0;
    /* Closing emphasis, quotes and brackets do not end a sentence. */
    static const char *const closers[] = {
        "*", "_", "\"", "'", ")", "]", "\xc2\xbb", "\xe2\x80\x9d", "\xe2\x80\x9c", "\xe2\x80\x99"};
    for (int again = 1; again && n > b;) {
        again = 0;
        for (size_t i = 0; i < sizeof closers / sizeof closers[0]; i++) {
            size_t l = strlen(closers[i]);
            if (n - b >= l && !memcmp(s + n - l, closers[i], l)) {
                n -= l;
                again = 1;
            }
        }
    }
    if (n == b || strchr(".!?:;", s[n - 1]))
        return 0;
    if (n - b >= 3 && !memcmp(s + n - 3, "\xe2\x80\xa6", 3))
        return 0;
    size_t words = 1;
    for (size_t i = b; i < n; i++)
        words += s[i] == ' ';
    return words <= 30;
}

/* log(1 + sentences / sentences holding key): a word every sentence uses
 * tells little about which sentence an article reports. */
double canon_x_weight(const struct match_canon *c, uint64_t key)
{
    size_t df = 0;
    for (uint32_t h = kmap_get(&c->byx, key); h != NONE; h = c->x_posts.v[h].next)
        df++;
    if (!df)
        return 0.0;
    return log1p((double)(c->t.nsent ? c->t.nsent : 1) / (double)df);
}

int canon_build(const char *text, const struct an_shared *sh, struct match_canon **out, char *err,
                size_t errsz)
{
    struct match_canon *c = NULL;
    struct tokenizer tz = {0};
    uint32_t *pstart = NULL;
    char *ptext = NULL;
    *out = NULL;
    if (!text)
        return pw_err(err, errsz, "no canonical text");
    size_t len = strlen(text);
    if (len > TEXT_MAX)
        return pw_err(err, errsz, "canonical text too large (%zu bytes, at most %zu)", len,
                      TEXT_MAX);
    c = calloc(1, sizeof *c);
    if (!c)
        goto oom;
    c->text = strdup(text);
    if (!c->text)
        goto oom;
    c->len = len;
    snprintf(c->lang, sizeof c->lang, "%s", an_lang(sh, text));
    c->sh = sh;
    if (tokenizer_init(&tz, c->lang, c->lang, sh) < 0)
        goto oom;
    tz.want_xkey = 1;
    tz.rules = xl_rules_for(c->lang);
    if (tokenize(&tz, c->text, c->len, &c->t) < 0)
        goto oom;
    if (assign_paragraphs(c, &pstart) < 0)
        goto oom;

    /* Paragraphs in another language than the whole (boilerplate such as
     * "There are no translations available.") do not count. */
    c->weighted = calloc(c->nparas + 1, 1);
    if (!c->weighted)
        goto oom;
    for (size_t p = 1; p <= c->nparas; p++) {
        size_t s = pstart[p - 1], e = p < c->nparas ? pstart[p] : c->len;
        ptext = strndup(c->text + s, e - s);
        if (!ptext)
            goto oom;
        /* Only a confident guess unweights: n-gram profiles of one short
         * line (a dateline) are often wrong between related languages. */
        int sure;
        const char *pl = text_lang_guess(ptext, &sure);
        c->weighted[p] = !sure || !strcmp(c->lang, "und") || !strcmp(pl, c->lang);
        if (c->weighted[p] && is_heading(c->text + s, e - s, p == c->nparas))
            c->weighted[p] = 2; /* provisional: kept when nothing else weighs */
        free(ptext);
        ptext = NULL;
    }
    int body = 0;
    for (size_t p = 1; p <= c->nparas; p++)
        body |= c->weighted[p] == 1;
    for (size_t p = 1; p <= c->nparas; p++)
        if (c->weighted[p] == 2)
            c->weighted[p] = !body;

    size_t nsent = c->t.nsent;
    c->sents = calloc(nsent ? nsent : 1, sizeof *c->sents);
    c->ctok = malloc((c->t.n ? c->t.n : 1) * sizeof *c->ctok);
    if (!c->sents || !c->ctok)
        goto oom;
    for (size_t s = 0; s < nsent; s++)
        c->sents[s].first = NONE;
    for (size_t t = 0; t < c->t.n; t++) {
        struct tok *k = &c->t.v[t];
        if (k->content && !c->weighted[k->para])
            k->content = 0;
        struct csent *cs = &c->sents[k->sent];
        if (cs->first == NONE)
            cs->first = (uint32_t)t;
        cs->last = (uint32_t)t;
        if (k->content)
            c->ctok[c->nctok++] = (uint32_t)t;
        if (k->content && k->num > 0)
            cs->hasnum = 1;
    }

    if (kmap_init(&c->bykey, c->nctok) < 0 || kmap_init(&c->shingles, c->nctok) < 0 ||
        kmap_init(&c->byx, c->nctok) < 0)
        goto oom;
    for (size_t i = 0; i < c->nctok; i++) {
        const struct tok *k = &c->t.v[c->ctok[i]];
        uint32_t h = kmap_get(&c->bykey, k->key);
        /* Chains are newest first, so a repeat within a sentence is at the head. */
        if (h == NONE || c->key_posts.v[h].val != k->sent) {
            if (kmap_add(&c->bykey, &c->key_posts, k->key, k->sent) < 0)
                goto oom;
            c->sents[k->sent].nkeys++;
        }
        h = kmap_get(&c->byx, k->xkey);
        if (k->xkey && (h == NONE || c->x_posts.v[h].val != k->sent) &&
            kmap_add(&c->byx, &c->x_posts, k->xkey, k->sent) < 0)
            goto oom;
        if (i + 2 < c->nctok) {
            uint64_t shg = an_mix3(k->key, c->t.v[c->ctok[i + 1]].key, c->t.v[c->ctok[i + 2]].key);
            if (kmap_add(&c->shingles, &c->sh_posts, shg, (uint32_t)i) < 0)
                goto oom;
        }
    }
    /* Cross-language keys weigh by rarity among the canonical's sentences. */
    for (size_t i = 0; i < c->nctok; i++) {
        const struct tok *k = &c->t.v[c->ctok[i]];
        int first = 1;
        for (size_t j = i; j-- > 0;) {
            const struct tok *o = &c->t.v[c->ctok[j]];
            if (o->sent != k->sent)
                break;
            if (o->xkey == k->xkey) {
                first = 0;
                break;
            }
        }
        if (k->xkey && first)
            c->sents[k->sent].xw += canon_x_weight(c, k->xkey);
    }
    /* A sentence's paragraph is where most of its content lies. */
    for (size_t s = 0; s < nsent; s++) {
        struct csent *cs = &c->sents[s];
        if (cs->first == NONE) {
            cs->para = 1;
            continue;
        }
        uint32_t best = c->t.v[cs->first].para, run = 0, best_run = 0, cur = 0;
        for (uint32_t t = cs->first; t <= cs->last; t++) {
            const struct tok *k = &c->t.v[t];
            if (k->para != cur) {
                cur = k->para;
                run = 0;
            }
            run += k->content ? 2 : 1;
            if (run > best_run) {
                best_run = run;
                best = cur;
            }
        }
        cs->para = best;
    }
    tokenizer_clear(&tz);
    free(pstart);
    *out = c;
    return 0;
oom:
    free(ptext);
    free(pstart);
    tokenizer_clear(&tz);
    match_canon_free(c);
    return pw_err(err, errsz, "out of memory preparing the canonical text");
}

int match_canon_new(const char *text, struct match_canon **out, char *err, size_t errsz)
{
    struct an_shared *sh = calloc(1, sizeof *sh);
    *out = NULL;
    if (!sh || an_shared_init(sh) < 0) {
        an_shared_clear(sh);
        free(sh);
        return pw_err(err, errsz, "out of memory preparing the canonical text");
    }
    if (canon_build(text, sh, out, err, errsz) < 0) {
        an_shared_clear(sh);
        free(sh);
        return -1;
    }
    (*out)->own_sh = sh;
    return 0;
}
