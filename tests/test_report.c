/*
 * The report's pages (cli/report_*.c): escaping of hostile text, the
 * matcher's JSON read back, and every page rendered from a database filled
 * through the store API, checked with libxml2's HTML parser. The report is
 * part of the presswatch executable, not a library, so its sources are
 * compiled into this test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis/analysis.h"
#include "cli/report.h"
#include "store/store.h"

#define HOSTILE_SCRIPT "<script>alert(1)</script> Breakwater closes"
#define HOSTILE_ATTR                                                                               \
    "\" onmouseover=\"alert(2)\" x=\"Ferries \xe2\x80\xae"                                         \
    "evil"

static const char canon_text[] =
    "The Harbour Authority has decided to close the eastern breakwater to all vessels over "
    "forty metres from the first of March, after divers found deep cracks.\n\n"
    "Ferries to the islands will move to the western pier for the duration of the works.\n\n"
    "The repair programme will cost an estimated twelve million euros and is expected to last "
    "eighteen months.\n";

struct fixture {
    char dir[128];
    char db[192];
    struct store *st;
    int64_t canon_id;
    int64_t a1, a2; /* the hostile-titled articles */
};

static void mkdtemp_or_fail(char *dir, size_t n)
{
    snprintf(dir, n, "/tmp/pw-report-XXXXXX");
    assert_non_null(mkdtemp(dir));
}

static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[512];
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
            rm_tree(path);
        else
            unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

/* Stores one version of an item and, when it covers, its match. */
static int64_t add_item(struct fixture *f, int64_t feed, const char *guid, const char *title,
                        const char *text, time_t now, struct match_canon *mc)
{
    struct store_item it = {.guid = guid,
                            .link = "https://example.org/a",
                            .title = title,
                            .text = text,
                            .published = now - 60};
    struct store_upsert up = {0};
    struct match_result r;
    char err[256], *json = NULL, *paras;
    assert_int_equal(store_upsert_item(f->st, feed, &it, now, &up, err, sizeof err), 0);
    free(up.prev_text);
    assert_int_equal(match_article(mc, text, 0.3, &r, err, sizeof err), 0);
    assert_int_equal(match_result_json(&r, NULL, &json), 0);
    assert_non_null(paras = match_paragraph_list(&r));
    assert_int_equal(store_match_add(f->st, up.version_id, f->canon_id, r.score, r.lang, paras,
                                     json, err, sizeof err),
                     0);
    if (r.covers) {
        int first;
        assert_int_equal(store_coverage_mark(f->st, up.article_id, f->canon_id, up.version_id,
                                             r.score, now, &first, err, sizeof err),
                         0);
    }
    match_result_clear(&r);
    free(json);
    free(paras);
    return up.article_id;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct match_canon *mc;
    char err[256];
    int64_t feed1, feed2;
    assert_non_null(f);
    mkdtemp_or_fail(f->dir, sizeof f->dir);
    snprintf(f->db, sizeof f->db, "%s/pw.db", f->dir);
    assert_int_equal(store_open(f->db, &f->st, err, sizeof err), 0);
    assert_int_equal(store_feed_sync(f->st, "gazette", "https://gazette.example.org/rss", &feed1,
                                     err, sizeof err),
                     0);
    assert_int_equal(
        store_feed_sync(f->st, "evil\"<b>feed", "javascript:alert(3)", &feed2, err, sizeof err), 0);
    assert_int_equal(store_canonical_sync(f->st, "harbour<i>", "h.txt", canon_text, &f->canon_id,
                                          err, sizeof err),
                     0);
    assert_int_equal(match_canon_new(canon_text, &mc, err, sizeof err), 0);
    time_t t = 1795000000;
    f->a1 = add_item(f, feed1, "g1", HOSTILE_SCRIPT, canon_text, t, mc);
    f->a2 = add_item(f, feed2, "e1", HOSTILE_ATTR,
                     "Ferries to the islands will not move to the western pier for the duration of "
                     "the works. The repair programme will cost an estimated twelve million euros "
                     "and is expected to last eighteen months, the authority said.",
                     t + 3600, mc);
    /* an edit: a second version, the negation still there */
    add_item(f, feed2, "e1", HOSTILE_ATTR,
             "Ferries to the islands will not move to the western pier for the duration of "
             "the works. The repair programme will cost an estimated twelve million euros "
             "and is expected to last eighteen months, a spokesman said.",
             t + 7200, mc);
    add_item(f, feed1, "g2", "Storm warning", "Gusts of ninety kilometres an hour on Saturday.",
             t + 100, mc);
    match_canon_free(mc);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    store_close(f->st);
    rm_tree(f->dir);
    free(f);
    return 0;
}

static char *escaped(const char *s)
{
    struct buf b = BUF_INIT;
    assert_int_equal(html_esc(&b, s), 0);
    return b.data ? buf_detach(&b) : strdup("");
}

static void test_escape(void **state)
{
    (void)state;
    char *s = escaped(HOSTILE_SCRIPT);
    assert_string_equal(s, "&lt;script&gt;alert(1)&lt;/script&gt; Breakwater closes");
    free(s);
    s = escaped("a\" onmouseover='x' & b");
    assert_string_equal(s, "a&quot; onmouseover=&#39;x&#39; &amp; b");
    free(s);
    /* RLO and an isolate are shown, not obeyed; LRM/RLM and Cyrillic pass */
    s = escaped("ab\xe2\x80\xae"
                "cd\xe2\x81\xa6"
                "e \xd0\xb4\xe2\x80\x8f");
    assert_string_equal(s, "ab[U+202E]cd[U+2066]e \xd0\xb4\xe2\x80\x8f");
    free(s);
    /* invalid UTF-8, an overlong '<', a surrogate, controls: U+FFFD */
    s = escaped("x\xff"
                "y\xc0\xbc"
                "z\xed\xa0\x80\x01\x7f\xc2\x85"
                "end\t\n");
    assert_string_equal(s, "x\xef\xbf\xbdy\xef\xbf\xbd\xef\xbf\xbdz\xef\xbf\xbd\xef\xbf\xbd"
                           "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                           "end\t\n");
    free(s);
    s = escaped("cut \xe2\x80");
    assert_string_equal(s, "cut \xef\xbf\xbd\xef\xbf\xbd");
    free(s);
}

static void test_links(void **state)
{
    (void)state;
    assert_true(html_web_url("https://example.org/"));
    assert_true(html_web_url("HTTP://example.org/"));
    assert_false(html_web_url("javascript:alert(1)"));
    assert_false(html_web_url(" javascript:alert(1)"));
    assert_false(html_web_url("data:text/html,<script>"));
    assert_false(html_web_url(NULL));
    struct buf b = BUF_INIT;
    assert_int_equal(html_link(&b, "javascript:alert(1)", "<x>"), 0);
    assert_string_equal(b.data, "&lt;x&gt;");
    buf_reset(&b);
    assert_int_equal(html_link(&b, "https://e.org/?a=1&b=\"2\"", "t"), 0);
    assert_string_equal(
        b.data, "<a rel=\"noreferrer\" href=\"https://e.org/?a=1&amp;b=&quot;2&quot;\">t</a>");
    buf_free(&b);
}

static void test_paragraphs(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    assert_int_equal(html_paragraphs(&b, "one\ntwo\n \nthree <b>\n"), 0);
    assert_string_equal(b.data, "<p>one<br>two</p>\n<p>three &lt;b&gt;</p>\n");
    buf_free(&b);
    assert_int_equal(rep_count_paragraphs(canon_text), 3);
    assert_int_equal(rep_count_paragraphs("\n\n a\n\t\nb\nc\n\n"), 2);
}

static void test_detail_roundtrip(void **state)
{
    (void)state;
    struct match_passage p[2] = {
        {.paragraph = 2,
         .canonical = "Twenty \"five\" \xd0\xb4\n",
         .article = "x\\y\t\xf0\x9f\x98\x80",
         .altered = 1,
         .reuse = "translated",
         .attributed = 1,
         .changes = (char *[]){"number 25 -> 26", "negation"},
         .nchanges = 2},
        {.paragraph = 3, .canonical = "c", .article = "a", .reuse = "verbatim"},
    };
    int paras[] = {2, 3};
    struct match_result r = {.score = 0.5,
                             .covers = 1,
                             .lang = "bg",
                             .paragraphs = paras,
                             .nparagraphs = 2,
                             .passages = p,
                             .npassages = 2};
    char *json, err[128];
    struct match_result back;
    assert_int_equal(match_result_json(&r, "f\"ile", &json), 0);
    assert_int_equal(rep_detail_parse(json, &back, err, sizeof err), 0);
    assert_int_equal(back.npassages, 2);
    assert_int_equal(back.nparagraphs, 2);
    assert_int_equal(back.paragraphs[1], 3);
    assert_string_equal(back.lang, "bg");
    assert_true(back.covers);
    assert_string_equal(back.passages[0].canonical, p[0].canonical);
    assert_string_equal(back.passages[0].article, p[0].article);
    assert_ptr_equal(back.passages[0].reuse, rep_reuse_names[REUSE_TRANSLATED]);
    assert_int_equal(back.passages[0].nchanges, 2);
    assert_string_equal(back.passages[0].changes[1], "negation");
    assert_true(back.passages[0].altered && back.passages[0].attributed);
    assert_false(back.passages[1].altered);
    match_result_clear(&back);
    free(json);
    /* escapes the writer never uses but JSON allows */
    assert_int_equal(rep_detail_parse("{\"passages\":[{\"article\":\"\\u0041\\ud83d\\ude00\\/\"}],"
                                      "\"extra\":{\"a\":[1,2,{\"b\":null}]}}",
                                      &back, err, sizeof err),
                     0);
    assert_string_equal(back.passages[0].article, "A\xf0\x9f\x98\x80/");
    match_result_clear(&back);
}

static void test_detail_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "[",
        "{\"passages\":[{\"article\":\"x\"}",
        "{\"passages\":[{\"article\":\"x\\q\"}]}",
        "{\"score\":}",
        "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
        "{\"passages\":[{\"changes\":[\"a\",\"b\",\"c\",\"d\",\"e\",3]}]}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct match_result r;
        char err[128];
        assert_int_equal(rep_detail_parse(bad[i], &r, err, sizeof err), -1);
        assert_int_equal(r.npassages, 0);
    }
}

/* Parses html; returns the number of nodes xpath selects. */
static int xcount(xmlDocPtr doc, const char *xpath)
{
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)xpath, ctx);
    assert_non_null(o);
    int n = o->nodesetval ? o->nodesetval->nodeNr : 0;
    xmlXPathFreeObject(o);
    xmlXPathFreeContext(ctx);
    return n;
}

static xmlDocPtr render(struct fixture *f, const char *name, int expect)
{
    struct report_ctx ctx = {.st = f->st, .now = 1795010000};
    struct buf b = BUF_INIT;
    char err[256];
    int rc = report_render(&ctx, name, &b, err, sizeof err);
    if (rc != expect)
        fail_msg("%s: %d (%s)", name, rc, err);
    if (rc) {
        buf_free(&b);
        return NULL;
    }
    /* No hostile text may come through as markup. */
    assert_null(strstr(b.data, "<script"));
    assert_null(strstr(b.data, "\" onmouseover"));
    assert_null(strstr(b.data, "\xe2\x80\xae"));
    assert_null(strstr(b.data, "<b>feed"));
    xmlDocPtr doc = htmlReadMemory(b.data, (int)b.len, name, "utf-8",
                                   HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
    assert_non_null(doc);
    assert_int_equal(xcount(doc, "//script"), 0);
    assert_int_equal(xcount(doc, "//@*[starts-with(name(), 'on')]"), 0);
    assert_int_equal(xcount(doc, "//a[starts-with(@href, 'javascript')]"), 0);
    assert_int_equal(xcount(doc, "//link|//img|//iframe|//object"), 0);
    buf_free(&b);
    return doc;
}

static void test_overview(void **state)
{
    struct fixture *f = *state;
    char name[64];
    xmlDocPtr doc = render(f, "index.html", 0);
    assert_int_equal(xcount(doc, "//h2//bdi[.='harbour<i>']"), 1);
    xmlFreeDoc(doc);
    snprintf(name, sizeof name, "canonical-%lld.html", (long long)f->canon_id);
    doc = render(f, name, 0);
    assert_int_equal(xcount(doc, "//table[@class='articles']/tbody/tr"), 2);
    /* three chips per row, covered ones filled */
    assert_int_equal(xcount(doc, "//table[@class='articles']//td[@class='ps']/*"), 6);
    assert_int_equal(xcount(doc, "//td[@class='ps']/b"), 3 + 2);
    assert_int_equal(xcount(doc, "//a/bdi[.='" HOSTILE_SCRIPT "']"), 1);
    assert_int_equal(xcount(doc, "//svg//rect"), 2);
    assert_int_equal(xcount(doc, "//th/a[contains(@href,'-score-d-1.html')]"), 1);
    assert_int_equal(xcount(doc, "//td[@class='flag']"), 1); /* the altered one */
    xmlFreeDoc(doc);
    /* sorted by score, biggest first: the verbatim copy leads */
    snprintf(name, sizeof name, "table-%lld-score-d-1.html", (long long)f->canon_id);
    doc = render(f, name, 0);
    snprintf(name, sizeof name, "article-%lld.html", (long long)f->a1);
    char xp[160];
    snprintf(xp, sizeof xp, "//tbody/tr[1]//a[@href='%s']", name);
    assert_int_equal(xcount(doc, xp), 1);
    assert_int_equal(xcount(doc, "//th[@aria-sort='descending']"), 1);
    xmlFreeDoc(doc);
    snprintf(name, sizeof name, "propagation-%lld.html", (long long)f->canon_id);
    doc = render(f, name, 0);
    assert_int_equal(xcount(doc, "//tbody/tr"), 2);
    assert_int_equal(xcount(doc, "//tbody/tr[2]/td[6]/a"), 1); /* a likely source */
    xmlFreeDoc(doc);
}

static void test_article(void **state)
{
    struct fixture *f = *state;
    char name[64];
    snprintf(name, sizeof name, "article-%lld.html", (long long)f->a2);
    xmlDocPtr doc = render(f, name, 0);
    assert_int_equal(xcount(doc, "//h1/bdi[contains(., '[U+202E]evil')]"), 1);
    assert_int_equal(xcount(doc, "//div[@class='sbs']"), 1);
    assert_true(xcount(doc, "//div[contains(@class,'r-verbatim')]") >= 2);
    assert_int_equal(xcount(doc, "//div[contains(@class,'r-none')]"), 2); /* paragraph 1 */
    assert_int_equal(xcount(doc, "//div[@class='version']"), 2);
    assert_int_equal(xcount(doc, "//div[@id='v2']//del[contains(., 'the authority')]"), 1);
    assert_int_equal(xcount(doc, "//div[@id='v2']//ins[contains(., 'a spokesman')]"), 1);
    assert_int_equal(xcount(doc, "//div[contains(@class,'altered')]/span[@class='note']"), 1);
    assert_int_equal(xcount(doc, "//a[@href]"), 5); /* nav x3, canonical, the article */
    xmlFreeDoc(doc);
    snprintf(name, sizeof name, "article-%lld.html", (long long)f->a1);
    doc = render(f, name, 0);
    assert_int_equal(xcount(doc, "//a[@href='https://example.org/a']"), 1);
    assert_int_equal(xcount(doc, "//title[contains(., '<script>')]"), 1); /* as text */
    xmlFreeDoc(doc);
    doc = render(f, "feeds.html", 0);
    assert_int_equal(xcount(doc, "//tbody/tr"), 2);
    assert_int_equal(xcount(doc, "//bdi[.='evil\"<b>feed']"), 1);
    xmlFreeDoc(doc);
}

static void test_not_found(void **state)
{
    struct fixture *f = *state;
    static const char *const names[] = {
        "article-999999.html",
        "article-0.html",
        "article-01.html",
        "article--1.html",
        "article-1.htm",
        "article-1.html/",
        "../etc/passwd",
        "..%2fetc%2fpasswd",
        "canonical-9.html",
        "table-1-bogus-a-1.html",
        "table-1-score-x-1.html",
        "table-1-score-a-2.html",
        "table-1-score-a-0.html",
        "propagation-1.html?x",
        "index.html/..",
        "feeds.htm",
        "article-99999999999999999999.html",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert_null(render(f, names[i], 1));
}

static void test_write(void **state)
{
    struct fixture *f = *state;
    char dir[256], err[256];
    size_t pages;
    snprintf(dir, sizeof dir, "%s/site", f->dir);
    struct report_ctx ctx = {.st = f->st, .now = 1795010000};
    assert_int_equal(report_write(&ctx, dir, &pages, err, sizeof err), 0);
    /* index, feeds, overview, propagation, 9 x 2 table orderings, 2 articles */
    assert_int_equal(pages, 2 + 2 + 18 + 2);
    char path[320];
    snprintf(path, sizeof path, "%s/article-%lld.html", dir, (long long)f->a2);
    assert_int_equal(access(path, R_OK), 0);
    /* --canonical with another name: no canonical pages */
    ctx.only = "nothing";
    assert_int_equal(report_write(&ctx, dir, &pages, err, sizeof err), 0);
    assert_int_equal(pages, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_links),
        cmocka_unit_test(test_paragraphs),
        cmocka_unit_test(test_detail_roundtrip),
        cmocka_unit_test(test_detail_bad),
        cmocka_unit_test_setup_teardown(test_overview, setup, teardown),
        cmocka_unit_test_setup_teardown(test_article, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}
