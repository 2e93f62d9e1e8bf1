/*
 * test_feed: the feed parser on small hand-written feeds (tests/fixtures/feed),
 * the hostile inputs it must survive, and the date formats it must read.
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
#include <time.h>

#define FIXTURES PW_SOURCE_DIR "/tests/fixtures/feed/"

static void load(const char *name, struct buf *b)
{
    char path[512], err[256];
    snprintf(path, sizeof path, FIXTURES "%s", name);
    if (buf_read_file(b, path, 1 << 20, err, sizeof err) < 0)
        fail_msg("%s", err);
}

/* Parses a fixture; the test fails unless the parser accepts it. */
static struct feed *parse_fixture(const char *name, const char *base)
{
    struct buf b = BUF_INIT;
    struct feed *f = NULL;
    char err[256];
    load(name, &b);
    int rc = feed_parse(b.data, b.len, base, NULL, &f, err, sizeof err);
    buf_free(&b);
    if (rc != 0)
        fail_msg("%s: %s", name, err);
    assert_non_null(f);
    return f;
}

static void assert_date(int has, time_t t, const char *iso)
{
    assert_true(has);
    char s[32];
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    assert_string_equal(s, iso);
}

static void test_rss20(void **state)
{
    (void)state;
    struct feed *f = parse_fixture("rss20.xml", "https://example.org/");
    assert_false(f->bozo);
    assert_string_equal(f->title, "Ministry news");
    assert_string_equal(f->link, "https://example.org/");
    /* an RSS description is HTML: a bare & is written as an entity, as feedparser does */
    assert_string_equal(f->subtitle, "Statements &amp; releases");
    assert_int_equal(f->nentries, 2);
    struct feed_entry *e = &f->entries[0];
    assert_string_equal(e->title, "Statement on the ruling");
    assert_string_equal(e->link, "https://example.org/news/1"); /* resolved against base_url */
    assert_string_equal(e->id, "news-1");
    assert_string_equal(e->summary, "<p>Short <b>text</b></p>");
    assert_string_equal(e->content, "<p>Full text</p>");
    assert_string_equal(e->author, "Press Office");
    assert_date(e->has_published, e->published, "2004-01-01T12:00:00Z");
    assert_false(e->has_updated);
    assert_null(f->entries[1].id); /* no guid: the daemon falls back to the link */
    assert_string_equal(f->entries[1].link, "https://example.org/news/2");
    feed_free(f);
}

static void test_rdf(void **state)
{
    (void)state;
    struct feed *f = parse_fixture("rdf.xml", NULL);
    assert_false(f->bozo);
    assert_string_equal(f->title, "RDF channel");
    assert_string_equal(f->subtitle, "An RSS 1.0 feed");
    assert_int_equal(f->nentries, 1);
    assert_string_equal(f->entries[0].title, "First item");
    assert_string_equal(f->entries[0].id, "https://example.org/a"); /* rdf:about */
    assert_string_equal(f->entries[0].summary, "About A");
    assert_date(f->entries[0].has_updated, f->entries[0].updated, "2004-01-01T17:00:00Z");
    feed_free(f);
}

static void test_atom10(void **state)
{
    (void)state;
    struct feed *f = parse_fixture("atom10.xml", NULL);
    assert_false(f->bozo);
    assert_string_equal(f->title, "Example <b>Atom</b>"); /* html title keeps its markup */
    assert_string_equal(f->link, "https://example.org/"); /* alternate, not self */
    assert_string_equal(f->subtitle, "All the news");
    assert_int_equal(f->nentries, 1);
    struct feed_entry *e = &f->entries[0];
    assert_string_equal(e->link, "https://example.org/blog/2004/entry-one"); /* xml:base */
    assert_string_equal(e->id, "tag:example.org,2004:1");
    assert_string_equal(e->author, "Jane Doe (jane@example.org)");
    assert_string_equal(e->summary, "A summary");
    assert_string_equal(e->content, "<p>Hello <b>world</b></p>"); /* wrapper div removed */
    assert_date(e->has_published, e->published, "2004-01-01T12:00:00Z");
    assert_date(e->has_updated, e->updated, "2004-01-02T07:30:00Z");
    feed_free(f);
}

static void test_atom03(void **state)
{
    (void)state;
    struct feed *f = parse_fixture("atom03.xml", NULL);
    assert_false(f->bozo);
    assert_string_equal(f->title, "Atom 0.3 feed");
    assert_string_equal(f->subtitle, "Old tagline");
    assert_int_equal(f->nentries, 1);
    struct feed_entry *e = &f->entries[0];
    assert_string_equal(e->title, "<i>Old</i> entry");
    assert_string_equal(e->link, "https://example.org/old");
    assert_string_equal(e->author, "John");
    assert_string_equal(e->content, "<p>Hi</p>"); /* mode="base64" */
    assert_date(e->has_published, e->published, "2003-12-31T10:14:55Z");
    assert_date(e->has_updated, e->updated, "2004-01-01T19:48:21Z");
    feed_free(f);
}

static void test_windows1251(void **state)
{
    (void)state;
    struct feed *f = parse_fixture("cp1251.xml", NULL);
    assert_false(f->bozo);
    assert_string_equal(f->title, "Новини");
    assert_int_equal(f->nentries, 1);
    assert_string_equal(f->entries[0].title, "Заявление министерства");
    assert_string_equal(f->entries[0].summary, "Текст на български");
    feed_free(f);
}

static void test_utf16_bom(void **state)
{
    (void)state;
    const char *xml = "<?xml version=\"1.0\" encoding=\"utf-16\"?><rss><channel>"
                      "<title>Ελληνικά</title></channel></rss>";
    /* UTF-16LE with BOM, built from the UTF-8 text above (BMP only) */
    struct buf b = BUF_INIT;
    assert_int_equal(buf_append(&b, "\xFF\xFE", 2), 0);
    for (const unsigned char *p = (const unsigned char *)xml; *p;) {
        unsigned cp = *p++;
        if (cp >= 0xC0) {
            cp = ((cp & 0x1F) << 6) | (*p++ & 0x3F);
        }
        char u[2] = {(char)(cp & 0xFF), (char)(cp >> 8)};
        assert_int_equal(buf_append(&b, u, 2), 0);
    }
    struct feed *f = NULL;
    char err[256];
    assert_int_equal(feed_parse(b.data, b.len, NULL, NULL, &f, err, sizeof err), 0);
    assert_false(f->bozo);
    assert_string_equal(f->title, "Ελληνικά");
    feed_free(f);
    buf_free(&b);
}

static void test_http_charset_and_invalid_utf8(void **state)
{
    (void)state;
    struct feed *f = NULL;
    char err[256];
    /* koi8-r bytes for "Мир", charset only known from HTTP */
    const char koi[] = "<rss><channel><title>\xed\xc9\xd2</title></channel></rss>";
    assert_int_equal(feed_parse(koi, sizeof koi - 1, NULL, "koi8-r", &f, err, sizeof err), 0);
    assert_string_equal(f->title, "Мир");
    feed_free(f);

    /* declared UTF-8 but not: bozo, and the strings are still valid UTF-8 */
    const char bad[] = "<rss><channel><title>caf\xe9 \xff</title></channel></rss>";
    assert_int_equal(feed_parse(bad, sizeof bad - 1, NULL, NULL, &f, err, sizeof err), 0);
    assert_true(f->bozo);
    assert_string_equal(f->title, "café ÿ");
    feed_free(f);
}

static void test_malformed_recovers(void **state)
{
    (void)state;
    struct feed *f = parse_fixture("malformed.xml", NULL);
    assert_true(f->bozo);
    assert_non_null(f->bozo_msg);
    assert_string_equal(f->title, "Broken \xc2\xa0"
                                  "feed été AT&T");
    assert_int_equal(f->nentries, 2);
    assert_string_equal(f->entries[0].title, "First");
    assert_string_equal(f->entries[1].title, "Second");
    assert_string_equal(f->entries[1].link, "https://example.org/2");
    feed_free(f);
}

static void test_entity_bomb(void **state)
{
    (void)state;
    clock_t t0 = clock();
    struct feed *f = parse_fixture("bomb.xml", NULL);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    assert_true(secs < 2.0);
    /* the recursive entity is not expanded; the harmless one is */
    assert_non_null(f->title);
    assert_true(strlen(f->title) < 64);
    assert_int_equal(f->nentries, 1);
    assert_string_equal(f->entries[0].title, "lol item");
    char *json = NULL;
    assert_int_equal(feed_to_json(f, &json), 0);
    assert_true(strlen(json) < 1024);
    free(json);
    feed_free(f);
}

static void test_external_entity_not_loaded(void **state)
{
    (void)state;
    struct feed *f = parse_fixture("xxe.xml", NULL);
    assert_non_null(f->title);
    assert_null(strstr(f->title, "root:"));
    assert_string_equal(f->title, "t&xxe;");
    assert_int_equal(f->nentries, 1);
    feed_free(f);
}

static void test_not_a_feed(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    struct feed *f = NULL;
    char err[256] = "";
    load("page.html", &b);
    assert_int_equal(feed_parse(b.data, b.len, NULL, NULL, &f, err, sizeof err), -1);
    assert_null(f);
    assert_non_null(strstr(err, "not a feed"));
    buf_free(&b);

    err[0] = '\0';
    assert_int_equal(feed_parse("", 0, NULL, NULL, &f, err, sizeof err), -1);
    assert_true(err[0] != '\0');
    const char garbage[] = "\x01\x02\x03\xff\xfe binary \x00 junk";
    assert_int_equal(feed_parse(garbage, sizeof garbage - 1, NULL, NULL, &f, err, sizeof err), -1);
    assert_null(f);
}

static void test_json(void **state)
{
    (void)state;
    struct feed *f = parse_fixture("rss20.xml", NULL);
    char *json = NULL;
    assert_int_equal(feed_to_json(f, &json), 0);
    assert_non_null(strstr(json, "\"bozo\":false"));
    assert_non_null(strstr(json, "\"title\":\"Ministry news\""));
    assert_non_null(strstr(json, "\"published\":\"2004-01-01T12:00:00Z\""));
    assert_non_null(strstr(json, "\"updated\":null"));
    assert_non_null(strstr(json, "\"id\":null"));
    free(json);
    feed_free(f);
}

struct date_case {
    const char *in, *want; /* want NULL: must be rejected */
};

static void test_dates(void **state)
{
    (void)state;
    static const struct date_case cases[] = {
        {"Thu, 01 Jan 2004 19:48:21 GMT", "2004-01-01T19:48:21Z"},
        {"Thu, 01 Jan 2004 19:48:21 +0000", "2004-01-01T19:48:21Z"},
        {"Thu, 1 Jan 2004 14:48:21 EST", "2004-01-01T19:48:21Z"},
        {"Thu, 01 Jan 2004 12:48:21 PDT", "2004-01-01T19:48:21Z"},
        {"01 Jan 2004 19:48 UT", "2004-01-01T19:48:00Z"},
        {"Thu, 01 Jan 04 19:48:21 GMT", "2004-01-01T19:48:21Z"},
        {"Thursday, 01 January 2004 21:48:21 +02:00", "2004-01-01T19:48:21Z"},
        {"Thu, 01 Jan 2004 19:48:21", "2004-01-01T19:48:21Z"},
        {"Sun Jan  4 16:29:06 2004", "2004-01-04T16:29:06Z"},
        {"2003-12-31T10:14:55Z", "2003-12-31T10:14:55Z"},
        {"2003-12-31T10:14:55-08:00", "2003-12-31T18:14:55Z"},
        {"2003-12-31T10:14:55.123+01:00", "2003-12-31T09:14:55Z"},
        {"2003-12-31T10:14Z", "2003-12-31T10:14:00Z"},
        {"2003-12-31", "2003-12-31T00:00:00Z"},
        {"20031231T101455Z", "2003-12-31T10:14:55Z"},
        {"2003-12-31 10:14:55", "2003-12-31T10:14:55Z"},
        {"Fri, 31 Dec 1999 23:59:60 GMT", "1999-12-31T23:59:59Z"},
        {"2004-02-30T00:00:00Z", NULL},
        {"Thu, 32 Jan 2004 19:48:21 GMT", NULL},
        {"not a date", NULL},
        {"", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        time_t t;
        int rc = feed_parse_date(cases[i].in, &t);
        if (!cases[i].want) {
            if (rc != -1)
                fail_msg("accepted bad date '%s'", cases[i].in);
            continue;
        }
        if (rc != 0)
            fail_msg("rejected date '%s'", cases[i].in);
        assert_date(1, t, cases[i].want);
    }
    assert_int_equal(feed_parse_date(NULL, &(time_t){0}), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rss20),
        cmocka_unit_test(test_rdf),
        cmocka_unit_test(test_atom10),
        cmocka_unit_test(test_atom03),
        cmocka_unit_test(test_windows1251),
        cmocka_unit_test(test_utf16_bom),
        cmocka_unit_test(test_http_charset_and_invalid_utf8),
        cmocka_unit_test(test_malformed_recovers),
        cmocka_unit_test(test_entity_bomb),
        cmocka_unit_test(test_external_entity_not_loaded),
        cmocka_unit_test(test_not_a_feed),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_dates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
