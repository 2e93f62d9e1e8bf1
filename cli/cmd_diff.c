/*
 * presswatch diff ARTICLE [FROM TO]: the word-level difference between two
 * stored versions of an article (default: the last two), like
 * `git diff --word-diff`: coloured on a terminal, [-removed-]{+added+}
 * markers otherwise, or a standalone HTML page with --html.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/analysis.h"
#include "cli/cli.h"
#include "cli/db_args.h"
#include "store/store.h"

#define USAGE "diff --config FILE|--database DB [--html] [--color|--no-color] ARTICLE [FROM TO]"

enum style { PLAIN, COLOR, HTML };

static void put_html(FILE *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        default:
            fputc(s[i], out);
        }
    }
}

static void put_text(FILE *out, enum style st, const char *s, size_t n)
{
    if (st == HTML)
        put_html(out, s, n);
    else
        fwrite(s, 1, n, out);
}

/* White space between words; in HTML a blank line ends a paragraph. */
static void put_space(FILE *out, enum style st, const char *s, size_t n)
{
    if (st != HTML) {
        fwrite(s, 1, n, out);
        return;
    }
    size_t nl = 0;
    for (size_t i = 0; i < n; i++)
        nl += s[i] == '\n';
    fputs(nl >= 2 ? "</p>\n<p>" : nl == 1 ? "<br>\n" : " ", out);
}

static void render(FILE *out, enum style st, const char *old_text, const char *new_text,
                   const struct diff_ops *ops)
{
    static const char *const open[3][3] = {
        {"", "[-", "{+"}, {"", "\033[31m", "\033[32m"}, {"", "<del>", "<ins>"}};
    static const char *const close[3][3] = {
        {"", "-]", "+}"}, {"", "\033[m", "\033[m"}, {"", "</del>", "</ins>"}};
    int space_before = 1;
    for (size_t i = 0; i < ops->n; i++) {
        const struct diff_op *op = &ops->v[i];
        const char *t = op->kind == DIFF_DEL ? old_text : new_text;
        if (!space_before)
            put_space(out, st, " ", 1); /* the other text ended here */
        fputs(open[st][op->kind], out);
        put_text(out, st, t + op->start, op->end - op->start);
        fputs(close[st][op->kind], out);
        space_before = 0;
        /* A deletion right before its replacement reads best glued to it. */
        if (op->kind == DIFF_DEL && i + 1 < ops->n && ops->v[i + 1].kind == DIFF_ADD) {
            space_before = 1;
            continue;
        }
        if (op->gap_end > op->end) {
            put_space(out, st, t + op->end, op->gap_end - op->end);
            space_before = 1;
        }
    }
    if (st != HTML && !space_before)
        fputc('\n', out);
}

static int print_version_row(const struct store_version_row *r, void *arg)
{
    char when[32];
    (void)arg;
    db_fmt_time(r->fetched_at, when, sizeof when);
    printf("  %3d  %-16s  %-4s %7zu bytes  %s\n", r->version_no, when, r->source, r->text_bytes,
           r->title ? r->title : "");
    return 0;
}

static void html_page(const struct store_version *a, const struct store_version *b,
                      const struct diff_ops *ops)
{
    char wa[32], wb[32];
    db_fmt_time(a->fetched_at, wa, sizeof wa);
    db_fmt_time(b->fetched_at, wb, sizeof wb);
    const char *title = b->article_title ? b->article_title : b->link ? b->link : "";
    fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n<title>", stdout);
    put_html(stdout, title, strlen(title));
    printf(" (versions %d-%d)</title>\n", a->version_no, b->version_no);
    fputs("<style>body{max-width:46em;margin:2em auto;padding:0 1em;font:17px/1.55 Georgia,serif}"
          ".meta{color:#555;font:14px sans-serif}"
          "del{background:#ffe0e0;color:#a00000}"
          "ins{background:#dcf5dc;color:#005a00;text-decoration:none}</style>\n"
          "</head><body>\n<h1>",
          stdout);
    put_html(stdout, title, strlen(title));
    fputs("</h1>\n<p class=\"meta\">", stdout);
    put_html(stdout, b->feed, strlen(b->feed));
    if (b->link) {
        fputs(" &middot; <a href=\"", stdout);
        put_html(stdout, b->link, strlen(b->link));
        fputs("\">", stdout);
        put_html(stdout, b->link, strlen(b->link));
        fputs("</a>", stdout);
    }
    printf("<br>version %d (%s UTC, %s) &rarr; version %d (%s UTC, %s): "
           "<ins>+%zu</ins> <del>&minus;%zu</del> words</p>\n<p>",
           a->version_no, wa, a->source, b->version_no, wb, b->source, ops->words_added,
           ops->words_removed);
    render(stdout, HTML, a->text, b->text, ops);
    fputs("</p>\n</body></html>\n", stdout);
}

static int parse_no(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < 1 || v > 1000000)
        return -1;
    *out = (int)v;
    return 0;
}

/* Takes out this command's own flags; the rest goes to db_open. */
static int own_flags(int argc, char **argv, char **rest, int *html, int *color)
{
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (i > 0 && !strcmp(argv[i], "--html"))
            *html = 1;
        else if (i > 0 && !strcmp(argv[i], "--color"))
            *color = 1;
        else if (i > 0 && !strcmp(argv[i], "--no-color"))
            *color = 0;
        else
            rest[n++] = argv[i];
    }
    rest[n] = NULL;
    return n;
}

int cmd_diff(int argc, char **argv)
{
    struct db_args a = {0};
    struct store *st = NULL;
    struct store_version va = {0}, vb = {0};
    struct diff_ops ops = {0};
    char err[512];
    int html = 0, color = -1, rc = 1, from = 0, to = 0;
    long long article;
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    if (!rest)
        return 1;
    int n = own_flags(argc, argv, rest, &html, &color);
    if (db_open(n, rest, USAGE, 3, &a, &st) < 0) {
        free(rest);
        return 2;
    }
    if (a.npos != 1 && a.npos != 3) {
        fprintf(stderr, "usage: presswatch %s\n", USAGE);
        rc = 2;
        goto done;
    }
    char *end;
    article = strtoll(a.pos[0], &end, 10);
    if (article < 1 || *end ||
        (a.npos == 3 && (parse_no(a.pos[1], &from) < 0 || parse_no(a.pos[2], &to) < 0))) {
        fprintf(stderr, "presswatch: ARTICLE, FROM and TO are numbers (see presswatch articles)\n");
        rc = 2;
        goto done;
    }
    if (store_version_get(st, article, to, &vb, err, sizeof err) < 0) {
        fprintf(stderr, "presswatch: %s\n", err);
        goto done;
    }
    if (!from && vb.version_no == 1) {
        printf("article %lld: %s\n%s\nonly one version:\n", article,
               vb.article_title ? vb.article_title : "", vb.link ? vb.link : "");
        if (store_list_versions(st, article, print_version_row, NULL, err, sizeof err) < 0)
            fprintf(stderr, "presswatch: %s\n", err);
        rc = 0;
        goto done;
    }
    if (store_version_get(st, article, from ? from : vb.version_no - 1, &va, err, sizeof err) < 0 ||
        diff_ops_words(va.text, vb.text, &ops, err, sizeof err) < 0) {
        fprintf(stderr, "presswatch: %s\n", err);
        goto done;
    }
    if (html) {
        html_page(&va, &vb, &ops);
    } else {
        char wa[32], wb[32];
        enum style s = color == 1 || (color < 0 && isatty(STDOUT_FILENO)) ? COLOR : PLAIN;
        db_fmt_time(va.fetched_at, wa, sizeof wa);
        db_fmt_time(vb.fetched_at, wb, sizeof wb);
        printf("article %lld: %s\n%s\n--- version %d (%s UTC, %s)\n+++ version %d (%s UTC, %s)\n"
               "+%zu -%zu words%s\n\n",
               article, vb.article_title ? vb.article_title : "", vb.link ? vb.link : "",
               va.version_no, wa, va.source, vb.version_no, wb, vb.source, ops.words_added,
               ops.words_removed, ops.exact ? "" : " (too different to align word by word)");
        render(stdout, s, va.text, vb.text, &ops);
    }
    rc = fflush(stdout) == 0 ? 0 : 1;
done:
    diff_ops_clear(&ops);
    store_version_clear(&va);
    store_version_clear(&vb);
    store_close(st);
    free(rest);
    return rc;
}
