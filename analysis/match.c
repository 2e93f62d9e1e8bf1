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
 * sentences, shingle -> positions) and article sentences are bounded in
 * length, so a few megabytes of garbage cost a fraction of a second.
 */
#include "analysis/analysis.h"

#include "analysis/internal.h"
#include "common/buf.h"

#include <libstemmer.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

enum {
    KEY_CPS = 6,          /* stem prefix kept: joins inflections and end typos */
    SENT_MAX_TOKENS = 80, /* longer runs without punctuation are cut */
    WORD_MAX_BYTES = 256, /* longer "words" are hashed by their prefix */
    MIN_ALIGNED_KEYS = 3, /* fewer shared keys is chance, not coverage */
    PASSAGE_MAX_BYTES = 1200
};
#define TEXT_MAX ((size_t)16 * 1024 * 1024) /* offsets are 32-bit; larger input is cut */
#define ALIGN_SHARE 0.5
#define XALIGN_SHARE 0.40 /* cross-language: weighted share of a sentence */
#define XMIN_KEYS 3
#define XLONG_KEYS 5
#define XLONG_SHARE 0.25
#define PARA_SHARE 0.5
#define NONE UINT32_MAX

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

struct csent {
    uint32_t first, last; /* token range, inclusive */
    uint32_t nkeys;       /* distinct content keys */
    uint32_t para;        /* paragraph holding most of its content */
    double xw;            /* summed weight of its distinct cross-language keys */
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
    struct kmap stop;
    struct kmap bykey;    /* content key -> sentences (distinct per sentence) */
    struct kmap shingles; /* 3 keys -> ctok position of the first */
    struct posts key_posts, sh_posts;
    struct xl_lex *lex;
    struct kmap byx; /* cross-language key -> sentences (distinct per sentence) */
    struct posts x_posts;
};

/* ---- hashing and maps ---- */

static uint64_t fnv(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h ? h : 1;
}

static uint64_t mix3(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t h = a * 0x9E3779B97F4A7C15ULL;
    h ^= b + 0x632BE59BD9B4E019ULL + (h << 6) + (h >> 2);
    h ^= c + 0x8CB92BA72F3D8DD7ULL + (h << 6) + (h >> 2);
    return h ? h : 1;
}

static void kmap_free(struct kmap *m)
{
    free(m->keys);
    free(m->head);
    memset(m, 0, sizeof *m);
}

static int kmap_init(struct kmap *m, size_t expect)
{
    size_t cap = 16;
    while (cap < expect * 2 + 1)
        cap *= 2;
    m->keys = calloc(cap, sizeof *m->keys);
    m->head = malloc(cap * sizeof *m->head);
    m->cap = cap;
    m->n = 0;
    if (!m->keys || !m->head) {
        kmap_free(m);
        return -1;
    }
    return 0;
}

static size_t kmap_slot(const struct kmap *m, uint64_t key)
{
    size_t i = (size_t)(key ^ (key >> 29)) & (m->cap - 1);
    while (m->keys[i] && m->keys[i] != key)
        i = (i + 1) & (m->cap - 1);
    return i;
}

static uint32_t kmap_get(const struct kmap *m, uint64_t key)
{
    if (!m->cap)
        return NONE;
    size_t i = kmap_slot(m, key);
    return m->keys[i] ? m->head[i] : NONE;
}

/* Prepends val to key's chain. The map is sized up front, never resized. */
static int kmap_add(struct kmap *m, struct posts *ps, uint64_t key, uint32_t val)
{
    size_t i = kmap_slot(m, key);
    if (!m->keys[i]) {
        if ((m->n + 1) * 2 > m->cap)
            return -1;
        m->keys[i] = key;
        m->head[i] = NONE;
        m->n++;
    }
    if (ps) {
        if (ps->n == ps->cap) {
            size_t cap = ps->cap ? ps->cap * 2 : 64;
            struct post *v = realloc(ps->v, cap * sizeof *v);
            if (!v)
                return -1;
            ps->v = v;
            ps->cap = cap;
        }
        ps->v[ps->n].val = val;
        ps->v[ps->n].next = m->head[i];
        m->head[i] = (uint32_t)ps->n++;
    }
    return 0;
}

/* ---- stopwords (function words carry no weight) ---- */

static const char *const stopwords[] = {
    /* ru */
    "и", "в", "во", "не", "что", "он", "на", "я", "с", "со", "как", "а", "то", "все", "она", "так",
    "его", "но", "да", "ты", "к", "у", "же", "вы", "за", "бы", "по", "только", "ее", "мне", "было",
    "вот", "от", "меня", "еще", "нет", "о", "из", "ему", "теперь", "когда", "даже", "ну", "ли",
    "если", "уже", "или", "ни", "быть", "был", "него", "до", "вас", "там", "потом", "себя", "ей",
    "может", "они", "тут", "где", "есть", "надо", "ней", "для", "мы", "их", "чем", "была", "сам",
    "без", "чего", "тоже", "себе", "под", "будет", "тогда", "кто", "этот", "того", "потому",
    "этого", "какой", "ним", "здесь", "этом", "мой", "тем", "чтобы", "нее", "были", "всех", "можно",
    "при", "об", "другой", "после", "над", "больше", "тот", "через", "эти", "нас", "про", "всего",
    "них", "эту", "свою", "этой", "перед", "том", "такой", "им", "более", "всю", "это", "также",
    "который", "которая", "которые", "которых", "этом", "наш", "наши", "наших", "нашей", "их", "ее",
    "его", "заявил", "сообщил",
    /* bg */
    "е", "са", "се", "че", "за", "от", "като", "това", "тази", "този", "тези", "към", "със", "във",
    "ще", "бъде", "бъдат", "които", "която", "който", "но", "след", "още", "си", "има", "би", "ни",
    "ги", "му", "ѝ", "те", "ние", "вие", "той", "тя", "по", "при", "или", "също",
    /* uk */
    "що", "та", "це", "як", "від", "які", "який", "також", "він", "вона", "вони", "його", "із",
    "зі", "і", "й", "але", "щоб", "цей", "ця", "ці",
    /* en */
    "the", "and", "of", "to", "is", "in", "that", "it", "for", "was", "on", "with", "as", "are",
    "be", "this", "by", "not", "have", "has", "from", "at", "an", "or", "which", "there", "were",
    "will", "would", "its", "they", "their", "we", "our", "said", "also", "been", "but", "all",
    /* de */
    "der", "die", "und", "das", "ist", "nicht", "mit", "von", "den", "zu", "ein", "eine", "auf",
    "für", "sich", "dem", "des", "im", "auch", "es", "wird", "wurde", "sind", "bei", "nach", "aus",
    "einen", "über", "werden", "hat",
    /* fr */
    "le", "la", "les", "et", "des", "est", "une", "un", "du", "que", "dans", "pour", "pas", "qui",
    "sur", "au", "ce", "il", "elle", "sont", "avec", "par", "plus", "été", "aux", "ne", "se",
    "mais", "leur", "cette"};

/* ---- tokenising ---- */

static int tok_push(struct toks *t, const struct tok *k)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        struct tok *v = realloc(t->v, cap * sizeof *v);
        if (!v)
            return -1;
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n++] = *k;
    return 0;
}

static int word_cp(int32_t cp)
{
    utf8proc_category_t c = utf8proc_category(cp);
    return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
           (c >= UTF8PROC_CATEGORY_MN && c <= UTF8PROC_CATEGORY_ME) ||
           (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO);
}

static size_t decode(const unsigned char *s, size_t n, int32_t *cp)
{
    utf8proc_ssize_t r = utf8proc_iterate(s, n > 4 ? 4 : (utf8proc_ssize_t)n, cp);
    return r > 0 ? (size_t)r : 0;
}

/* Folds one word (valid UTF-8) into w: NFKC + case fold, ё -> е, stress marks
 * dropped. Returns its length in bytes, or -1 on OOM. */
static long fold_word(const char *s, size_t n, char *w, size_t wsz)
{
    utf8proc_uint8_t *m = NULL;
    utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &m,
                                      UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
                                          UTF8PROC_CASEFOLD | UTF8PROC_IGNORE);
    if (r == UTF8PROC_ERROR_NOMEM)
        return -1;
    size_t o = 0;
    if (r > 0) {
        size_t i = 0;
        while (i < (size_t)r) {
            int32_t cp;
            size_t k = decode(m + i, (size_t)r - i, &cp);
            if (!k)
                break;
            i += k;
            if (cp == 0x0300 || cp == 0x0301)
                continue;
            if (cp == 0x0451)
                cp = 0x0435;
            if (o + 4 >= wsz)
                break;
            o += (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)w + o);
        }
    }
    free(m);
    w[o] = '\0';
    return (long)o;
}

/* Bytes of the first max code points of s. */
static size_t prefix_bytes(const char *s, size_t n, size_t max)
{
    size_t i = 0, cps = 0;
    while (i < n && cps < max) {
        i++;
        while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        cps++;
    }
    return i;
}

/* One stemmer per script, so that a Latin name in a Russian text or a page
 * whose widgets fooled the language guess still stems its words. Either may
 * be NULL: keys are then word prefixes. */
struct tokenizer {
    struct sb_stemmer *cyr, *lat;
    const struct kmap *stop;
    const struct xl_lex *lex; /* set: compute cross-language keys */
    enum xl_rules rules;
};

static int add_word(const struct tokenizer *tz, const char *text, size_t ws, size_t we,
                    uint32_t sent, struct toks *out)
{
    char w[WORD_MAX_BYTES + 8];
    size_t n = we - ws;
    if (n > WORD_MAX_BYTES)
        n = prefix_bytes(text + ws, WORD_MAX_BYTES - 4, WORD_MAX_BYTES);
    long wl = fold_word(text + ws, n, w, sizeof w);
    if (wl < 0)
        return -1;
    if (wl == 0)
        return 0;
    struct tok k = {0};
    k.word = fnv(w, (size_t)wl);
    k.start = (uint32_t)ws;
    k.end = (uint32_t)we;
    k.sent = sent;
    int longer = prefix_bytes(w, (size_t)wl, 2) < (size_t)wl;
    /* One- and two-letter words and listed function words carry no weight;
     * numbers do (dates, amounts). */
    k.content = longer && kmap_get(tz->stop, k.word) == NONE;
    if (!k.content && (unsigned char)w[0] >= '0' && (unsigned char)w[0] <= '9')
        k.content = 1;
    k.num = xl_number(w, (size_t)wl);
    k.neg = (unsigned char)xl_negation(w, (size_t)wl);
    k.report = (unsigned char)xl_reporting(w, (size_t)wl);
    int32_t orig = 0;
    decode((const unsigned char *)text + ws, we - ws, &orig);
    k.upper = utf8proc_category(orig) == UTF8PROC_CATEGORY_LU;
    if (tz->lex && k.content)
        k.xkey = xl_key(tz->lex, w, (size_t)wl, tz->rules);
    const char *st = w;
    size_t sl = (size_t)wl;
    int32_t first = 0;
    decode((const unsigned char *)w, (size_t)wl, &first);
    struct sb_stemmer *stem = first >= 0x0400 && first <= 0x052F ? tz->cyr
                              : first < 0x0250                   ? tz->lat
                                                                 : NULL;
    if (stem) {
        const sb_symbol *r = sb_stemmer_stem(stem, (const sb_symbol *)w, (int)wl);
        if (!r)
            return -1;
        st = (const char *)r;
        sl = (size_t)sb_stemmer_length(stem);
    }
    k.key = fnv(st, prefix_bytes(st, sl, KEY_CPS));
    return tok_push(out, &k);
}

/*
 * Splits text into word tokens with sentence numbers. A sentence ends at
 * . ! ? or … followed by white space (so "В.В.Путина" and "3.5" do not end
 * one), and at a line break unless the next line starts in lower case: a
 * scraped page's stray blank line in mid-sentence does not split it.
 */
static int tokenize(const struct tokenizer *tz, const char *text, size_t len, struct toks *out)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t i = 0, ws = 0;
    int in_word = 0, punct = 0, punct_space = 0, newline = 0;
    uint32_t sent = 0, sent_len = 0;
    out->n = 0;
    while (i <= len) {
        int32_t cp = ' ';
        size_t k = 1;
        int valid = 1;
        if (i < len) {
            k = decode(p + i, len - i, &cp);
            if (!k) {
                k = 1;
                valid = 0;
            }
        }
        int w = valid && i < len && (word_cp(cp) || (in_word && cp == 0xAD));
        if (w && !in_word) {
            if (out->n > 0) {
                utf8proc_category_t c = utf8proc_category(cp);
                int lower = c == UTF8PROC_CATEGORY_LL;
                if ((punct && punct_space) || (newline && (!lower || punct)) ||
                    sent_len >= SENT_MAX_TOKENS) {
                    sent++;
                    sent_len = 0;
                }
            }
            punct = punct_space = newline = 0;
            in_word = 1;
            ws = i;
        } else if (!w && in_word) {
            if (add_word(tz, text, ws, i, sent, out) < 0)
                return -1;
            sent_len++;
            in_word = 0;
        }
        if (!w && valid && i < len) {
            if (cp == '.' || cp == '!' || cp == '?' || cp == 0x2026)
                punct = 1;
            else if (cp == '\n' || cp == '\r' || cp == 0x2028 || cp == 0x2029 || cp == 0x85)
                newline = punct_space = 1;
            else if (punct && utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS)
                punct_space = 1;
            else if (cp == ' ' || cp == '\t')
                punct_space = punct;
        }
        i += k;
    }
    out->nsent = out->n ? sent + 1 : 0;
    return 0;
}

/* Snowball has Russian and Serbian among the Cyrillic languages; Bulgarian,
 * Ukrainian, Belarusian and Macedonian share enough stems with Russian for
 * the Russian stemmer to be the better default until cross-language matching
 * lands. */
static const char *stemmer_name(const char *lang, int cyrillic)
{
    static const char *const names[][3] = {{"ru", "russian", "c"},
                                           {"sr", "serbian", "c"},
                                           {"en", "english", "l"},
                                           {"de", "german", "l"},
                                           {"fr", "french", "l"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(lang, names[i][0]) && (names[i][2][0] == 'c') == cyrillic)
            return names[i][1];
    return NULL;
}

/* Stemmers for a text in lang; fallback (the canonical's language) decides
 * for the script lang does not use. Returns -1 on OOM. */
static int tokenizer_init(struct tokenizer *tz, const char *lang, const char *fallback,
                          const struct kmap *stop)
{
    tz->stop = stop;
    for (int cyr = 0; cyr <= 1; cyr++) {
        const char *name = stemmer_name(lang, cyr);
        if (!name)
            name = stemmer_name(fallback, cyr);
        if (!name)
            name = cyr ? "russian" : "english";
        struct sb_stemmer *st = sb_stemmer_new(name, NULL);
        if (!st)
            return -1;
        if (cyr)
            tz->cyr = st;
        else
            tz->lat = st;
    }
    return 0;
}

static void tokenizer_clear(struct tokenizer *tz)
{
    sb_stemmer_delete(tz->cyr);
    sb_stemmer_delete(tz->lat);
    tz->cyr = tz->lat = NULL;
}

/* ---- canonical ---- */

void match_canon_free(struct match_canon *c)
{
    if (!c)
        return;
    free(c->text);
    free(c->t.v);
    free(c->sents);
    free(c->ctok);
    free(c->weighted);
    kmap_free(&c->stop);
    kmap_free(&c->bykey);
    kmap_free(&c->shingles);
    free(c->key_posts.v);
    free(c->sh_posts.v);
    xl_lex_free(c->lex);
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

static int build_stopwords(struct kmap *m)
{
    size_t n = sizeof stopwords / sizeof stopwords[0];
    if (kmap_init(m, n) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (kmap_add(m, NULL, fnv(stopwords[i], strlen(stopwords[i])), 0) < 0)
            return -1;
    return 0;
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

/* log(1 + sentences / sentences holding key): a word every sentence uses
 * tells little about which sentence an article reports. */
static double x_weight(const struct match_canon *c, uint64_t key)
{
    size_t df = 0;
    for (uint32_t h = kmap_get(&c->byx, key); h != NONE; h = c->x_posts.v[h].next)
        df++;
    if (!df)
        return 0.0;
    return log1p((double)(c->t.nsent ? c->t.nsent : 1) / (double)df);
}

int match_canon_new(const char *text, struct match_canon **out, char *err, size_t errsz)
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
    snprintf(c->lang, sizeof c->lang, "%s", text_lang(text));
    if (build_stopwords(&c->stop) < 0)
        goto oom;
    if (xl_lex_new(&c->lex) < 0)
        goto oom;
    if (tokenizer_init(&tz, c->lang, c->lang, &c->stop) < 0)
        goto oom;
    tz.lex = c->lex;
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
        const char *pl = text_lang(ptext);
        c->weighted[p] = !strcmp(c->lang, "und") || !strcmp(pl, "und") || !strcmp(pl, c->lang);
        free(ptext);
        ptext = NULL;
    }

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
            uint64_t sh = mix3(k->key, c->t.v[c->ctok[i + 1]].key, c->t.v[c->ctok[i + 2]].key);
            if (kmap_add(&c->shingles, &c->sh_posts, sh, (uint32_t)i) < 0)
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
            c->sents[k->sent].xw += x_weight(c, k->xkey);
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

/* ---- article ---- */

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
    double *accw;        /* per canonical sentence, scratch (cross-language) */
};

static size_t window_keys(const struct article_state *st, uint32_t s0, uint32_t s1, uint64_t *keys)
{
    size_t n = 0;
    for (uint32_t t = st->sent_first[s0]; t < st->sent_first[s1 + 1]; t++) {
        const struct tok *k = &st->a->v[t];
        if (!k->content)
            continue;
        size_t j = 0;
        while (j < n && keys[j] != k->key)
            j++;
        if (j == n)
            keys[n++] = k->key;
    }
    return n;
}

/* Counts, for every canonical sentence sharing a key with article sentences
 * s0..s1, how many distinct keys it shares, and keeps the best window. */
static void align_window(struct article_state *st, uint32_t s0, uint32_t s1)
{
    const struct match_canon *c = st->c;
    size_t nk = window_keys(st, s0, s1, st->keys), ntouched = 0;
    for (size_t i = 0; i < nk; i++)
        for (uint32_t h = kmap_get(&c->bykey, st->keys[i]); h != NONE; h = c->key_posts.v[h].next) {
            uint32_t s = c->key_posts.v[h].val;
            if (st->acc[s]++ == 0)
                st->touched[ntouched++] = s;
        }
    for (size_t i = 0; i < ntouched; i++) {
        uint32_t s = st->touched[i];
        /* A second sentence must bring at least three more keys to be worth it:
         * neighbouring sentences of a rewrite share topic words. */
        int score = (int)st->acc[s] * 2 - (int)(s1 - s0) * 5;
        if (score > st->best[s].score) {
            st->best[s].score = score;
            st->best[s].cnt = st->acc[s];
            st->best[s].first = s0;
            st->best[s].last = s1;
        }
        st->acc[s] = 0;
    }
}

static size_t window_xkeys(const struct article_state *st, uint32_t s0, uint32_t s1, uint64_t *keys)
{
    size_t n = 0;
    for (uint32_t t = st->sent_first[s0]; t < st->sent_first[s1 + 1]; t++) {
        const struct tok *k = &st->a->v[t];
        if (!k->content || !k->xkey)
            continue;
        size_t j = 0;
        while (j < n && keys[j] != k->xkey)
            j++;
        if (j == n)
            keys[n++] = k->xkey;
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
    for (size_t i = 0; i < nk; i++) {
        double w = x_weight(c, st->keys[i]);
        for (uint32_t h = kmap_get(&c->byx, st->keys[i]); h != NONE; h = c->x_posts.v[h].next) {
            uint32_t s = c->x_posts.v[h].val;
            if (st->acc[s]++ == 0)
                st->touched[ntouched++] = s;
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
            st->best[s].cnt = st->acc[s];
            st->best[s].first = s0;
            st->best[s].last = s1;
        }
        st->acc[s] = 0;
        st->accw[s] = 0.0;
    }
}

/* Enough of the sentence, or a long sentence reported in part (an article
 * that shares five rare-enough words with one sentence reports it). */
static int x_aligned(const struct window *w)
{
    return w->cnt >= XMIN_KEYS &&
           (w->ratio >= XALIGN_SHARE || (w->cnt >= XLONG_KEYS && w->ratio >= XLONG_SHARE));
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
    struct article_state st = {0};
    unsigned char *marked = NULL;
    uint32_t *pw = NULL, *pm = NULL;
    size_t len = 0;

    memset(out, 0, sizeof *out);
    if (!c)
        return pw_err(err, errsz, "no canonical text");
    if (!article)
        article = "";
    len = strnlen(article, TEXT_MAX); /* beyond that, the rest is ignored */
    len = xl_body_len(article, len);
    snprintf(out->lang, sizeof out->lang, "%s", text_lang(article));
    /* Another language: stems and shingles cannot meet, cross-language keys
     * can. Undetermined text is tried as the canonical's language. */
    int cross = strcmp(out->lang, "und") && strcmp(c->lang, "und") && strcmp(out->lang, c->lang);

    if (tokenizer_init(&tz, out->lang, c->lang, &c->stop) < 0)
        goto oom;
    if (cross) {
        tz.lex = c->lex;
        tz.rules = xl_rules_for(out->lang);
    }
    if (tokenize(&tz, article, len, &a) < 0)
        goto oom;

    size_t ns = c->t.nsent;
    marked = calloc(c->t.n ? c->t.n : 1, 1);
    st.c = c;
    st.a = &a;
    st.sent_first = malloc((a.nsent + 2) * sizeof *st.sent_first);
    st.acc = calloc(ns ? ns : 1, sizeof *st.acc);
    st.touched = malloc((ns ? ns : 1) * sizeof *st.touched);
    st.best = calloc(ns ? ns : 1, sizeof *st.best);
    st.keys = malloc(2 * SENT_MAX_TOKENS * sizeof *st.keys + sizeof *st.keys);
    st.accw = calloc(ns ? ns : 1, sizeof *st.accw);
    if (!marked || !st.sent_first || !st.acc || !st.touched || !st.best || !st.keys || !st.accw)
        goto oom;

    /* Shingles: three consecutive content keys anywhere in the article. */
    uint64_t k0 = 0, k1 = 0;
    size_t seen = 0;
    for (size_t t = 0; t < a.n && !cross; t++) {
        if (!a.v[t].content)
            continue;
        uint64_t k2 = a.v[t].key;
        if (++seen >= 3) {
            uint64_t sh = mix3(k0, k1, k2);
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
    for (size_t s = 0; s < ns; s++) {
        const struct csent *cs = &c->sents[s];
        const struct window *w = &st.best[s];
        if (cross) {
            /* A translation reports the whole sentence, in other words. */
            if (cs->first != NONE && x_aligned(w))
                for (uint32_t t = cs->first; t <= cs->last; t++)
                    marked[t] = c->t.v[t].content;
            continue;
        }
        if (cs->first == NONE || !cs->nkeys || w->cnt < MIN_ALIGNED_KEYS ||
            (double)w->cnt < ALIGN_SHARE * cs->nkeys)
            continue;
        size_t nk = window_keys(&st, w->first, w->last, st.keys);
        for (uint32_t t = cs->first; t <= cs->last; t++)
            if (c->t.v[t].content && key_in(c->t.v[t].key, st.keys, nk))
                marked[t] = 1;
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
    out->covers = total > 0 && out->score >= threshold;

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
        if (!n || (double)m < ALIGN_SHARE * n ||
            (cross ? !x_aligned(w) : w->cnt < MIN_ALIGNED_KEYS))
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
        if (passage_changes(c->t.v + cs->first, cs->last - cs->first + 1, a.v + t0, t1 - t0, cross,
                            &mp->changes, &mp->nchanges) < 0)
            goto oom;
        mp->altered = mp->nchanges > 0;
    }

    free(a.v);
    tokenizer_clear(&tz);
    free(marked);
    free(pw);
    free(pm);
    free(st.sent_first);
    free(st.acc);
    free(st.touched);
    free(st.best);
    free(st.keys);
    free(st.accw);
    return 0;
oom:
    free(a.v);
    tokenizer_clear(&tz);
    free(marked);
    free(pw);
    free(pm);
    free(st.sent_first);
    free(st.acc);
    free(st.touched);
    free(st.best);
    free(st.keys);
    free(st.accw);
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
    rc |= buf_printf(&b, ",\"score\":%.3f,\"covers\":%s,\"lang\":", r->score,
                     r->covers ? "true" : "false");
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
