/*
 * Word-level diffs: diff_words (figures and summary) and diff_ops_words
 * (operations for rendering) on empty, identical, fully replaced, edited and
 * very long texts, and the changed sentence of an edit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "common/buf.h"

/* Renders ops like presswatch diff without a terminal. */
static char *render(const char *a, const char *b, const struct diff_ops *ops)
{
    struct buf out = BUF_INIT;
    for (size_t i = 0; i < ops->n; i++) {
        const struct diff_op *op = &ops->v[i];
        const char *t = op->kind == DIFF_DEL ? a : b;
        buf_puts(&out, op->kind == DIFF_DEL ? "[-" : op->kind == DIFF_ADD ? "{+" : "");
        buf_append(&out, t + op->start, op->end - op->start);
        buf_puts(&out, op->kind == DIFF_DEL ? "-]" : op->kind == DIFF_ADD ? "+}" : "");
        if (!(op->kind == DIFF_DEL && i + 1 < ops->n && ops->v[i + 1].kind == DIFF_ADD))
            buf_append(&out, t + op->end, op->gap_end - op->end);
    }
    char *s = buf_detach(&out);
    assert_non_null(s);
    return s;
}

static char *diff(const char *a, const char *b, struct diff_ops *ops)
{
    char err[128];
    assert_int_equal(diff_ops_words(a, b, ops, err, sizeof err), 0);
    return render(a, b, ops);
}

static void test_empty(void **state)
{
    (void)state;
    struct diff_ops ops;
    struct diff_summary s;
    char err[128];
    char *r = diff("", "", &ops);
    assert_int_equal(ops.n, 0);
    assert_string_equal(r, "");
    free(r);
    diff_ops_clear(&ops);
    r = diff(NULL, "Two words", &ops);
    assert_string_equal(r, "{+Two words+}");
    assert_int_equal(ops.words_added, 2);
    assert_int_equal(ops.words_removed, 0);
    free(r);
    diff_ops_clear(&ops);
    r = diff("Gone now", "", &ops);
    assert_string_equal(r, "[-Gone now-]");
    assert_int_equal(ops.words_removed, 2);
    free(r);
    diff_ops_clear(&ops);
    assert_int_equal(diff_words("", "", &s, err, sizeof err), 0);
    assert_int_equal(s.words_added + s.words_removed, 0);
    diff_summary_clear(&s);
}

static void test_identical(void **state)
{
    (void)state;
    struct diff_ops ops;
    const char *t = "Headline\n\nThe ferry leaves at nine. It returns at six.";
    char *r = diff(t, t, &ops);
    assert_string_equal(r, t);
    assert_int_equal(ops.n, 1);
    assert_int_equal(ops.v[0].kind, DIFF_SAME);
    assert_int_equal(ops.words_added + ops.words_removed, 0);
    assert_null(diff_first_sentence(t, t, &ops, 100));
    free(r);
    diff_ops_clear(&ops);
    /* case, quotes and white space are no change either */
    r = diff("The \"Harbour\"  Authority said.", "the “harbour” authority\nsaid.", &ops);
    assert_int_equal(ops.words_added + ops.words_removed, 0);
    free(r);
    diff_ops_clear(&ops);
}

static void test_edit(void **state)
{
    (void)state;
    struct diff_ops ops;
    const char *a = "Title\n\nIt will cost twelve million euros. Work starts in March.";
    const char *b = "Title\n\nIt will cost fourteen million euros. Work starts in March. "
                    "The mayor welcomed it.";
    char *r = diff(a, b, &ops);
    assert_string_equal(r, "Title\n\nIt will cost [-twelve-]{+fourteen+} million euros. Work "
                           "starts in March. {+The mayor welcomed it.+}");
    assert_int_equal(ops.words_added, 5);
    assert_int_equal(ops.words_removed, 1);
    assert_true(ops.exact);
    char *s = diff_first_sentence(a, b, &ops, 100);
    assert_string_equal(s, "It will cost fourteen million euros.");
    free(s);
    free(r);
    diff_ops_clear(&ops);
    /* a pure removal shows the sentence it was taken from */
    r = diff("One. Two three four. Five.", "One. Two four. Five.", &ops);
    assert_string_equal(r, "One. Two [-three-] four. Five.");
    s = diff_first_sentence("One. Two three four. Five.", "One. Two four. Five.", &ops, 100);
    assert_string_equal(s, "Two three four.");
    free(s);
    free(r);
    diff_ops_clear(&ops);
    /* Cyrillic words, normalised like the rest */
    r = diff("Министр сказал «нет».", "Министр сказал «да».", &ops);
    assert_string_equal(r, "Министр сказал [-«нет».-]{+«да».+}");
    free(r);
    diff_ops_clear(&ops);
}

static void test_replaced(void **state)
{
    (void)state;
    struct diff_ops ops;
    char *r = diff("alpha beta gamma", "one two three four", &ops);
    assert_string_equal(r, "[-alpha beta gamma-]{+one two three four+}");
    assert_int_equal(ops.words_removed, 3);
    assert_int_equal(ops.words_added, 4);
    free(r);
    diff_ops_clear(&ops);
}

/* n words "wI" with every step-th replaced by "xI" when edit. */
static char *words(size_t n, size_t step, int edit)
{
    struct buf b = BUF_INIT;
    for (size_t i = 0; i < n; i++)
        buf_printf(&b, "%s%c%zu", i ? (i % 50 ? " " : "\n\n") : "",
                   edit && i % step == 0 ? 'x' : 'w', i);
    char *s = buf_detach(&b);
    assert_non_null(s);
    return s;
}

static void test_long(void **state)
{
    (void)state;
    struct diff_ops ops;
    struct diff_summary sm;
    char err[128];
    /* 150,000 words, 40 scattered edits: exact */
    char *a = words(150000, 3750, 0), *b = words(150000, 3750, 1);
    assert_int_equal(diff_ops_words(a, b, &ops, err, sizeof err), 0);
    assert_true(ops.exact);
    assert_int_equal(ops.words_added, 40);
    assert_int_equal(ops.words_removed, 40);
    char *r = render(a, b, &ops);
    int hunks = 0;
    for (const char *p = r; (p = strstr(p, "[-w")); p++)
        hunks++;
    assert_int_equal(hunks, 40);
    assert_non_null(strstr(r, "[-w0-]{+x0+} w1 "));
    assert_non_null(strstr(r, "\n[-w146250-]{+x146250+} w146251"));
    free(r);
    diff_ops_clear(&ops);
    assert_int_equal(diff_words(a, b, &sm, err, sizeof err), 0);
    assert_int_equal(sm.words_added, 40);
    diff_summary_clear(&sm);
    free(a);
    free(b);
    /* 100,000 words, all different: too different to align, still figures */
    a = words(100000, 1, 0);
    b = words(100000, 1, 1);
    assert_int_equal(diff_ops_words(a, b, &ops, err, sizeof err), 0);
    assert_false(ops.exact);
    assert_int_equal(ops.words_added, 100000);
    assert_int_equal(ops.words_removed, 100000);
    assert_int_equal(ops.n, 2);
    diff_ops_clear(&ops);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty), cmocka_unit_test(test_identical),
        cmocka_unit_test(test_edit),  cmocka_unit_test(test_replaced),
        cmocka_unit_test(test_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
