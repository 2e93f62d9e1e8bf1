/*
 * Polling as a good citizen, end to end: the real presswatchd runs --once
 * cycles against a local evhttp server that answers with validators, 500s,
 * 410 and slow replies. Checks 304s, alerts on state change only, a gone
 * feed left alone, and the per-host limit and gap seen at the server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "support/support.h"

static char tmpdir[256];
static struct test_server srv;

static const char feed_xml[] =
    "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title>"
    "<item><title>Harbour news</title><link>https://example.org/a</link>"
    "<description>Ferries to the islands will move to the western pier.</description></item>"
    "</channel></rss>";

/* Server-side counters; touched only on the server thread, read after the
 * daemon has exited. */
static struct {
    int etag_200, etag_304, flaky_fail, gone_hits, slow_hits, in_flight, max_in_flight;
    double slow_start[16];
} seen;
static atomic_int flaky_mode = 1; /* 1: the flaky feed answers 500 */

static double now_s(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void slow_done(evutil_socket_t fd, short what, void *arg)
{
    struct evhttp_request *req = arg;
    (void)fd;
    (void)what;
    seen.in_flight--;
    test_reply(req, 200, "application/rss+xml", feed_xml, sizeof feed_xml - 1);
}

static void handle(struct evhttp_request *req, void *arg)
{
    (void)arg;
    const char *uri = evhttp_request_get_uri(req);
    struct evkeyvalq *in = evhttp_request_get_input_headers(req);
    if (!strcmp(uri, "/etag.xml")) {
        const char *inm = evhttp_find_header(in, "If-None-Match");
        if (inm && !strcmp(inm, "\"v1\"")) {
            seen.etag_304++;
            evhttp_send_reply(req, 304, "Not Modified", NULL);
            return;
        }
        seen.etag_200++;
        evhttp_add_header(evhttp_request_get_output_headers(req), "ETag", "\"v1\"");
        test_reply(req, 200, "application/rss+xml", feed_xml, sizeof feed_xml - 1);
    } else if (!strcmp(uri, "/flaky.xml")) {
        if (atomic_load(&flaky_mode)) {
            seen.flaky_fail++;
            evhttp_send_error(req, 500, "Internal Server Error");
        } else {
            test_reply(req, 200, "application/rss+xml", feed_xml, sizeof feed_xml - 1);
        }
    } else if (!strcmp(uri, "/gone.xml")) {
        seen.gone_hits++;
        evhttp_send_error(req, 410, "Gone");
    } else if (!strncmp(uri, "/slow/", 6)) {
        if (seen.slow_hits < 16)
            seen.slow_start[seen.slow_hits] = now_s();
        seen.slow_hits++;
        if (++seen.in_flight > seen.max_in_flight)
            seen.max_in_flight = seen.in_flight;
        struct timeval tv = {0, 300000};
        event_base_once(srv.base, -1, EV_TIMEOUT, slow_done, req, &tv);
    } else {
        evhttp_send_error(req, 404, "Not Found");
    }
}

static char *cycle(const char *config)
{
    const char *args[] = {"--config", config, "--once", "--foreground", NULL};
    return test_run_daemon(tmpdir, args);
}

static void test_citizen(void **state)
{
    (void)state;
    char config[700];
    snprintf(config, sizeof config, "%s/poll.conf", tmpdir);
    FILE *f = fopen(config, "w");
    assert_non_null(f);
    fprintf(f,
            "[daemon]\ndatabase = poll.db\ntimeout = 10s\nhost_gap = 0\nfetch_pages = no\n"
            "[alerts]\nsyslog = no\nfeed_error_after = 3\n"
            "[feed etag]\nurl = http://127.0.0.1:%d/etag.xml\n"
            "[feed flaky]\nurl = http://127.0.0.1:%d/flaky.xml\n"
            "[feed gone]\nurl = http://127.0.0.1:%d/gone.xml\n",
            srv.port, srv.port, srv.port);
    fclose(f);

    char *log = cycle(config);
    assert_int_equal(seen.etag_200, 1);
    /* (a client may retry a request whose kept-alive connection the server
     * closed, so the count after the first cycle is what later ones keep) */
    int gone_hits = seen.gone_hits;
    assert_true(gone_hits >= 1);
    /* 410: one feed-error at once */
    assert_int_equal(test_count_lines(log, "alert: feed-error feed=gone "), 1);
    assert_int_equal(test_count_lines(log, "alert: feed-error feed=flaky "), 0);
    free(log);

    for (int i = 2; i <= 4; i++) {
        log = cycle(config);
        /* the third failure in a row raises the alert, once */
        assert_int_equal(test_count_lines(log, "alert: feed-error feed=flaky "), i == 3);
        assert_int_equal(test_count_lines(log, "alert: feed-error feed=gone "), 0);
        free(log);
    }
    assert_int_equal(seen.flaky_fail, 4);
    assert_int_equal(seen.etag_200, 1);          /* every later poll was conditional ... */
    assert_int_equal(seen.etag_304, 3);          /* ... and answered 304 */
    assert_int_equal(seen.gone_hits, gone_hits); /* a gone feed is left alone */

    atomic_store(&flaky_mode, 0);
    log = cycle(config);
    assert_int_equal(test_count_lines(log, "alert: feed-recovered feed=flaky "), 1);
    assert_int_equal(test_count_lines(log, "alert: "), 1);
    free(log);
    log = cycle(config);
    assert_int_equal(test_count_lines(log, "alert: "), 0);
    free(log);

    /* presswatch status tells the same story */
    char cmd[1600], out[700];
    snprintf(out, sizeof out, "%s/status.txt", tmpdir);
    snprintf(cmd, sizeof cmd, "'%s/presswatch' status --config '%s' > '%s'", PW_BINARY_DIR, config,
             out);
    assert_int_equal(system(cmd), 0);
    assert_true(test_wait_for(out, "gone ", 1));
    assert_true(test_wait_for(out, "etag", 1));
    assert_true(test_wait_for(out, "last error: HTTP 410", 1));
}

static void test_per_host_limit_and_gap(void **state)
{
    (void)state;
    char config[700];
    snprintf(config, sizeof config, "%s/slow.conf", tmpdir);
    FILE *f = fopen(config, "w");
    assert_non_null(f);
    fprintf(f, "[daemon]\ndatabase = slow.db\nper_host = 2\nhost_gap = 100ms\nfetch_pages = no\n"
               "[alerts]\nsyslog = no\n");
    for (int i = 0; i < 6; i++)
        fprintf(f, "[feed slow%d]\nurl = http://127.0.0.1:%d/slow/%d\n", i, srv.port, i);
    fclose(f);
    char *log = cycle(config);
    free(log);
    assert_int_equal(seen.slow_hits, 6);
    assert_true(seen.max_in_flight >= 1);
    assert_true(seen.max_in_flight <= 2);
    for (int i = 1; i < 6; i++) {
        double gap = seen.slow_start[i] - seen.slow_start[i - 1];
        if (gap < 0.09)
            fail_msg("requests %d and %d to one host only %.3f s apart", i - 1, i, gap);
    }
}

int main(void)
{
    test_mkdtemp(tmpdir, sizeof tmpdir, "pwpoll");
    test_server_start(&srv, handle, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_citizen),
        cmocka_unit_test(test_per_host_limit_and_gap),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    test_server_stop(&srv);
    test_rmdir(tmpdir);
    return rc;
}
