/*
 * passage: what a reporting passage changed in its canonical sentence.
 *
 * Only facts that survive translation are compared: numbers (digits and
 * number words, so "three steps" against "four" is caught) and negation (across
 * languages only an added verb negation). Names are not compared yet: rewrites swap "США" for
 * "Вашингтон" too often for a word-level check to be right. Wording differences are not
 * changes: that is what "reuse" reports.
 */
#include "analysis/internal.h"

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

static int has_num(const struct tok *t, size_t n, int num)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].num == num)
            return 1;
    return 0;
}

static size_t count_neg(const struct tok *t, size_t n, int min)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += t[i].neg >= min;
    return k;
}

/* Counts, years and other numbers play different parts: "14 March" in a
 * dateline is not "four measures" miscounted. */
static int num_kind(int v)
{
    return v <= 12 ? 0 : v >= 1000 && v <= 2999 ? 1 : 2;
}

int passage_changes(const struct tok *c, size_t nc, const struct tok *a, size_t na, int cross,
                    int several, char ***out, size_t *n)
{
    /* A number the canonical has and the article replaced by another one. */
    int lost = 0, added = 0;
    for (size_t i = 0; i < nc && !lost; i++)
        if (c[i].num && !has_num(a, na, c[i].num))
            lost = c[i].num;
    for (size_t i = 0; i < na && !added; i++)
        if (a[i].num && !has_num(c, nc, a[i].num))
            added = a[i].num;
    if (lost && added && num_kind(lost) == num_kind(added)) {
        char msg[96];
        snprintf(msg, sizeof msg, "number %d -> %d", lost, added);
        if (push(out, n, msg) < 0)
            return -1;
    }
    /* Within one language any negation counts. Translations move some of it
     * into words ("non-", "без", "не реже" = "at least"), so across languages
     * only a verb negation the canonical sentence lacks entirely counts. */
    size_t cn = count_neg(c, nc, NEG_WEAK), an = count_neg(a, na, cross ? NEG_VERB : NEG_WEAK);
    for (size_t i = 0; i < nc && cross; i++)
        cn += c[i].negpfx; /* "ненанесение" may become "не нанася" */
    int changed = cross ? !several && cn == 0 && an > 0 : (cn == 0) != (an == 0);
    if (changed && push(out, n, cn ? "negation removed" : "negation added") < 0)
        return -1;
    return 0;
}
