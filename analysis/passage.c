/*
 * passage: what a reporting passage changed in its canonical sentence.
 *
 * Only facts that survive translation are compared: numbers (digits and
 * number words, so "three steps" against "four" is caught), month names (a
 * date moved), names within one language (one swapped for another in the
 * same words) and negation (a word governed by a negation on one side only;
 * across languages only an added verb negation). Names are not compared
 * across languages: translations swap "США" for "Вашингтон" too often for a
 * word-level check to be right. Wording differences are not changes: that
 * is what "reuse" reports.
 */
#include "analysis/internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int push(char ***out, size_t *n, const char *s)
{
    char **v = realloc(*out, (*n + 1) * sizeof *v);
    if (!v)
        return -1;
    *out = v;
    v[*n] = strdup(s);
    if (!v[*n])
        return -1;
    (*n)++;
    return 0;
}

/* Facts a misquote may change: a number, a month. */
enum fact { FACT_NUM, FACT_MONTH };

static int fact_of(const struct tok *t, enum fact f)
{
    return f == FACT_NUM ? t->num : t->month;
}

static int has_fact(const struct tok *t, size_t n, enum fact f, int v)
{
    for (size_t i = 0; i < n; i++)
        if (fact_of(&t[i], f) == v)
            return 1;
    return 0;
}

/* *lost: the first fact of c that a lacks; *added: the first of a that c
 * lacks (0: none). */
static void fact_swap(const struct tok *c, size_t nc, const struct tok *a, size_t na, enum fact f,
                      int *lost, int *added)
{
    *lost = *added = 0;
    for (size_t i = 0; i < nc && !*lost; i++)
        if (fact_of(&c[i], f) && !has_fact(a, na, f, fact_of(&c[i], f)))
            *lost = fact_of(&c[i], f);
    for (size_t i = 0; i < na && !*added; i++)
        if (fact_of(&a[i], f) && !has_fact(c, nc, f, fact_of(&a[i], f)))
            *added = fact_of(&a[i], f);
}

static size_t count_neg(const struct tok *t, size_t n, int min)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += t[i].neg >= min;
    return k;
}

enum { NEG_SCOPE = 3 }; /* tokens after a negation that it may govern */

/* 1 when the content word at i is the first one after a negation, a few
 * function words away at most ("will not raise": raise; "not be changed":
 * changed). Later words of the clause are not taken as negated. */
static int negated_at(const struct tok *t, size_t i)
{
    for (size_t j = i, k = 0; j-- > 0 && k < NEG_SCOPE; k++) {
        if (t[j].sent != t[i].sent)
            break;
        if (t[j].neg >= NEG_WEAK)
            return 1;
        if (t[j].content)
            break;
    }
    return 0;
}

/* How key is used in t[0..n): bit 1 plain, bit 2 negated, 0 absent. */
static int key_use(const struct tok *t, size_t n, uint64_t key)
{
    int use = 0;
    for (size_t i = 0; i < n; i++)
        if (t[i].content && t[i].key == key)
            use |= negated_at(t, i) ? 2 : 1;
    return use;
}

/* Same language: a negation changed when a word it governs on one side
 * appears on the other side without one. A negated word the other side
 * does not use at all was reworded ("will not change" as "will stay the
 * same"), which is not a misquote. 1 removed, 2 added, 0 neither. */
static int negation_change(const struct tok *c, size_t nc, const struct tok *a, size_t na)
{
    for (size_t i = 0; i < nc; i++)
        if (c[i].content && negated_at(c, i) && key_use(a, na, c[i].key) == 1)
            return 1;
    for (size_t i = 0; i < na; i++)
        if (a[i].content && negated_at(a, i) && key_use(c, nc, a[i].key) == 1)
            return 2;
    return 0;
}

/* A month the canonical names and the passage replaced by another one: a
 * date moved ("1 July" reported as "1 August"). */
static int month_change(const struct tok *c, size_t nc, const struct tok *a, size_t na, char ***out,
                        size_t *n)
{
    static const char *const names[] = {"January",   "February", "March",    "April",
                                        "May",       "June",     "July",     "August",
                                        "September", "October",  "November", "December"};
    int lost, added;
    fact_swap(c, nc, a, na, FACT_MONTH, &lost, &added);
    if (!lost || !added)
        return 0;
    char msg[64];
    snprintf(msg, sizeof msg, "month %s -> %s", names[lost - 1], names[added - 1]);
    return push(out, n, msg);
}

/* Counts, years and other numbers play different parts: "14 March" in a
 * dateline is not "four measures" miscounted. */
static int num_kind(int v)
{
    return v <= 12 ? 0 : v >= 1000 && v <= 2999 ? 1 : 2;
}

static int has_word(const struct tok *t, size_t n, uint64_t word)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].word == word)
            return 1;
    return 0;
}

/* A name swapped for another in the same words: "Irena Molnar wrote" as
 * "Irena Novak wrote". Only a capitalised word, not the first of its
 * sentence, replaced where both neighbours are the canonical's: an article
 * that names other people elsewhere, or says "she", changes nothing. */
static int name_change(const char *ctext, const struct tok *c, size_t nc, const char *atext,
                       const struct tok *a, size_t na, char ***out, size_t *n)
{
    for (size_t i = 1; i < nc; i++) {
        if (!c[i].upper || !c[i].content || c[i].num || c[i].month || c[i - 1].sent != c[i].sent ||
            has_word(a, na, c[i].word))
            continue;
        for (size_t j = 1; j < na; j++) {
            int right_c = i + 1 < nc && c[i + 1].sent == c[i].sent;
            if (!a[j].upper || !a[j].content || a[j].num || a[j].month ||
                a[j - 1].word != c[i - 1].word || has_word(c, nc, a[j].word))
                continue;
            if (right_c && (j + 1 >= na || a[j + 1].word != c[i + 1].word))
                continue;
            char msg[160];
            int cl = (int)(c[i].end - c[i].start), al = (int)(a[j].end - a[j].start);
            snprintf(msg, sizeof msg, "name %.*s -> %.*s", cl > 60 ? 60 : cl, ctext + c[i].start,
                     al > 60 ? 60 : al, atext + a[j].start);
            return push(out, n, msg);
        }
    }
    return 0;
}

int passage_changes(const char *ctext, const struct tok *c, size_t nc, const char *atext,
                    const struct tok *a, size_t na, int cross, int several, char ***out, size_t *n)
{
    /* A number the canonical has and the article replaced by another one. */
    int lost, added;
    fact_swap(c, nc, a, na, FACT_NUM, &lost, &added);
    if (lost && added && num_kind(lost) == num_kind(added)) {
        char msg[96];
        snprintf(msg, sizeof msg, "number %d -> %d", lost, added);
        if (push(out, n, msg) < 0)
            return -1;
    }
    if (month_change(c, nc, a, na, out, n) < 0)
        return -1;
    if (!cross) {
        if (name_change(ctext, c, nc, atext, a, na, out, n) < 0)
            return -1;
        int neg = negation_change(c, nc, a, na);
        if (neg && push(out, n, neg == 1 ? "negation removed" : "negation added") < 0)
            return -1;
        return 0;
    }
    /* Translations move some negation into words ("non-", "без", "не реже" =
     * "at least"), so across languages only a verb negation the canonical
     * sentence lacks entirely counts. */
    size_t cn = count_neg(c, nc, NEG_WEAK), an = count_neg(a, na, NEG_VERB);
    for (size_t i = 0; i < nc; i++)
        cn += c[i].negpfx; /* "ненанесение" may become "не нанася" */
    if (!several && cn == 0 && an > 0 && push(out, n, "negation added") < 0)
        return -1;
    return 0;
}
