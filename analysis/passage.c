/*
 * passage: what a reporting passage changed in its canonical sentence.
 *
 * Only facts that survive translation are compared: numbers (digits and
 * number words, so "three steps" against "four" is caught) and, within one
 * language, negation. Names are not compared yet: rewrites swap "США" for
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

static size_t count_neg(const struct tok *t, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += t[i].neg;
    return k;
}

int passage_changes(const struct tok *c, size_t nc, const struct tok *a, size_t na, int cross,
                    char ***out, size_t *n)
{
    /* A number the canonical has and the article replaced by another one. */
    int lost = 0, added = 0;
    for (size_t i = 0; i < nc && !lost; i++)
        if (c[i].num && !has_num(a, na, c[i].num))
            lost = c[i].num;
    for (size_t i = 0; i < na && !added; i++)
        if (a[i].num && !has_num(c, nc, a[i].num))
            added = a[i].num;
    if (lost && added) {
        char msg[96];
        snprintf(msg, sizeof msg, "number %d -> %d", lost, added);
        if (push(out, n, msg) < 0)
            return -1;
    }
    /* Translations move negation into words ("non-", "без"): compare it
     * only within one language. */
    size_t cn = count_neg(c, nc), an = count_neg(a, na);
    if (!cross && (cn == 0) != (an == 0) &&
        push(out, n, cn ? "negation removed" : "negation added") < 0)
        return -1;
    return 0;
}
