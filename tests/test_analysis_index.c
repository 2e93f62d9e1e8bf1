/*
 * Unit tests of analysis/'s match index: the index finds exactly the
 * canonicals that match_article finds covered, with the same scores, across
 * languages (our fixtures plus the evaluation set's canonicals).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analysis/analysis.h"
#include "common/buf.h"

static char *load(const char *rel)
{
    struct buf b = BUF_INIT;
    char err[256], path[512];
    int n = snprintf(path, sizeof path, "%s/tests/%s", PW_SOURCE_DIR, rel);
    assert_true(n > 0 && (size_t)n < sizeof path);
    if (buf_read_file(&b, path, 1 << 20, err, sizeof err) < 0)
        fail_msg("%s", err);
    return buf_detach(&b);
}

static const char *const canon_files[] = {
    "fixtures/analysis/ru-canonical.txt", "fixtures/analysis/en-canonical.txt",
    "eval/canonical/dalmar-statement.txt", "eval/canonical/harrowgate-flood.txt"};
static const char *const article_files[] = {
    "fixtures/analysis/ru-quote.txt",     "fixtures/analysis/ru-rewrite.txt",
    "fixtures/analysis/ru-unrelated.txt", "fixtures/analysis/en-coverage.txt",
    "eval/cases/a-bg-pos-1.txt",          "eval/cases/a-uk-pos-1.txt",
    "eval/cases/a-ru-pos-1.txt",          "eval/cases/a-ru-neg-3.txt",
    "eval/cases/b-en-pos-1.txt",          "eval/cases/b-fr-pos-1.txt",
    "eval/cases/b-en-neg-2.txt",          "eval/cases/b-ru-pos-1.txt"};

struct seen {
    double score[8];
    int covered[8];
};

static int record(void *arg, size_t id, const struct match_result *r)
{
    struct seen *s = arg;
    assert_true(id < 8);
    assert_true(r->covers);
    s->covered[id] = 1;
    s->score[id] = r->score;
    return 0;
}

static int stop(void *arg, size_t id, const struct match_result *r)
{
    (void)arg;
    (void)id;
    (void)r;
    return -1;
}

static void test_analysis_index_agrees(void **state)
{
    (void)state;
    char err[256];
    struct match_index *idx = NULL;
    size_t nc = sizeof canon_files / sizeof canon_files[0];
    assert_int_equal(match_index_new(&idx, err, sizeof err), 0);
    for (size_t i = 0; i < nc; i++) {
        char *text = load(canon_files[i]);
        size_t id = 99;
        assert_int_equal(match_index_add(idx, canon_files[i], text, &id, err, sizeof err), 0);
        assert_int_equal(id, i);
        free(text);
    }
    assert_int_equal(match_index_count(idx), nc);
    assert_string_equal(match_index_name(idx, 1), canon_files[1]);
    assert_null(match_index_name(idx, nc));
    size_t covered = 0;
    for (size_t a = 0; a < sizeof article_files / sizeof article_files[0]; a++) {
        char *text = load(article_files[a]);
        struct seen s = {0};
        assert_int_equal(match_index_article(idx, text, 0.30, record, &s, err, sizeof err), 0);
        for (size_t i = 0; i < nc; i++) {
            struct match_result r;
            assert_int_equal(
                match_article(match_index_canon(idx, i), text, 0.30, &r, err, sizeof err), 0);
            if (r.covers != s.covered[i])
                fail_msg("%s vs %s: index %d, one by one %d (score %.3f)", article_files[a],
                         canon_files[i], s.covered[i], r.covers, r.score);
            if (r.covers)
                assert_true(r.score == s.score[i]);
            covered += (size_t)r.covers;
            match_result_clear(&r);
        }
        free(text);
    }
    assert_true(covered >= 8); /* the positives above are found */
    /* A callback can stop the run; the error says so. */
    char *text = load("fixtures/analysis/ru-quote.txt");
    assert_int_equal(match_index_article(idx, text, 0.30, stop, NULL, err, sizeof err), -1);
    free(text);
    match_index_free(idx);
    match_index_free(NULL);
}

static void test_analysis_index_empty(void **state)
{
    (void)state;
    char err[256];
    struct match_index *idx = NULL;
    struct seen s = {0};
    assert_int_equal(match_index_new(&idx, err, sizeof err), 0);
    assert_int_equal(
        match_index_article(idx, "nothing indexed yet", 0.3, record, &s, err, sizeof err), 0);
    assert_int_equal(match_index_add(idx, "empty", "", NULL, err, sizeof err), 0);
    assert_int_equal(match_index_add(idx, "x", "Один. Два три четыре.", NULL, err, sizeof err), 0);
    assert_int_equal(match_index_article(idx, NULL, 0.3, record, &s, err, sizeof err), 0);
    assert_int_equal(
        match_index_article(idx, "\xff\xfe garbage \x01", 0.0, record, &s, err, sizeof err), 0);
    match_index_free(idx);
}

/* ---- the index's shortcuts give match_article's results ---- */

struct full {
    struct buf out; /* every reported result, as text */
};

static void put_result(struct buf *b, size_t id, const struct match_result *r)
{
    assert_int_equal(buf_printf(b, "%zu %.17g %d %s [", id, r->score, r->covers, r->lang), 0);
    for (size_t i = 0; i < r->nparagraphs; i++)
        assert_int_equal(buf_printf(b, "%d,", r->paragraphs[i]), 0);
    assert_int_equal(buf_puts(b, "]\n"), 0);
    for (size_t i = 0; i < r->npassages; i++) {
        const struct match_passage *p = &r->passages[i];
        assert_int_equal(buf_printf(b, " %d %d %s %d {%s} {%s}", p->paragraph, p->altered, p->reuse,
                                    p->attributed, p->canonical, p->article),
                         0);
        for (size_t j = 0; j < p->nchanges; j++)
            assert_int_equal(buf_printf(b, " <%s>", p->changes[j]), 0);
        assert_int_equal(buf_puts(b, "\n"), 0);
    }
}

static int record_full(void *arg, size_t id, const struct match_result *r)
{
    put_result(&((struct full *)arg)->out, id, r);
    return 0;
}

/* The index (twice: its caches are warm the second time) against
 * match_article on each canonical, at threshold t: the same canonicals
 * with the same results. */
static void check_same(struct match_index *idx, const char *text, double t)
{
    char err[256];
    struct full one = {BUF_INIT};
    for (size_t i = 0; i < match_index_count(idx); i++) {
        struct match_result r;
        assert_int_equal(match_article(match_index_canon(idx, i), text, t, &r, err, sizeof err), 0);
        if (r.covers)
            put_result(&one.out, i, &r);
        match_result_clear(&r);
    }
    for (int pass = 0; pass < 2; pass++) {
        struct full all = {BUF_INIT};
        assert_int_equal(match_index_article(idx, text, t, record_full, &all, err, sizeof err), 0);
        if (strcmp(one.out.data ? one.out.data : "", all.out.data ? all.out.data : ""))
            fail_msg("threshold %.2f, pass %d: one by one\n%s\nindex\n%s\narticle: %.200s", t, pass,
                     one.out.data ? one.out.data : "", all.out.data ? all.out.data : "", text);
        buf_free(&all.out);
    }
    buf_free(&one.out);
}

/* The longer words of text in another order, without the function words
 * (all 6 bytes or shorter) that make the language guess sure: for Latin
 * text the guess is then unsure, and the index tries each language the
 * n-gram comparison may answer. */
static char *salad(const char *text, uint64_t seed)
{
    struct buf b = BUF_INIT;
    const char *w[512];
    size_t len[512], n = 0;
    for (const char *p = text; *p && n < 512;) {
        size_t k = strcspn(p, " \n.,;:\"'()");
        if (k > 6) {
            w[n] = p;
            len[n++] = k;
        }
        p += k;
        p += *p != '\0';
    }
    for (size_t i = 0; i < n * 2 && n; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t j = (size_t)(seed >> 33) % n;
        assert_int_equal(buf_append(&b, w[j], len[j]), 0);
        assert_int_equal(buf_puts(&b, i % 17 == 16 ? ".\n\n" : " "), 0);
    }
    return buf_detach(&b);
}

static void test_analysis_index_same_results(void **state)
{
    (void)state;
    char err[256];
    struct match_index *idx = NULL;
    size_t nc = sizeof canon_files / sizeof canon_files[0];
    assert_int_equal(match_index_new(&idx, err, sizeof err), 0);
    for (size_t i = 0; i < nc; i++) {
        char *text = load(canon_files[i]);
        assert_int_equal(match_index_add(idx, canon_files[i], text, NULL, err, sizeof err), 0);
        free(text);
    }
    for (size_t a = 0; a < sizeof article_files / sizeof article_files[0]; a++) {
        char *text = load(article_files[a]);
        char *mixed = salad(text, a + 1);
        size_t half = strlen(text) / 2;
        check_same(idx, text, 0.30);
        check_same(idx, text, 0.0);
        check_same(idx, text + half, 0.30);
        check_same(idx, mixed, 0.30);
        check_same(idx, mixed, 0.10);
        free(mixed);
        free(text);
    }
    for (size_t i = 0; i < nc; i++) {
        char *text = load(canon_files[i]);
        char *mixed = salad(text, i + 100);
        check_same(idx, text, 0.30);
        check_same(idx, mixed, 0.30);
        free(mixed);
        free(text);
    }
    match_index_free(idx);
}

/* More distinct words than the index's word cache holds: it empties
 * itself midway, and results stay those of match_article. */
static void test_analysis_index_many_words(void **state)
{
    (void)state;
    char err[256];
    struct match_index *idx = NULL;
    assert_int_equal(match_index_new(&idx, err, sizeof err), 0);
    char *canon = load("fixtures/analysis/ru-canonical.txt");
    char *en = load("fixtures/analysis/en-canonical.txt");
    assert_int_equal(match_index_add(idx, "ru", canon, NULL, err, sizeof err), 0);
    assert_int_equal(match_index_add(idx, "en", en, NULL, err, sizeof err), 0);
    static const char *const letters[] = {"а", "б", "в", "г", "д", "е", "к", "л", "м", "н", "о",
                                          "п", "р", "с", "т", "a", "b", "c", "d", "e", "k", "o"};
    size_t nl = sizeof letters / sizeof letters[0];
    uint64_t seed = 7;
    for (int a = 0; a < 24; a++) {
        struct buf b = BUF_INIT;
        if (a % 4 == 0)
            assert_int_equal(buf_puts(&b, a % 8 ? canon : en), 0);
        for (int w = 0; w < 1200; w++) {
            int len = 4 + w % 7;
            for (int c = 0; c < len; c++) {
                seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                assert_int_equal(buf_puts(&b, letters[(seed >> 33) % nl]), 0);
            }
            assert_int_equal(buf_puts(&b, w % 15 == 14 ? ". " : " "), 0);
        }
        check_same(idx, b.data, 0.30);
        buf_free(&b);
    }
    free(canon);
    free(en);
    match_index_free(idx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_analysis_index_agrees),
        cmocka_unit_test(test_analysis_index_empty),
        cmocka_unit_test(test_analysis_index_same_results),
        cmocka_unit_test(test_analysis_index_many_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
