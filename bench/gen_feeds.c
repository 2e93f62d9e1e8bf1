/*
 * gen_feeds: writes the parse benchmark's corpus: N feeds (default 2,000) of
 * 20-200 KB, RSS 2.0 and Atom, Latin and Cyrillic text, one in four encoded
 * as windows-1251. Deterministic (fixed seed), so runs compare.
 *
 *   gen_feeds DIR [N]
 */
#include "common/buf.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static unsigned long long rng = 0x9E3779B97F4A7C15ull;

static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static const char *const latin[] = {"ministry", "statement", "court",  "ruling",  "press",
                                    "release",  "minister",  "budget", "reform",  "council",
                                    "election", "report",    "policy", "foreign", "today"};
static const char *const cyrillic[] = {
    "министерство", "заявление", "суд",    "решение", "пресс",    "релиз",  "министр",  "бюджет",
    "реформа",      "съвет",     "избори", "доклад",  "политика", "външен", "сьогодні", "уряд"};

static int words(struct buf *b, int cyr, int n)
{
    for (int i = 0; i < n; i++) {
        const char *w = cyr && rnd(4) ? cyrillic[rnd(sizeof cyrillic / sizeof *cyrillic)]
                                      : latin[rnd(sizeof latin / sizeof *latin)];
        if (buf_printf(b, "%s%s", i ? " " : "", w) < 0)
            return -1;
    }
    return 0;
}

static int item(struct buf *b, int atom, int cyr, int k)
{
    int rc = 0;
    if (atom) {
        rc |= buf_printf(b, "<entry><title>");
        rc |= words(b, cyr, 6 + (int)rnd(6));
        rc |= buf_printf(b,
                         "</title><link rel=\"alternate\" href=\"https://example.org/a/%d\"/>"
                         "<id>tag:example.org,2024:%d</id><updated>2024-03-%02uT%02u:15:00Z"
                         "</updated><author><name>Desk</name></author>"
                         "<summary type=\"html\">&lt;p&gt;",
                         k, k, 1 + rnd(28), rnd(24));
        rc |= words(b, cyr, 30 + (int)rnd(30));
        rc |= buf_puts(b, "&lt;/p&gt;</summary><content type=\"xhtml\"><div "
                          "xmlns=\"http://www.w3.org/1999/xhtml\"><p>");
        rc |= words(b, cyr, 80 + (int)rnd(120));
        rc |= buf_puts(b, "</p></div></content></entry>\n");
    } else {
        rc |= buf_printf(b, "<item><title>");
        rc |= words(b, cyr, 6 + (int)rnd(6));
        rc |= buf_printf(b,
                         "</title><link>https://example.org/n/%d</link><guid>n-%d</guid>"
                         "<pubDate>Mon, %02u Mar 2024 %02u:15:00 +0300</pubDate>"
                         "<description>&lt;p&gt;",
                         k, k, 1 + rnd(28), rnd(24));
        rc |= words(b, cyr, 30 + (int)rnd(30));
        rc |= buf_puts(b, "&lt;/p&gt;</description><content:encoded><![CDATA[<p>");
        rc |= words(b, cyr, 80 + (int)rnd(120));
        rc |= buf_puts(b, "</p>]]></content:encoded></item>\n");
    }
    return rc ? -1 : 0;
}

static int to_cp1251(struct buf *in, struct buf *out)
{
    iconv_t cd = iconv_open("WINDOWS-1251//TRANSLIT", "UTF-8");
    if (cd == (iconv_t)-1)
        return -1;
    if (buf_grow(out, in->len) < 0) {
        iconv_close(cd);
        return -1;
    }
    char *ip = in->data, *op = out->data;
    size_t il = in->len, ol = out->cap - 1;
    size_t r = iconv(cd, &ip, &il, &op, &ol);
    iconv_close(cd);
    if (r == (size_t)-1)
        return -1;
    out->len = (size_t)(op - out->data);
    out->data[out->len] = '\0';
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: gen_feeds DIR [N]\n");
        return 2;
    }
    int n = argc > 2 ? atoi(argv[2]) : 2000;
    if (mkdir(argv[1], 0755) < 0 && errno != EEXIST) {
        perror(argv[1]);
        return 1;
    }
    struct buf b = BUF_INIT, c = BUF_INIT;
    for (int f = 0; f < n; f++) {
        int atom = rnd(3) == 0, cyr = rnd(3) != 0, cp1251 = cyr && rnd(3) == 0;
        size_t target = (20 + rnd(181)) * 1024;
        buf_reset(&b);
        int rc = buf_printf(&b, "<?xml version=\"1.0\" encoding=\"%s\"?>\n",
                            cp1251 ? "windows-1251" : "utf-8");
        rc |= atom ? buf_puts(&b, "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Feed</title>"
                                  "<link href=\"https://example.org/\"/>\n")
                   : buf_puts(&b, "<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/"
                                  "modules/content/\"><channel><title>Feed</title>"
                                  "<link>https://example.org/</link>\n");
        for (int k = 0; !rc && b.len < target; k++)
            rc |= item(&b, atom, cyr, k);
        rc |= buf_puts(&b, atom ? "</feed>\n" : "</channel></rss>\n");
        struct buf *w = &b;
        buf_reset(&c);
        if (!rc && cp1251) {
            rc = to_cp1251(&b, &c);
            w = &c;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/feed%04d.xml", argv[1], f);
        FILE *fp = rc ? NULL : fopen(path, "wb");
        if (!fp || fwrite(w->data, 1, w->len, fp) != w->len || fclose(fp) != 0) {
            fprintf(stderr, "gen_feeds: %s: cannot write\n", path);
            return 1;
        }
    }
    buf_free(&b);
    buf_free(&c);
    return 0;
}
