/*
 * match: coverage of a canonical text by an article.
 *
 * Both texts become token streams: words folded (NFKC + case fold, ё -> е),
 * stemmed with Snowball for the text's language, and cut to a short prefix
 * ("key") so that inflection, typos at word ends and later cross-language
 * cognates still meet. Stopwords carry no weight. Two kinds of evidence mark
 * canonical tokens as reproduced:
 *   - shingles: three consecutive content keys found anywhere in the article
 *     (verbatim or lightly edited quotes);
 *   - alignment: for each canonical sentence the article sentence (or pair of
 *     sentences) sharing most of its content keys; when at least half of them
 *     are shared, those tokens count (reworded sentences).
 * The score is the share of the canonical's content tokens so marked; a
 * paragraph is covered when half of its content is. Paragraphs in another
 * language than the canonical (e.g. a site's "no translation" notice) carry
 * no weight.
 *
 * Cost is linear in the article: the canonical side is indexed once (key ->
 * sentences, shingle -> positions, canon.c) and article sentences are bounded
 * in length, so a few megabytes of garbage cost a fraction of a second.
 * Tokenising is in tokenize.c; matching many canonicals at once in index.c.
 */
#include "analysis/analysis.h"

#include "analysis/internal.h"
#include "common/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

enum { MIN_ALIGNED_KEYS = 3 }; /* fewer shared keys is chance, not coverage */
#define ALIGN_SHARE 0.5
#define XALIGN_SHARE 0.40 /* cross-language: weighted share of a sentence */
#define XMIN_KEYS 3
#define XLONG_KEYS 5
#define XLONG_SHARE 0.25
/* A weaker cross-language alignment counts when other sentences of the same
 * canonical are aligned too: one weak match is chance, several are a report. */
#define XWEAK_SHARE 0.20
enum { XWEAK_CORROBORATE = 2 }; /* other aligned sentences needed (one strong suffices) */
#define PARA_SHARE 0.5
#define WHOLE_SHARE 0.6 /* same language: share of keys that reports the whole sentence */

static size_t decode(const unsigned char *s, size_t n, int32_t *cp)
{
    utf8proc_ssize_t r = utf8proc_iterate(s, n > 4 ? 4 : (utf8proc_ssize_t)n, cp);
    return r > 0 ? (size_t)r : 0;
}

/* The text of bytes [s, e) with white space collapsed, emphasis markers and
 * invalid UTF-8 dropped, cut at PASSAGE_MAX_BYTES. */
static char *clean_span(const char *text, size_t len, size_t s, size_t e)
{
    struct buf b = BUF_INIT;
    const unsigned char *p = (const unsigned char *)text;
    /* Take the opening quotes before the first word... */
    for (;;) {
        if (s >= 1 && (p[s - 1] == '"' || p[s - 1] == '(' || p[s - 1] == '\''))
            s--;
        else if (s >= 2 && p[s - 2] == 0xC2 && p[s - 1] == 0xAB) /* « */
            s -= 2;
        else if (s >= 3 && p[s - 3] == 0xE2 && p[s - 2] == 0x80 &&
                 (p[s - 1] == 0x9C || p[s - 1] == 0x9E)) /* “ „ */
            s -= 3;
        else
            break;
    }
    /* ...and the closing punctuation and quotes that end the last word. */
    while (e < len && e - s < PASSAGE_MAX_BYTES) {
        int32_t cp;
        size_t k = decode(p + e, len - e, &cp);
        int closer = (cp > 0 && cp < 0x80 && strchr(".,;:!?\"')]", (int)cp)) || cp == 0xBB ||
                     cp == 0x201D || cp == 0x2026;
        if (!k || !closer)
            break;
        e += k;
    }
    int space = 0;
    size_t i = s;
    while (i < e) {
        int32_t cp;
        size_t k = decode(p + i, e - i, &cp);
        if (!k) {
            i++;
            continue;
        }
        if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' ||
            utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS) {
            space = b.len > 0;
        } else if (cp != '*' && !(cp < 0x20) && cp != 0x7F) {
            if (b.len + k + 4 > PASSAGE_MAX_BYTES) {
                if (buf_puts(&b, " ...") < 0)
                    goto fail;
                break;
            }
            if ((space && buf_putc(&b, ' ') < 0) || buf_append(&b, p + i, k) < 0)
                goto fail;
            space = 0;
        }
        i += k;
    }
    return buf_detach(&b);
fail:
    buf_free(&b);
    return NULL;
}

struct window {
    uint32_t cnt;         /* shared distinct keys */
    uint32_t nums;        /* of those, numbers (cross-language) */
    int wnum;             /* the window holds a number (cross-language) */
    uint32_t first, last; /* article sentences */
    int score;
    double ratio; /* cross-language: shared weight / the sentence's weight */
};

struct article_state {
    const struct match_canon *c;
    const struct toks *a;
    uint32_t *sent_first; /* article sentence -> first token */
    uint32_t *acc;        /* per canonical sentence, scratch */
    uint32_t *touched;
    struct window *best; /* per canonical sentence */
    uint64_t *keys;      /* scratch: distinct keys of a window */
    unsigned char *knum; /* scratch: keys[i] is a number's */
    double *accw;        /* per canonical sentence, scratch (cross-language) */
    uint64_t *wset;      /* scratch: keys seen in the window (WSET slots) ... */
    uint32_t *wstamp;    /* ... valid where wstamp is stamp */
    uint32_t stamp;
};

/* A window holds at most two sentences of SENT_MAX_TOKENS: a set of WSET
 * slots stays under a third full. */
enum { WSET = 512 };

/* Whether key was seen in this window already; records it. Stamps spare
 * clearing the set for each window. */
static int window_seen(struct article_state *st, uint64_t key)
{
    size_t j = (size_t)(key ^ (key >> 29)) & (WSET - 1);
    while (st->wstamp[j] == st->stamp && st->wset[j] != key)
        j = (j + 1) & (WSET - 1);
    if (st->wstamp[j] == st->stamp)
        return 1;
    st->wstamp[j] = st->stamp;
    st->wset[j] = key;
    return 0;
}

/* Distinct keys of the window, in order of first occurrence. */
static size_t window_keys(struct article_state *st, uint32_t s0, uint32_t s1, uint64_t *keys)
{
    size_t n = 0;
    st->stamp++;
    for (uint32_t t = st->sent_first[s0]; t < st->sent_first[s1 + 1]; t++) {
        const struct tok *k = &st->a->v[t];
        if (k->content && !window_seen(st, k->key)) {
            st->knum[n] = k->num > 0;
            keys[n++] = k->key;
        }
    }
    return n;
}

/* Counts, for every canonical sentence sharing a key with article sentences
 * s0..s1, how many distinct keys it shares, and keeps the best window.
 * acc counts keys in its low 16 bits and shared numbers above them. */
static void align_window(struct article_state *st, uint32_t s0, uint32_t s1)
{
    const struct match_canon *c = st->c;
    size_t nk = window_keys(st, s0, s1, st->keys), ntouched = 0;
    for (size_t i = 0; i < nk; i++)
        for (uint32_t h = kmap_get(&c->bykey, st->keys[i]); h != NONE; h = c->key_posts.v[h].next) {
            uint32_t s = c->key_posts.v[h].val;
            if (st->acc[s] == 0)
                st->touched[ntouched++] = s;
            st->acc[s] += 1u + (st->knum[i] ? 1u << 16 : 0u);
        }
    for (size_t i = 0; i < ntouched; i++) {
        uint32_t s = st->touched[i], cnt = st->acc[s] & 0xFFFF, nums = st->acc[s] >> 16;
        /* A second sentence must bring at least three more keys to be worth it:
         * neighbouring sentences of a rewrite share topic words. Between
         * windows sharing as many words, the one with the same numbers
         * reports the sentence ("180 000 doses", not "13 months"). */
        int score = (int)cnt * 2 + (int)nums - (int)(s1 - s0) * 5;
        if (score > st->best[s].score) {
            st->best[s].score = score;
            st->best[s].cnt = cnt;
            st->best[s].first = s0;
            st->best[s].last = s1;
        }
        st->acc[s] = 0;
    }
}

/* Distinct cross-language keys of the window, in order of first occurrence
 * (the weights are summed in that order). */
static size_t window_xkeys(struct article_state *st, uint32_t s0, uint32_t s1, uint64_t *keys)
{
    size_t n = 0;
    st->stamp++;
    for (uint32_t t = st->sent_first[s0]; t < st->sent_first[s1 + 1]; t++) {
        const struct tok *k = &st->a->v[t];
        if (k->content && k->xkey && !window_seen(st, k->xkey)) {
            st->knum[n] = k->num > 0;
            keys[n++] = k->xkey;
        }
    }
    return n;
}

/* Cross-language counterpart of align_window: shared keys weigh by their
 * rarity in the canonical, and the share is of the canonical sentence's
 * weight, so a translation that keeps the rare words scores high. */
static void align_window_x(struct article_state *st, uint32_t s0, uint32_t s1)
{
    const struct match_canon *c = st->c;
    size_t nk = window_xkeys(st, s0, s1, st->keys), ntouched = 0;
    int wnum = 0;
    for (size_t i = 0; i < nk; i++) {
        double w = canon_x_weight(c, st->keys[i]);
        wnum |= st->knum[i];
        for (uint32_t h = kmap_get(&c->byx, st->keys[i]); h != NONE; h = c->x_posts.v[h].next) {
            uint32_t s = c->x_posts.v[h].val;
            if (st->acc[s] == 0)
                st->touched[ntouched++] = s;
            st->acc[s] += 1u + (st->knum[i] ? 1u << 16 : 0u);
            st->accw[s] += w;
        }
    }
    for (size_t i = 0; i < ntouched; i++) {
        uint32_t s = st->touched[i];
        double ratio = c->sents[s].xw > 0 ? st->accw[s] / c->sents[s].xw : 0.0;
        /* A second sentence must add a real share, not topic words. */
        if (s1 > s0)
            ratio -= 0.1;
        if (ratio > st->best[s].ratio) {
            st->best[s].ratio = ratio;
            st->best[s].cnt = st->acc[s] & 0xFFFF;
            st->best[s].nums = st->acc[s] >> 16;
            st->best[s].wnum = wnum;
            st->best[s].first = s0;
            st->best[s].last = s1;
        }
        st->acc[s] = 0;
        st->accw[s] = 0.0;
    }
}

/* Numbers on both sides and none shared: "6 months to 17 years" against
 * "13 months to 12 years" is another story on the same subject, since a
 * translation keeps numbers. */
static int x_numbers_differ(const struct window *w, const struct csent *cs)
{
    return cs->hasnum && w->wnum && !w->nums;
}

/* Enough of the sentence. */
static int x_strong(const struct window *w)
{
    return w->cnt >= XMIN_KEYS && w->ratio >= XALIGN_SHARE;
}

/* A long sentence reported in part: five rare-enough words shared. Alone it
 * is weak evidence (a same-subject article shares that much with the longest
 * sentence of a text); it corroborates other alignments as a strong one. */
static int x_long(const struct window *w, const struct csent *cs)
{
    return !x_strong(w) && w->cnt >= XLONG_KEYS && w->ratio >= XLONG_SHARE &&
           !x_numbers_differ(w, cs);
}

static int x_weak(const struct window *w, const struct csent *cs)
{
    if (!x_strong(w) && x_numbers_differ(w, cs))
        return 0;
    return w->cnt >= XMIN_KEYS && w->ratio >= XWEAK_SHARE;
}

/* Sets ok[s] for the canonical sentences a translation reports: strong
 * alignments, and weak ones corroborated by one strong or two other
 * alignments from distinct article sentences (a topical neighbour shares
 * a few words with one sentence, a report with several). */
static void x_accept(const struct match_canon *c, const struct window *best, unsigned char *ok)
{
    size_t ns = c->t.nsent, nstrong = 0, nlong = 0, nweak = 0;
    uint32_t first = NONE, last = 0;
    for (size_t s = 0; s < ns; s++) {
        const struct window *w = &best[s];
        ok[s] = 0;
        if (c->sents[s].first == NONE || !x_weak(w, &c->sents[s]))
            continue;
        if (x_strong(w)) {
            ok[s] = 1;
            nstrong++;
        } else {
            nweak++;
            nlong += (size_t)x_long(w, &c->sents[s]);
        }
        first = w->first < first ? w->first : first;
        last = w->last > last ? w->last : last;
    }
    /* All from one article sentence: a lead that names the topic. A long
     * partial alignment corroborates the others as a strong one does, but
     * needs one of them. */
    if (!nweak || first == last ||
        (nstrong == 0 && (nlong == 0 || nweak < 2) && nweak <= XWEAK_CORROBORATE))
        return;
    for (size_t s = 0; s < ns; s++)
        if (c->sents[s].first != NONE && x_weak(&best[s], &c->sents[s]))
            ok[s] = 1;
}

static int key_in(uint64_t key, const uint64_t *keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (keys[i] == key)
            return 1;
    return 0;
}

/* True when the canonical sentence's words appear, in order and contiguous,
 * in the article window: a verbatim quote inside a longer sentence. */
static int verbatim(const struct match_canon *c, const struct csent *cs, const struct toks *a,
                    uint32_t t0, uint32_t t1)
{
    size_t n = cs->last - cs->first + 1;
    if (t1 - t0 < n)
        return 0;
    for (uint32_t i = t0; i + n <= t1; i++) {
        size_t j = 0;
        while (j < n && a->v[i + j].word == c->t.v[cs->first + j].word)
            j++;
        if (j == n)
            return 1;
    }
    return 0;
}

/* Content words in the longest run of the canonical sentence that the
 * article window repeats word for word: a quote within the sentence ("...,"
 * the judge wrote, now "she wrote"). */
static size_t quoted_run(const struct match_canon *c, const struct csent *cs, const struct toks *a,
                         uint32_t t0, uint32_t t1)
{
    size_t best = 0;
    for (uint32_t i = t0; i < t1; i++)
        for (uint32_t j = cs->first; j <= cs->last; j++) {
            size_t run = 0, k = 0;
            while (i + k < t1 && j + k <= cs->last && a->v[i + k].word == c->t.v[j + k].word) {
                run += c->t.v[j + k].content;
                k++;
            }
            best = run > best ? run : best;
        }
    return best;
}

/* The speaker or the statement is named (a reporting verb, "according to",
 * the Kremlin) in the passage or the sentence before or after it. */
static int attributed(const struct article_state *st, uint32_t s0, uint32_t s1)
{
    uint32_t from = s0 ? s0 - 1 : 0, to = s1 + 1 < st->a->nsent ? s1 + 1 : s1;
    for (uint32_t t = st->sent_first[from]; t < st->sent_first[to + 1]; t++)
        if (st->a->v[t].report)
            return 1;
    return 0;
}

void match_result_clear(struct match_result *r)
{
    if (!r)
        return;
    free(r->paragraphs);
    for (size_t i = 0; i < r->npassages; i++) {
        free(r->passages[i].canonical);
        free(r->passages[i].article);
        for (size_t j = 0; j < r->passages[i].nchanges; j++)
            free(r->passages[i].changes[j]);
        free(r->passages[i].changes);
    }
    free(r->passages);
    memset(r, 0, sizeof *r);
}

int match_article(const struct match_canon *c, const char *article, double threshold,
                  struct match_result *out, char *err, size_t errsz)
{
    struct toks a = {0};
    struct tokenizer tz = {0};

    memset(out, 0, sizeof *out);
    if (!c)
        return pw_err(err, errsz, "no canonical text");
    if (!article)
        article = "";
    size_t len = strnlen(article, TEXT_MAX); /* beyond that, the rest is ignored */
    len = xl_body_len(article, len);
    char lang[8];
    snprintf(lang, sizeof lang, "%s", an_lang(c->sh, article));
    /* Another language: stems and shingles cannot meet, cross-language keys
     * can. Undetermined text is tried as the canonical's language. */
    int cross = strcmp(lang, "und") && strcmp(c->lang, "und") && strcmp(lang, c->lang);
    if (tokenizer_init(&tz, lang, c->lang, c->sh) < 0)
        goto oom;
    tz.want_xkey = cross;
    tz.rules = xl_rules_for(lang);
    if (tokenize(&tz, article, len, &a) < 0)
        goto oom;
    tokenizer_clear(&tz);
    int rc = match_tokens(c, article, len, &a, cross, threshold, out, err, errsz);
    free(a.v);
    if (rc == 0)
        memcpy(out->lang, lang, sizeof out->lang);
    return rc;
oom:
    free(a.v);
    tokenizer_clear(&tz);
    return pw_err(err, errsz, "out of memory matching an article");
}

int match_covers(const struct match_result *r, double threshold)
{
    return r->score >= threshold || (r->quoted && r->score >= QUOTE_SHARE * threshold);
}

int match_tokens(const struct match_canon *c, const char *article, size_t len,
                 const struct toks *ap, int cross, double threshold, struct match_result *out,
                 char *err, size_t errsz)
{
    const struct toks a = *ap;
    struct article_state st = {0};
    unsigned char *marked = NULL, *aligned = NULL;
    uint32_t *pw = NULL, *pm = NULL;

    memset(out, 0, sizeof *out);

    size_t ns = c->t.nsent;
    marked = calloc(c->t.n ? c->t.n : 1, 1);
    aligned = calloc(ns ? ns : 1, 1);
    st.c = c;
    st.a = &a;
    st.sent_first = malloc((a.nsent + 2) * sizeof *st.sent_first);
    st.acc = calloc(ns ? ns : 1, sizeof *st.acc);
    st.touched = malloc((ns ? ns : 1) * sizeof *st.touched);
    st.best = calloc(ns ? ns : 1, sizeof *st.best);
    st.keys = malloc(2 * SENT_MAX_TOKENS * sizeof *st.keys + sizeof *st.keys);
    st.knum = malloc(2 * SENT_MAX_TOKENS + 1);
    st.accw = calloc(ns ? ns : 1, sizeof *st.accw);
    st.wset = malloc(WSET * sizeof *st.wset);
    st.wstamp = calloc(WSET, sizeof *st.wstamp);
    if (!marked || !aligned || !st.sent_first || !st.acc || !st.touched || !st.best || !st.keys ||
        !st.knum || !st.accw || !st.wset || !st.wstamp)
        goto oom;

    /* Shingles: three consecutive content keys anywhere in the article. */
    uint64_t k0 = 0, k1 = 0;
    size_t seen = 0;
    for (size_t t = 0; t < a.n && !cross; t++) {
        if (!a.v[t].content)
            continue;
        uint64_t k2 = a.v[t].key;
        if (++seen >= 3) {
            uint64_t sh = an_mix3(k0, k1, k2);
            for (uint32_t h = kmap_get(&c->shingles, sh); h != NONE; h = c->sh_posts.v[h].next) {
                uint32_t i = c->sh_posts.v[h].val;
                marked[c->ctok[i]] = marked[c->ctok[i + 1]] = marked[c->ctok[i + 2]] = 1;
            }
        }
        k0 = k1;
        k1 = k2;
    }

    /* Alignment of sentences and pairs of sentences. */
    for (uint32_t s = 0; s < a.nsent + 2; s++)
        st.sent_first[s] = (uint32_t)a.n;
    for (size_t t = a.n; t-- > 0;)
        st.sent_first[a.v[t].sent] = (uint32_t)t;
    for (uint32_t s = 0; s < a.nsent; s++) {
        void (*align)(struct article_state *, uint32_t, uint32_t) =
            cross ? align_window_x : align_window;
        align(&st, s, s);
        if (s + 1 < a.nsent)
            align(&st, s, s + 1);
    }
    if (cross)
        x_accept(c, st.best, aligned);
    /* A translation reports its sentence as a whole, in other words; so does
     * a same-language paraphrase that keeps most of the words (the rest are
     * synonyms). One that keeps about half reports only the words it shares:
     * "a citizens' panel will publish its findings" is not the whole of a
     * sentence about a panel of twelve reviewing works every six months. */
    for (size_t s = 0; s < ns; s++) {
        const struct csent *cs = &c->sents[s];
        const struct window *w = &st.best[s];
        int whole = aligned[s];
        if (!cross && cs->first != NONE && cs->nkeys && w->cnt >= MIN_ALIGNED_KEYS &&
            (double)w->cnt >= ALIGN_SHARE * cs->nkeys) {
            aligned[s] = 1;
            whole = (double)w->cnt >= WHOLE_SHARE * cs->nkeys;
            size_t nk = window_keys(&st, w->first, w->last, st.keys);
            for (uint32_t t = cs->first; t <= cs->last && !whole; t++)
                marked[t] |= c->t.v[t].content && key_in(c->t.v[t].key, st.keys, nk);
        }
        for (uint32_t t = cs->first; whole && t <= cs->last; t++)
            marked[t] |= c->t.v[t].content;
    }

    /* Score, paragraphs and passages. */
    pw = calloc(c->nparas + 1, sizeof *pw);
    pm = calloc(c->nparas + 1, sizeof *pm);
    if (!pw || !pm)
        goto oom;
    size_t total = 0, hit = 0;
    for (size_t t = 0; t < c->t.n; t++) {
        const struct tok *k = &c->t.v[t];
        if (!k->content)
            continue;
        total++;
        pw[k->para]++;
        if (marked[t]) {
            hit++;
            pm[k->para]++;
        }
    }
    out->score = total ? (double)hit / (double)total : 0.0;

    out->paragraphs = malloc((c->nparas ? c->nparas : 1) * sizeof *out->paragraphs);
    if (!out->paragraphs)
        goto oom;
    for (size_t p = 1; p <= c->nparas; p++)
        if (pw[p] && (double)pm[p] >= PARA_SHARE * pw[p])
            out->paragraphs[out->nparagraphs++] = (int)p;

    for (size_t s = 0; s < ns; s++) {
        const struct csent *cs = &c->sents[s];
        const struct window *w = &st.best[s];
        if (cs->first == NONE || w->cnt == 0)
            continue;
        size_t n = 0, m = 0;
        for (uint32_t t = cs->first; t <= cs->last; t++)
            if (c->t.v[t].content) {
                n++;
                m += marked[t];
            }
        if (!n || (double)m < ALIGN_SHARE * n || (cross ? !aligned[s] : w->cnt < MIN_ALIGNED_KEYS))
            continue;
        if (!out->passages) {
            out->passages = calloc(ns, sizeof *out->passages);
            if (!out->passages)
                goto oom;
        }
        uint32_t t0 = st.sent_first[w->first], t1 = st.sent_first[w->last + 1];
        struct match_passage *mp = &out->passages[out->npassages++];
        mp->paragraph = (int)cs->para;
        mp->canonical = clean_span(c->text, c->len, c->t.v[cs->first].start, c->t.v[cs->last].end);
        mp->article = clean_span(article, len, a.v[t0].start, a.v[t1 - 1].end);
        if (!mp->canonical || !mp->article)
            goto oom;
        int same = !verbatim(c, cs, &a, t0, t1);
        mp->reuse = cross ? "translated" : same ? "paraphrased" : "verbatim";
        mp->attributed = attributed(&st, w->first, w->last);
        out->quoted |= !cross && mp->attributed && quoted_run(c, cs, &a, t0, t1) >= QUOTE_MIN_WORDS;
        if (passage_changes(c->text, c->t.v + cs->first, cs->last - cs->first + 1, article,
                            a.v + t0, t1 - t0, cross, w->first != w->last, &mp->changes,
                            &mp->nchanges) < 0)
            goto oom;
        mp->altered = mp->nchanges > 0;
    }

    out->covers = total > 0 && match_covers(out, threshold);
    free(marked);
    free(aligned);
    free(pw);
    free(pm);
    free(st.sent_first);
    free(st.acc);
    free(st.touched);
    free(st.best);
    free(st.keys);
    free(st.knum);
    free(st.accw);
    free(st.wset);
    free(st.wstamp);
    return 0;
oom:
    free(marked);
    free(aligned);
    free(pw);
    free(pm);
    free(st.sent_first);
    free(st.acc);
    free(st.touched);
    free(st.best);
    free(st.keys);
    free(st.knum);
    free(st.accw);
    free(st.wset);
    free(st.wstamp);
    match_result_clear(out);
    return pw_err(err, errsz, "out of memory matching an article");
}

/* ---- output ---- */

int match_result_json(const struct match_result *r, const char *file, char **json)
{
    struct buf b = BUF_INIT;
    *json = NULL;
    int rc = buf_puts(&b, "{\"file\":");
    rc |= buf_json_str(&b, file);
    rc |= buf_printf(&b, ",\"score\":%.3f,\"covers\":%s,\"quoted\":%s,\"lang\":", r->score,
                     r->covers ? "true" : "false", r->quoted ? "true" : "false");
    rc |= buf_json_str(&b, r->lang);
    rc |= buf_puts(&b, ",\"paragraphs\":[");
    for (size_t i = 0; i < r->nparagraphs; i++)
        rc |= buf_printf(&b, "%s%d", i ? "," : "", r->paragraphs[i]);
    rc |= buf_puts(&b, "],\"passages\":[");
    for (size_t i = 0; i < r->npassages; i++) {
        const struct match_passage *p = &r->passages[i];
        rc |= buf_printf(&b, "%s{\"paragraph\":%d,\"canonical\":", i ? "," : "", p->paragraph);
        rc |= buf_json_str(&b, p->canonical);
        rc |= buf_puts(&b, ",\"article\":");
        rc |= buf_json_str(&b, p->article);
        rc |= buf_puts(&b, ",\"reuse\":");
        rc |= buf_json_str(&b, p->reuse ? p->reuse : "paraphrased");
        rc |= buf_printf(&b, ",\"attributed\":%s,\"altered\":%s,\"changes\":[",
                         p->attributed ? "true" : "false", p->altered ? "true" : "false");
        for (size_t j = 0; j < p->nchanges; j++) {
            rc |= buf_puts(&b, j ? "," : "");
            rc |= buf_json_str(&b, p->changes[j]);
        }
        rc |= buf_puts(&b, "]}");
    }
    rc |= buf_puts(&b, "]}");
    if (rc) {
        buf_free(&b);
        return -1;
    }
    *json = buf_detach(&b);
    return *json ? 0 : -1;
}

char *match_paragraph_list(const struct match_result *r)
{
    struct buf b = BUF_INIT;
    for (size_t i = 0; i < r->nparagraphs; i++)
        if (buf_printf(&b, "%s%d", i ? "," : "", r->paragraphs[i]) < 0) {
            buf_free(&b);
            return NULL;
        }
    return buf_detach(&b);
}
