/*
 * diff: word-level difference between two versions of an article.
 *
 * Both versions are normalised (text_normalize), split at white space and
 * compared by word, ignoring the punctuation around it. The common head and
 * tail are cut first (a typical edit touches a few words of a long text), then
 * Myers' O(ND) algorithm runs on the middle. Myers keeps one V array per edit
 * step for the trace, so time and memory are bounded by capping the tokens and
 * the edit distance; past either cap a multiset count gives the figures and
 * the summary says the change is large.
 */
#include "analysis/analysis.h"

#include "common/buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum {
    MYERS_MAX_TOKENS = 100000, /* middle part, both sides together */
    MYERS_MAX_D = 600,         /* edits; the trace holds (D+1)^2 ints */
    SUMMARY_MAX = 300,
    SNIPPET_MAX = 60
};

struct dtok {
    uint64_t h;
    uint32_t start, end; /* in the normalised text, punctuation included */
};

struct dtoks {
    struct dtok *v;
    size_t n, cap;
};

static int is_trim(unsigned char c)
{
    return c && strchr("\"'-.,;:!?()[]{}<>/", c) != NULL;
}

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static int split_words(const char *t, struct dtoks *out)
{
    size_t i = 0, n = strlen(t);
    while (i < n) {
        while (i < n && (t[i] == ' ' || t[i] == '\n'))
            i++;
        size_t s = i;
        while (i < n && t[i] != ' ' && t[i] != '\n')
            i++;
        size_t ks = s, ke = i;
        while (ks < ke && is_trim((unsigned char)t[ks]))
            ks++;
        while (ke > ks && is_trim((unsigned char)t[ke - 1]))
            ke--;
        if (ks == ke)
            continue; /* punctuation only */
        if (out->n == out->cap) {
            size_t cap = out->cap ? out->cap * 2 : 256;
            struct dtok *v = realloc(out->v, cap * sizeof *v);
            if (!v)
                return -1;
            out->v = v;
            out->cap = cap;
        }
        out->v[out->n].h = hash_bytes(t + ks, ke - ks);
        out->v[out->n].start = (uint32_t)s;
        out->v[out->n].end = (uint32_t)i;
        out->n++;
    }
    return 0;
}

/* One hunk: removed a[a0..a1), added b[b0..b1). */
struct hunk {
    size_t a0, a1, b0, b1;
};

struct hunks {
    struct hunk *v;
    size_t n, cap;
};

static int hunk_add(struct hunks *hs, size_t a, size_t b, int del)
{
    struct hunk *last = hs->n ? &hs->v[hs->n - 1] : NULL;
    /* Ops arrive in order; extend the last hunk when this op touches it. */
    if (last && last->a1 == a && last->b1 == b) {
        if (del)
            last->a1++;
        else
            last->b1++;
        return 0;
    }
    if (hs->n == hs->cap) {
        size_t cap = hs->cap ? hs->cap * 2 : 16;
        struct hunk *v = realloc(hs->v, cap * sizeof *v);
        if (!v)
            return -1;
        hs->v = v;
        hs->cap = cap;
    }
    hs->v[hs->n++] = (struct hunk){a, a + (del ? 1 : 0), b, b + (del ? 0 : 1)};
    return 0;
}

/*
 * Myers on a[0..n) and b[0..m). Returns 1 and fills hunks (indices relative
 * to a and b) when the distance is within MYERS_MAX_D, 0 when it is not,
 * -1 on OOM.
 */
static int myers(const struct dtok *a, size_t n, const struct dtok *b, size_t m, struct hunks *hs)
{
    long maxd = (long)(n + m) < MYERS_MAX_D ? (long)(n + m) : MYERS_MAX_D;
    long off = maxd + 1;
    long *v = calloc((size_t)(2 * maxd + 3), sizeof *v);
    long **trace = calloc((size_t)maxd + 1, sizeof *trace);
    struct {
        size_t x, y;
        int del;
    } *ops = NULL;
    long found = -1, d;
    int rc = -1;
    if (!v || !trace)
        goto out;
    for (d = 0; d <= maxd && found < 0; d++) {
        for (long k = -d; k <= d; k += 2) {
            long x;
            if (k == -d || (k != d && v[off + k - 1] < v[off + k + 1]))
                x = v[off + k + 1];
            else
                x = v[off + k - 1] + 1;
            long y = x - k;
            while (x < (long)n && y < (long)m && a[x].h == b[y].h) {
                x++;
                y++;
            }
            v[off + k] = x;
            if (x >= (long)n && y >= (long)m) {
                found = d;
                break;
            }
        }
        trace[d] = malloc((size_t)(2 * d + 1) * sizeof **trace);
        if (!trace[d])
            goto out;
        memcpy(trace[d], v + off - d, (size_t)(2 * d + 1) * sizeof *v);
    }
    if (found < 0) {
        rc = 0;
        goto out;
    }
    ops = malloc((size_t)(found + 1) * sizeof *ops);
    if (!ops)
        goto out;
    long x = (long)n, y = (long)m;
    for (d = found; d > 0; d--) {
        const long *pv = trace[d - 1] + (d - 1); /* pv[k] for k in -(d-1)..d-1 */
        long k = x - y, pk;
        if (k == -d || (k != d && pv[k - 1] < pv[k + 1]))
            pk = k + 1;
        else
            pk = k - 1;
        long px = pv[pk], py = px - pk;
        ops[d].del = pk != k + 1;
        ops[d].x = (size_t)px;
        ops[d].y = (size_t)py;
        x = px;
        y = py;
    }
    for (d = 1; d <= found; d++)
        if (hunk_add(hs, ops[d].x, ops[d].y, ops[d].del) < 0)
            goto out;
    rc = 1;
out:
    if (trace)
        for (long i = 0; i <= maxd; i++)
            free(trace[i]);
    free(trace);
    free(v);
    free(ops);
    return rc;
}

static int cmp_u64(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return a < b ? -1 : a > b;
}

/* Words of a not matched in b and of b not matched in a, order ignored. */
static int multiset_diff(const struct dtok *a, size_t n, const struct dtok *b, size_t m,
                         size_t *removed, size_t *added)
{
    uint64_t *ha = malloc((n ? n : 1) * sizeof *ha), *hb = malloc((m ? m : 1) * sizeof *hb);
    if (!ha || !hb) {
        free(ha);
        free(hb);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        ha[i] = a[i].h;
    for (size_t i = 0; i < m; i++)
        hb[i] = b[i].h;
    qsort(ha, n, sizeof *ha, cmp_u64);
    qsort(hb, m, sizeof *hb, cmp_u64);
    size_t i = 0, j = 0, common = 0;
    while (i < n && j < m) {
        if (ha[i] == hb[j]) {
            common++;
            i++;
            j++;
        } else if (ha[i] < hb[j]) {
            i++;
        } else {
            j++;
        }
    }
    *removed = n - common;
    *added = m - common;
    free(ha);
    free(hb);
    return 0;
}

/* Appends "text" of tokens [t0, t1), cut at SNIPPET_MAX bytes on a UTF-8
 * boundary, with double quotes turned into single ones. */
static int put_snippet(struct buf *b, const char *text, const struct dtok *t, size_t t0, size_t t1)
{
    size_t s = t[t0].start, e = t[t1 - 1].end, cut = e;
    if (e - s > SNIPPET_MAX) {
        cut = s + SNIPPET_MAX;
        while (cut > s && ((unsigned char)text[cut] & 0xC0) == 0x80)
            cut--;
    }
    int rc = buf_putc(b, '"');
    for (size_t i = s; i < cut && !rc; i++) {
        char c = text[i] == '"' ? '\'' : text[i] == '\n' ? ' ' : text[i];
        rc = buf_putc(b, c);
    }
    if (!rc && cut < e)
        rc = buf_puts(b, "...");
    if (!rc)
        rc = buf_putc(b, '"');
    return rc;
}

void diff_summary_clear(struct diff_summary *d)
{
    if (!d)
        return;
    free(d->summary);
    memset(d, 0, sizeof *d);
}

int diff_words(const char *old_text, const char *new_text, struct diff_summary *out, char *err,
               size_t errsz)
{
    char *na = NULL, *nb = NULL;
    struct dtoks a = {0}, b = {0};
    struct hunks hs = {0};
    struct buf sb = BUF_INIT;
    memset(out, 0, sizeof *out);

    na = text_normalize(old_text, old_text ? strlen(old_text) : 0);
    nb = text_normalize(new_text, new_text ? strlen(new_text) : 0);
    if (!na || !nb || split_words(na, &a) < 0 || split_words(nb, &b) < 0)
        goto oom;

    size_t pre = 0, suf = 0;
    while (pre < a.n && pre < b.n && a.v[pre].h == b.v[pre].h)
        pre++;
    size_t maxsuf = (a.n < b.n ? a.n : b.n) - pre;
    while (suf < maxsuf && a.v[a.n - 1 - suf].h == b.v[b.n - 1 - suf].h)
        suf++;
    /* no words on a side: no array to offset into */
    const struct dtok *ma = a.n ? a.v + pre : NULL, *mb = b.n ? b.v + pre : NULL;
    size_t n = a.n - pre - suf, m = b.n - pre - suf;

    int exact = 0;
    if (n + m <= MYERS_MAX_TOKENS) {
        exact = myers(ma, n, mb, m, &hs);
        if (exact < 0)
            goto oom;
    }
    int rc = 0;
    if (exact) {
        for (size_t i = 0; i < hs.n; i++) {
            out->words_removed += hs.v[i].a1 - hs.v[i].a0;
            out->words_added += hs.v[i].b1 - hs.v[i].b0;
        }
        if (hs.n == 0)
            rc = buf_puts(&sb, "no word changes");
        for (size_t i = 0; i < hs.n && !rc; i++) {
            const struct hunk *h = &hs.v[i];
            if (sb.len > SUMMARY_MAX - 2 * SNIPPET_MAX - 16) {
                rc = buf_printf(&sb, "; ... (%zu more)", hs.n - i);
                break;
            }
            if (i)
                rc |= buf_puts(&sb, "; ");
            if (h->a1 > h->a0) {
                rc |= buf_putc(&sb, '-');
                rc |= put_snippet(&sb, na, ma, h->a0, h->a1);
            }
            if (h->b1 > h->b0) {
                rc |= buf_puts(&sb, h->a1 > h->a0 ? " +" : "+");
                rc |= put_snippet(&sb, nb, mb, h->b0, h->b1);
            }
        }
    } else {
        if (multiset_diff(ma, n, mb, m, &out->words_removed, &out->words_added) < 0)
            goto oom;
        rc = buf_printf(&sb, "large change: -%zu words +%zu words", out->words_removed,
                        out->words_added);
    }
    if (rc)
        goto oom;
    out->summary = buf_detach(&sb);
    if (!out->summary)
        goto oom;
    /* The counts are those of diff_ops_words, which presswatch diff shows:
     * normalising the whole text and each word alone can split a word with
     * a broken byte differently, and an alert must not disagree with the
     * diff a reader opens. */
    struct diff_ops ops = {0};
    if (exact && diff_ops_words(old_text, new_text, &ops, err, errsz) == 0 && ops.exact) {
        out->words_added = ops.words_added;
        out->words_removed = ops.words_removed;
    }
    diff_ops_clear(&ops);
    free(na);
    free(nb);
    free(a.v);
    free(b.v);
    free(hs.v);
    return 0;
oom:
    free(na);
    free(nb);
    free(a.v);
    free(b.v);
    free(hs.v);
    buf_free(&sb);
    diff_summary_clear(out);
    return pw_err(err, errsz, "out of memory comparing versions");
}

/* ---- the diff as operations on the original texts, for rendering ---- */

/* Rendering wants word detail on long pages too: time is O((n + m) * D) with
 * D capped by MYERS_MAX_D, so a larger middle stays well under a second. */
enum { OPS_MAX_TOKENS = 400000 };

/* Raw word boundaries: ASCII white space and U+00A0 (the extractor's texts
 * keep no other kind). */
static size_t space_len(const char *t, size_t i)
{
    unsigned char c = (unsigned char)t[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')
        return 1;
    if (c == 0xC2 && (unsigned char)t[i + 1] == 0xA0)
        return 2;
    return 0;
}

/* The key a raw word is compared by: what split_words keeps of it after
 * text_normalize. Pure ASCII words skip the Unicode machinery. A word of
 * punctuation only is compared as it is, so that it still has a place. */
static int word_key(const char *w, size_t n, uint64_t *h, int *punct_only)
{
    char small[64];
    char *norm = NULL;
    const char *k;
    size_t kn, ascii = 1;
    for (size_t i = 0; i < n && ascii; i++)
        ascii = !((unsigned char)w[i] & 0x80);
    if (ascii && n <= sizeof small) {
        kn = 0;
        for (size_t i = 0; i < n; i++)
            if (w[i] != '*' && w[i] != '_')
                small[kn++] = (char)(w[i] >= 'A' && w[i] <= 'Z' ? w[i] + 32 : w[i]);
        k = small;
    } else {
        if (!(norm = text_normalize(w, n)))
            return -1;
        k = norm;
        kn = strlen(norm);
    }
    size_t ks = 0, ke = kn;
    while (ks < ke && is_trim((unsigned char)k[ks]))
        ks++;
    while (ke > ks && is_trim((unsigned char)k[ke - 1]))
        ke--;
    *h = ks < ke ? hash_bytes(k + ks, ke - ks) : hash_bytes(k, kn) ^ 0x9e3779b97f4a7c15ULL;
    *punct_only = ks == ke;
    free(norm);
    return 0;
}

/* Splits raw text into the same words split_words finds in its normalised
 * form, so both diffs count alike. A chunk of punctuation only (a dash, a
 * lone quote) is no word there: here it joins the word before it (or the
 * next one at the start), so that it is still shown. */
static int split_raw(const char *t, size_t n, struct dtoks *out)
{
    size_t i = 0, pending = SIZE_MAX; /* start of leading punctuation */
    while (i < n) {
        while (i < n && space_len(t, i) > 0)
            i += space_len(t, i);
        if (i >= n)
            break;
        size_t s = i;
        while (i < n && space_len(t, i) == 0)
            i++;
        uint64_t h;
        int punct;
        if (word_key(t + s, i - s, &h, &punct) < 0)
            return -1;
        if (punct) {
            if (out->n)
                out->v[out->n - 1].end = (uint32_t)i;
            else if (pending == SIZE_MAX)
                pending = s;
            continue;
        }
        if (out->n == out->cap) {
            size_t cap = out->cap ? out->cap * 2 : 256;
            struct dtok *v = realloc(out->v, cap * sizeof *v);
            if (!v)
                return -1;
            out->v = v;
            out->cap = cap;
        }
        out->v[out->n].h = h;
        out->v[out->n].start = (uint32_t)(pending != SIZE_MAX ? pending : s);
        out->v[out->n].end = (uint32_t)i;
        pending = SIZE_MAX;
        out->n++;
    }
    return 0;
}

/* Appends the op covering tokens [t0, t1) of one side; merges with the
 * previous op of the same kind. */
static int op_add(struct diff_ops *d, size_t *cap, enum diff_kind kind, const struct dtoks *t,
                  size_t len, size_t t0, size_t t1)
{
    if (t0 >= t1)
        return 0;
    size_t end = t->v[t1 - 1].end, gap = t1 < t->n ? t->v[t1].start : len;
    if (d->n && d->v[d->n - 1].kind == kind) {
        d->v[d->n - 1].end = end;
        d->v[d->n - 1].gap_end = gap;
        return 0;
    }
    if (d->n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        struct diff_op *v = realloc(d->v, c * sizeof *v);
        if (!v)
            return -1;
        d->v = v;
        *cap = c;
    }
    d->v[d->n++] = (struct diff_op){kind, t->v[t0].start, end, gap};
    return 0;
}

void diff_ops_clear(struct diff_ops *d)
{
    if (!d)
        return;
    free(d->v);
    memset(d, 0, sizeof *d);
}

int diff_ops_words(const char *old_text, const char *new_text, struct diff_ops *out, char *err,
                   size_t errsz)
{
    struct dtoks a = {0}, b = {0};
    struct hunks hs = {0};
    size_t cap = 0;
    const char *ot = old_text ? old_text : "", *nt = new_text ? new_text : "";
    size_t olen = strlen(ot), nlen = strlen(nt);
    memset(out, 0, sizeof *out);
    if (olen > UINT32_MAX || nlen > UINT32_MAX)
        return pw_err(err, errsz, "text too long to compare");
    if (split_raw(ot, olen, &a) < 0 || split_raw(nt, nlen, &b) < 0)
        goto oom;
    size_t pre = 0, suf = 0;
    while (pre < a.n && pre < b.n && a.v[pre].h == b.v[pre].h)
        pre++;
    size_t maxsuf = (a.n < b.n ? a.n : b.n) - pre;
    while (suf < maxsuf && a.v[a.n - 1 - suf].h == b.v[b.n - 1 - suf].h)
        suf++;
    size_t n = a.n - pre - suf, m = b.n - pre - suf;
    int exact = 1;
    if (n && m) {
        exact = n + m <= OPS_MAX_TOKENS ? myers(a.v + pre, n, b.v + pre, m, &hs) : 0;
        if (exact < 0)
            goto oom;
    } else if (n || m) {
        hs.v = malloc(sizeof *hs.v);
        if (!hs.v)
            goto oom;
        hs.v[0] = (struct hunk){0, n, 0, m};
        hs.n = 1;
    }
    if (!exact) {
        /* Too different to align word by word: the whole middle changed. */
        if (multiset_diff(a.v + pre, n, b.v + pre, m, &out->words_removed, &out->words_added) < 0)
            goto oom;
        free(hs.v);
        if (!(hs.v = malloc(sizeof *hs.v)))
            goto oom;
        hs.v[0] = (struct hunk){0, n, 0, m};
        hs.n = 1;
    }
    out->exact = exact;
    /* Walk both sides: equal runs between hunks are shown from the new text. */
    size_t bi = 0;
    int rc = op_add(out, &cap, DIFF_SAME, &b, nlen, 0, pre);
    for (size_t i = 0; i < hs.n && !rc; i++) {
        const struct hunk *h = &hs.v[i];
        rc |= op_add(out, &cap, DIFF_SAME, &b, nlen, pre + bi, pre + h->b0);
        rc |= op_add(out, &cap, DIFF_DEL, &a, olen, pre + h->a0, pre + h->a1);
        rc |= op_add(out, &cap, DIFF_ADD, &b, nlen, pre + h->b0, pre + h->b1);
        if (exact) {
            out->words_removed += h->a1 - h->a0;
            out->words_added += h->b1 - h->b0;
        }
        bi = h->b1;
    }
    rc |= op_add(out, &cap, DIFF_SAME, &b, nlen, pre + bi, b.n);
    if (rc)
        goto oom;
    free(a.v);
    free(b.v);
    free(hs.v);
    return 0;
oom:
    free(a.v);
    free(b.v);
    free(hs.v);
    diff_ops_clear(out);
    return pw_err(err, errsz, "out of memory comparing versions");
}

static int sentence_end(const char *t, size_t i)
{
    return (t[i] == '.' || t[i] == '!' || t[i] == '?') &&
           (t[i + 1] == '\0' || space_len(t, i + 1) > 0);
}

char *diff_first_sentence(const char *old_text, const char *new_text, const struct diff_ops *ops,
                          size_t max)
{
    size_t k = 0;
    while (k < ops->n && ops->v[k].kind == DIFF_SAME)
        k++;
    if (k == ops->n || max < 8)
        return NULL;
    /* Show the new wording; a pure removal shows the sentence it left. */
    const struct diff_op *op = &ops->v[k];
    if (op->kind == DIFF_DEL && k + 1 < ops->n && ops->v[k + 1].kind == DIFF_ADD)
        op = &ops->v[k + 1];
    const char *t = op->kind == DIFF_DEL ? old_text : new_text;
    if (!t)
        return NULL;
    size_t s = op->start, e = op->end, len = strlen(t);
    while (s > 0 && t[s - 1] != '\n' && !sentence_end(t, s - 1))
        s--;
    while (s < op->start && space_len(t, s))
        s++;
    while (e < len && t[e] != '\n' && !sentence_end(t, e))
        e++;
    if (e < len && t[e] != '\n')
        e++; /* keep the full stop */
    /* A long sentence: start shortly before the change, so it shows. */
    int head_cut = 0, tail_cut = 0;
    if (e - s > max && op->start > s + max / 3) {
        s = op->start - max / 3;
        while (s < op->start && ((unsigned char)t[s] & 0xC0) == 0x80)
            s++;
        head_cut = 1;
    }
    if (e - s > max) {
        e = s + max;
        while (e > s && ((unsigned char)t[e] & 0xC0) == 0x80)
            e--;
        tail_cut = 1;
    }
    struct buf b = BUF_INIT;
    int rc = head_cut ? buf_puts(&b, "...") : 0;
    for (size_t i = s; i < e && !rc; i++)
        rc = buf_putc(&b, t[i] == '\n' || t[i] == '\t' || t[i] == '\r' ? ' ' : t[i]);
    if (!rc && tail_cut)
        rc = buf_puts(&b, "...");
    if (rc) {
        buf_free(&b);
        return NULL;
    }
    return buf_detach(&b);
}
