/*
 * Article pages end to end: a local evhttp server serves a feed whose items
 * link to pages on the same server; the real presswatchd runs --once cycles
 * with a one-second revisit schedule while the test edits pages between
 * cycles. Checks that the page text replaces the teaser, that a new
 * timestamp or a rotated widget makes no version, that an edit makes one
 * (changed, coverage-changed and coverage-lost alerts; presswatch diff), that
 * a page gone 404 or redirected to the front page raises unpublished once,
 * and republished when it is back; and that bad pages (not HTML, 50 MB,
 * 10,000 levels deep, truncated, lying about their charset) only cost the
 * article its page text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/buf.h"
#include "store/store.h"
#include "support/support.h"

#define SITE PW_SOURCE_DIR "/tests/fixtures/pages_site/"
#define HUGE_BYTES (50u << 20)

static char tmpdir[256];
static struct test_server srv;
static atomic_int stage = 1; /* which state of the site is served */
static char *huge, *deep;    /* generated pages */
static size_t deep_len;

static void reply_ref(struct evhttp_request *req, const char *type, const char *body, size_t len)
{
    struct evbuffer *out = evbuffer_new();
    evbuffer_add_reference(out, body, len, NULL, NULL);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
    evhttp_send_reply(req, 200, "OK", out);
    evbuffer_free(out);
}

static void reply_feed(struct evhttp_request *req)
{
    struct buf in = BUF_INIT, out = BUF_INIT;
    char err[256], base[64];
    assert_int_equal(buf_read_file(&in, SITE "feed.xml", 1 << 20, err, sizeof err), 0);
    snprintf(base, sizeof base, "http://127.0.0.1:%d", srv.port);
    for (const char *s = in.data, *p; *s; s = p + 6) {
        if (!(p = strstr(s, "{BASE}"))) {
            buf_puts(&out, s);
            break;
        }
        buf_append(&out, s, (size_t)(p - s));
        buf_puts(&out, base);
    }
    test_reply(req, 200, "application/rss+xml; charset=utf-8", out.data, out.len);
    buf_free(&in);
    buf_free(&out);
}

static void handle(struct evhttp_request *req, void *arg)
{
    (void)arg;
    const char *uri = evhttp_request_get_uri(req);
    int st = atomic_load(&stage);
    if (!strcmp(uri, "/feed.xml")) {
        reply_feed(req);
    } else if (!strcmp(uri, "/a/breakwater")) {
        if (st == 4 || st == 5)
            evhttp_send_error(req, 404, "Not Found");
        else
            test_reply_file(req,
                            st == 1   ? SITE "breakwater-v1.html"
                            : st == 2 ? SITE "breakwater-v1b.html"
                                      : SITE "breakwater-v2.html",
                            "text/html; charset=utf-8");
    } else if (!strcmp(uri, "/a/ferries")) {
        if (st >= 4) {
            evhttp_add_header(evhttp_request_get_output_headers(req), "Location", "/");
            evhttp_send_reply(req, 302, "Found", NULL);
        } else {
            test_reply_file(req, st <= 2 ? SITE "ferries-v1.html" : SITE "ferries-v2.html",
                            "text/html");
        }
    } else if (!strcmp(uri, "/")) {
        test_reply_file(req, SITE "front.html", "text/html");
    } else if (!strcmp(uri, "/a/derby")) {
        test_reply_file(req, SITE "derby.html", "text/html");
    } else if (!strcmp(uri, "/a/report.pdf")) {
        static const char pdf[] = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n";
        test_reply(req, 200, "application/pdf", pdf, sizeof pdf - 1);
    } else if (!strcmp(uri, "/a/huge")) {
        reply_ref(req, "text/html", huge, HUGE_BYTES);
    } else if (!strcmp(uri, "/a/deep")) {
        reply_ref(req, "text/html", deep, deep_len);
    } else if (!strcmp(uri, "/a/truncated")) {
        test_reply_file(req, SITE "truncated.html", "text/html");
    } else if (!strcmp(uri, "/a/lying")) {
        test_reply_file(req, SITE "lying-cp1251.html", "text/html; charset=utf-8");
    } else {
        evhttp_send_error(req, 404, "Not Found");
    }
}

static void make_pages(void)
{
    static const char para[] = "<p>The harbour is busy all year round.</p>\n";
    huge = malloc(HUGE_BYTES);
    assert_non_null(huge);
    for (size_t i = 0; i < HUGE_BYTES; i++)
        huge[i] = para[i % (sizeof para - 1)];
    struct buf b = BUF_INIT;
    buf_puts(&b, "<html><body>");
    for (int i = 0; i < 10000; i++)
        buf_puts(&b, "<div>");
    buf_puts(&b, "<p>Deep inside ten thousand levels the harbour authority speaks.</p>");
    for (int i = 0; i < 10000; i++)
        buf_puts(&b, "</div>");
    buf_puts(&b, "</body></html>");
    deep_len = b.len;
    deep = buf_detach(&b);
    assert_non_null(deep);
}

static char db[600], config[600];

static void expect_in(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("'%s' not found in:\n%s", needle, text);
}

/* Shows the daemon's output when a count is off. */
static void expect_lines(const char *log, const char *prefix, int n)
{
    int got = test_count_lines(log, prefix);
    if (got != n)
        fail_msg("%d lines start with '%s', expected %d; the daemon said:\n%s", got, prefix, n,
                 log);
}

static char *cycle(int st)
{
    atomic_store(&stage, st);
    const char *args[] = {"--config", config, "--once", "--foreground", NULL};
    return test_run_daemon(tmpdir, args);
}

static int64_t count(const char *table)
{
    struct store *s;
    char err[256];
    int64_t n = -1;
    if (store_open(db, &s, err, sizeof err) < 0 || store_count(s, table, &n, err, sizeof err) < 0)
        fail_msg("%s", err);
    store_close(s);
    return n;
}

struct find {
    const char *suffix;
    int64_t id;
};

static int find_article(const struct store_article_row *r, void *arg)
{
    struct find *f = arg;
    size_t n = r->link ? strlen(r->link) : 0, k = strlen(f->suffix);
    if (n >= k && !strcmp(r->link + n - k, f->suffix))
        f->id = r->article_id;
    return 0;
}

/* Source ("feed"/"page") and number of the newest version of the article
 * whose link ends with suffix; returns its id. */
static int64_t newest(const char *suffix, char *source, size_t n, int *version_no)
{
    struct store *s;
    struct store_version v;
    struct find f = {suffix, 0};
    char err[256];
    if (store_open(db, &s, err, sizeof err) < 0 ||
        store_list_articles(s, NULL, 0, find_article, &f, err, sizeof err) < 0)
        fail_msg("%s", err);
    if (!f.id)
        fail_msg("no article %s", suffix);
    if (store_version_get(s, f.id, 0, &v, err, sizeof err) < 0)
        fail_msg("%s", err);
    snprintf(source, n, "%s", v.source);
    *version_no = v.version_no;
    store_version_clear(&v);
    store_close(s);
    return f.id;
}

static void expect_source(const char *suffix, const char *source, int version_no)
{
    char src[16];
    int no;
    newest(suffix, src, sizeof src, &no);
    if (strcmp(src, source) != 0 || no != version_no)
        fail_msg("%s: newest version %d from %s, expected %d from %s", suffix, no, src, version_no,
                 source);
}

/* Runs presswatch diff with args; returns its output (caller frees). */
static char *run_diff(const char *args)
{
    char cmd[1600], out[700], err[256];
    struct buf b = BUF_INIT;
    snprintf(out, sizeof out, "%s/diff.txt", tmpdir);
    snprintf(cmd, sizeof cmd, "'%s/presswatch' diff --database '%s' %s > '%s'", PW_BINARY_DIR, db,
             args, out);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(buf_read_file(&b, out, 1 << 20, err, sizeof err), 0);
    return buf_detach(&b);
}

static void test_pages(void **state)
{
    (void)state;
    snprintf(config, sizeof config, "%s/pages.conf", tmpdir);
    snprintf(db, sizeof db, "%s/pages.db", tmpdir);
    FILE *f = fopen(config, "w");
    assert_non_null(f);
    fprintf(f,
            "[daemon]\ndatabase = pages.db\ntimeout = 20s\nhost_gap = 0\nper_host = 4\n"
            "revisit = 1s,1s,1s,1s,1s,1s,1s,1s,1s,1s\n"
            "[alerts]\nsyslog = no\nmin_score = 0.30\n"
            "[canonical harbour]\nfile = %s/etc/demo/canonical/harbour-statement.txt\n"
            "[feed courier]\nurl = http://127.0.0.1:%d/feed.xml\n",
            PW_SOURCE_DIR, srv.port);
    fclose(f);

    /* 1: coverage is judged on the pages (the teasers cover nothing); the
     * truncated page still holds enough of the statement. */
    char *log = cycle(1);
    expect_lines(log, "alert: ", 3);
    expect_lines(log, "alert: coverage ", 3);
    expect_in(log, "/a/truncated title=");
    expect_in(log, "/a/breakwater title=");
    expect_in(log, "/a/ferries title=");
    assert_int_equal(count("articles"), 9);
    assert_int_equal(count("versions"), 9);
    expect_source("/a/breakwater", "page", 1);
    expect_source("/a/lying", "page", 1);
    expect_source("/a/report.pdf", "feed", 1);
    expect_source("/a/huge", "feed", 1);
    expect_source("breakwater.txt", "feed", 1); /* ftp: never fetched */
    /* bad pages: named with their feed and URL, with the reason */
    expect_in(log, "feed courier: page http://");
    expect_in(log, "/a/report.pdf: not HTML (Content-Type: application/pdf)");
    expect_in(log, "/a/huge: ");
    expect_in(log, "keeps its feed text");
    assert_null(strstr(log, "ftp://127.0.0.1/archive/breakwater.txt: "));
    free(log);

    /* 2: a new timestamp and a rotated "most read" box are no edit. */
    usleep(1100000);
    log = cycle(2);
    expect_lines(log, "alert: ", 0);
    assert_int_equal(count("versions"), 9);
    free(log);

    /* 3: both covering stories edited. */
    usleep(1100000);
    log = cycle(3);
    assert_int_equal(count("versions"), 11);
    expect_source("/a/breakwater", "page", 2);
    expect_lines(log, "alert: changed ", 2);
    expect_lines(log, "alert: coverage-changed canonical=harbour ", 1);
    expect_lines(log, "alert: coverage-lost canonical=harbour ", 1);
    expect_lines(log, "alert: ", 4);
    assert_non_null(strstr(log, "headline_before=\"Eastern breakwater to close to large vessels\" "
                                "headline_after=\"Breakwater repairs to cost fourteen million\""));
    assert_non_null(strstr(log, "sentence=\"The repair programme will cost an estimated fourteen"));
    expect_in(log, "quote reworded: 'The repair programme");
    free(log);

    char src[16];
    int no;
    char args[64];
    snprintf(args, sizeof args, "%lld", (long long)newest("/a/breakwater", src, sizeof src, &no));
    char *diff = run_diff(args);
    expect_in(diff, "--- version 1 ");
    expect_in(diff, "+++ version 2 ");
    expect_in(diff, "[-twelve-]{+fourteen+}");
    expect_in(diff, "{+The mayor welcomed the decision");
    assert_null(strstr(diff, "\033["));
    free(diff);
    snprintf(args + strlen(args), sizeof args - strlen(args), " 1 2 --html");
    diff = run_diff(args);
    expect_in(diff, "<!DOCTYPE html>");
    expect_in(diff, "<del>twelve</del><ins>fourteen</ins>");
    expect_in(diff, "</html>");
    free(diff);

    /* 4: the breakwater page is gone, the ferries one redirects to the front
     * page: unpublished, once each. */
    usleep(1100000);
    log = cycle(4);
    expect_lines(log, "alert: unpublished ", 2);
    expect_lines(log, "alert: ", 2);
    expect_in(log, "status=404");
    expect_in(log, "redirected to another story");
    free(log);
    usleep(1100000);
    log = cycle(5);
    expect_lines(log, "alert: ", 0);
    free(log);

    /* 6: the breakwater story is back as it was: republished, no version. */
    usleep(1100000);
    log = cycle(6);
    expect_lines(log, "alert: republished ", 1);
    expect_lines(log, "alert: ", 1);
    assert_int_equal(count("versions"), 11);
    free(log);

    struct store *s;
    char err[256];
    int64_t pages = 0, fetches = 0;
    assert_int_equal(store_open(db, &s, err, sizeof err), 0);
    assert_int_equal(store_page_totals(s, &pages, &fetches, err, sizeof err), 0);
    store_close(s);
    assert_int_equal(pages, 8);
    /* every page at least once a cycle; a slow machine makes more revisits
     * due within a cycle, which must not add versions (checked above) */
    assert_true(fetches >= 8 * 6);
    printf("pages: %lld known, %lld fetched over 6 cycles; versions stored: %lld\n",
           (long long)pages, (long long)fetches, (long long)count("versions"));
}

int main(void)
{
    make_pages();
    test_mkdtemp(tmpdir, sizeof tmpdir, "pwpages");
    test_server_start(&srv, handle, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pages),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    test_server_stop(&srv);
    test_rmdir(tmpdir);
    free(huge);
    free(deep);
    return rc;
}
