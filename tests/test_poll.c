/* The poll bookkeeping: validators, backoff, alerts on state change only,
 * redirects, 410, server hints and the adaptive interval. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "daemon/poll.h"
#include "fetchers/fetch.h"
#include "store/store.h"

static const struct poll_cfg cfg = {600, 0, 300, 86400, 3};

static struct store_feed_state new_feed(void)
{
    struct store_feed_state f;
    memset(&f, 0, sizeof f);
    f.name = strdup("f");
    f.url = strdup("https://example.org/rss");
    return f;
}

static struct fetch_result ok200(const char *etag, const char *lm)
{
    struct fetch_result r;
    memset(&r, 0, sizeof r);
    r.ok = 1;
    r.status = 200;
    r.kind = FETCH_OK;
    r.etag = etag;
    r.last_modified = lm;
    r.retry_after = r.max_age = -1;
    r.body = "<rss/>";
    r.len = 6;
    return r;
}

static struct fetch_result failed_result(long status, const char *error)
{
    struct fetch_result r;
    memset(&r, 0, sizeof r);
    r.status = status;
    r.kind = status ? FETCH_HTTP_ERROR : FETCH_CONNECT;
    r.error = error;
    r.retry_after = r.max_age = -1;
    return r;
}

/* One successful poll with a new body that parses. */
static void poll_ok(struct store_feed_state *f, const struct poll_cfg *c, const char *etag,
                    int64_t hash, size_t items_new, struct poll_outcome *out)
{
    struct fetch_result r = ok200(etag, NULL);
    assert_int_equal(poll_fetched(f, c, &r, hash, 1000, 0, 0, out), 0);
    if (out->parse)
        assert_int_equal(poll_parsed(f, c, NULL, items_new, 10, 0, 1000, 0, hash, out), 0);
}

static void test_conditional_requests(void **state)
{
    (void)state;
    struct store_feed_state f = new_feed();
    struct poll_outcome out;
    const char *url, *etag, *lm;
    poll_request(&f, 1000, &url, &etag, &lm);
    assert_null(etag);
    assert_null(lm);
    poll_ok(&f, &cfg, "\"v1\"", 42, 3, &out);
    assert_string_equal(f.etag, "\"v1\"");
    /* the next request carries the validator */
    poll_request(&f, 1100, &url, &etag, &lm);
    assert_string_equal(url, "https://example.org/rss");
    assert_string_equal(etag, "\"v1\"");
    /* 304: nothing to parse, a success, the usual interval */
    struct fetch_result r = ok200(NULL, NULL);
    r.status = 304;
    r.not_modified = 1;
    r.kind = FETCH_NOT_MODIFIED;
    assert_int_equal(poll_fetched(&f, &cfg, &r, 0, 1100, 0, 1, &out), 0);
    assert_false(out.parse);
    assert_int_equal(out.alert, POLL_ALERT_NONE);
    assert_int_equal(out.delay, 600);
    assert_string_equal(f.etag, "\"v1\""); /* kept across a 304 */
    /* a day later the request goes out unconditional once */
    poll_request(&f, 1000 + POLL_UNCONDITIONAL_EVERY, &url, &etag, &lm);
    assert_null(etag);
    store_feed_state_clear(&f);
}

static void test_same_body_not_parsed(void **state)
{
    (void)state;
    struct store_feed_state f = new_feed();
    struct poll_outcome out;
    poll_ok(&f, &cfg, NULL, 42, 1, &out);
    struct fetch_result r = ok200(NULL, NULL);
    assert_int_equal(poll_fetched(&f, &cfg, &r, 42, 2000, 0, 0, &out), 0);
    assert_false(out.parse);
    assert_int_equal(poll_fetched(&f, &cfg, &r, 43, 3000, 0, 0, &out), 0);
    assert_true(out.parse);
    store_feed_state_clear(&f);
}

static void test_lying_validators(void **state)
{
    (void)state;
    struct store_feed_state f = new_feed();
    struct poll_outcome out;
    poll_ok(&f, &cfg, "\"same\"", 42, 1, &out);
    assert_false(f.unconditional);
    /* unconditional check: same ETag, different body */
    struct fetch_result r = ok200("\"same\"", NULL);
    assert_int_equal(poll_fetched(&f, &cfg, &r, 99, 2000, 0, 0, &out), 0);
    assert_true(out.lying);
    assert_true(out.parse);
    assert_true(f.unconditional);
    const char *url, *etag, *lm;
    poll_request(&f, 2100, &url, &etag, &lm);
    assert_null(etag);
    assert_null(lm);
    store_feed_state_clear(&f);
}

static void test_alerts_on_state_change_only(void **state)
{
    (void)state;
    struct store_feed_state f = new_feed();
    struct poll_outcome out;
    struct fetch_result r = failed_result(500, "HTTP 500");
    int alerts = 0, prev_delay = 0;
    for (int i = 1; i <= 12; i++) {
        assert_int_equal(poll_fetched(&f, &cfg, &r, 0, 1000 * i, 0, 0, &out), 0);
        assert_int_equal(f.consecutive_failures, i);
        if (out.alert == POLL_ALERT_ERROR) {
            alerts++;
            assert_int_equal(i, cfg.error_after);
        }
        /* exponential, capped at a day */
        assert_true(out.delay >= prev_delay);
        assert_true(out.delay <= POLL_MAX_BACKOFF);
        prev_delay = out.delay;
    }
    assert_int_equal(alerts, 1);
    assert_true(prev_delay >= POLL_MAX_BACKOFF * 9 / 10);
    assert_string_equal(f.last_error, "HTTP 500");
    /* recovery: one feed-recovered, then quiet */
    poll_ok(&f, &cfg, NULL, 42, 0, &out);
    assert_int_equal(out.alert, POLL_ALERT_RECOVERED);
    assert_int_equal(f.consecutive_failures, 0);
    assert_null(f.last_error);
    assert_int_equal(out.delay, 600);
    poll_ok(&f, &cfg, NULL, 43, 0, &out);
    assert_int_equal(out.alert, POLL_ALERT_NONE);
    store_feed_state_clear(&f);
}

static void test_two_failures_no_alert(void **state)
{
    (void)state;
    struct store_feed_state f = new_feed();
    struct poll_outcome out;
    struct fetch_result r = failed_result(0, "Connection refused");
    for (int i = 0; i < 2; i++) {
        assert_int_equal(poll_fetched(&f, &cfg, &r, 0, 1000, 0, 0, &out), 0);
        assert_int_equal(out.alert, POLL_ALERT_NONE);
    }
    poll_ok(&f, &cfg, NULL, 42, 0, &out);
    assert_int_equal(out.alert, POLL_ALERT_NONE); /* nothing to recover from */
    store_feed_state_clear(&f);
}

static void test_hints(void **state)
{
    (void)state;
    struct store_feed_state f = new_feed();
    struct poll_outcome out;
    /* 429 with Retry-After longer than the backoff */
    struct fetch_result r = failed_result(429, "HTTP 429");
    r.retry_after = 7200;
    assert_int_equal(poll_fetched(&f, &cfg, &r, 0, 1000, 0, 0, &out), 0);
    assert_true(out.delay >= 7200 * 9 / 10);
    /* max-age longer than the interval is a lower bound ... */
    r = ok200(NULL, NULL);
    r.max_age = 3600;
    assert_int_equal(poll_fetched(&f, &cfg, &r, 42, 1000, 0, 0, &out), 0);
    assert_int_equal(poll_parsed(&f, &cfg, NULL, 0, 1, 0, 1000, 0, 42, &out), 0);
    assert_int_equal(out.delay, 3600);
    /* ... capped by interval_max; a feed ttl counts the same */
    struct poll_cfg c = cfg;
    c.max_interval = 1800;
    r.max_age = 999999;
    assert_int_equal(poll_fetched(&f, &c, &r, 43, 1000, 0, 0, &out), 0);
    assert_int_equal(poll_parsed(&f, &c, NULL, 0, 1, 0, 1000, 0, 43, &out), 0);
    assert_int_equal(out.delay, 1800);
    r.max_age = -1;
    assert_int_equal(poll_fetched(&f, &cfg, &r, 44, 1000, 0, 0, &out), 0);
    assert_int_equal(poll_parsed(&f, &cfg, NULL, 0, 1, 5400, 1000, 0, 44, &out), 0);
    assert_int_equal(out.delay, 5400);
    store_feed_state_clear(&f);
}

static void test_gone(void **state)
{
    (void)state;
    struct store_feed_state f = new_feed();
    struct poll_outcome out;
    struct fetch_result r = failed_result(410, "HTTP 410");
    assert_int_equal(poll_fetched(&f, &cfg, &r, 0, 1000, 0, 0, &out), 0);
    assert_true(out.gone);
    assert_true(f.gone);
    assert_int_equal(out.alert, POLL_ALERT_ERROR); /* at once, not after 3 */
    assert_int_equal(out.delay, 0);
    store_feed_state_clear(&f);
}

static void test_permanent_redirects(void **state)
{
    (void)state;
    struct store_feed_state f = new_feed();
    struct poll_outcome out;
    struct fetch_result r = ok200(NULL, NULL);
    r.permanent_url = "https://new.example.org/rss";
    for (int i = 1; i <= 2; i++) {
        assert_int_equal(poll_fetched(&f, &cfg, &r, 40 + i, 1000, 0, 0, &out), 0);
        assert_false(out.moved);
    }
    /* a temporary answer in between starts the count again */
    struct fetch_result plain = ok200(NULL, NULL);
    assert_int_equal(poll_fetched(&f, &cfg, &plain, 50, 1000, 0, 0, &out), 0);
    assert_int_equal(f.redirect_count, 0);
    for (int i = 1; i <= 3; i++)
        assert_int_equal(poll_fetched(&f, &cfg, &r, 60 + i, 1000, 0, 0, &out), 0);
    assert_true(out.moved);
    assert_string_equal(f.moved_url, "https://new.example.org/rss");
    const char *url, *etag, *lm;
    poll_request(&f, 2000, &url, &etag, &lm);
    assert_string_equal(url, "https://new.example.org/rss");
    store_feed_state_clear(&f);
}

static void test_adaptive_interval(void **state)
{
    (void)state;
    struct store_feed_state f = new_feed();
    struct poll_outcome out;
    struct poll_cfg c = {3600, 1, 300, 7200, 3};
    for (int i = 0; i < 20; i++)
        poll_ok(&f, &c, NULL, 100 + i, 5, &out);
    assert_int_equal(f.adaptive_interval, 300); /* busy feed: down to the minimum */
    assert_int_equal(out.delay, 300 + 0);
    for (int i = 0; i < 40; i++)
        poll_ok(&f, &c, NULL, 200 + i, 0, &out);
    assert_int_equal(f.adaptive_interval, 7200); /* quiet feed: up to the maximum */
    store_feed_state_clear(&f);
}

static void test_parse_failure_keeps_reporting(void **state)
{
    (void)state;
    struct store_feed_state f = new_feed();
    struct poll_outcome out;
    struct fetch_result r = ok200(NULL, NULL);
    for (int i = 1; i <= 3; i++) {
        assert_int_equal(poll_fetched(&f, &cfg, &r, 77, 1000, 0, 0, &out), 0);
        assert_true(out.parse); /* same broken body: parsed (and failing) again */
        assert_int_equal(poll_parsed(&f, &cfg, "not a feed", 0, 0, 0, 1000, 0, 77, &out), 0);
    }
    assert_int_equal(f.consecutive_failures, 3);
    assert_int_equal(out.alert, POLL_ALERT_ERROR);
    store_feed_state_clear(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conditional_requests),
        cmocka_unit_test(test_same_body_not_parsed),
        cmocka_unit_test(test_lying_validators),
        cmocka_unit_test(test_alerts_on_state_change_only),
        cmocka_unit_test(test_two_failures_no_alert),
        cmocka_unit_test(test_hints),
        cmocka_unit_test(test_gone),
        cmocka_unit_test(test_permanent_redirects),
        cmocka_unit_test(test_adaptive_interval),
        cmocka_unit_test(test_parse_failure_keeps_reporting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
