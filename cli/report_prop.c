/*
 * Propagation: for each covering article, the most similar article that
 * appeared before it, by Jaccard similarity of word 3-shingles of the texts
 * that first covered. Copying shows as shared word runs, so the words are
 * only ASCII-lowercased, not normalised further (which would cost more than
 * the rest of the report).
 *
 * Candidates come from bottom-k sketches: the K smallest shingle hashes of
 * each text (a prefix of its sorted set). Two texts with Jaccard J share
 * about J*K of them; the earlier articles sharing the most are then compared
 * exactly. Looking back at most LOOKBACK entries per hash bounds the work
 * when thousands of articles copy the same passage.
 */
#include "cli/report.h"

#include <stdlib.h>
#include <string.h>

#include "store/store.h"

enum { K = 32, LOOKBACK = 256, CANDIDATES = 8 };
#define MIN_SIMILARITY 0.02 /* below this a "source" is noise */

struct shingles {
    uint64_t *v; /* sorted, unique */
    size_t n;
};

struct prop {
    struct rep_canon *c;
    struct shingles *sh; /* per row */
    size_t next;         /* the row the next text is expected for */
    int oom;
};

static int word_byte(unsigned char ch)
{
    return ch >= 0x80 || (ch >= '0' && ch <= '9') || ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z');
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int shingle(const char *text, struct shingles *out)
{
    size_t cap = strlen(text) / 2 + 4, n = 0;
    uint64_t w[3] = {0}, *v = malloc(cap * sizeof *v);
    size_t words = 0;
    if (!v)
        return -1;
    for (const unsigned char *s = (const unsigned char *)text; *s;) {
        if (!word_byte(*s)) {
            s++;
            continue;
        }
        uint64_t h = 14695981039346656037u;
        for (; *s && word_byte(*s); s++)
            h = (h ^ (unsigned char)(*s >= 'A' && *s <= 'Z' ? *s | 0x20 : *s)) * 1099511628211u;
        w[0] = w[1], w[1] = w[2], w[2] = h;
        if (++words >= 3 && n < cap) /* a word is at least 1 byte + 1 separator */
            v[n++] = (w[0] * 0x9e3779b97f4a7c15u) ^ (w[1] * 0xc2b2ae3d27d4eb4fu) ^ w[2];
    }
    if (words > 0 && words < 3) /* very short texts: their words */
        for (size_t i = 3 - words; i < 3 && n < cap; i++)
            v[n++] = w[i];
    qsort(v, n, sizeof *v, cmp_u64);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (!u || v[u - 1] != v[i])
            v[u++] = v[i];
    out->v = v;
    out->n = u;
    return 0;
}

static double jaccard(const struct shingles *a, const struct shingles *b)
{
    size_t i = 0, j = 0, common = 0;
    while (i < a->n && j < b->n) {
        if (a->v[i] == b->v[j])
            common++, i++, j++;
        else if (a->v[i] < b->v[j])
            i++;
        else
            j++;
    }
    size_t uni = a->n + b->n - common;
    return uni ? (double)common / (double)uni : 0;
}

static int add_text(int64_t article_id, const char *text, void *arg)
{
    struct prop *p = arg;
    size_t r = p->next;
    /* Texts come in the order of the rows; search only if that changed. */
    if (r >= p->c->nrows || p->c->rows[r].article_id != article_id)
        for (r = 0; r < p->c->nrows && p->c->rows[r].article_id != article_id; r++)
            ;
    if (r == p->c->nrows || p->sh[r].v)
        return 0;
    p->next = r + 1;
    if (shingle(text, &p->sh[r]) < 0)
        return p->oom = 1;
    return 0;
}

struct order_key {
    time_t appeared, first_covered;
    int64_t id;
    size_t row;
};

static int by_appearance(const void *a, const void *b)
{
    const struct order_key *x = a, *y = b;
    if (x->appeared != y->appeared)
        return (x->appeared > y->appeared) - (x->appeared < y->appeared);
    if (x->first_covered != y->first_covered)
        return (x->first_covered > y->first_covered) - (x->first_covered < y->first_covered);
    return (x->id > y->id) - (x->id < y->id);
}

size_t *rep_by_appearance(const struct rep_canon *c)
{
    struct order_key *k = malloc((c->nrows ? c->nrows : 1) * sizeof *k);
    size_t *order = malloc((c->nrows ? c->nrows : 1) * sizeof *order);
    if (!k || !order) {
        free(k);
        free(order);
        return NULL;
    }
    for (size_t i = 0; i < c->nrows; i++)
        k[i] = (struct order_key){c->rows[i].appeared, c->rows[i].first_covered,
                                  c->rows[i].article_id, i};
    qsort(k, c->nrows, sizeof *k, by_appearance);
    for (size_t i = 0; i < c->nrows; i++)
        order[i] = k[i].row;
    free(k);
    return order;
}

struct posting {
    uint64_t h;
    size_t pos; /* in order of appearance */
};

static int by_hash(const void *a, const void *b)
{
    const struct posting *x = a, *y = b;
    if (x->h != y->h)
        return (x->h > y->h) - (x->h < y->h);
    return (x->pos > y->pos) - (x->pos < y->pos);
}

/* The first posting not before (h, pos), by binary search. */
static size_t lower_bound(const struct posting *v, size_t n, uint64_t h, size_t pos)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].h < h || (v[mid].h == h && v[mid].pos < pos))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Counts, for the article at pos, the sketch values each earlier one shares;
 * compares the best-sharing few exactly and keeps the most similar. */
static void best_source(struct rep_canon *c, const struct shingles *sh, const size_t *order,
                        const struct posting *post, size_t npost, size_t pos, unsigned *count,
                        size_t *touched)
{
    const struct shingles *me = &sh[order[pos]];
    size_t nt = 0;
    for (size_t k = 0; k < me->n && k < K; k++) {
        size_t at = lower_bound(post, npost, me->v[k], 0);
        size_t end = lower_bound(post, npost, me->v[k], pos);
        for (size_t e = end > at + LOOKBACK ? end - LOOKBACK : at; e < end; e++)
            if (!count[post[e].pos]++)
                touched[nt++] = post[e].pos;
    }
    /* The CANDIDATES sharing most (the latest on a tie: the nearer copy). */
    size_t top[CANDIDATES], ntop = 0;
    for (size_t t = 0; t < nt; t++) {
        size_t cand = touched[t], i = ntop;
        while (i > 0 && (count[top[i - 1]] < count[cand] ||
                         (count[top[i - 1]] == count[cand] && top[i - 1] < cand)))
            i--;
        if (i >= CANDIDATES)
            continue;
        ntop += ntop < CANDIDATES;
        memmove(&top[i + 1], &top[i], (ntop - 1 - i) * sizeof *top);
        top[i] = cand;
    }
    struct rep_row *r = &c->rows[order[pos]];
    for (size_t i = 0; i < ntop; i++) {
        double j = jaccard(me, &sh[order[top[i]]]);
        if (j >= MIN_SIMILARITY && j > r->similarity) {
            r->similarity = j;
            r->source = (long)order[top[i]];
        }
    }
    for (size_t t = 0; t < nt; t++)
        count[touched[t]] = 0;
}

int rep_sources(struct store *st, struct rep_canon *c, char *err, size_t errsz)
{
    struct prop p = {.c = c};
    size_t n = c->nrows ? c->nrows : 1, npost = 0;
    size_t *order = NULL, *touched = NULL;
    unsigned *count = NULL;
    struct posting *post = NULL;
    int rc = -1;
    p.sh = calloc(n, sizeof *p.sh);
    if (!p.sh)
        goto oom;
    if (store_list_covering_texts(st, c->id, add_text, &p, err, errsz) < 0)
        goto done;
    if (p.oom || !(order = rep_by_appearance(c)) || !(count = calloc(n, sizeof *count)) ||
        !(touched = malloc(n * sizeof *touched)) || !(post = malloc(n * K * sizeof *post)))
        goto oom;
    for (size_t pos = 0; pos < c->nrows; pos++)
        for (size_t k = 0; k < p.sh[order[pos]].n && k < K; k++)
            post[npost++] = (struct posting){p.sh[order[pos]].v[k], pos};
    qsort(post, npost, sizeof *post, by_hash);
    for (size_t pos = 0; pos < c->nrows; pos++) {
        c->rows[order[pos]].source = -1;
        c->rows[order[pos]].similarity = 0;
        best_source(c, p.sh, order, post, npost, pos, count, touched);
    }
    rc = 0;
    goto done;
oom:
    pw_err(err, errsz, "report: propagation of %s: out of memory", c->name);
done:
    for (size_t i = 0; p.sh && i < c->nrows; i++)
        free(p.sh[i].v);
    free(p.sh);
    free(order);
    free(count);
    free(touched);
    free(post);
    return rc;
}
