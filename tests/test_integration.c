/*
 * End to end: a real HTTP server (evhttp, in a thread of this test) serves
 * feeds on 127.0.0.1; the real presswatchd binary runs --once cycles against
 * a temporary database; the test checks stored rows and the alerts the
 * daemon printed. Between cycles one feed's covered article is edited.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <event2/http.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "store/store.h"
#include "support/support.h"

static char tmpdir[256];
static struct test_server srv;
static atomic_int gazette_version = 1; /* which version of the gazette feed is served */

static void handle(struct evhttp_request *req, void *arg)
{
    (void)arg;
    const char *uri = evhttp_request_get_uri(req);
    if (!strcmp(uri, "/gazette.xml") || !strcmp(uri, "/gazette.xml?strict")) {
        test_reply_file(req,
                        atomic_load(&gazette_version) == 1
                            ? PW_SOURCE_DIR "/etc/demo/feeds/harbour-gazette.xml"
                            : PW_SOURCE_DIR "/tests/fixtures/integration/harbour-gazette-v2.xml",
                        "application/rss+xml; charset=utf-8");
    } else if (!strcmp(uri, "/daily.xml")) {
        test_reply_file(req, PW_SOURCE_DIR "/etc/demo/feeds/coastal-daily.xml",
                        "application/atom+xml");
    } else if (!strcmp(uri, "/broken.xml")) {
        test_reply_file(req, PW_SOURCE_DIR "/tests/fixtures/integration/broken.xml", "text/xml");
    } else if (!strcmp(uri, "/binary.xml")) {
        char junk[4096];
        for (size_t i = 0; i < sizeof junk; i++)
            junk[i] = (char)(i * 131 + 7);
        test_reply(req, 200, NULL, junk, sizeof junk);
    } else if (!strcmp(uri, "/error.xml")) {
        evhttp_send_error(req, 500, "Internal Server Error");
    } else {
        evhttp_send_error(req, 404, "Not Found");
    }
}

static char *run_daemon(const char *config)
{
    const char *args[] = {"--config", config, "--once", "--foreground", NULL};
    return test_run_daemon(tmpdir, args);
}

#define count_lines test_count_lines
#define wait_for test_wait_for

static int64_t count(const char *db, const char *table)
{
    struct store *st;
    char err[256];
    int64_t n = -1;
    if (store_open(db, &st, err, sizeof err) < 0)
        fail_msg("%s", err);
    if (store_count(st, table, &n, err, sizeof err) < 0)
        fail_msg("%s", err);
    store_close(st);
    return n;
}

static int count_due(const struct store_delivery *d, void *arg)
{
    (void)d;
    (*(int *)arg)++;
    return 0;
}

static int pending_deliveries(const char *db)
{
    struct store *st;
    char err[256];
    int n = 0;
    if (store_open(db, &st, err, sizeof err) < 0)
        fail_msg("%s", err);
    /* far in the future: everything not yet delivered is due */
    if (store_delivery_due(st, "log", (time_t)4102444800, 1000, count_due, &n, err, sizeof err) < 0)
        fail_msg("%s", err);
    store_close(st);
    return n;
}

static void test_two_cycles(void **state)
{
    (void)state;
    char config[600], db[600];
    snprintf(config, sizeof config, "%s/presswatch.conf", tmpdir);
    snprintf(db, sizeof db, "%s/pw.db", tmpdir);
    FILE *f = fopen(config, "w");
    assert_non_null(f);
    fprintf(f,
            "[daemon]\ndatabase = pw.db\ntimeout = 10s\nhost_gap = 50ms\nfetch_pages = no\n"
            "[alerts]\nsyslog = no\nmin_score = 0.30\n"
            "[canonical harbour]\nfile = %s/etc/demo/canonical/harbour-statement.txt\n"
            "[feed gazette]\nurl = http://127.0.0.1:%d/gazette.xml\n"
            "[feed daily]\nurl = http://127.0.0.1:%d/daily.xml\n"
            "[feed missing]\nurl = http://127.0.0.1:%d/missing.xml\n"
            "[feed failing]\nurl = http://127.0.0.1:%d/error.xml\n"
            "[feed broken]\nurl = http://127.0.0.1:%d/broken.xml\n"
            "[feed binary]\nurl = http://127.0.0.1:%d/binary.xml\n"
            "[feed refused]\nurl = http://127.0.0.1:1/feed.xml\n",
            PW_SOURCE_DIR, srv.port, srv.port, srv.port, srv.port, srv.port, srv.port);
    fclose(f);

    /* Cycle 1: both covering articles alert once; the unrelated ones do not. */
    char *log1 = run_daemon(config);
    assert_int_equal(count_lines(log1, "alert: coverage "), 2);
    assert_int_equal(count_lines(log1, "alert: changed "), 0);
    assert_non_null(strstr(log1, "canonical=harbour"));
    assert_non_null(strstr(log1, "url=https://gazette.example.org/2026/breakwater-closure"));
    assert_non_null(strstr(log1, "url=https://daily.example.net/news/ferries-western-pier"));
    assert_null(strstr(log1, "url=https://gazette.example.org/2026/derby"));
    assert_null(strstr(log1, "url=https://daily.example.net/news/storm-warning"));
    /* failing feeds are named in the log, and did not stop the others */
    assert_non_null(strstr(log1, "feed missing: "));
    assert_non_null(strstr(log1, "HTTP 404"));
    assert_non_null(strstr(log1, "feed failing: "));
    assert_non_null(strstr(log1, "feed refused: "));
    assert_non_null(strstr(log1, "feed binary: "));
    assert_non_null(strstr(log1, "feed broken: "));
    /* 2 + 2 articles, plus whatever the broken feed's recovery kept */
    int64_t articles1 = count(db, "articles");
    assert_true(articles1 >= 4);
    assert_int_equal(count(db, "versions"), articles1);
    assert_int_equal(count(db, "coverage"), 2);
    assert_int_equal(count(db, "alerts"), 2);
    assert_int_equal(pending_deliveries(db), 0);

    /* Cycle 2: the covered gazette article was edited: one changed alert,
     * no new coverage alert, one new version. */
    atomic_store(&gazette_version, 2);
    char *log2 = run_daemon(config);
    assert_int_equal(count_lines(log2, "alert: coverage "), 0);
    assert_int_equal(count_lines(log2, "alert: changed "), 1);
    assert_non_null(strstr(log2, "url=https://gazette.example.org/2026/breakwater-closure"));
    assert_non_null(strstr(log2, "version=2"));
    assert_int_equal(count(db, "articles"), articles1);
    assert_int_equal(count(db, "versions"), articles1 + 1);
    assert_int_equal(count(db, "alerts"), 3);
    assert_int_equal(pending_deliveries(db), 0);

    /* Cycle 3: no article changed: nothing stored, nothing sent again; the
     * four feeds that failed three times in a row now raise feed-error. */
    char *log3 = run_daemon(config);
    assert_int_equal(count_lines(log3, "alert: coverage "), 0);
    assert_int_equal(count_lines(log3, "alert: changed "), 0);
    assert_int_equal(count_lines(log3, "alert: feed-error "), 4);
    assert_non_null(strstr(log3, "alert: feed-error feed=missing "));
    assert_non_null(strstr(log3, "alert: feed-error feed=refused "));
    assert_int_equal(count(db, "versions"), articles1 + 1);
    assert_int_equal(count(db, "alerts"), 7);
    free(log3);

    /* Cycle 4: the same failures again: no alert at all. */
    log3 = run_daemon(config);
    assert_int_equal(count_lines(log3, "alert: "), 0);
    assert_int_equal(count(db, "alerts"), 7);
    free(log1);
    free(log2);
    free(log3);
}

static void write_config(const char *path, const char *db, const char *feeds)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f,
            "[daemon]\ndatabase = %s\ninterval = 1h\nfetch_pages = no\n"
            "[alerts]\nsyslog = no\n"
            "[canonical harbour]\nfile = %s/etc/demo/canonical/harbour-statement.txt\n%s",
            db, PW_SOURCE_DIR, feeds);
    fclose(f);
}

/* The long-running daemon: SIGHUP with a broken config keeps the running one,
 * SIGHUP with a new feed starts polling it, SIGTERM stops cleanly. */
static void test_reload_and_stop(void **state)
{
    (void)state;
    char config[600], out[600], feeds[600];
    snprintf(config, sizeof config, "%s/reload.conf", tmpdir);
    snprintf(out, sizeof out, "%s/reload.txt", tmpdir);
    snprintf(feeds, sizeof feeds, "[feed daily]\nurl = http://127.0.0.1:%d/daily.xml\n", srv.port);
    write_config(config, "reload.db", feeds);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen(out, "w", stderr))
            _exit(127);
        execl(PW_BINARY_DIR "/presswatchd", "presswatchd", "--config", config, "--foreground",
              (char *)NULL);
        _exit(127);
    }
    assert_true(wait_for(out, "feed daily: ", 20));

    FILE *f = fopen(config, "w");
    assert_non_null(f);
    fputs("[daemon]\nnonsense = 1\n", f);
    fclose(f);
    kill(pid, SIGHUP);
    assert_true(wait_for(out, "keeping the running one", 20));
    assert_true(wait_for(out, "reload.conf:2: unknown key 'nonsense' in [daemon]", 1));
    assert_int_equal(kill(pid, 0), 0); /* still running */

    snprintf(feeds, sizeof feeds,
             "[feed daily]\nurl = http://127.0.0.1:%d/daily.xml\n"
             "[feed gazette]\nurl = http://127.0.0.1:%d/gazette.xml\n",
             srv.port, srv.port);
    write_config(config, "reload.db", feeds);
    kill(pid, SIGHUP);
    assert_true(wait_for(out, "reload: 2 feeds", 20));
    assert_true(wait_for(out, "feed gazette: ", 20));
    assert_true(wait_for(out, "url=https://gazette.example.org/2026/breakwater-closure", 5));

    kill(pid, SIGTERM);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(wait_for(out, "stopping", 1));
}

/* Per-feed and per-text filters decide which alerts go out at all. */
static void test_filters(void **state)
{
    (void)state;
    char config[600];
    snprintf(config, sizeof config, "%s/filters.conf", tmpdir);
    FILE *f = fopen(config, "w");
    assert_non_null(f);
    fprintf(f,
            "[daemon]\ndatabase = filters.db\nhost_gap = 0\nfetch_pages = no\n"
            "[alerts]\nsyslog = no\n"
            "[canonical harbour]\nfile = %s/etc/demo/canonical/harbour-statement.txt\n"
            "languages = en\n"
            "[canonical harbour-bg]\nfile = %s/etc/demo/canonical/harbour-statement.txt\n"
            "languages = bg\n"
            "[feed gazette]\nurl = http://127.0.0.1:%d/gazette.xml\n"
            "[feed gazette-strict]\nurl = http://127.0.0.1:%d/gazette.xml?strict\n"
            "min_score = 0.95\n"
            "[feed daily]\nurl = http://127.0.0.1:%d/daily.xml\nlog_kinds = feed-error\n",
            PW_SOURCE_DIR, PW_SOURCE_DIR, srv.port, srv.port, srv.port);
    fclose(f);
    char *log = run_daemon(config);
    /* only the gazette's article, only for the text that takes English */
    assert_int_equal(count_lines(log, "alert: coverage "), 1);
    assert_non_null(strstr(log, "alert: coverage canonical=harbour score="));
    assert_non_null(strstr(log, "feed=gazette url="));
    assert_null(strstr(log, "feed=gazette-strict"));
    assert_null(strstr(log, "feed=daily"));
    free(log);
}

static void test_bad_config_exits_nonzero(void **state)
{
    (void)state;
    char config[600];
    snprintf(config, sizeof config, "%s/bad.conf", tmpdir);
    FILE *f = fopen(config, "w");
    assert_non_null(f);
    fputs("[daemon]\ninterval = often\n", f);
    fclose(f);
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "'%s/presswatchd' --config '%s' --once 2>'%s/bad.txt'", PW_BINARY_DIR,
             config, tmpdir);
    int status = system(cmd);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) != 0);
    struct buf b = BUF_INIT;
    char err[256], path[600];
    snprintf(path, sizeof path, "%s/bad.txt", tmpdir);
    assert_int_equal(buf_read_file(&b, path, 1 << 20, err, sizeof err), 0);
    assert_non_null(strstr(b.data, "bad.conf:2: interval: bad duration 'often'"));
    buf_free(&b);
}

int main(void)
{
    test_mkdtemp(tmpdir, sizeof tmpdir, "pwint");
    test_server_start(&srv, handle, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_cycles),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_bad_config_exits_nonzero),
        cmocka_unit_test(test_reload_and_stop),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    test_server_stop(&srv);
    test_rmdir(tmpdir);
    return rc;
}
