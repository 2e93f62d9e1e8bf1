/*
 * test_page: the article extractor on the Cyrillic fixture pages
 * (tests/fixtures/pages, written by generate.py there), charset choice,
 * headline/byline/date, and the hostile pages it must survive.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/buf.h"
#include "fetchers/page.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FIXTURES PW_SOURCE_DIR "/tests/fixtures/pages/"

static void load(const char *name, struct buf *b)
{
    char path[512], err[256];
    snprintf(path, sizeof path, FIXTURES "%s", name);
    if (buf_read_file(b, path, 1 << 22, err, sizeof err) < 0)
        fail_msg("%s", err);
}

static struct page_article extract_ok(const char *html, size_t len, const char *charset)
{
    struct page_article a;
    char err[256];
    if (page_extract(html, len, charset, NULL, &a, err, sizeof err) != 0)
        fail_msg("page_extract: %s", err);
    assert_non_null(a.text);
    return a;
}

/* Whitespace runs to one space, leading whitespace dropped, in place. */
static void squeeze(char *s)
{
    char *o = s;
    int space = 0;
    for (const char *p = s; *p; p++) {
        if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') {
            space = 1;
            continue;
        }
        if (space && o != s)
            *o++ = ' ';
        space = 0;
        *o++ = *p;
    }
    *o = '\0';
}

/* Every fixture: the expected headline, every expected paragraph present,
 * and little else (at most 10% more text than expected). */
static void test_fixtures(void **state)
{
    (void)state;
    DIR *dir = opendir(FIXTURES);
    assert_non_null(dir);
    int pages = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".html"))
            continue;
        char txt[256];
        snprintf(txt, sizeof txt, "%.*s.txt", (int)(n - 5), e->d_name);
        struct buf html = BUF_INIT, want = BUF_INIT;
        load(e->d_name, &html);
        load(txt, &want);
        struct page_article a = extract_ok(html.data, html.len, NULL);
        char *nl = strchr(want.data, '\n');
        assert_non_null(nl);
        *nl = '\0';
        if (!a.title || strcmp(a.title, want.data))
            fail_msg("%s: title '%s', want '%s'", e->d_name, a.title ? a.title : "(null)",
                     want.data);
        squeeze(a.text);
        size_t body = 0;
        for (char *p = strtok(nl + 1, "\n"); p; p = strtok(NULL, "\n")) {
            char para[4096];
            snprintf(para, sizeof para, "%s", p);
            squeeze(para);
            if (!*para)
                continue;
            body += strlen(para) + 1;
            if (!strstr(a.text, para))
                fail_msg("%s: paragraph missing: %.60s...", e->d_name, para);
        }
        if (strlen(a.text) > body + body / 10)
            fail_msg("%s: %zu bytes of text for %zu expected:\n%s", e->d_name, strlen(a.text), body,
                     a.text);
        page_article_free(&a);
        buf_free(&html);
        buf_free(&want);
        pages++;
    }
    closedir(dir);
    assert_true(pages >= 20);
}

static void test_meta_fields(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    load("ru-agency-vybory.html", &b);
    struct page_article a = extract_ok(b.data, b.len, NULL);
    assert_string_equal(a.date, "2024-09-09T18:20:00+03:00");
    assert_string_equal(a.byline, "Дмитрий Орлов");
    assert_string_equal(a.charset, "UTF-8");
    page_article_free(&a);
    buf_free(&b);

    load("uk-joomla-sport.html", &b);
    a = extract_ok(b.data, b.len, NULL);
    assert_string_equal(a.byline, "Петро Коваль");
    assert_string_equal(a.date, "2024-05-14T19:10:00+03:00");
    page_article_free(&a);
    buf_free(&b);
}

static const char para_en[] =
    "<p>The council met on Tuesday evening to discuss the new budget, which includes money "
    "for roads, schools and the library, and voted to approve it after a long debate.</p>";

static void test_title_site_name(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    buf_puts(&b, "<html><head><title>Council approves the budget for next year | Town "
                 "Gazette</title></head><body><div>");
    for (int i = 0; i < 6; i++)
        buf_puts(&b, para_en);
    buf_puts(&b, "</div></body></html>");
    struct page_article a = extract_ok(b.data, b.len, NULL);
    assert_string_equal(a.title, "Council approves the budget for next year");
    assert_non_null(strstr(a.text, "voted to approve it"));
    page_article_free(&a);
    buf_free(&b);
}

/* windows-1251 bytes declared only in <meta http-equiv>, and the same page
 * with no declaration: both decode to the same text. */
static void test_charset_cp1251(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    load("ru-dle-ohota.html", &b);
    struct page_article a = extract_ok(b.data, b.len, NULL);
    assert_string_equal(a.charset, "windows-1251");
    assert_non_null(strstr(a.text, "Сезон охоты на пушного зверя в районе откроется"));
    page_article_free(&a);

    char *m = strstr(b.data, "charset=windows-1251");
    assert_non_null(m);
    memcpy(m, "charset=xxxxxxx-1251", 20); /* unknown name: detection decides */
    a = extract_ok(b.data, b.len, NULL);
    assert_string_equal(a.charset, "windows-1251");
    assert_non_null(strstr(a.text, "Разрешения начнут выдавать"));
    page_article_free(&a);

    memcpy(m, "charset=utf-8       ", 20); /* a lie: the bytes are not UTF-8 */
    a = extract_ok(b.data, b.len, NULL);
    assert_string_equal(a.charset, "windows-1251");
    assert_non_null(strstr(a.text, "Разрешения начнут выдавать"));
    page_article_free(&a);
    buf_free(&b);
}

/* The HTTP charset beats the meta; UTF-8 bytes declared as windows-1251
 * are read as UTF-8. */
static void test_charset_priority(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    load("ru-wp-most.html", &b);
    struct page_article a = extract_ok(b.data, b.len, "windows-1251");
    assert_string_equal(a.charset, "UTF-8"); /* valid multi-byte UTF-8 wins */
    assert_non_null(strstr(a.text, "Подрядчик, который ремонтирует"));
    page_article_free(&a);
    buf_free(&b);

    /* ASCII page: the header's charset is taken as given. */
    buf_puts(&b, "<html><head><meta charset=\"koi8-r\"></head><body><div>");
    for (int i = 0; i < 6; i++)
        buf_puts(&b, para_en);
    buf_puts(&b, "</div></body></html>");
    a = extract_ok(b.data, b.len, "iso-8859-1");
    assert_string_equal(a.charset, "iso-8859-1");
    page_article_free(&a);
    a = extract_ok(b.data, b.len, NULL);
    assert_string_equal(a.charset, "koi8-r");
    page_article_free(&a);
    buf_free(&b);
}

static void test_json_ld_body(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    buf_puts(&b, "<html><head><script type=\"application/ld+json\">{\"@type\":\"NewsArticle\","
                 "\"headline\":\"Bridge reopens after repairs\",\"articleBody\":\"");
    for (int i = 0; i < 8; i++)
        buf_puts(&b, "The bridge over the river reopened to traffic on Monday after three "
                     "months of repairs \\u2014 ahead of schedule. ");
    buf_puts(&b, "\"}</script></head><body><div id=\"app\">Loading...</div></body></html>");
    struct page_article a = extract_ok(b.data, b.len, NULL);
    assert_string_equal(a.title, "Bridge reopens after repairs");
    assert_non_null(strstr(a.text, "repairs — ahead of schedule"));
    page_article_free(&a);
    buf_free(&b);
}

static void test_html_to_text_unchanged(void **state)
{
    (void)state;
    char *out = NULL, err[128];
    const char *h = "<p>One <b>two</b></p><script>x()</script><ul><li>a</li><li>b</li></ul>";
    assert_int_equal(page_html_to_text(h, strlen(h), NULL, &out, err, sizeof err), 0);
    assert_string_equal(out, "One two\n\na\nb");
    free(out);
}

static void expect_error(const char *html, size_t len, const char *fragment)
{
    struct page_article a;
    char err[256] = "";
    assert_int_equal(page_extract(html, len, NULL, NULL, &a, err, sizeof err), -1);
    if (!strstr(err, fragment))
        fail_msg("error '%s' lacks '%s'", err, fragment);
    assert_null(a.text);
    page_article_free(&a);
}

static void test_not_html(void **state)
{
    (void)state;
    expect_error("", 0, "empty");
    expect_error("%PDF-1.4\n%\xE2\xE3\n1 0 obj", 20, "PDF");
    static const char bin[] = "\x01\x02\x03\x04\x05\x06\x07\x08\x00\x00\x10\x11";
    expect_error(bin, sizeof bin, "binary");
    expect_error("<html><body><script>var a = 1;</script></body></html>", 53, "no article text");
}

static void test_too_large(void **state)
{
    (void)state;
    size_t n = 50u * 1024 * 1024;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, 'a', n);
    expect_error(big, n, "limit");
    free(big);
}

static double seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* 10,000 nested elements around the article: no crash, text still found. */
static void test_deep_nesting(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    buf_puts(&b, "<html><body>");
    for (int i = 0; i < 10000; i++)
        buf_puts(&b, i % 2 ? "<div>" : "<span>");
    for (int i = 0; i < 6; i++)
        buf_puts(&b, para_en);
    struct page_article a;
    char err[256];
    double t = seconds();
    int rc = page_extract(b.data, b.len, NULL, NULL, &a, err, sizeof err);
    assert_true(seconds() - t < 20); /* generous: ASan builds are slow */
    if (rc == 0)
        assert_non_null(strstr(a.text, "council"));
    page_article_free(&a);
    buf_free(&b);
}

/* A page cut anywhere still gives text or a clean error. */
static void test_truncated(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    load("ru-bitrix-shkola.html", &b);
    for (size_t cut = 1; cut < b.len; cut += b.len / 37 + 1) {
        struct page_article a;
        char err[256];
        int rc = page_extract(b.data, cut, NULL, NULL, &a, err, sizeof err);
        assert_true(rc == 0 || rc == -1);
        assert_true(rc == -1 || a.text != NULL);
        page_article_free(&a);
    }
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_meta_fields),
        cmocka_unit_test(test_title_site_name),
        cmocka_unit_test(test_charset_cp1251),
        cmocka_unit_test(test_charset_priority),
        cmocka_unit_test(test_json_ld_body),
        cmocka_unit_test(test_html_to_text_unchanged),
        cmocka_unit_test(test_not_html),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_truncated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
