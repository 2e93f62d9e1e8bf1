/*
 * text: normalisation (text_normalize) and a cheap language guess (text_lang).
 *
 * The language guess is deliberately simple: script first, then letters that
 * only some Cyrillic orthographies use, then stopword counts. It only has to
 * pick a stemmer and label results; a real identifier replaces it later.
 */
#include "analysis/analysis.h"

#include "analysis/internal.h"

#include "common/buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Decodes one valid UTF-8 sequence at s (n bytes left). Returns its length and
 * sets *cp, or 0 for an invalid or truncated sequence. */
static size_t utf8_decode(const unsigned char *s, size_t n, int32_t *cp)
{
    utf8proc_ssize_t r = utf8proc_iterate(s, n > 4 ? 4 : (utf8proc_ssize_t)n, cp);
    return r > 0 ? (size_t)r : 0;
}

/* utf8_decode with ASCII and two-byte sequences (Latin, Cyrillic) inline. */
static inline size_t utf8_decode_fast(const unsigned char *s, size_t n, int32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xC2 && s[0] <= 0xDF && n >= 2 && (s[1] & 0xC0) == 0x80) {
        *cp = (int32_t)((s[0] & 0x1Fu) << 6 | (s[1] & 0x3Fu));
        return 2;
    }
    return utf8_decode(s, n, cp);
}

static int put_cp(struct buf *b, int32_t cp)
{
    utf8proc_uint8_t tmp[4];
    utf8proc_ssize_t n = utf8proc_encode_char(cp, tmp);
    return buf_append(b, tmp, (size_t)n);
}

/* Keeps valid UTF-8 only, without NUL and control characters other than
 * tab and line breaks, so that utf8proc_map never rejects the input. */
static int clean_utf8(const char *s, size_t len, struct buf *out)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        int32_t cp;
        size_t n = utf8_decode(p + i, len - i, &cp);
        if (n == 0) {
            i++;
            continue;
        }
        int keep = !(cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') && cp != 0x7F &&
                   !(cp >= 0x80 && cp <= 0x9F && cp != 0x85);
        if (keep && buf_append(out, p + i, n) < 0)
            return -1;
        i += n;
    }
    return 0;
}

static int is_word_cp(int32_t cp)
{
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
        return 1;
    default:
        return 0;
    }
}

/* Maps typographic variants to one form: 1 = double quote, 2 = apostrophe,
 * 3 = dash, 4 = space, 5 = line break, 0 = keep. */
static int cp_class(int32_t cp)
{
    switch (cp) {
    case 0x00AB:
    case 0x00BB:
    case 0x201C:
    case 0x201D:
    case 0x201E:
    case 0x201F:
    case 0x2033:
    case 0x301D:
    case 0x301E:
    case 0x301F:
    case 0xFF02:
        return 1;
    case 0x2018:
    case 0x2019:
    case 0x201A:
    case 0x201B:
    case 0x2032:
    case 0x2039:
    case 0x203A:
    case 0x0060:
    case 0x00B4:
        return 2;
    case 0x2010:
    case 0x2011:
    case 0x2012:
    case 0x2013:
    case 0x2014:
    case 0x2015:
    case 0x2212:
    case 0xFE58:
    case 0xFE63:
    case 0xFF0D:
        return 3;
    case '\t':
    case '\v':
    case '\f':
        return 4;
    case '\r':
    case 0x0085:
    case 0x2028:
    case 0x2029:
        return 5;
    default:
        break;
    }
    if (utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS)
        return 4;
    return 0;
}

static int is_cyrillic(int32_t cp)
{
    return cp >= 0x0400 && cp <= 0x052F;
}

char *text_normalize(const char *s, size_t len)
{
    struct buf clean = BUF_INIT, out = BUF_INIT;
    utf8proc_uint8_t *mapped = NULL;
    if (!s)
        len = 0;
    if (clean_utf8(s ? s : "", len, &clean) < 0)
        goto fail;
    if (clean.len == 0) {
        buf_free(&clean);
        return strdup("");
    }
    utf8proc_ssize_t mlen =
        utf8proc_map((const utf8proc_uint8_t *)clean.data, (utf8proc_ssize_t)clean.len, &mapped,
                     UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
                         UTF8PROC_IGNORE | UTF8PROC_NLF2LF);
    buf_free(&clean);
    if (mlen < 0) {
        /* The input was cleaned, so only memory can be the cause. */
        goto fail;
    }

    /* One pass over code points: unify, drop emphasis, collapse spaces and
     * keep at most one blank line so paragraphs survive. */
    const unsigned char *p = mapped;
    size_t n = (size_t)mlen, i = 0;
    int32_t prev = 0; /* last code point written, 0 at start */
    int spaces = 0, newlines = 0;
    while (i < n) {
        int32_t cp;
        size_t k = utf8_decode(p + i, n - i, &cp);
        if (k == 0) {
            i++;
            continue;
        }
        i += k;
        int cls = cp_class(cp);
        if (cp == ' ' || cls == 4) {
            spaces = 1;
            continue;
        }
        if (cp == '\n' || cls == 5) {
            newlines++;
            continue;
        }
        if (cp == '*')
            continue;
        if (cp == '_') {
            int32_t next = 0;
            if (i < n)
                utf8_decode(p + i, n - i, &next);
            /* snake_case keeps its underscore; _emphasis_ loses it. */
            int32_t before = spaces || newlines ? ' ' : prev;
            if (!(is_word_cp(before) && is_word_cp(next)))
                continue;
        }
        if ((cp == 0x0300 || cp == 0x0301) && is_cyrillic(prev))
            continue; /* stress marks in Russian/Ukrainian texts */
        if (cp == 0x0451)
            cp = 0x0435; /* ё -> е: printed Russian mostly omits the dots */
        if (cls == 1)
            cp = '"';
        else if (cls == 2)
            cp = '\'';
        else if (cls == 3)
            cp = '-';
        if (prev != 0) {
            const char *sep = newlines >= 2 ? "\n\n" : newlines == 1 ? "\n" : spaces ? " " : "";
            if (buf_puts(&out, sep) < 0)
                goto fail;
        }
        spaces = newlines = 0;
        if (put_cp(&out, cp) < 0)
            goto fail;
        prev = cp;
    }
    free(mapped);
    return buf_detach(&out);
fail:
    free(mapped);
    buf_free(&clean);
    buf_free(&out);
    return NULL;
}

/* ---- language guess ---- */

static const char *const en_words[] = {
    "the",  "and", "of",    "to",    "is",   "in",   "that",  "it",   "for",  "was",  "on",
    "with", "as",  "are",   "be",    "this", "by",   "not",   "have", "has",  "from", "at",
    "an",   "or",  "which", "there", "were", "will", "would", "its",  "they", "no",   NULL};
static const char *const de_words[] = {
    "der",  "die", "und",  "das",  "ist",   "nicht", "mit",    "von",  "den", "zu",   "ein",
    "eine", "auf", "für",  "sich", "dem",   "des",   "im",     "auch", "es",  "wird", "wurde",
    "sind", "bei", "nach", "aus",  "einen", "über",  "werden", "hat",  NULL};
static const char *const fr_words[] = {"le",  "la",  "les",  "et",   "des",  "est",   "une",  "un",
                                       "du",  "que", "dans", "pour", "pas",  "qui",   "sur",  "au",
                                       "ce",  "il",  "elle", "sont", "avec", "par",   "plus", "été",
                                       "aux", "ne",  "se",   "mais", "leur", "cette", NULL};
static const char *const ru_words[] = {
    "что",     "это",     "как",    "он",    "она",   "они",  "его", "для", "был", "была",
    "были",    "так",     "только", "уже",   "или",   "если", "из",  "к",   "у",   "же",
    "который", "которые", "также",  "чтобы", "может", "о",    "в",   "с",   NULL};
static const char *const bg_words[] = {"е",    "са",   "се",   "че",    "да",    "на",    "за",
                                       "от",   "като", "това", "тази",  "този",  "към",   "със",
                                       "във",  "ще",   "бъде", "който", "която", "които", "но",
                                       "след", "още",  "си",   NULL};
static const char *const uk_words[] = {"що",   "та",    "це",  "як",   "від",  "до",   "які",
                                       "який", "також", "він", "вона", "вони", "його", "для",
                                       "із",   "зі",    "і",   "й",    "у",    "в",    NULL};

/* Order matters: text_lang_guess reads counts[] by index. */
static const char *const *const fn_lists[] = {en_words, de_words, fr_words,
                                              ru_words, bg_words, uk_words};
enum { FN_LISTS = sizeof fn_lists / sizeof fn_lists[0] };

static int word_in(const char *w, const char *const *list)
{
    /* Most words differ in their first two bytes: skip the call. */
    for (; *list; list++)
        if ((*list)[0] == w[0] && (*list)[1] == w[1] && !strcmp(w, *list))
            return 1;
    return 0;
}

/* The function-word map's value: the lists holding the word (bits 0-5),
 * then where one copy of it is, so that a hit is confirmed by one strcmp. */
#define FN_MASK 0x3Fu
#define FN_LIST(v) (((v) >> 8) & 0xFu)
#define FN_INDEX(v) ((v) >> 12)

int an_fnwords_init(struct an_fnwords *f)
{
    struct kmap *m = &f->map;
    size_t n = 0;
    f->max_bytes = 0;
    for (size_t l = 0; l < FN_LISTS; l++)
        for (const char *const *w = fn_lists[l]; *w; w++) {
            size_t len = strlen(*w);
            f->max_bytes = len > f->max_bytes ? len : f->max_bytes;
            n++;
        }
    if (kmap_init(m, n) < 0)
        return -1;
    for (uint32_t l = 0; l < FN_LISTS; l++)
        for (uint32_t j = 0; fn_lists[l][j]; j++) {
            const char *w = fn_lists[l][j];
            uint64_t h = an_fnv(w, strlen(w));
            uint32_t v = kmap_get(m, h);
            if (v == NONE) {
                if (kmap_add(m, NULL, h, 0) < 0)
                    return -1;
                v = l << 8 | j << 12;
            } else if (strcmp(fn_lists[FN_LIST(v)][FN_INDEX(v)], w)) {
                return -1; /* two list words share a hash: use the lists */
            }
            kmap_set_head(m, h, v | 1u << l);
        }
    return 0;
}

/* Which lists hold w (wlen bytes): a bit per list of fn_lists. */
static unsigned fn_lookup(const struct an_fnwords *fnw, const char *w, size_t wlen)
{
    unsigned mask = 0;
    if (!fnw) {
        for (size_t l = 0; l < FN_LISTS; l++)
            mask |= (unsigned)word_in(w, fn_lists[l]) << l;
        return mask;
    }
    if (wlen > fnw->max_bytes)
        return 0;
    uint32_t v = kmap_get(&fnw->map, an_fnv(w, wlen));
    if (v == NONE || strcmp(fn_lists[FN_LIST(v)][FN_INDEX(v)], w))
        return 0;
    return v & FN_MASK;
}

/* Letters whose frequencies separate the Cyrillic orthographies. */
enum {
    L_YERY,    /* ы */
    L_E_REV,   /* э */
    L_HARD,    /* ъ */
    L_I_UK,    /* і */
    L_YI,      /* ї */
    L_YE,      /* є */
    L_GHE,     /* ґ */
    L_SHORT_U, /* ў */
    L_SR,      /* ђ ћ */
    L_MK,      /* ѓ ќ ѕ */
    L_SRMK,    /* ј љ њ џ */
    L_I_RU,    /* и */
    L_NLET
};

static int cyr_letter_class(int32_t cp)
{
    switch (cp) {
    case 0x044B:
        return L_YERY;
    case 0x044D:
        return L_E_REV;
    case 0x044A:
        return L_HARD;
    case 0x0456:
        return L_I_UK;
    case 0x0457:
        return L_YI;
    case 0x0454:
        return L_YE;
    case 0x0491:
        return L_GHE;
    case 0x045E:
        return L_SHORT_U;
    case 0x0452:
    case 0x045B:
        return L_SR;
    case 0x0453:
    case 0x045C:
    case 0x0455:
        return L_MK;
    case 0x0458:
    case 0x0459:
    case 0x045A:
    case 0x045F:
        return L_SRMK;
    case 0x0438:
        return L_I_RU;
    default:
        return -1;
    }
}

const char *text_lang(const char *s)
{
    int sure;
    return text_lang_guess(s, &sure);
}

/* Letters of ASCII and basic Cyrillic (most text) without utf8proc: 1 and
 * the lower case in *lower for a letter, 0 for anything else, -1 when the
 * tables must decide. */
static int letter_fast(int32_t cp, int32_t *lower)
{
    if (cp < 0x80) {
        int up = cp >= 'A' && cp <= 'Z';
        *lower = up ? cp + 32 : cp;
        return up || (cp >= 'a' && cp <= 'z');
    }
    if (cp >= 0x400 && cp <= 0x45F) {
        *lower = cp < 0x410 ? cp + 0x50 : cp < 0x430 ? cp + 0x20 : cp;
        return 1;
    }
    return -1;
}

const char *text_lang_guess(const char *s, int *sure)
{
    return an_lang_guess(NULL, s, sure);
}

const char *an_lang_guess(const struct an_fnwords *fnw, const char *s, int *sure)
{
    /* A prefix is enough to tell the language and keeps the cost bounded. */
    enum { SCAN_MAX = 256 * 1024, WORD_MAX = 32 };
    size_t counts[FN_LISTS] = {0};
    size_t letters[L_NLET] = {0};
    size_t ncyr = 0, nlat = 0, de_marks = 0, fr_marks = 0, sr_marks = 0;
    char word[WORD_MAX * 4 + 1];
    size_t wlen = 0, wcps = 0;

    *sure = 0;
    if (!s)
        return "und";
    size_t len = strnlen(s, SCAN_MAX);
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i <= len;) {
        int32_t cp = 0;
        size_t k = 1;
        if (i < len) {
            k = utf8_decode_fast(p + i, len - i, &cp);
            if (k == 0) {
                cp = ' ';
                k = 1;
            }
        }
        i += k;
        int32_t lower = cp;
        int letter = i <= len && cp != 0 ? letter_fast(cp, &lower) : 0;
        if (letter < 0) {
            letter = is_word_cp(cp) && utf8proc_category(cp) < UTF8PROC_CATEGORY_ND;
            lower = letter ? utf8proc_tolower(cp) : cp;
        }
        if (letter && lower < 0x80) {
            /* ASCII: a Latin letter with no mark; the common case. */
            nlat++;
            if (wcps < WORD_MAX)
                word[wlen++] = (char)lower;
            wcps++;
            continue;
        }
        if (letter) {
            cp = lower;
            if (cp == 0x0451)
                cp = 0x0435;
            if (is_cyrillic(cp)) {
                ncyr++;
                int c = cyr_letter_class(cp);
                if (c >= 0)
                    letters[c]++;
            } else if (cp < 0x250) {
                nlat++;
                if (cp == 0xE4 || cp == 0xF6 || cp == 0xFC || cp == 0xDF)
                    de_marks++;
                else if (cp == 0xE9 || cp == 0xE8 || cp == 0xEA || cp == 0xE7 || cp == 0xE0 ||
                         cp == 0x153)
                    fr_marks++;
                else if (cp == 0x10D || cp == 0x107 || cp == 0x161 || cp == 0x17E || cp == 0x111)
                    sr_marks++; /* č ć š ž đ: Serbian (and Croatian, Bosnian) in Latin */
            }
            if (wcps < WORD_MAX && cp < 0x80) {
                word[wlen++] = (char)cp;
            } else if (wcps < WORD_MAX && cp < 0x800) {
                word[wlen++] = (char)(0xC0 | cp >> 6);
                word[wlen++] = (char)(0x80 | (cp & 0x3F));
            } else if (wcps < WORD_MAX) {
                utf8proc_ssize_t e = utf8proc_encode_char(cp, (utf8proc_uint8_t *)word + wlen);
                wlen += (size_t)e;
            }
            wcps++;
            continue;
        }
        if (wcps > 0 && wcps <= WORD_MAX) {
            word[wlen] = '\0';
            unsigned in = fn_lookup(fnw, word, wlen);
            for (size_t l = 0; in; l++, in >>= 1)
                counts[l] += in & 1;
        }
        wlen = wcps = 0;
        if (i > len)
            break;
    }

    if (ncyr + nlat < 3)
        return "und";
    /* Distinctive letters decide; function words alone are a weak guess. */
    *sure = 1;
    if (ncyr > nlat) {
        double n = (double)ncyr;
#define RATE(c) ((double)letters[c] / n)
        if (RATE(L_SR) + RATE(L_MK) + RATE(L_SRMK) > 0.01) {
            /* ј љ њ џ alone are both Serbian and Macedonian. */
            *sure = letters[L_MK] != letters[L_SR];
            return letters[L_MK] > letters[L_SR] ? "mk" : "sr";
        }
        if (RATE(L_SHORT_U) > 0.003 && RATE(L_I_RU) < 0.01)
            return "be";
        double ruish = RATE(L_YERY) + RATE(L_E_REV);
        if (RATE(L_YI) + RATE(L_YE) + RATE(L_GHE) > 0.003 || (RATE(L_I_UK) > 0.01 && ruish < 0.003))
            return "uk";
        if (RATE(L_I_UK) > 0.01 && RATE(L_I_RU) < 0.01)
            return "be";
        if (ruish > 0.005)
            return "ru";
        if (RATE(L_HARD) > 0.005)
            return "bg";
#undef RATE
        /* Short or odd text: let function words decide. */
        *sure = 0;
        size_t ru = counts[3], bg = counts[4], uk = counts[5];
        if (bg > ru && bg > uk)
            return "bg";
        if (uk > ru && uk > bg)
            return "uk";
        if (ru > 0 && ru > bg)
            return "ru";
        return "und";
    }
    if (sr_marks >= 2 && sr_marks > de_marks + fr_marks)
        return "sr";
    size_t en = counts[0], de = counts[1] + de_marks, fr = counts[2] + fr_marks;
    size_t best = en > de ? (en > fr ? en : fr) : (de > fr ? de : fr);
    size_t second = en + de + fr - best - (en < de ? (en < fr ? en : fr) : (de < fr ? de : fr));
    if (best < 2 || best * 2 < second * 3) {
        *sure = 0;
        return "und";
    }
    *sure = best >= 3;
    return best == en ? "en" : best == de ? "de" : "fr";
}
