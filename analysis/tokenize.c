/*
 * tokenize: words of a text as tokens. Each word is folded (NFKC + case fold,
 * ё -> е, stress marks dropped), hashed, stemmed with Snowball for its script
 * and cut to a short prefix ("key") so that inflection, typos at word ends
 * and cognates still meet; function words carry no weight. Sentences end at
 * terminal punctuation or at a line break before a capital.
 */
#include "analysis/internal.h"

#include "analysis/analysis.h"

#include <libstemmer.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

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
    "any", "every", "each", "some", "such", "these", "those", "other", "can", "could", "may",
    "might", "must", "should", "shall", "than", "then", "into", "only", "very", "who", "what",
    "when", "where", "how", "do", "does", "did", "had", "he", "she", "his", "her", "them", "you",
    "your", "about", "if", "so",
    /* de */
    "der", "die", "und", "das", "ist", "nicht", "mit", "von", "den", "zu", "ein", "eine", "auf",
    "für", "sich", "dem", "des", "im", "auch", "es", "wird", "wurde", "sind", "bei", "nach", "aus",
    "einen", "über", "werden", "hat",
    /* fr */
    "le", "la", "les", "et", "des", "est", "une", "un", "du", "que", "dans", "pour", "pas", "qui",
    "sur", "au", "ce", "il", "elle", "sont", "avec", "par", "plus", "été", "aux", "ne", "se",
    "mais", "leur", "cette"};

int an_shared_init(struct an_shared *sh)
{
    size_t n = sizeof stopwords / sizeof stopwords[0];
    memset(sh, 0, sizeof *sh);
    if (kmap_init(&sh->stop, n) < 0 || xl_lex_new(&sh->lex) < 0)
        return -1;
    /* Without the fingerprints (package missing) text_lang guesses alone. */
    char err[8];
    if (text_langid_new(&sh->lid, err, sizeof err) < 0)
        sh->lid = NULL;
    /* Without the map the guess scans the word lists: slower, same answer. */
    if (an_fnwords_init(&sh->fnw) < 0)
        kmap_free(&sh->fnw.map);
    for (size_t i = 0; i < n; i++)
        if (kmap_add(&sh->stop, NULL, an_fnv(stopwords[i], strlen(stopwords[i])), 0) < 0)
            return -1;
    return 0;
}

void an_shared_clear(struct an_shared *sh)
{
    if (!sh)
        return;
    kmap_free(&sh->stop);
    xl_lex_free(sh->lex);
    sh->lex = NULL;
    text_langid_free(sh->lid);
    sh->lid = NULL;
    kmap_free(&sh->fnw.map);
}

/* ---- tokenising ---- */

static int word_cp(int32_t cp)
{
    /* The common scripts without a table lookup. */
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
    if (cp >= 0x400 && cp <= 0x45F)
        return 1;
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

/* decode with ASCII and two-byte sequences (Latin, Cyrillic) inline. */
static inline size_t decode_fast(const unsigned char *s, size_t n, int32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xC2 && s[0] <= 0xDF && n >= 2 && (s[1] & 0xC0) == 0x80) {
        *cp = (int32_t)((s[0] & 0x1Fu) << 6 | (s[1] & 0x3Fu));
        return 2;
    }
    return decode(s, n, cp);
}

/* Whether cp is a lower-case letter (category Ll); ASCII and basic
 * Cyrillic without a table lookup. */
static int is_lower(int32_t cp)
{
    if (cp < 0x80)
        return cp >= 'a' && cp <= 'z';
    if (cp >= 0x400 && cp <= 0x45F)
        return cp >= 0x430;
    return utf8proc_category(cp) == UTF8PROC_CATEGORY_LL;
}

static long fold_word_slow(const char *s, size_t n, char *w, size_t wsz);

/* Folds one word (valid UTF-8) into w: NFKC + case fold, ё -> е, stress marks
 * dropped. Returns its length in bytes, or -1 on OOM. */
static long fold_word(const char *s, size_t n, char *w, size_t wsz)
{
    /* Plain ASCII and basic Cyrillic (most words) fold letter by letter:
     * NFKC leaves them alone and their case folding is the simple one. */
    size_t o = 0, i = 0;
    while (i < n) {
        unsigned char b = (unsigned char)s[i];
        if (b < 0x80) {
            if (o + 1 >= wsz)
                break;
            w[o++] = (char)(b >= 'A' && b <= 'Z' ? b + 32 : b);
            i++;
            continue;
        }
        int32_t cp;
        size_t k = decode((const unsigned char *)s + i, n - i, &cp);
        if (!k || cp < 0x400 || cp > 0x45F || o + 4 >= wsz)
            break;
        cp = utf8proc_tolower(cp);
        if (cp == 0x0451)
            cp = 0x0435;
        o += (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)w + o);
        i += k;
    }
    if (i == n) {
        w[o] = '\0';
        return (long)o;
    }
    return fold_word_slow(s, n, w, wsz);
}

static long fold_word_slow(const char *s, size_t n, char *w, size_t wsz)
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

/* Words that may carry a negation in their prefix. Over-inclusive on
 * purpose ("необходимо"): it only keeps a translation's "не" from being
 * reported as an added negation. */
static int negated_prefix(const char *w, size_t n)
{
    static const char *const pfx[] = {"не", "ни", "без", "бес", "non", "un", "in", "dis", "ne"};
    for (size_t i = 0; i < sizeof pfx / sizeof pfx[0]; i++) {
        size_t l = strlen(pfx[i]);
        if (n > l + 3 && !memcmp(w, pfx[i], l))
            return 1;
    }
    return 0;
}

/* ---- facts about one word, and their cache ---- */

enum {
    WC_SLOTS = 1 << 15, /* at most half used */
    WC_ARENA = 1 << 19, /* bytes of the cached words */
    WC_KEYS = 3,        /* stemmers one word met (a Latin word: en, de, fr) */
    WC_RULES = 3        /* enum xl_rules */
};

/* Everything about a word that does not depend on where it stands. */
struct wc_ent {
    uint64_t h; /* hash of the word's bytes in the text; 0: empty slot */
    uint64_t word;
    uint64_t key[WC_KEYS];
    const struct sb_stemmer *stem[WC_KEYS]; /* key[i] was stemmed by stem[i] */
    uint64_t xkey[WC_RULES];
    uint32_t off, len; /* its bytes in the arena */
    int num;
    unsigned char empty; /* folds to nothing: no token */
    unsigned char content, neg, report, negpfx, upper, month;
    unsigned char script;       /* of its folded first letter: 0 Cyrillic, 1 Latin, 2 other */
    unsigned char nkeys, xdone; /* xdone: a bit per rules in xkey */
};

struct an_wcache {
    struct wc_ent *e;
    size_t n;
    char *arena;
    size_t alen;
    unsigned long epoch; /* times emptied: entry numbers held since stay valid until then */
};

unsigned long an_wcache_epoch(const struct an_wcache *c)
{
    return c->epoch;
}

/* The cache's own hash of a word's bytes, 8 at a time (memcmp confirms a
 * hit, so its quality only decides the probe lengths). Never 0. */
static uint64_t wc_hash(const char *s, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ n;
    for (; n >= 8; s += 8, n -= 8) {
        uint64_t x;
        memcpy(&x, s, 8);
        h = (h ^ x) * 0xFF51AFD7ED558CCDULL;
        h ^= h >> 32;
    }
    if (n) {
        /* The tail as up to three loads (4, 2, 1 bytes), not a byte loop. */
        uint64_t x = 0;
        uint32_t x4 = 0;
        uint16_t x2 = 0;
        size_t o = 0;
        if (n & 4) {
            memcpy(&x4, s, 4);
            x = x4;
            o = 4;
        }
        if (n & 2) {
            memcpy(&x2, s + o, 2);
            x |= (uint64_t)x2 << (o * 8);
            o += 2;
        }
        if (n & 1)
            x |= (uint64_t)(unsigned char)s[o] << (o * 8);
        h = (h ^ x) * 0xC4CEB9FE1A85EC53ULL;
    }
    h ^= h >> 29;
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 32;
    return h ? h : 1;
}

int an_wcache_new(struct an_wcache **out)
{
    struct an_wcache *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c)
        return -1;
    c->e = calloc(WC_SLOTS, sizeof *c->e);
    c->arena = malloc(WC_ARENA);
    if (!c->e || !c->arena) {
        an_wcache_free(c);
        return -1;
    }
    *out = c;
    return 0;
}

void an_wcache_free(struct an_wcache *c)
{
    if (!c)
        return;
    free(c->e);
    free(c->arena);
    free(c);
}

static void wc_clear(struct an_wcache *c)
{
    memset(c->e, 0, WC_SLOTS * sizeof *c->e);
    c->n = c->alen = 0;
    c->epoch++;
}

/* The entry for the word s[0..n) (hash h), a fresh one (h set, the rest
 * zero) when it is not cached, or NULL when it is too long to cache. */
static struct wc_ent *wc_slot(struct an_wcache *c, uint64_t h, const char *s, size_t n)
{
    if (n > WC_ARENA / 64)
        return NULL;
    size_t i = (size_t)(h ^ (h >> 29)) & (WC_SLOTS - 1);
    for (; c->e[i].h; i = (i + 1) & (WC_SLOTS - 1))
        if (c->e[i].h == h && c->e[i].len == n && !memcmp(c->arena + c->e[i].off, s, n))
            return &c->e[i];
    if (c->n + 1 > WC_SLOTS / 2 || c->alen + n > WC_ARENA) {
        /* Full: start again rather than evict (the vocabulary of the next
         * articles refills it). */
        wc_clear(c);
        i = (size_t)(h ^ (h >> 29)) & (WC_SLOTS - 1);
    }
    struct wc_ent *e = &c->e[i];
    memcpy(c->arena + c->alen, s, n);
    e->h = h;
    e->off = (uint32_t)c->alen;
    e->len = (uint32_t)n;
    c->alen += n;
    c->n++;
    return e;
}

/* Fills e's position-independent facts for the word s[0..n); w receives
 * the folded word (*wl bytes). -1 on OOM. */
static int word_facts(const struct tokenizer *tz, const char *s, size_t n, char *w, size_t wsz,
                      long *wl, struct wc_ent *e)
{
    *wl = fold_word(s, n, w, wsz);
    if (*wl < 0)
        return -1;
    e->empty = *wl == 0;
    if (e->empty)
        return 0;
    size_t l = (size_t)*wl;
    e->word = an_fnv(w, l);
    int longer = prefix_bytes(w, l, 2) < l;
    /* One- and two-letter words and listed function words carry no weight;
     * numbers do (dates, amounts). */
    e->content = longer && !kmap_has(tz->stop, e->word);
    if (!e->content && (unsigned char)w[0] >= '0' && (unsigned char)w[0] <= '9')
        e->content = 1;
    struct xl_feat f;
    int want_x = tz->want_xkey && e->content;
    xl_word(tz->lex, w, l, tz->rules, want_x, &f);
    if (want_x) {
        e->xkey[tz->rules] = f.xkey;
        e->xdone |= (unsigned char)(1u << tz->rules);
    }
    e->num = f.num;
    e->neg = f.neg;
    e->report = f.report;
    e->month = f.month;
    e->negpfx = (unsigned char)negated_prefix(w, l);
    int32_t orig = 0;
    decode((const unsigned char *)s, n, &orig);
    e->upper = utf8proc_category(orig) == UTF8PROC_CATEGORY_LU;
    int32_t first = 0;
    decode((const unsigned char *)w, l, &first);
    e->script = first >= 0x0400 && first <= 0x052F ? 0 : first < 0x0250 ? 1 : 2;
    return 0;
}

/* The key of folded word w: its stem's prefix. -1 on OOM. */
static int word_key(struct sb_stemmer *stem, const char *w, size_t wl, uint64_t *key)
{
    const char *st = w;
    size_t sl = wl;
    if (stem) {
        const sb_symbol *r = sb_stemmer_stem(stem, (const sb_symbol *)w, (int)wl);
        if (!r)
            return -1;
        st = (const char *)r;
        sl = (size_t)sb_stemmer_length(stem);
    }
    *key = an_fnv(st, prefix_bytes(st, sl, KEY_CPS));
    return 0;
}

/* Completes e for tz: the key for its stemmer, the cross-language key
 * when wanted. w is the folded word (*wl < 0: not folded yet). Returns the
 * key's index, -1 on OOM. */
static int word_complete(const struct tokenizer *tz, const char *s, size_t n, char *w, size_t wsz,
                         long *wl, struct wc_ent *e)
{
    struct sb_stemmer *stem = e->script == 0 ? tz->cyr : e->script == 1 ? tz->lat : NULL;
    unsigned i = 0;
    while (i < e->nkeys && e->stem[i] != stem)
        i++;
    unsigned xbit = 1u << tz->rules;
    int need_x = tz->want_xkey && e->content && !(e->xdone & xbit);
    if (i < e->nkeys && !need_x)
        return (int)i;
    if (*wl < 0 && (*wl = fold_word(s, n, w, wsz)) < 0)
        return -1;
    if (i == e->nkeys) {
        uint64_t key;
        if (word_key(stem, w, (size_t)*wl, &key) < 0)
            return -1;
        i = e->nkeys < WC_KEYS ? e->nkeys++ : WC_KEYS - 1;
        e->key[i] = key;
        e->stem[i] = stem;
    }
    if (need_x) {
        struct xl_feat f;
        xl_word(tz->lex, w, (size_t)*wl, tz->rules, 1, &f);
        e->xkey[tz->rules] = f.xkey;
        e->xdone |= (unsigned char)xbit;
    }
    return (int)i;
}

/* Bytes of the word text[ws..we) that its facts are computed from. */
static size_t word_bytes(const char *text, size_t ws, size_t we)
{
    size_t n = we - ws;
    return n > WORD_MAX_BYTES ? prefix_bytes(text + ws, WORD_MAX_BYTES - 4, WORD_MAX_BYTES) : n;
}

/* The token of a word whose facts e holds, key index i. */
static void tok_fill(const struct tokenizer *tz, const struct wc_ent *e, int i, struct tok *k)
{
    k->word = e->word;
    k->key = e->key[i];
    k->content = e->content;
    k->num = e->num;
    k->neg = e->neg;
    k->report = e->report;
    k->xkey = tz->want_xkey && e->content ? e->xkey[tz->rules] : 0;
    k->negpfx = e->negpfx;
    k->upper = e->upper;
    k->month = e->month;
}

/* ents (when not NULL) receives the cache entry of the token added. */
static int add_word(const struct tokenizer *tz, const char *text, size_t ws, size_t we,
                    uint32_t sent, struct toks *out, uint32_t *ent)
{
    char w[WORD_MAX_BYTES + 8];
    long wl = -1;
    size_t n = word_bytes(text, ws, we);
    const char *s = text + ws;
    struct wc_ent local, *e = NULL;
    /* A cached word's facts are complete unless word is 0 (an_fnv never
     * gives 0) and it is not empty: then it was just added. */
    if (tz->cache)
        e = wc_slot(tz->cache, wc_hash(s, n), s, n);
    if (!e) {
        memset(&local, 0, sizeof local);
        e = &local;
    }
    int fresh = e->word == 0 && !e->empty;
    int i = fresh && word_facts(tz, s, n, w, sizeof w, &wl, e) < 0 ? -1
            : e->empty                                             ? 0
                       : word_complete(tz, s, n, w, sizeof w, &wl, e);
    if (i < 0) {
        if (e != &local)
            wc_clear(tz->cache); /* OOM: leave no half-made entry */
        return -1;
    }
    if (e->empty)
        return 0;
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 256;
        struct tok *v = realloc(out->v, cap * sizeof *v);
        if (!v)
            return -1;
        out->v = v;
        out->cap = cap;
    }
    /* Filled in place: every field is set here or by tok_fill. */
    struct tok *k = &out->v[out->n];
    tok_fill(tz, e, i, k);
    k->start = (uint32_t)ws;
    k->end = (uint32_t)we;
    k->sent = sent;
    k->para = 0;
    if (ent && e != &local)
        ent[out->n] = (uint32_t)(e - tz->cache->e);
    out->n++;
    return 0;
}

/*
 * Splits text into word tokens with sentence numbers. A sentence ends at
 * . ! ? or … followed by white space and a word not in lower case (so
 * "В.В.Путина", "3.5" and "2029 г. споразумение" do not end one), and at a
 * line break unless the next line starts in lower case: a
 * scraped page's stray blank line in mid-sentence does not split it.
 */
static int scan(const struct tokenizer *tz, const char *text, size_t len, struct toks *out,
                uint32_t **ents, size_t *cap);
static void number_groups(const char *text, struct toks *out);

int tokenize(const struct tokenizer *tz, const char *text, size_t len, struct toks *out)
{
    return scan(tz, text, len, out, NULL, NULL);
}

int tokenize_ents(const struct tokenizer *tz, const char *text, size_t len, struct toks *out,
                  uint32_t **ents, size_t *cap)
{
    return scan(tz, text, len, out, ents, cap);
}

int tokens_rekey(const struct tokenizer *tz, const char *text, const struct toks *src,
                 const uint32_t *ents, struct toks *out)
{
    char w[WORD_MAX_BYTES + 8];
    if (out != src) {
        if (out->cap < src->n) {
            size_t cap = out->cap ? out->cap : 256;
            while (cap < src->n)
                cap *= 2;
            struct tok *v = realloc(out->v, cap * sizeof *v);
            if (!v)
                return -1;
            out->v = v;
            out->cap = cap;
        }
        if (src->n)
            memcpy(out->v, src->v, src->n * sizeof *out->v);
        out->n = src->n;
        out->nsent = src->nsent;
    }
    for (size_t t = 0; t < out->n; t++) {
        struct tok *k = &out->v[t];
        struct wc_ent *e = &tz->cache->e[ents[t]];
        long wl = -1;
        size_t n = word_bytes(text, k->start, k->end);
        int i = word_complete(tz, text + k->start, n, w, sizeof w, &wl, e);
        if (i < 0)
            return -1;
        tok_fill(tz, e, i, k);
    }
    number_groups(text, out);
    return 0;
}

/* 1 when text[a..b) is one thousands separator: a space (also no-break or
 * thin), a comma, a dot or an apostrophe. */
static int group_sep(const char *text, size_t a, size_t b)
{
    static const char *const seps[] = {" ",           ",", ".", "'", "\xc2\xa0", "\xe2\x80\xaf",
                                       "\xe2\x80\x89"};
    for (size_t i = 0; i < sizeof seps / sizeof seps[0]; i++)
        if (b - a == strlen(seps[i]) && !memcmp(text + a, seps[i], b - a))
            return 1;
    return 0;
}

/* Numbers written in parts become one: "180 000", "180,000", "180.000" and
 * "180 тысяч" are all 180000 on the first token, "twenty-four" is 24, so
 * that the amount meets itself across languages. Digit groups after it stop counting as words;
 * a scale word ("тысяч", "million") stays one, as its cognates meet. */
static int digit_at(const char *text, const struct tok *k)
{
    return text[k->start] >= '0' && text[k->start] <= '9';
}

/* "and" between tens and units: "двадесет и четири", "dvadeset i četiri". */
static int unit_joiner(const char *text, const struct tok *k)
{
    static const char *const joiners[] = {"и", "i", "і", "and", "und"};
    for (size_t i = 0; i < sizeof joiners / sizeof joiners[0]; i++)
        if (k->end - k->start == strlen(joiners[i]) &&
            !memcmp(text + k->start, joiners[i], k->end - k->start))
            return 1;
    return 0;
}

static void number_groups(const char *text, struct toks *out)
{
    for (size_t t = 0; t + 1 < out->n; t++) {
        struct tok *k = &out->v[t];
        if (k->num <= 0)
            continue;
        long v = k->num;
        size_t j = t + 1;
        int digits = digit_at(text, k);
        if (digits && k->end - k->start <= 3) {
            for (; j < out->n && out->v[j].sent == k->sent && v < 1000000; j++) {
                const struct tok *g = &out->v[j];
                if (g->end - g->start != 3 || !group_sep(text, out->v[j - 1].end, g->start))
                    break;
                const char *d = text + g->start;
                if (d[0] < '0' || d[0] > '9' || d[1] < '0' || d[1] > '9' || d[2] < '0' ||
                    d[2] > '9')
                    break;
                v = v * 1000 + (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0');
            }
        } else if (!digits && v >= 20 && v <= 90 && v % 10 == 0) {
            /* Tens and units in words: "twenty-four", "двадцать четыре". */
            size_t u = j;
            if (u + 1 < out->n && unit_joiner(text, &out->v[u]))
                u++;
            const struct tok *g = &out->v[u];
            if (u < out->n && g->sent == k->sent && g->num >= 1 && g->num <= 9 &&
                !digit_at(text, g)) {
                v += g->num;
                j = u + 1;
            }
        }
        size_t groups = j; /* parts of the number end here; a scale word stays a word */
        if (j < out->n && out->v[j].sent == k->sent) {
            char w[WORD_MAX_BYTES + 8];
            const struct tok *g = &out->v[j];
            long wl = fold_word(text + g->start, word_bytes(text, g->start, g->end), w, sizeof w);
            int scale = wl > 0 ? xl_scale_word(w, (size_t)wl) : 0;
            if (scale && v * scale < 1000000000L) {
                v *= scale;
                j++;
            }
        }
        if (j == t + 1)
            continue;
        k->num = (int)v;
        if (k->xkey)
            k->xkey = xl_num_key((int)v);
        for (size_t i = t + 1; i < groups; i++) {
            out->v[i].content = 0;
            out->v[i].num = 0;
            out->v[i].xkey = 0;
        }
        t = j - 1;
    }
}

/*
 * The tokeniser proper; with ents, each token's cache entry is recorded in
 * *ents (room *cap, grown as needed).
 */
static int scan(const struct tokenizer *tz, const char *text, size_t len, struct toks *out,
                uint32_t **ents, size_t *cap)
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
            k = decode_fast(p + i, len - i, &cp);
            if (!k) {
                k = 1;
                valid = 0;
            }
        }
        int w = valid && i < len && (word_cp(cp) || (in_word && cp == 0xAD));
        if (w && !in_word) {
            if (out->n > 0) {
                int lower = is_lower(cp);
                if ((punct && punct_space && !lower) || (newline && (!lower || punct)) ||
                    sent_len >= SENT_MAX_TOKENS) {
                    sent++;
                    sent_len = 0;
                }
            }
            punct = punct_space = newline = 0;
            in_word = 1;
            ws = i;
        } else if (!w && in_word) {
            if (ents && out->n + 1 > *cap) {
                size_t c = *cap ? *cap * 2 : 256;
                uint32_t *v = realloc(*ents, c * sizeof *v);
                if (!v)
                    return -1;
                *ents = v;
                *cap = c;
            }
            if (add_word(tz, text, ws, i, sent, out, ents ? *ents : NULL) < 0)
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
    number_groups(text, out);
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
int tokenizer_init(struct tokenizer *tz, const char *lang, const char *fallback,
                   const struct an_shared *sh)
{
    tz->stop = &sh->stop;
    tz->lex = sh->lex;
    const char *names[2];
    tokenizer_stemmers(lang, fallback, &names[1], &names[0]);
    tz->lat = sb_stemmer_new(names[0], NULL);
    tz->cyr = sb_stemmer_new(names[1], NULL);
    if (!tz->lat || !tz->cyr)
        return -1;
    return 0;
}

void tokenizer_stemmers(const char *lang, const char *fallback, const char **cyr, const char **lat)
{
    for (int c = 0; c <= 1; c++) {
        const char *name = stemmer_name(lang, c);
        if (!name)
            name = stemmer_name(fallback, c);
        if (!name)
            name = c ? "russian" : "english";
        *(c ? cyr : lat) = name;
    }
}

void tokenizer_clear(struct tokenizer *tz)
{
    sb_stemmer_delete(tz->cyr);
    sb_stemmer_delete(tz->lat);
    tz->cyr = tz->lat = NULL;
}
