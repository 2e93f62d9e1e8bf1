/*
 * presswatch report and serve end to end: the real presswatchd runs two
 * --once cycles over fixture feeds (file: URLs; the second cycle edits an
 * article), then `presswatch report` writes the site, whose pages are
 * checked with libxml2's HTML parser (rows, chips, diff markers, hostile
 * titles as text, no script, no javascript: link), and `presswatch serve`
 * on 127.0.0.1, port 0, is asked over HTTP with libcurl (status codes,
 * content types, 404 for unknown ids and path traversal), then stopped with
 * SIGTERM, which it must survive cleanly (exit 0, no leaks under ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "support/support.h"

#define FIX PW_SOURCE_DIR "/tests/fixtures/report/"
#define HOSTILE_SCRIPT "<script>alert(1)</script> Breakwater to close"

static char tmpdir[256], conf[320], site[320];

static void copy(const char *from, const char *to_name)
{
    struct buf b = BUF_INIT;
    char err[256], path[400];
    assert_int_equal(buf_read_file(&b, from, 1 << 20, err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/%s", tmpdir, to_name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(b.data, 1, b.len, f), b.len);
    assert_int_equal(fclose(f), 0);
    buf_free(&b);
}

/* Runs build/presswatch with args (NULL-terminated); asserts exit 0. */
static void run_cli(const char *const *args)
{
    const char *argv[16] = {"presswatch"};
    size_t n = 1;
    for (; args[n - 1] && n < 15; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execv(PW_BINARY_DIR "/presswatch", (char *const *)argv);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static int setup(void **state)
{
    (void)state;
    test_mkdtemp(tmpdir, sizeof tmpdir, "pw-itreport");
    snprintf(conf, sizeof conf, "%s/presswatch.conf", tmpdir);
    snprintf(site, sizeof site, "%s/site", tmpdir);
    FILE *f = fopen(conf, "w");
    assert_non_null(f);
    fprintf(f,
            "[daemon]\ndatabase = pw.db\nfetch_pages = no\n\n[alerts]\nsyslog = no\n"
            "min_score = 0.30\n\n[canonical harbour]\nfile = %scanonical.txt\n\n"
            "[feed gazette]\nurl = file:gazette.xml\n\n[feed coastal]\nurl = file:coastal.xml\n",
            FIX);
    assert_int_equal(fclose(f), 0);
    copy(FIX "gazette-v1.xml", "gazette.xml");
    copy(FIX "coastal.xml", "coastal.xml");
    const char *const once[] = {"--config", conf, "--once", NULL};
    free(test_run_daemon(tmpdir, once));
    copy(FIX "gazette-v2.xml", "gazette.xml"); /* the article is edited */
    free(test_run_daemon(tmpdir, once));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    test_rmdir(tmpdir);
    return 0;
}

static int count(xmlDocPtr doc, const char *xpath)
{
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)xpath, ctx);
    assert_non_null(o);
    int n = o->nodesetval ? o->nodesetval->nodeNr : 0;
    xmlXPathFreeObject(o);
    xmlXPathFreeContext(ctx);
    return n;
}

/* Checks what every page must satisfy; returns the parsed page. */
static xmlDocPtr check_html(const char *html, size_t len, const char *name)
{
    assert_null(strstr(html, "<script"));
    assert_null(strstr(html, "\xe2\x80\xae")); /* the RTL override, shown as [U+202E] */
    xmlDocPtr doc = htmlReadMemory(html, (int)len, name, "utf-8",
                                   HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
    assert_non_null(doc);
    assert_int_equal(count(doc, "//script|//link|//img|//iframe"), 0);
    assert_int_equal(count(doc, "//@*[starts-with(name(), 'on')]"), 0);
    assert_int_equal(count(doc, "//a[starts-with(@href, 'javascript')]"), 0);
    /* every link stays inside the site or goes to a web page */
    assert_int_equal(count(doc, "//a[@href and not(contains(@href, '.html')) and "
                                "not(starts-with(@href, 'https://'))]"),
                     0);
    return doc;
}

static xmlDocPtr page(const char *name)
{
    struct buf b = BUF_INIT;
    char err[256], path[400];
    snprintf(path, sizeof path, "%s/%s", site, name);
    if (buf_read_file(&b, path, 1 << 24, err, sizeof err) < 0)
        fail_msg("%s", err);
    xmlDocPtr doc = check_html(b.data, b.len, name);
    buf_free(&b);
    return doc;
}

static void test_static(void **state)
{
    (void)state;
    const char *const args[] = {"report", "--config", conf, "--out", site, NULL};
    run_cli(args);
    xmlDocPtr doc = page("index.html");
    assert_int_equal(count(doc, "//h2/a[@href='canonical-1.html']"), 1);
    xmlFreeDoc(doc);

    doc = page("canonical-1.html");
    assert_int_equal(count(doc, "//table[@class='articles']/tbody/tr"), 2);
    assert_int_equal(count(doc, "//tbody/tr[1]/td[@class='ps']/*"), 7);
    assert_true(count(doc, "//td[@class='ps']/b") >= 4);
    assert_int_equal(count(doc, "//a/bdi[.='" HOSTILE_SCRIPT "']"), 1);
    assert_int_equal(count(doc, "//a/bdi[contains(., '\" onmouseover=\"alert(2)') and "
                                "contains(., '[U+202E]evil')]"),
                     1);
    assert_true(count(doc, "//svg//rect") >= 1);
    assert_int_equal(count(doc, "//svg/line[@stroke='#b00020']"), 1); /* first coverage */
    assert_int_equal(count(doc, "//th/a"), 9);
    xmlFreeDoc(doc);

    /* every heading's ordering exists, in both directions */
    static const char *const cols[] = {"outlet", "title",   "lang",  "seen",  "score",
                                       "paras",  "altered", "reuse", "attrib"};
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
        for (int d = 0; d < 2; d++) {
            char name[64];
            snprintf(name, sizeof name, "table-1-%s-%c-1.html", cols[i], d ? 'd' : 'a');
            doc = page(name);
            assert_int_equal(count(doc, "//table[@class='articles']/tbody/tr"), 2);
            assert_int_equal(count(doc, "//th[@aria-sort]"), 1);
            xmlFreeDoc(doc);
        }

    /* the copy names the gazette's article as its likely source */
    doc = page("propagation-1.html");
    assert_int_equal(count(doc, "//tbody/tr"), 2);
    assert_int_equal(count(doc, "//tbody/tr[2]/td[6]/a[@href='article-1.html']"), 1);
    xmlFreeDoc(doc);

    /* the edited article: two versions, the diff marked */
    doc = page("article-1.html");
    assert_int_equal(count(doc, "//div[@class='sbs']"), 1);
    assert_true(count(doc, "//div[contains(@class, 'r-verbatim')]") >= 2);
    assert_int_equal(count(doc, "//div[@class='version']"), 2);
    assert_true(count(doc, "//div[@id='v2']//del") >= 1);
    assert_true(count(doc, "//div[@id='v2']//ins[contains(., 'twenty')]") >= 1);
    xmlFreeDoc(doc);

    doc = page("feeds.html");
    assert_int_equal(count(doc, "//tbody/tr"), 2);
    xmlFreeDoc(doc);
}

/* ---- presswatch serve ---- */

struct reply {
    long code;
    char type[128];
    struct buf body;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct reply *r = arg;
    return buf_append(&r->body, p, size * n) == 0 ? size * n : 0;
}

static void fetch(int port, const char *path, const char *method, struct reply *r)
{
    char url[256];
    char *type = NULL;
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    memset(r, 0, sizeof *r);
    CURL *c = curl_easy_init();
    assert_non_null(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L); /* send ../ as it is */
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    if (!strcmp(method, "HEAD"))
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else if (strcmp(method, "GET"))
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->code);
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &type);
    snprintf(r->type, sizeof r->type, "%s", type ? type : "");
    curl_easy_cleanup(c);
}

/* Starts presswatch serve on port 0; returns its pid and the bound port. */
static pid_t start_serve(int *port)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl(PW_BINARY_DIR "/presswatch", "presswatch", "serve", "--config", conf, "--listen",
              "127.0.0.1:0", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char line[256];
    size_t n = 0;
    struct pollfd p = {.fd = fds[0], .events = POLLIN};
    while (n < sizeof line - 1 && poll(&p, 1, 30000) == 1) {
        ssize_t r = read(fds[0], line + n, 1);
        if (r <= 0 || line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
    close(fds[0]);
    const char *at = strstr(line, "http://127.0.0.1:");
    if (!at)
        fail_msg("presswatch serve said: %s", line);
    *port = atoi(at + strlen("http://127.0.0.1:"));
    assert_true(*port > 0);
    return pid;
}

static void test_serve(void **state)
{
    (void)state;
    struct reply r;
    int port;
    pid_t pid = start_serve(&port);

    static const char *const ok[] = {"/",
                                     "/index.html",
                                     "/canonical-1.html",
                                     "/article-1.html",
                                     "/article-2.html",
                                     "/propagation-1.html",
                                     "/feeds.html",
                                     "/table-1-score-d-1.html",
                                     "/index.html?x=1"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        fetch(port, ok[i], "GET", &r);
        if (r.code != 200)
            fail_msg("GET %s: %ld", ok[i], r.code);
        assert_string_equal(r.type, "text/html; charset=utf-8");
        xmlFreeDoc(check_html(r.body.data, r.body.len, ok[i]));
        buf_free(&r.body);
    }
    static const char *const missing[] = {"/article-999999.html",
                                          "/article-abc.html",
                                          "/../../../../etc/passwd",
                                          "/%2e%2e/%2e%2e/etc/passwd",
                                          "/..%2f..%2fetc%2fpasswd",
                                          "/canonical-1.html/../../x",
                                          "/table-1-score-d-9.html",
                                          "//etc/passwd",
                                          "/favicon.ico"};
    for (size_t i = 0; i < sizeof missing / sizeof missing[0]; i++) {
        fetch(port, missing[i], "GET", &r);
        if (r.code != 404)
            fail_msg("GET %s: %ld, wanted 404", missing[i], r.code);
        assert_null(strstr(r.body.data ? r.body.data : "", "root:"));
        buf_free(&r.body);
    }
    fetch(port, "/index.html", "HEAD", &r);
    assert_int_equal(r.code, 200);
    buf_free(&r.body);
    fetch(port, "/index.html", "POST", &r); /* read-only: no other method */
    assert_true(r.code >= 400 && r.code != 404);
    buf_free(&r.body);

    assert_int_equal(kill(pid, SIGTERM), 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_static),
        cmocka_unit_test(test_serve),
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    xmlCleanupParser();
    return rc;
}
