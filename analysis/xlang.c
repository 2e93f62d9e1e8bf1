/*
 * xlang: keys that let a translation meet its original without a model.
 *
 * Three layers, strongest first: numbers (digits and number words) are the
 * same in every language; a small lexicon joins the news vocabulary that
 * differs between the languages; every other word falls back to a sound
 * skeleton: the word transliterated into broad consonant classes (b/p/f/v,
 * k/g/h, s/z/c/ч/ш/ж, d/t, l, r, m, n), vowels after the first letter
 * dropped, repeats merged, cut after four classes. Cognates across Cyrillic
 * alphabets and Latin spellings, names and internationalisms then meet
 * ("двустороннее"/"двустранно", "инцидент"/"incident", "Путин"/"Putin").
 */
#include "analysis/internal.h"

#include "analysis/analysis.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

size_t xl_lexicon_rows(void);
unsigned xl_lexicon_month(uint32_t row); /* row is 1-based, as lex_ent.row */
const char *const *xl_lexicon_row(size_t i);

enum { SKEL_MAX = 4, LEX_MAX_CPS = 20, COMPOUND_MIN_CPS = 4 };

enum xl_rules xl_rules_for(const char *lang)
{
    if (!strcmp(lang, "en"))
        return XL_ENGLISH;
    if (!strcmp(lang, "de") || !strcmp(lang, "fr"))
        return XL_GERMANIC_ROMANCE;
    return XL_SLAVIC;
}

static uint64_t hash(const void *p, size_t n, uint64_t seed)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ULL ^ seed;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h ? h : 1;
}

/* ---- lexicon ---- */

/* One map of word prefixes: concept rows (lexicon.c), number words,
 * negations (whole words) and reporting cues (prefixes). */
struct lex_ent {
    uint32_t row;        /* concept row + 1, 0 = none */
    unsigned char whole; /* the concept needs the whole word (short prefixes) */
    unsigned char num;   /* number word value, whole word only */
    unsigned char neg;   /* negation, whole word only */
    unsigned char report;
};

struct xl_lex {
    uint64_t *keys; /* 0 = empty */
    struct lex_ent *vals;
    size_t cap;
};

/* clang-format off */
static const char *const number_words[][24] = {
    {"один", "одна", "одно", "едно", "един", "една", "jedan", "један", "jedna", "one", "eins", "un", "une", NULL},
    {"два", "две", "двух", "двох", "двома", "двама", "dva", "dve", "двije", "two", "zwei", "deux", NULL},
    {"три", "трех", "трёх", "трьох", "трима", "tri", "трох", "three", "drei", "trois", NULL},
    {"четыре", "четырех", "четири", "чотири", "чотирьох", "četiri", "cetiri", "чатыры", "four", "vier", "quatre", NULL},
    {"пять", "пяти", "пет", "п'ять", "pet", "five", "fünf", "cinq", NULL},
    {"шесть", "шест", "šest", "six", "sechs", NULL},
    {"семь", "семи", "седем", "сім", "сімома", "седам", "sedam", "seven", "sieben", "sept", NULL},
    {"восемь", "осем", "вісім", "осам", "osam", "eight", "acht", "huit", NULL},
    {"девять", "девет", "дев'ять", "devet", "nine", "neun", "neuf", NULL},
    {"десять", "десяти", "десет", "deset", "десяць", "ten", "zehn", "dix", NULL},
    {"одиннадцать", "одиннадцати", "единадесет", "одинадцять", "одинадцяти", "једанаест", "jedanaest", "единаесет", "eleven", "elf", "onze", NULL},
    {"двенадцать", "двенадцати", "дванадесет", "дванадцять", "дванадцяти", "дванаест", "dvanaest", "дванаесет", "twelve", "zwölf", "douze", NULL},
};
/* Tens, 20 to 90: value (row + 2) * 10. Whole words, as number_words. */
static const char *const tens_words[][16] = {
    {"двадцать", "двадцати", "двадесет", "двадцять", "двадцяти", "dvadeset", "дваццаць", "twenty", "zwanzig", "vingt", NULL},
    {"тридцать", "тридцати", "тридесет", "тридцять", "тридцяти", "trideset", "трыццаць", "thirty", "dreißig", "dreissig", "trente", NULL},
    {"сорок", "сорока", "четиридесет", "четрдесет", "četrdeset", "cetrdeset", "четириесет", "сорак", "forty", "vierzig", "quarante", NULL},
    {"пятьдесят", "пятидесяти", "петдесет", "п'ятдесят", "педесет", "pedeset", "пяцьдзясят", "fifty", "fünfzig", "cinquante", NULL},
    {"шестьдесят", "шестидесяти", "шестдесет", "шістдесят", "шездесет", "šezdeset", "sezdeset", "шеесет", "sixty", "sechzig", "soixante", NULL},
    {"семьдесят", "семидесяти", "седемдесет", "сімдесят", "седамдесет", "sedamdeset", "седумдесет", "seventy", "siebzig", NULL},
    {"восемьдесят", "восьмидесяти", "осемдесет", "вісімдесят", "осамдесет", "osamdeset", "осумдесет", "eighty", "achtzig", NULL},
    {"девяносто", "девяноста", "деветдесет", "дев'яносто", "деведесет", "devedeset", "ninety", "neunzig", NULL},
};
static const char *const negations[] = {
    "не",    "нет",    "ни",    "никогда", "никога", "ніколи", "ne",   "nije", "није",
    "never", "not",    "no",    "nicht",   "kein",   "keine",  "nie",  "pas",  "jamais",
    "nikad", "никада", "никад", "ніяк",    "n't",    "none",   "nein", "без",  "bez",
    "няма",  "нема",   "nema",  "немає",   "нету",   "without", "ohne", "sans", NULL};
/* Negations of a verb ("not convinced"; Bulgarian and Macedonian "няма да",
 * "нема да" = "will not"): a translation keeps them as words, unlike "без",
 * "no" or "kein", which often become prefixes or other words. */
static const char *const verb_negations[] = {"не",     "not",   "n't",   "nicht", "never",
                                             "никогда", "никога", "ніколи", "nije",  "није",
                                             "jamais", "nikad", "никада", "nie",   "няма",
                                             "нема",   "nema",  NULL};
/* Prefixes of words that attribute speech to someone. */
static const char *const reporting[] = {
    "заяв",     "сказа",    "сообщ",    "отмет",     "подчерк",  "написа",   "слова",
    "заяви",    "каза",     "посоч",    "подчерта",  "според",   "настоява", "добави",
    "уверява",  "изтъкн",   "повідом",  "зазнач",    "рекао",    "изјав",    "izjav",
    "навео",    "naveo",    "према",    "prema",     "рече",     "истакна",  "said",
    "says",     "stated",   "told",     "according", "added",    "wrote",    "quoted",
    "sagte",    "erklärt",  "laut",     "betont",    "déclar",   "selon",    "affirm",
    "souligné", "цитира",   "цитує",    "цитирует",  "предложи", "призва",   "предлож",
    "пропону",  "предлага", "proposed", "urged",     "called",   "kremlin",  "кремл",
    "кремъл",   "заявлен",  "изявлен",  "statement", "предлаг",  "proposal", "vorgeschlag",
    "proposé",  "propos",   "запропон", "predlož",   "предложи", NULL};
/* clang-format on */

static size_t cps(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

void xl_lex_free(struct xl_lex *l)
{
    if (!l)
        return;
    free(l->keys);
    free(l->vals);
    free(l);
}

static struct lex_ent *lex_slot(struct xl_lex *l, const char *w)
{
    uint64_t k = hash(w, strlen(w), 0);
    size_t i = (size_t)(k ^ (k >> 31)) & (l->cap - 1);
    while (l->keys[i] && l->keys[i] != k)
        i = (i + 1) & (l->cap - 1);
    l->keys[i] = k;
    return &l->vals[i];
}

int xl_lex_new(struct xl_lex **out)
{
    size_t n = sizeof negations / sizeof negations[0] + sizeof reporting / sizeof reporting[0] +
               sizeof number_words / sizeof number_words[0][0] +
               sizeof tens_words / sizeof tens_words[0][0];
    for (size_t r = 0; r < xl_lexicon_rows(); r++)
        for (const char *const *w = xl_lexicon_row(r); *w; w++)
            n++;
    struct xl_lex *l = calloc(1, sizeof *l);
    if (!l)
        return -1;
    l->cap = 64;
    while (l->cap < n * 2)
        l->cap *= 2;
    l->keys = calloc(l->cap, sizeof *l->keys);
    l->vals = calloc(l->cap, sizeof *l->vals);
    if (!l->keys || !l->vals) {
        xl_lex_free(l);
        return -1;
    }
    for (size_t r = 0; r < xl_lexicon_rows(); r++)
        for (const char *const *w = xl_lexicon_row(r); *w; w++) {
            /* "=port": the whole word only, not "portrait". */
            int exact = **w == '=';
            const char *word = *w + exact;
            struct lex_ent *e = lex_slot(l, word);
            if (e->row)
                continue; /* the first row listing a prefix keeps it */
            e->row = (uint32_t)(r + 1);
            /* Short prefixes would catch unrelated words. */
            e->whole = exact || cps(word, strlen(word)) <= 3;
        }
    for (size_t r = 0; r < sizeof number_words / sizeof number_words[0]; r++)
        for (const char *const *w = number_words[r]; *w; w++)
            lex_slot(l, *w)->num = (unsigned char)(r + 1);
    for (size_t r = 0; r < sizeof tens_words / sizeof tens_words[0]; r++)
        for (const char *const *w = tens_words[r]; *w; w++)
            lex_slot(l, *w)->num = (unsigned char)((r + 2) * 10);
    for (const char *const *w = negations; *w; w++)
        lex_slot(l, *w)->neg = NEG_WEAK;
    for (const char *const *w = verb_negations; *w; w++)
        lex_slot(l, *w)->neg = NEG_VERB;
    for (const char *const *w = reporting; *w; w++)
        lex_slot(l, *w)->report = 1;
    *out = l;
    return 0;
}

static const struct lex_ent *lex_get(const struct xl_lex *l, uint64_t k)
{
    size_t i = (size_t)(k ^ (k >> 31)) & (l->cap - 1);
    while (l->keys[i] && l->keys[i] != k)
        i = (i + 1) & (l->cap - 1);
    return l->keys[i] ? &l->vals[i] : NULL;
}

/* Walks the prefixes of w[0..n) (up to LEX_MAX_CPS code points) with one
 * running hash. Sets the features found and returns the concept row of the
 * longest listed prefix, or 0. */
static uint32_t lex_scan(const struct xl_lex *l, const char *w, size_t n, struct xl_feat *f)
{
    uint64_t h = 1469598103934665603ULL;
    uint32_t row = 0;
    size_t ncp = 0;
    for (size_t i = 0; i < n && ncp < LEX_MAX_CPS; i++) {
        h ^= (unsigned char)w[i];
        h *= 1099511628211ULL;
        if (i + 1 < n && ((unsigned char)w[i + 1] & 0xC0) == 0x80)
            continue;
        ncp++;
        const struct lex_ent *e = lex_get(l, h ? h : 1);
        if (!e)
            continue;
        int whole = i + 1 == n;
        if (e->row && (!e->whole || whole))
            row = e->row;
        if (whole) {
            f->num = f->num ? f->num : e->num;
            f->neg = f->neg > e->neg ? f->neg : e->neg;
        }
        f->report |= e->report;
    }
    return row;
}

/* ---- sound skeleton ---- */

static int is_vowel_cp(int32_t c)
{
    static const int32_t v[] = {'a',   'e',   'i',   'o',   'u',   'y',   'j',   0xE0,  0xE2,
                                0xE4,  0xE9,  0xE8,  0xEA,  0xEB,  0xEE,  0xEF,  0xF4,  0xF6,
                                0xF9,  0xFB,  0xFC,  0xFF,  0x153, 0x430, 0x435, 0x438, 0x439,
                                0x43E, 0x443, 0x44B, 0x44D, 0x44E, 0x44F, 0x454, 0x456, 0x457,
                                0x45E, 0x458, 0x44A, 0x44C, 0x451, 0xE1,  0xED,  0xF3,  0xFA};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        if (v[i] == c)
            return 1;
    return 0;
}

/* Class of one letter; next is the following letter (for c and digraphs).
 * *skip is set when next is consumed. 0 = no class (vowel or unknown). */
static char sound_class(int32_t c, int32_t next, enum xl_rules rules, int *skip)
{
    *skip = 0;
    if (rules != XL_SLAVIC && next == 'h' && (c == 'c' || c == 's' || c == 't' || c == 'p')) {
        *skip = 1;
        return c == 'c' ? 'K' : c == 's' ? 'S' : c == 't' ? 'T' : 'P';
    }
    if (c == 'z' && next == 'h') {
        *skip = 1;
        return 'S';
    }
    switch (c) {
    case 'b':
    case 'p':
    case 'f':
    case 'v':
    case 'w':
    case 0x431:
    case 0x43F:
    case 0x444:
    case 0x432:
        return 'P';
    case 'k':
    case 'g':
    case 'h':
    case 'q':
    case 'x':
    case 0x43A:
    case 0x433:
    case 0x445:
    case 0x491:
    case 0x45C:
    case 0x453:
        return 'K';
    case 's':
    case 'z':
    case 0xDF:
    case 0xE7:
    case 0x10D:
    case 0x107:
    case 0x161:
    case 0x17E:
    case 0x441:
    case 0x437:
    case 0x446:
    case 0x447:
    case 0x448:
    case 0x449:
    case 0x436:
    case 0x45F:
    case 0x455:
    case 0x45B:
    case 0x452:
    case 0x111:
        return 'S';
    case 'c':
        if (rules == XL_SLAVIC)
            return 'S';
        return next == 'e' || next == 'i' || next == 'y' ? 'S' : 'K';
    case 't':
    case 'd':
    case 0x442:
    case 0x434:
        return 'T';
    case 'l':
    case 0x43B:
    case 0x459:
        return 'L';
    case 'r':
    case 0x440:
        return 'R';
    case 'm':
    case 0x43C:
        return 'M';
    case 'n':
    case 0xF1:
    case 0x43D:
    case 0x45A:
        return 'N';
    default:
        return 0;
    }
}

static uint64_t skeleton(const char *w, size_t n, enum xl_rules rules)
{
    char sk[SKEL_MAX + 1];
    size_t k = 0;
    int32_t cpv[64];
    size_t ncp = 0, i = 0;
    while (i < n && ncp < 64) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t r =
            utf8proc_iterate((const utf8proc_uint8_t *)w + i, (utf8proc_ssize_t)(n - i), &cp);
        if (r <= 0)
            break;
        cpv[ncp++] = cp;
        i += (size_t)r;
    }
    for (size_t j = 0; j < ncp && k < SKEL_MAX; j++) {
        int skip = 0;
        char c = sound_class(cpv[j], j + 1 < ncp ? cpv[j + 1] : 0, rules, &skip);
        j += (size_t)skip;
        if (!c) {
            if (j == 0 && is_vowel_cp(cpv[0]))
                sk[k++] = 'A';
            continue;
        }
        if (k > 0 && sk[k - 1] == c)
            continue;
        sk[k++] = c;
    }
    if (k == 0)
        return 0;
    return hash(sk, k, 0x5A);
}

/* ---- one word ---- */

static int digits_value(const char *w, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n && i < 9; i++) {
        if (w[i] < '0' || w[i] > '9')
            break;
        v = v * 10 + (w[i] - '0');
    }
    return v;
}

uint64_t xl_num_key(int v)
{
    char d[16] = {0};
    size_t dl = 0;
    for (; v > 0 && dl < sizeof d; v /= 10)
        d[dl++] = (char)('0' + v % 10);
    return hash(d, dl, 0x23);
}

int xl_scale_word(const char *w, size_t n)
{
    /* Billions first: "миллиард" starts like "милл". */
    static const char *const none[] = {"миллиард", "милиард", "мільярд", "милијард", "milijard",
                                       "milliard", "billion", "mrd",     "млрд",     NULL};
    static const char *const thousand[] = {"тысяч",   "тыс",   "хиляд",  "хил",   "тисяч",
                                           "тис",     "хиљад", "hiljad", "илјад", "thousand",
                                           "tausend", "mille", NULL};
    static const char *const million[] = {"миллион", "милион",  "мільйон", "милијун",
                                          "milion",  "milijun", "million", "mio",
                                          "млн",     "mln",     NULL};
    for (const char *const *p = none; *p; p++)
        if (n >= strlen(*p) && !memcmp(w, *p, strlen(*p)))
            return 0;
    for (const char *const *p = million; *p; p++)
        if (n >= strlen(*p) && !memcmp(w, *p, strlen(*p)))
            return 1000000;
    for (const char *const *p = thousand; *p; p++) {
        size_t l = strlen(*p);
        /* Short abbreviations only as whole words: "тис" is not "тисне". */
        if (n >= l && !memcmp(w, *p, l) && (l >= 5 || n == l))
            return 1000;
    }
    return 0;
}

/* A long word whose lexicon concept is not at its start: a compound
 * ("Cybersicherheitsabkommen") takes the concept of its last listed part. */
static uint32_t compound_row(const struct xl_lex *l, const char *w, size_t n)
{
    uint32_t row = 0;
    struct xl_feat dummy = {0};
    size_t ncp = 0;
    for (size_t i = 1; i < n; i++) {
        if (((unsigned char)w[i] & 0xC0) == 0x80)
            continue;
        ncp++;
        if (ncp < COMPOUND_MIN_CPS || cps(w + i, n - i) < COMPOUND_MIN_CPS)
            continue;
        uint32_t r = lex_scan(l, w + i, n - i, &dummy);
        if (r)
            row = r;
    }
    return row;
}

void xl_word(const struct xl_lex *lex, const char *w, size_t n, enum xl_rules rules, int want_xkey,
             struct xl_feat *f)
{
    memset(f, 0, sizeof *f);
    if (!n)
        return;
    int digits = (unsigned char)w[0] >= '0' && (unsigned char)w[0] <= '9';
    uint32_t row = 0;
    if (digits)
        f->num = digits_value(w, n);
    else
        row = lex_scan(lex, w, n, f);
    f->month = (unsigned char)xl_lexicon_month(row);
    if (!want_xkey)
        return;
    if (f->num > 0) {
        f->xkey = xl_num_key(f->num);
        return;
    }
    if (!row && !digits && rules == XL_GERMANIC_ROMANCE && cps(w, n) >= 2 * COMPOUND_MIN_CPS)
        row = compound_row(lex, w, n);
    if (row) {
        f->xkey = hash(&row, sizeof row, 0x4C);
        return;
    }
    f->xkey = skeleton(w, n, rules);
}

/* ---- boilerplate ---- */

size_t xl_body_len(const char *text, size_t len)
{
    static const char *const markers[] = {
        "сподели",       "споделете", "коментари", "коментар",  "поделиться", "комментари",
        "поділит",       "коментарі", "подели",    "share",     "comments",   "comment",
        "related",       "read also", "read more", "see also",  "читайте",    "прочетете",
        "още по темата", "вижте още", "по теме",   "teilen",    "kommentar",  "partager",
        "commentaires",  "tweet",     "facebook",  "тагове",    "теги",       "tags",
        "още новини",    "последни",  "popular",   "most read", "най-четени", "свързани",
        "похожие",       "схожі",     "повезане",  "povezane",  NULL};
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - text) : len;
        /* Only short lines past the first third: a byline or a menu at the
         * top of a page does not end the article. */
        if (e - i <= 48 && i * 3 >= len) {
            char *f = text_normalize(text + i, e - i);
            if (f) {
                const char *p = f;
                while (*p == ' ' || *p == '"' || *p == '\'')
                    p++;
                for (const char *const *m = markers; *m; m++)
                    if (!strncmp(p, *m, strlen(*m))) {
                        free(f);
                        return i;
                    }
                free(f);
            }
        }
        i = e + 1;
    }
    return len;
}
