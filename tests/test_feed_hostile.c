/*
 * test_feed_hostile: XML written to hurt a parser. Each document is committed
 * under tests/fixtures/feed/ (the huge ones are built here, byte for byte as
 * described, because 12 MB files do not belong in git). Each test bounds time
 * (generously: these run under ASan) and the growth of peak memory, and checks
 * that the items around the attack survive.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/buf.h"
#include "fetchers/feed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define FIXTURES PW_SOURCE_DIR "/tests/fixtures/feed/"
#define MAX_SECONDS 10.0
#define MAX_RSS_GROWTH_KB (512L * 1024)

static long peak_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Parses data within the time and memory bounds; the parse must succeed. */
static struct feed *parse_bounded(const char *data, size_t len)
{
    struct feed *f = NULL;
    char err[256];
    long rss0 = peak_rss_kb();
    clock_t t0 = clock();
    int rc = feed_parse(data, len, NULL, NULL, &f, err, sizeof err);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    long grown = peak_rss_kb() - rss0;
    if (rc != 0)
        fail_msg("parse failed: %s", err);
    if (secs > MAX_SECONDS)
        fail_msg("parse took %.1f s", secs);
    if (grown > MAX_RSS_GROWTH_KB)
        fail_msg("peak RSS grew by %ld KB", grown);
    char *json = NULL;
    assert_int_equal(feed_to_json(f, &json), 0);
    free(json);
    return f;
}

static struct feed *parse_file(const char *name)
{
    struct buf b = BUF_INIT;
    char path[512], err[256];
    snprintf(path, sizeof path, FIXTURES "%s", name);
    if (buf_read_file(&b, path, 8 << 20, err, sizeof err) < 0)
        fail_msg("%s", err);
    struct feed *f = parse_bounded(b.data, b.len);
    buf_free(&b);
    return f;
}

/* bomb.xml: nine levels of ten references, 10^9 "lol"s if expanded. */
static void test_billion_laughs(void **state)
{
    (void)state;
    struct feed *f = parse_file("bomb.xml");
    assert_non_null(f->title);
    assert_true(strlen(f->title) < 64); /* the recursive entity is not expanded */
    assert_int_equal(f->nentries, 1);
    assert_string_equal(f->entries[0].title, "lol item"); /* the harmless one is */
    feed_free(f);
}

/* quadratic.xml: a 20 KB entity referenced 20,000 times (400 MB expanded). */
static void test_quadratic_blowup(void **state)
{
    (void)state;
    struct feed *f = parse_file("quadratic.xml");
    assert_true(f->bozo);
    assert_int_equal(f->nentries, 2);
    assert_true(strlen(f->entries[0].title) < (4u << 20));
    assert_string_equal(f->entries[1].title, "second");
    feed_free(f);
}

/* xxe.xml: a file:///etc/passwd entity. */
static void test_xxe_file(void **state)
{
    (void)state;
    struct feed *f = parse_file("xxe.xml");
    assert_string_equal(f->title, "t&xxe;");
    assert_int_equal(f->nentries, 1);
    feed_free(f);
}

/* xxe_net.xml: external DTD, parameter entity and general entities over
 * http (to the discard port, so that a fetch would hang or fail) and file. */
static void test_xxe_network(void **state)
{
    (void)state;
    struct feed *f = parse_file("xxe_net.xml");
    assert_string_equal(f->title, "n&net;");
    assert_int_equal(f->nentries, 1);
    assert_string_equal(f->entries[0].title, "f&file;");
    feed_free(f);
}

/* deep.xml: 20,000 nested elements inside the first item's description. */
static void test_deep_nesting(void **state)
{
    (void)state;
    struct feed *f = parse_file("deep.xml");
    assert_true(f->bozo);
    assert_int_equal(f->nentries, 2); /* the item after the attack survives */
    assert_string_equal(f->entries[0].title, "first");
    assert_string_equal(f->entries[1].title, "second");
    feed_free(f);
}

/* attr_flood.xml: 30,000 attributes on one element of xhtml content. */
static void test_attribute_flood(void **state)
{
    (void)state;
    struct feed *f = parse_file("attr_flood.xml");
    assert_int_equal(f->nentries, 2);
    assert_string_equal(f->entries[1].title, "after");
    assert_non_null(f->entries[0].content);
    assert_true(strlen(f->entries[0].content) < 8192); /* cut, not 30,000 */
    feed_free(f);
}

/* A 12 MB text node (libxml2's default limit is 10 MB) and a 12 MB
 * attribute value, each followed by an item that must survive. */
static void test_huge_text_and_attribute(void **state)
{
    (void)state;
    static const char *const shapes[][2] = {
        {"<rss><channel><item><title>big</title><description>",
         "</description></item><item><title>second</title></item></channel></rss>"},
        {"<rss><channel><item><title t=\"",
         "\">big</title></item><item><title>second</title></item></channel></rss>"},
    };
    for (size_t s = 0; s < 2; s++) {
        struct buf b = BUF_INIT;
        assert_int_equal(buf_puts(&b, shapes[s][0]), 0);
        assert_int_equal(buf_grow(&b, 12u << 20), 0);
        memset(b.data + b.len, 'A', 12u << 20);
        b.len += 12u << 20;
        b.data[b.len] = '\0';
        assert_int_equal(buf_puts(&b, shapes[s][1]), 0);
        struct feed *f = parse_bounded(b.data, b.len);
        assert_int_equal(f->nentries, 2);
        assert_string_equal(f->entries[0].title, "big");
        assert_string_equal(f->entries[1].title, "second");
        feed_free(f);
        buf_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_billion_laughs),
        cmocka_unit_test(test_quadratic_blowup),
        cmocka_unit_test(test_xxe_file),
        cmocka_unit_test(test_xxe_network),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_attribute_flood),
        cmocka_unit_test(test_huge_text_and_attribute),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
