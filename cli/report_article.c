/*
 * The article page: for each canonical text it covers, the canonical and the
 * article side by side, passage by passage, coloured by reuse, altered
 * passages marked with what changed; then every stored version, each with
 * the word diff from the one before.
 */
#include "cli/report.h"

#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "store/store.h"

struct page {
    struct buf *b;
    int found;
    int rc;
    char *err;
    size_t errsz;
};

static int head(const struct store_article_row *r, void *arg)
{
    struct page *p = arg;
    struct buf *b = p->b;
    char first[32], last[32];
    const char *title = r->title && *r->title ? r->title : "(untitled)";
    rep_time(r->first_seen, first, sizeof first);
    rep_time(r->last_seen, last, sizeof last);
    p->found = 1;
    int rc = html_open(b, title, CSS_ARTICLE);
    rc |= buf_puts(b, "<h1><bdi>");
    rc |= html_esc(b, title);
    rc |= buf_puts(b, "</bdi></h1>\n<p class=\"meta\"><bdi>");
    rc |= html_esc(b, r->feed);
    rc |= buf_puts(b, "</bdi> &middot; ");
    rc |= html_link(b, r->link, r->link ? r->link : r->guid);
    rc |=
        buf_printf(b, "<br>first seen %s UTC &middot; last seen %s UTC &middot; %d version%s</p>\n",
                   first, last, r->versions, r->versions == 1 ? "" : "s");
    p->rc |= rc;
    return 0;
}

/* The canonical's paragraph n (1-based) as a pointer and length. */
static const char *paragraph(const char *text, int n, size_t *len)
{
    int k = 0, in_para = 0;
    const char *start = NULL;
    for (const char *s = text; *s;) {
        const char *nl = strchr(s, '\n');
        size_t l = nl ? (size_t)(nl - s) : strlen(s);
        int blank = 1;
        for (size_t i = 0; i < l && blank; i++)
            blank = s[i] == ' ' || s[i] == '\t' || s[i] == '\r';
        if (blank && in_para && k == n) {
            *len = (size_t)(s - start);
            return start;
        }
        if (blank) {
            in_para = 0;
        } else if (!in_para) {
            in_para = 1;
            if (++k == n)
                start = s;
        }
        s += l + (nl != NULL);
    }
    *len = start ? strlen(start) : 0;
    return start;
}

static int passage(struct buf *b, const struct match_passage *m)
{
    const char *reuse = m->reuse ? m->reuse : "paraphrased";
    int rc = buf_printf(b,
                        "<div class=\"r-%s%s\"><span class=\"tag\">canonical &para;%d</span>"
                        "<br>",
                        reuse, m->altered ? " altered" : "", m->paragraph);
    rc |= html_esc(b, m->canonical);
    rc |= buf_printf(b,
                     "</div>\n<div class=\"art r-%s%s\"><span class=\"tag\">article &middot; "
                     "%s%s%s</span><br>",
                     reuse, m->altered ? " altered" : "", reuse,
                     m->attributed ? " &middot; attributed" : " &middot; not attributed",
                     m->altered ? " &middot; <span class=\"flag\">altered</span>" : "");
    rc |= html_esc(b, m->article);
    for (size_t i = 0; i < m->nchanges; i++) {
        rc |= buf_puts(b, "<span class=\"note\">&#9888; ");
        rc |= html_esc(b, m->changes[i]);
        rc |= buf_puts(b, "</span>");
    }
    if (m->altered && !m->nchanges)
        rc |= buf_puts(b, "<span class=\"note\">&#9888; wording altered</span>");
    rc |= buf_puts(b, "</div>\n");
    return rc;
}

static int side_by_side(struct buf *b, const struct store_article_match *am,
                        const struct match_result *m)
{
    int np = (int)rep_count_paragraphs(am->canonical_text), rc = 0;
    rc |= buf_puts(b, "<p class=\"legend\"><span><i class=\"r-verbatim\"></i>verbatim</span>"
                      "<span><i class=\"r-translated\"></i>translated</span>"
                      "<span><i class=\"r-paraphrased\"></i>paraphrased</span>"
                      "<span><i class=\"r-none\"></i>not in the article</span>"
                      "<span class=\"flag\">&#9888; altered: what changed</span></p>\n"
                      "<div class=\"sbs\"><div class=\"hd\">Canonical text</div>"
                      "<div class=\"hd\">Article</div>\n");
    for (int para = 1; para <= np; para++) {
        int shown = 0;
        for (size_t i = 0; i < m->npassages; i++)
            if (m->passages[i].paragraph == para)
                rc |= passage(b, &m->passages[i]), shown = 1;
        if (shown)
            continue;
        size_t len;
        const char *t = paragraph(am->canonical_text, para, &len);
        rc |= buf_printf(b,
                         "<div class=\"r-none\"><span class=\"tag\">canonical &para;%d</span>"
                         "<br>",
                         para);
        rc |= html_escn(b, t ? t : "", t ? len : 0);
        rc |= buf_puts(b, "</div>\n<div class=\"art r-none\"><span class=\"tag\">not in the "
                          "article</span></div>\n");
    }
    /* Passages without a paragraph number (an older matcher's detail). */
    for (size_t i = 0; i < m->npassages; i++)
        if (m->passages[i].paragraph < 1 || m->passages[i].paragraph > np)
            rc |= passage(b, &m->passages[i]);
    rc |= buf_puts(b, "</div>\n");
    return rc;
}

static int coverage(const struct store_article_match *am, void *arg)
{
    struct page *p = arg;
    struct buf *b = p->b;
    struct match_result m;
    char when[32], err[160];
    rep_time(am->first_covered, when, sizeof when);
    int rc = buf_printf(b, "<h2>Covers <a href=\"canonical-%lld.html\"><bdi>",
                        (long long)am->canonical_id);
    rc |= html_esc(b, am->canonical);
    rc |= buf_printf(b, "</bdi></a></h2>\n<p class=\"meta\">score %.2f &middot; language ",
                     am->score);
    rc |= html_esc(b, am->lang ? am->lang : "und");
    rc |= buf_printf(b, " &middot; since %s UTC%s<br>canonical paragraphs covered: ", when,
                     am->active ? "" : " &middot; <span class=\"flag\">coverage lost</span>");
    rc |= html_esc(b, *am->paragraphs ? am->paragraphs : "none");
    if (am->version_no)
        rc |= buf_printf(b, " (best match: version %d)", am->version_no);
    rc |= buf_puts(b, "</p>\n");
    if (rep_detail_parse(am->detail, &m, err, sizeof err) < 0) {
        rc |= buf_puts(b, "<p>No passage detail was recorded for this match.</p>\n");
    } else {
        rc |= side_by_side(b, am, &m);
        match_result_clear(&m);
    }
    p->rc |= rc;
    return 0;
}

struct versions {
    int *no;
    size_t n, cap;
    int oom;
};

static int add_version(const struct store_version_row *r, void *arg)
{
    struct versions *v = arg;
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 8;
        int *no = realloc(v->no, cap * sizeof *no);
        if (!no)
            return v->oom = 1;
        v->no = no, v->cap = cap;
    }
    v->no[v->n++] = r->version_no;
    return 0;
}

static int one_version(struct page *p, const struct store_version *prev,
                       const struct store_version *v)
{
    struct buf *b = p->b;
    char when[32];
    rep_time(v->fetched_at, when, sizeof when);
    int rc = buf_printf(b,
                        "<div class=\"version\" id=\"v%d\"><h3>Version %d</h3>\n"
                        "<p class=\"meta\">%s UTC &middot; from the ",
                        v->version_no, v->version_no, when);
    rc |= html_esc(b, v->source);
    if (v->title) {
        rc |= buf_puts(b, " &middot; <bdi>");
        rc |= html_esc(b, v->title);
        rc |= buf_puts(b, "</bdi>");
    }
    if (!prev) {
        rc |= buf_puts(b, "</p>\n");
        rc |= html_paragraphs(b, v->text);
    } else {
        size_t added, removed;
        struct buf d = BUF_INIT;
        if (rep_diff_html(&d, prev->text, v->text, &added, &removed, p->err, p->errsz) < 0)
            return -1;
        rc |= buf_printf(b,
                         "<br>changes from version %d: <ins>+%zu</ins> "
                         "<del>&minus;%zu</del> words</p>\n",
                         prev->version_no, added, removed);
        rc |= buf_append(b, d.data, d.len);
        buf_free(&d);
    }
    rc |= buf_puts(b, "</div>\n");
    return rc ? pw_err(p->err, p->errsz, "report: out of memory") : 0;
}

static int versions(const struct report_ctx *ctx, int64_t id, struct page *p)
{
    struct versions vs = {0};
    struct store_version prev = {0}, cur = {0};
    int rc = -1;
    if (store_list_versions(ctx->st, id, add_version, &vs, p->err, p->errsz) < 0)
        return -1;
    if (vs.oom) {
        pw_err(p->err, p->errsz, "report: out of memory");
        goto done;
    }
    p->rc |= buf_printf(p->b, "<h2>Versions</h2>\n");
    for (size_t i = 0; i < vs.n; i++) {
        if (store_version_get(ctx->st, id, vs.no[i], &cur, p->err, p->errsz) < 0 ||
            one_version(p, i ? &prev : NULL, &cur) < 0)
            goto done;
        store_version_clear(&prev);
        prev = cur;
        memset(&cur, 0, sizeof cur);
    }
    rc = 0;
done:
    store_version_clear(&prev);
    store_version_clear(&cur);
    free(vs.no);
    return rc;
}

int rep_article_page(const struct report_ctx *ctx, int64_t article_id, struct buf *b, char *err,
                     size_t errsz)
{
    struct page p = {.b = b, .err = err, .errsz = errsz};
    if (store_article_get(ctx->st, article_id, head, &p, err, errsz) < 0)
        return -1;
    if (!p.found)
        return 1;
    if (store_article_matches(ctx->st, article_id, coverage, &p, err, errsz) < 0 ||
        versions(ctx, article_id, &p) < 0)
        return -1;
    p.rc |= html_close(b, ctx->now);
    return p.rc ? pw_err(err, errsz, "report: out of memory") : 0;
}
