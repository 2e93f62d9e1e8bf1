/* The report's pages but the article page: index, overview, table, propagation, feeds. */
#include "cli/report.h"

#include <stdlib.h>
#include <string.h>

#include "store/store.h"

static int card(struct buf *b, const char *label, long long n)
{
    return buf_printf(b, "<div class=\"card\"><b>%lld</b>%s</div>", n, label);
}

int rep_index_page(const struct report_ctx *ctx, struct buf *b, char *err, size_t errsz)
{
    struct rep_canon *v;
    size_t n;
    if (rep_canons(ctx->st, ctx->only, &v, &n, err, errsz) < 0)
        return -1;
    int rc = html_open(b, "Coverage", CSS_OVERVIEW);
    rc |= buf_puts(b, "<h1>Coverage of the canonical texts</h1>\n");
    if (!n)
        rc |= buf_puts(b, "<p>No canonical text in the database yet.</p>\n");
    for (size_t i = 0; i < n; i++) {
        rc |= buf_printf(b, "<h2><a href=\"canonical-%lld.html\"><bdi>", (long long)v[i].id);
        rc |= html_esc(b, v[i].name);
        rc |= buf_puts(b, "</bdi></a></h2>\n<div class=\"cards\">");
        rc |= card(b, "articles", (long long)v[i].narticles);
        rc |= card(b, "outlets", (long long)v[i].noutlets);
        rc |= card(b, "paragraphs", (long long)v[i].nparagraphs);
        rc |= buf_printf(b,
                         "</div>\n<p><a href=\"canonical-%lld.html\">Overview</a> &middot; "
                         "<a href=\"propagation-%lld.html\">Propagation</a></p>\n",
                         (long long)v[i].id, (long long)v[i].id);
    }
    rc |= html_close(b, ctx->now);
    rep_canons_free(v, n);
    if (rc)
        return pw_err(err, errsz, "report: out of memory");
    return 0;
}

static int heading(struct buf *b, const struct rep_canon *c, const char *what)
{
    int rc = buf_puts(b, "<h1><bdi>");
    rc |= html_esc(b, c->name);
    rc |= buf_printf(b,
                     "</bdi>%s%s</h1>\n<p class=\"meta\">"
                     "<a href=\"canonical-%lld.html\">Overview</a> &middot; "
                     "<a href=\"propagation-%lld.html\">Propagation</a> &middot; "
                     "<a href=\"table-%lld-seen-a-1.html\">All covering articles</a></p>\n",
                     what ? ": " : "", what ? what : "", (long long)c->id, (long long)c->id,
                     (long long)c->id);
    return rc;
}

int rep_overview_page(const struct report_ctx *ctx, const struct rep_canon *c, struct buf *b)
{
    time_t first = 0;
    for (size_t i = 0; i < c->nrows; i++)
        if (!first || c->rows[i].appeared < first)
            first = c->rows[i].appeared;
    char when[32];
    rep_time(first, when, sizeof when);
    int rc = html_open(b, c->name, CSS_TABLE | CSS_OVERVIEW);
    rc |= heading(b, c, NULL);
    rc |= buf_puts(b, "<div class=\"cards\">");
    rc |= card(b, "articles", (long long)c->nrows);
    rc |= card(b, "outlets", (long long)c->noutlets);
    rc |= card(b, "languages", (long long)c->nlangs);
    rc |= buf_printf(b, "<div class=\"card\"><b>%s</b>first coverage (UTC)</div></div>\n", when);
    rc |= buf_puts(b, "<h2>Timeline</h2>\n");
    rc |= rep_timeline(b, c);
    rc |= buf_puts(b, "<h2>Covering articles</h2>\n<p class=\"meta\">Paragraph chips: the "
                      "canonical paragraphs an article covers are filled. Click a heading to "
                      "sort.</p>\n");
    const struct rep_row **v = rep_table_sort(c, COL_SEEN, 0);
    rc |= v ? rep_table(b, c, v, COL_SEEN, 0, 1) : -1;
    free(v);
    rc |= buf_puts(b, "<details><summary>Canonical text</summary>\n");
    rc |= html_paragraphs(b, c->text);
    rc |= buf_puts(b, "</details>\n");
    rc |= html_close(b, ctx->now);
    return rc ? -1 : 0;
}

int rep_table_page(const struct report_ctx *ctx, const struct rep_canon *c,
                   const struct rep_row *const *v, enum rep_col col, int desc, size_t page,
                   struct buf *b)
{
    if (page < 1 || page > rep_table_pages(c))
        return 1;
    int rc = html_open(b, c->name, CSS_TABLE);
    rc |= heading(b, c, "covering articles");
    rc |= rep_table(b, c, v, col, desc, page);
    rc |= html_close(b, ctx->now);
    return rc ? -1 : 0;
}

static int article_ref(struct buf *b, const struct rep_row *r)
{
    int rc = buf_printf(b, "<a href=\"article-%lld.html\"><bdi>", (long long)r->article_id);
    rc |= html_esc(b, r->title && *r->title ? r->title : "(untitled)");
    rc |= buf_puts(b, "</bdi></a> <span class=\"meta\"><bdi>");
    rc |= html_esc(b, r->feed);
    rc |= buf_puts(b, "</bdi></span>");
    return rc;
}

int rep_prop_page(const struct report_ctx *ctx, const struct rep_canon *c, struct buf *b)
{
    size_t *order = rep_by_appearance(c), copies = 0;
    if (!order)
        return -1;
    for (size_t i = 0; i < c->nrows; i++)
        copies += c->rows[i].similarity >= 0.5;
    int rc = html_open(b, c->name, 0);
    rc |= heading(b, c, "propagation");
    rc |= buf_printf(b,
                     "<p>Articles in order of first appearance (the feed's date when plausible, "
                     "else when presswatch first saw them). The likely source is the most "
                     "similar earlier article (Jaccard similarity of three-word runs of the "
                     "covering texts); %zu of %zu articles share at least half their wording "
                     "with an earlier one. Translations show as translated passages on the "
                     "article pages.</p>\n",
                     copies, c->nrows);
    rc |= buf_puts(b, "<div class=\"scroll\"><table>\n<thead><tr><th>#</th><th>Appeared (UTC)"
                      "</th><th>Lang</th><th>Article</th><th>Score</th><th>Likely source</th>"
                      "<th>Similarity</th></tr></thead>\n<tbody>\n");
    for (size_t k = 0; k < c->nrows; k++) {
        const struct rep_row *r = &c->rows[order[k]];
        char when[32];
        rep_time(r->appeared, when, sizeof when);
        rc |= buf_printf(b, "<tr><td class=\"num\">%zu</td><td>%s</td><td>", k + 1, when);
        rc |= html_esc(b, r->lang);
        rc |= buf_puts(b, "</td><td class=\"t\">");
        rc |= article_ref(b, r);
        rc |= buf_printf(b, "</td><td class=\"num\">%.2f</td><td class=\"t\">", r->score);
        if (r->source >= 0) {
            rc |= article_ref(b, &c->rows[r->source]);
            rc |= buf_printf(b, "</td><td class=\"num\">%.2f</td></tr>\n", r->similarity);
        } else {
            rc |= buf_puts(b, k ? "none found" : "first");
            rc |= buf_puts(b, "</td><td>&ndash;</td></tr>\n");
        }
    }
    rc |= buf_puts(b, "</tbody></table></div>\n");
    rc |= html_close(b, ctx->now);
    free(order);
    return rc ? -1 : 0;
}

/* The same states as presswatch status. */
struct feeds_acc {
    struct buf *b;
    int rc;
};

static int feed_row(const struct store_feed_state *f, void *arg)
{
    struct feeds_acc *a = arg;
    struct buf *b = a->b;
    char attempt[32], success[32], due[32];
    rep_time(f->last_attempt, attempt, sizeof attempt);
    rep_time(f->last_success, success, sizeof success);
    rep_time(f->next_due, due, sizeof due);
    const char *state = f->gone                       ? "gone"
                        : f->error_alerted            ? "failing"
                        : f->consecutive_failures > 0 ? "retrying"
                        : f->last_attempt             ? "ok"
                                                      : "new";
    int rc = buf_puts(b, "<tr><td class=\"t\"><bdi>");
    rc |= html_esc(b, f->name);
    rc |= buf_puts(b, "</bdi><br><span class=\"meta\">");
    rc |= html_esc(b, f->moved_url ? f->moved_url : f->url);
    rc |= buf_printf(b,
                     "</span></td><td%s>%s</td><td>%s</td><td>%s</td><td class=\"num\">%ld</td>"
                     "<td class=\"num\">%d/%d</td><td class=\"num\">%d</td><td>%s</td>"
                     "<td class=\"t\">",
                     strcmp(state, "ok") && strcmp(state, "new") ? " class=\"flag\"" : "", state,
                     attempt, success, f->last_status, f->items_new, f->items_seen,
                     f->consecutive_failures, due);
    rc |= html_esc(b, f->last_error);
    rc |= buf_puts(b, "</td></tr>\n");
    a->rc |= rc;
    return rc;
}

int rep_feeds_page(const struct report_ctx *ctx, struct buf *b, char *err, size_t errsz)
{
    int rc = html_open(b, "Feeds", 0);
    rc |= buf_puts(b, "<h1>Feeds</h1>\n<div class=\"scroll\"><table>\n<thead><tr><th>Feed</th>"
                      "<th>State</th><th>Last attempt (UTC)</th><th>Last success</th>"
                      "<th>HTTP</th><th>New/seen</th><th>Failures</th><th>Next due</th>"
                      "<th>Last error</th></tr></thead>\n<tbody>\n");
    struct feeds_acc a = {b, rc};
    if (rc || store_list_feeds(ctx->st, feed_row, &a, err, errsz) < 0)
        return rc ? pw_err(err, errsz, "report: out of memory") : -1;
    rc = a.rc;
    rc |= buf_puts(b, "</tbody></table></div>\n");
    rc |= html_close(b, ctx->now);
    return rc ? pw_err(err, errsz, "report: out of memory") : 0;
}
