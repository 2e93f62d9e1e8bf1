/*
 * The table of covering articles, sortable without JavaScript: every
 * heading links to the page of the table sorted by its column (the static
 * report writes all orderings, the server renders the one asked for).
 */
#include "cli/report.h"

#include <stdlib.h>
#include <string.h>

struct col_def {
    const char *key; /* in page names */
    const char *label;
    int first_desc; /* the order a first click gives: biggest first for amounts */
};

static const struct col_def cols[COL_N] = {
    [COL_OUTLET] = {"outlet", "Outlet", 0},     [COL_TITLE] = {"title", "Article", 0},
    [COL_LANG] = {"lang", "Lang", 0},           [COL_SEEN] = {"seen", "First seen (UTC)", 0},
    [COL_SCORE] = {"score", "Score", 1},        [COL_PARAS] = {"paras", "Paragraphs", 1},
    [COL_ALTERED] = {"altered", "Altered", 1},  [COL_REUSE] = {"reuse", "Reuse", 0},
    [COL_ATTRIB] = {"attrib", "Attributed", 1},
};

const char *rep_col_key(enum rep_col col)
{
    return cols[col].key;
}

int rep_col_parse(const char *key, enum rep_col *col)
{
    for (int i = 0; i < COL_N; i++)
        if (!strcmp(key, cols[i].key)) {
            *col = (enum rep_col)i;
            return 0;
        }
    return -1;
}

size_t rep_table_pages(const struct rep_canon *c)
{
    return c->nrows ? (c->nrows + REP_PAGE_ROWS - 1) / REP_PAGE_ROWS : 1;
}

static int dominant(const struct rep_row *r)
{
    int best = REUSE_N;
    for (int k = 0; k < REUSE_N; k++)
        if (r->reuse[k] > 0 && (best == REUSE_N || r->reuse[k] > r->reuse[best]))
            best = k;
    return best;
}

static int cmp_num(double a, double b)
{
    return (a > b) - (a < b);
}

static int cmp_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

/* Ties fall back on first coverage, then the id, so that every ordering is
 * total and the same on every run. */
static int tiebreak(const struct rep_row *a, const struct rep_row *b)
{
    int d = cmp_num((double)a->first_covered, (double)b->first_covered);
    return d ? d : cmp_num((double)a->article_id, (double)b->article_id);
}

#define DEFINE_CMP(name, expr)                                                                     \
    static int name(const void *pa, const void *pb)                                                \
    {                                                                                              \
        const struct rep_row *a = *(const struct rep_row *const *)pa;                              \
        const struct rep_row *b = *(const struct rep_row *const *)pb;                              \
        int d = (expr);                                                                            \
        return d ? d : tiebreak(a, b);                                                             \
    }

DEFINE_CMP(by_outlet, cmp_str(a->feed, b->feed))
DEFINE_CMP(by_title, cmp_str(a->title, b->title))
DEFINE_CMP(by_lang, cmp_str(a->lang, b->lang))
DEFINE_CMP(by_seen, cmp_num((double)a->first_seen, (double)b->first_seen))
DEFINE_CMP(by_score, cmp_num(a->score, b->score))
DEFINE_CMP(by_paras, cmp_num((double)a->nparas, (double)b->nparas))
DEFINE_CMP(by_altered, cmp_num(a->altered, b->altered))
DEFINE_CMP(by_reuse, cmp_num(dominant(a), dominant(b)))
DEFINE_CMP(by_attrib, cmp_num(a->npassages ? (double)a->attributed / a->npassages : -1,
                              b->npassages ? (double)b->attributed / b->npassages : -1))

static int (*const cmps[COL_N])(const void *, const void *) = {
    by_outlet, by_title, by_lang, by_seen, by_score, by_paras, by_altered, by_reuse, by_attrib,
};

static int chips(struct buf *b, const struct rep_canon *c, const struct rep_row *r)
{
    int rc = 0;
    /* All paragraphs show where the gaps are; past 30 only the covered fit. */
    if (c->nparagraphs && c->nparagraphs <= 30) {
        size_t j = 0;
        for (size_t p = 1; p <= c->nparagraphs; p++) {
            while (j < r->nparas && (size_t)r->paras[j] < p)
                j++;
            int on = j < r->nparas && (size_t)r->paras[j] == p;
            rc |= buf_printf(b, on ? "<b>%zu</b>" : "<i>%zu</i>", p);
        }
    } else {
        for (size_t j = 0; j < r->nparas; j++)
            rc |= buf_printf(b, "<b>%d</b>", r->paras[j]);
    }
    return rc;
}

static int row(struct buf *b, const struct rep_canon *c, const struct rep_row *r)
{
    char when[32], reuse[64];
    rep_time(r->first_seen, when, sizeof when);
    rep_reuse_label(r, reuse, sizeof reuse);
    int rc = buf_puts(b, "<tr><td><bdi>");
    rc |= html_esc(b, r->feed);
    rc |= buf_printf(b, "</bdi></td><td class=\"t\"><a href=\"article-%lld.html\"><bdi>",
                     (long long)r->article_id);
    rc |= html_esc(b, r->title && *r->title ? r->title : "(untitled)");
    rc |= buf_puts(b, "</bdi></a>");
    if (r->versions > 1)
        rc |= buf_printf(b, " <span class=\"meta\">%d versions</span>", r->versions);
    if (!r->active)
        rc |= buf_puts(b, " <span class=\"flag\">coverage lost</span>");
    rc |= buf_puts(b, "</td><td>");
    rc |= html_esc(b, r->lang);
    rc |= buf_printf(b, "</td><td>%s</td><td class=\"num\">%.2f</td><td class=\"ps\">", when,
                     r->score);
    rc |= chips(b, c, r);
    if (r->altered)
        rc |= buf_printf(b, "</td><td class=\"flag\">&#9888; %d</td>", r->altered);
    else
        rc |= buf_puts(b, "</td><td>&ndash;</td>");
    rc |= buf_printf(b, "<td>%s</td><td>", *reuse ? reuse : "&ndash;");
    if (!r->npassages)
        rc |= buf_puts(b, "&ndash;");
    else if (r->attributed == r->npassages)
        rc |= buf_puts(b, "yes");
    else if (!r->attributed)
        rc |= buf_puts(b, "no");
    else
        rc |= buf_printf(b, "%d/%d", r->attributed, r->npassages);
    rc |= buf_puts(b, "</td></tr>\n");
    return rc;
}

static int table_link(struct buf *b, const struct rep_canon *c, enum rep_col col, int desc,
                      size_t page)
{
    return buf_printf(b, "table-%lld-%s-%c-%zu.html", (long long)c->id, cols[col].key,
                      desc ? 'd' : 'a', page);
}

static int pager(struct buf *b, const struct rep_canon *c, enum rep_col col, int desc, size_t page)
{
    size_t n = rep_table_pages(c);
    int rc = 0;
    if (n < 2)
        return 0;
    rc |= buf_printf(b, "<p class=\"pager\">Page %zu of %zu: ", page, n);
    for (size_t p = 1; p <= n; p++) {
        /* the first, the last and the neighbours; the rest are elided */
        if (p != 1 && p != n && (p + 3 < page || p > page + 3)) {
            if (p == 2 || p == page + 4)
                rc |= buf_puts(b, "&hellip; ");
            continue;
        }
        if (p == page) {
            rc |= buf_printf(b, "<b>%zu</b>", p);
            continue;
        }
        rc |= buf_puts(b, "<a href=\"");
        rc |= table_link(b, c, col, desc, p);
        rc |= buf_printf(b, "\">%zu</a>", p);
    }
    rc |= buf_puts(b, "</p>\n");
    return rc;
}

const struct rep_row **rep_table_sort(const struct rep_canon *c, enum rep_col col, int desc)
{
    const struct rep_row **v = malloc((c->nrows ? c->nrows : 1) * sizeof *v);
    if (!v)
        return NULL;
    for (size_t i = 0; i < c->nrows; i++)
        v[i] = &c->rows[i];
    qsort(v, c->nrows, sizeof *v, cmps[col]);
    for (size_t i = 0; desc && i < c->nrows / 2; i++) {
        const struct rep_row *t = v[i];
        v[i] = v[c->nrows - 1 - i];
        v[c->nrows - 1 - i] = t;
    }
    return v;
}

int rep_table(struct buf *b, const struct rep_canon *c, const struct rep_row *const *v,
              enum rep_col col, int desc, size_t page)
{
    int rc = 0;
    rc |= pager(b, c, col, desc, page);
    rc |= buf_puts(b, "<div class=\"scroll\"><table class=\"articles\">\n<thead><tr>");
    for (int i = 0; i < COL_N; i++) {
        int here = (enum rep_col)i == col;
        int next_desc = here ? !desc : cols[i].first_desc;
        rc |= buf_printf(b, "<th%s><a href=\"",
                         !here  ? ""
                         : desc ? " aria-sort=\"descending\""
                                : " aria-sort=\"ascending\"");
        rc |= table_link(b, c, (enum rep_col)i, next_desc, 1);
        rc |= buf_printf(b, "\">%s%s</a></th>", cols[i].label,
                         !here  ? ""
                         : desc ? " &#9660;"
                                : " &#9650;");
    }
    rc |= buf_puts(b, "</tr></thead>\n<tbody>\n");
    size_t from = (page - 1) * REP_PAGE_ROWS;
    for (size_t k = from; k < c->nrows && k < from + REP_PAGE_ROWS; k++)
        rc |= row(b, c, v[k]);
    if (!c->nrows)
        rc |= buf_printf(b, "<tr><td colspan=\"%d\">No article covers this text yet.</td></tr>\n",
                         COL_N);
    rc |= buf_puts(b, "</tbody></table></div>\n");
    rc |= pager(b, c, col, desc, page);
    return rc ? -1 : 0;
}
