/* Config loading: defaults, relative paths, and one clear file:line error
 * per problem. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "daemon/conf.h"

static char tmpdir[] = "/tmp/pwconfXXXXXX";

static void write_file(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Loads text as a config; returns the conf or NULL with errors filled. */
static struct conf *load(const char *text, struct buf *errors)
{
    char path[512];
    struct conf *c = NULL;
    write_file("test.conf", text);
    snprintf(path, sizeof path, "%s/test.conf", tmpdir);
    buf_reset(errors);
    if (conf_load(path, &c, errors) < 0)
        return NULL;
    return c;
}

static void test_valid_config(void **state)
{
    (void)state;
    struct buf e = BUF_INIT;
    write_file("statement.txt", "First paragraph.\n\nSecond paragraph.\n");
    struct conf *c = load("[daemon]\n"
                          "database = data/pw.db\n"
                          "interval = 15m ; a comment\n"
                          "concurrency = 8\n"
                          "[alerts]\n"
                          "syslog = no\n"
                          "min_score = 0.25\n"
                          "[canonical stmt]\n"
                          "file = statement.txt\n"
                          "[feed a]\n"
                          "url = https://example.org/rss\n"
                          "interval = 10m\n"
                          "[feed b]\n"
                          "url = file:feeds/b.xml\n",
                          &e);
    if (!c)
        fail_msg("%s", e.data);
    assert_int_equal(c->interval, 900);
    assert_int_equal(c->concurrency, 8);
    assert_int_equal(c->syslog, 0);
    assert_true(c->min_score > 0.249 && c->min_score < 0.251);
    assert_int_equal(c->nfeeds, 2);
    assert_int_equal(c->feeds[0].interval, 600);
    assert_int_equal(c->feeds[1].interval, 900); /* inherited */
    assert_string_equal(c->feeds[0].url, "https://example.org/rss");
    /* file: URLs and paths resolve against the config's folder */
    assert_true(strncmp(c->feeds[1].url, "file:///", 8) == 0);
    assert_non_null(strstr(c->feeds[1].url, "/feeds/b.xml"));
    assert_non_null(strstr(c->database, "/data/pw.db"));
    assert_int_equal(c->ncanonicals, 1);
    assert_string_equal(c->canonicals[0].text, "First paragraph.\n\nSecond paragraph.\n");
    conf_free(c);
    buf_free(&e);
}

static void expect_error(const char *text, const char *needle)
{
    struct buf e = BUF_INIT;
    struct conf *c = load(text, &e);
    if (c) {
        conf_free(c);
        fail_msg("config loaded but should fail with '%s'", needle);
    }
    if (!strstr(e.data, needle))
        fail_msg("expected '%s' in:\n%s", needle, e.data);
    buf_free(&e);
}

static void test_errors_name_file_and_line(void **state)
{
    (void)state;
    expect_error("[daemon]\nbogus = 1\n", "test.conf:2: unknown key 'bogus' in [daemon]");
    expect_error("[daemon]\n\ninterval = soon\n", "test.conf:3: interval: bad duration 'soon'");
    expect_error("[feed x]\ninterval = 5m\n", "test.conf:1: feed 'x': missing url");
    expect_error("[feed x]\nurl = http://a/\n[feed x]\nurl = http://b/\n",
                 "test.conf:3: duplicate feed 'x' (first at line 1)");
    expect_error("[canonical c]\nfile = does-not-exist.txt\n",
                 "test.conf:1: canonical 'c': cannot read");
    expect_error("[feed x]\nurl = gopher://a/\n", "url must be http://, https:// or file://");
    expect_error("[alerts]\nmin_score = 2\n", "test.conf:2: min_score: expected a number");
    expect_error("[daemon]\nconcurrency = 0\n", "test.conf:2: concurrency: 0 is out of range");
    expect_error("[weird]\nx = 1\n", "test.conf:1: unknown section [weird]");
    expect_error("[daemon]\nthis line is broken\n", "test.conf:2: syntax error");
    expect_error("[feed x]\nurl = http://a/\nlog_kinds = coverage,gossip\n",
                 "test.conf:3: log_kinds: unknown alert kind 'gossip'");
    expect_error("[feed x]\nurl = http://a/\nlanguages = ru,bulgarian\n",
                 "test.conf:3: languages: 'bulgarian' is not an ISO 639-1 code");
}

static void test_all_errors_collected(void **state)
{
    (void)state;
    struct buf e = BUF_INIT;
    struct conf *c = load("[daemon]\nfoo = 1\nbar = 2\n[feed y]\n", &e);
    assert_null(c);
    assert_non_null(strstr(e.data, "test.conf:2:"));
    assert_non_null(strstr(e.data, "test.conf:3:"));
    assert_non_null(strstr(e.data, "test.conf:4: feed 'y': missing url"));
    buf_free(&e);
}

static void test_canonical_threshold(void **state)
{
    (void)state;
    struct buf e = BUF_INIT;
    write_file("statement.txt", "Text.\n");
    struct conf *c = load("[alerts]\nmin_score = 0.4\n"
                          "[canonical a]\nfile = statement.txt\n"
                          "[canonical b]\nfile = statement.txt\nmin_score = 0.15\n",
                          &e);
    if (!c)
        fail_msg("%s", e.data);
    assert_true(c->canonicals[0].min_score > 0.399 && c->canonicals[0].min_score < 0.401);
    assert_true(c->canonicals[1].min_score > 0.149 && c->canonicals[1].min_score < 0.151);
    conf_free(c);
    buf_free(&e);
}

static void test_long_lines(void **state)
{
    (void)state;
    struct buf e = BUF_INIT, text = BUF_INIT;
    buf_puts(&text, "[feed long]\nurl = https://example.org/");
    for (int i = 0; i < 600; i++)
        buf_putc(&text, 'a' + i % 26);
    buf_puts(&text, "\n");
    struct conf *c = load(text.data, &e);
    if (!c)
        fail_msg("%s", e.data);
    assert_int_equal(strlen(c->feeds[0].url), strlen("https://example.org/") + 600);
    conf_free(c);
    buf_free(&e);
    buf_free(&text);
}

static void test_durations(void **state)
{
    (void)state;
    long long s;
    assert_int_equal(conf_parse_duration("90", &s), 0);
    assert_int_equal(s, 90);
    assert_int_equal(conf_parse_duration("2h", &s), 0);
    assert_int_equal(s, 7200);
    assert_int_equal(conf_parse_duration("1d", &s), 0);
    assert_int_equal(s, 86400);
    assert_int_equal(conf_parse_duration("5x", &s), -1);
    assert_int_equal(conf_parse_duration("", &s), -1);
    assert_int_equal(conf_parse_duration("-5m", &s), -1);
    assert_int_equal(conf_parse_duration("99999999999999999999m", &s), -1);
}

static void test_missing_file(void **state)
{
    (void)state;
    struct buf e = BUF_INIT;
    struct conf *c = NULL;
    assert_int_equal(conf_load("/nonexistent/presswatch.conf", &c, &e), -1);
    assert_non_null(strstr(e.data, "/nonexistent/presswatch.conf: cannot open"));
    buf_free(&e);
}

int main(void)
{
    if (!mkdtemp(tmpdir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_config),
        cmocka_unit_test(test_errors_name_file_and_line),
        cmocka_unit_test(test_all_errors_collected),
        cmocka_unit_test(test_long_lines),
        cmocka_unit_test(test_canonical_threshold),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_missing_file),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        rc = rc ? rc : 1;
    return rc;
}
