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
}

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
    /* The common scripts without a table lookup. */
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
    if (cp >= 0x410 && cp <= 0x44F)
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
    k.word = an_fnv(w, (size_t)wl);
    k.start = (uint32_t)ws;
    k.end = (uint32_t)we;
    k.sent = sent;
    int longer = prefix_bytes(w, (size_t)wl, 2) < (size_t)wl;
    /* One- and two-letter words and listed function words carry no weight;
     * numbers do (dates, amounts). */
    k.content = longer && kmap_get(tz->stop, k.word) == NONE;
    if (!k.content && (unsigned char)w[0] >= '0' && (unsigned char)w[0] <= '9')
        k.content = 1;
    struct xl_feat f;
    xl_word(tz->lex, w, (size_t)wl, tz->rules, tz->want_xkey && k.content, &f);
    k.num = f.num;
    k.neg = f.neg;
    k.report = f.report;
    k.xkey = f.xkey;
    k.negpfx = negated_prefix(w, (size_t)wl);
    int32_t orig = 0;
    decode((const unsigned char *)text + ws, we - ws, &orig);
    k.upper = utf8proc_category(orig) == UTF8PROC_CATEGORY_LU;
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
    k.key = an_fnv(st, prefix_bytes(st, sl, KEY_CPS));
    return tok_push(out, &k);
}

/*
 * Splits text into word tokens with sentence numbers. A sentence ends at
 * . ! ? or … followed by white space and a word not in lower case (so
 * "В.В.Путина", "3.5" and "2029 г. споразумение" do not end one), and at a
 * line break unless the next line starts in lower case: a
 * scraped page's stray blank line in mid-sentence does not split it.
 */
int tokenize(const struct tokenizer *tz, const char *text, size_t len, struct toks *out)
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
