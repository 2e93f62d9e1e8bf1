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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_analysis_index_agrees),
        cmocka_unit_test(test_analysis_index_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
