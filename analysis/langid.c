/*
 * langid: libexttextcat as a second opinion for text_lang.
 *
 * text_lang reads distinctive letters (ы э for Russian, ї є ґ for Ukrainian,
 * ў for Belarusian, ђ ћ / ѓ ќ ѕ for Serbian / Macedonian) and function words.
 * Short Bulgarian or Ukrainian text often has none of them, and then the
 * n-gram profiles of Cavnar and Trenkle, as packaged by libexttextcat, tell
 * the languages apart better. Only the languages we report are loaded, so
 * that a Russian text is never called Kazakh. The fingerprint API is used
 * directly rather than textcat_Init so that no configuration file is needed
 * and the candidates can be narrowed per text.
 */
#include "analysis/analysis.h"

#include "analysis/internal.h"
#include "common/buf.h"

#include <fingerprint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PW_TEXTCAT_DIR
#define PW_TEXTCAT_DIR "/usr/share/libexttextcat"
#endif

enum {
    LID_NGRAMS = 400,    /* as textcat_Init */
    LID_MAX_BYTES = 2048 /* a few hundred bytes suffice; bounds the cost */
};

static const struct {
    const char *file, *lang;
    int cyrillic;
} profiles[] = {
    {"ru.lm", "ru", 1}, {"bg.lm", "bg", 1},      {"uk.lm", "uk", 1},      {"mk.lm", "mk", 1},
    {"be.lm", "be", 1}, {"sr-Cyrl.lm", "sr", 1}, {"sr-Latn.lm", "sr", 0}, {"en.lm", "en", 0},
    {"de.lm", "de", 0}, {"fr.lm", "fr", 0},
};
#define NPROFILES (sizeof profiles / sizeof profiles[0])

struct text_langid {
    void *fp[NPROFILES];
};

void text_langid_free(struct text_langid *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < NPROFILES; i++)
        if (l->fp[i])
            fp_Done(l->fp[i]);
    free(l);
}

int text_langid_new(struct text_langid **out, char *err, size_t errsz)
{
    char path[512];
    struct text_langid *l = calloc(1, sizeof *l);
    *out = NULL;
    if (!l)
        return pw_err(err, errsz, "out of memory loading language fingerprints");
    for (size_t i = 0; i < NPROFILES; i++) {
        int n = snprintf(path, sizeof path, "%s/%s", PW_TEXTCAT_DIR, profiles[i].file);
        l->fp[i] = fp_Init(profiles[i].lang);
        if (n < 0 || (size_t)n >= sizeof path || !l->fp[i]) {
            text_langid_free(l);
            return pw_err(err, errsz, "out of memory loading language fingerprints");
        }
        (void)fp_SetProperty(l->fp[i], TCPROP_UTF8AWARE, TC_TRUE);
        if (fp_Read(l->fp[i], path, LID_NGRAMS) == 0) {
            text_langid_free(l);
            return pw_err(err, errsz, "cannot read language fingerprint %s", path);
        }
    }
    *out = l;
    return 0;
}

/* Best fingerprint among those of the text's script; NULL when the text is
 * too short for a profile. */
static const char *classify(const struct text_langid *l, const char *s, int cyrillic)
{
    size_t len = strnlen(s, LID_MAX_BYTES);
    while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
        len--; /* cut on a character boundary */
    void *doc = fp_Init(NULL);
    if (!doc)
        return NULL;
    const char *best = NULL;
    (void)fp_SetProperty(doc, TCPROP_UTF8AWARE, TC_TRUE);
    if (fp_Create(doc, s, (uint4)len, LID_NGRAMS) != 0) {
        int min = INT_MAX; /* fp_Compare gives INT_MAX past the cutoff */
        for (size_t i = 0; i < NPROFILES; i++) {
            if (profiles[i].cyrillic != cyrillic)
                continue;
            int score = fp_Compare(l->fp[i], doc, min);
            if (score < min) {
                min = score;
                best = profiles[i].lang;
            }
        }
    }
    fp_Done(doc);
    return best;
}

static int mostly_cyrillic(const char *s)
{
    size_t cyr = 0, lat = 0;
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < LID_MAX_BYTES && p[i]; i++) {
        if (p[i] == 0xD0 || p[i] == 0xD1 || p[i] == 0xD2)
            cyr++;
        else if ((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z')
            lat++;
    }
    return cyr > lat;
}

static const char *decide(const struct text_langid *l, const char *s, const char *lang, int sure)
{
    if (sure || !l || !s)
        return lang;
    const char *tc = classify(l, s, mostly_cyrillic(s));
    return tc ? tc : lang;
}

const char *text_langid(const struct text_langid *l, const char *s)
{
    int sure;
    const char *lang = text_lang_guess(s, &sure);
    return decide(l, s, lang, sure);
}

const char *an_lang_guess_sh(const struct an_shared *sh, const char *s, int *sure)
{
    return an_lang_guess(sh->fnw.map.cap ? &sh->fnw : NULL, s, sure);
}

const char *an_lang(const struct an_shared *sh, const char *s)
{
    int sure;
    const char *lang = an_lang_guess_sh(sh, s, &sure);
    return decide(sh->lid, s, lang, sure);
}

const char *an_lang_decide(const struct an_shared *sh, const char *s, const char *guess, int sure)
{
    return decide(sh->lid, s, guess, sure);
}

size_t an_lang_options(const struct an_shared *sh, const char *s, const char *guess, int sure,
                       const char *out[AN_LANG_OPTIONS])
{
    size_t n = 0;
    out[n++] = guess; /* classify may find no answer */
    if (sure || !sh->lid || !s)
        return n;
    int cyr = mostly_cyrillic(s);
    for (size_t i = 0; i < NPROFILES && n < AN_LANG_OPTIONS; i++) {
        size_t j = 0;
        while (j < n && strcmp(out[j], profiles[i].lang))
            j++;
        if (profiles[i].cyrillic == cyr && j == n)
            out[n++] = profiles[i].lang;
    }
    return n;
}
