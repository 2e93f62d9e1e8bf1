/*
 * The timeline: covering articles per hour (or day, or week when the story
 * runs long) stacked by language, as inline SVG drawn here, with the first
 * coverage marked. Languages past the sixth most common share one colour.
 */
#include "cli/report.h"

#include <stdlib.h>
#include <string.h>

enum { LANGS = 6, W = 800, H = 250, X0 = 44, X1 = 790, Y0 = 22, Y1 = 200, MIN_BUCKETS = 12 };

struct lang_count {
    const char *lang;
    size_t n;
};

static int by_count(const void *a, const void *b)
{
    const struct lang_count *x = a, *y = b;
    return x->n != y->n ? (x->n < y->n) - (x->n > y->n) : strcmp(x->lang, y->lang);
}

/* The colour slot of lang: its rank among the LANGS most common, else LANGS. */
static int slot(const struct lang_count *top, size_t ntop, const char *lang)
{
    for (size_t i = 0; i < ntop && i < LANGS; i++)
        if (!strcmp(top[i].lang, lang))
            return (int)i;
    return LANGS;
}

static size_t count_langs(const struct rep_canon *c, struct lang_count *v)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nrows; i++) {
        size_t j = 0;
        while (j < n && strcmp(v[j].lang, c->rows[i].lang))
            j++;
        if (j == n)
            v[n++] = (struct lang_count){c->rows[i].lang, 0};
        v[j].n++;
    }
    qsort(v, n, sizeof *v, by_count);
    return n;
}

static void fmt_bucket(time_t t, time_t bucket, char *out, size_t n)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(out, n, bucket < 86400 ? "%m-%d %H:00" : "%Y-%m-%d", &tm))
        out[0] = '\0';
}

static int legend(struct buf *b, const struct lang_count *top, size_t ntop)
{
    int rc = buf_puts(b, "<p class=\"legend\">");
    for (size_t i = 0; i < ntop && i <= LANGS; i++) {
        rc |= buf_printf(b, "<span><i class=\"l%zu\"></i>", i);
        rc |= i < LANGS ? html_esc(b, top[i].lang) : buf_puts(b, "other");
        rc |= buf_printf(b, " (%zu)</span>", top[i].n);
    }
    rc |= buf_puts(b, "</p>\n");
    return rc;
}

static int axes(struct buf *b, size_t max, time_t t0, time_t bucket, size_t nb)
{
    int rc = buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#889\"/>", X0,
                        Y1, X1, Y1);
    for (size_t k = 0; k <= 2; k++) {
        size_t v = max * k / 2;
        double y = Y1 - (double)(Y1 - Y0) * (double)v / (double)max;
        rc |= buf_printf(b,
                         "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%zu</text>"
                         "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>",
                         X0 - 6, y + 4, v, X0, y, X1, y);
    }
    size_t step = nb > 6 ? (nb + 5) / 6 : 1;
    double bw = (double)(X1 - X0) / (double)nb;
    for (size_t i = 0; i < nb; i += step) {
        char label[32];
        fmt_bucket(t0 + (time_t)i * bucket, bucket, label, sizeof label);
        rc |= buf_printf(b, "<text x=\"%.1f\" y=\"%d\">%s</text>", X0 + bw * (double)i, Y1 + 18,
                         label);
    }
    return rc;
}

static int first_marker(struct buf *b, const struct rep_canon *c, time_t t0, time_t bucket,
                        size_t nb)
{
    const struct rep_row *first = &c->rows[0];
    for (size_t i = 1; i < c->nrows; i++)
        if (c->rows[i].appeared < first->appeared)
            first = &c->rows[i];
    double x =
        X0 + (double)(X1 - X0) * (double)(first->appeared - t0) / ((double)bucket * (double)nb);
    char when[32];
    rep_time(first->appeared, when, sizeof when);
    int rc =
        buf_printf(b,
                   "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#b00020\" "
                   "stroke-width=\"2\" stroke-dasharray=\"4 3\"/>"
                   "<text x=\"%.1f\" y=\"%d\" style=\"fill:#b00020\"%s>first: ",
                   x, Y0 - 6, x, Y1, x, Y0 - 8, x > (X0 + X1) / 2.0 ? " text-anchor=\"end\"" : "");
    rc |= html_esc(b, first->feed);
    rc |= buf_printf(b, ", %s UTC</text>", when);
    return rc;
}

static int bars(struct buf *b, const size_t *counts, size_t nb, size_t max, time_t t0,
                time_t bucket, const struct lang_count *top, size_t ntop)
{
    double bw = (double)(X1 - X0) / (double)nb;
    int rc = 0;
    for (size_t i = 0; i < nb; i++) {
        double y = Y1;
        for (size_t k = 0; k <= LANGS; k++) {
            size_t n = counts[i * (LANGS + 1) + k];
            if (!n)
                continue;
            double h = (double)(Y1 - Y0) * (double)n / (double)max;
            char label[32];
            y -= h;
            fmt_bucket(t0 + (time_t)i * bucket, bucket, label, sizeof label);
            rc |= buf_printf(b,
                             "<rect class=\"l%zu\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                             "height=\"%.1f\"><title>",
                             k, X0 + bw * (double)i + bw * 0.08, y, bw * 0.84, h);
            rc |= k < LANGS && k < ntop ? html_esc(b, top[k].lang) : buf_puts(b, "other");
            rc |= buf_printf(b, ": %zu, %s UTC</title></rect>", n, label);
        }
    }
    return rc;
}

int rep_timeline(struct buf *b, const struct rep_canon *c)
{
    if (!c->nrows)
        return buf_puts(b, "<p>No coverage yet.</p>\n");
    time_t tmin = c->rows[0].appeared, tmax = tmin;
    for (size_t i = 1; i < c->nrows; i++) {
        tmin = c->rows[i].appeared < tmin ? c->rows[i].appeared : tmin;
        tmax = c->rows[i].appeared > tmax ? c->rows[i].appeared : tmax;
    }
    time_t bucket = tmax - tmin <= 72 * 3600 ? 3600 : (tmax - tmin) / 86400 <= 120 ? 86400 : 604800;
    time_t t0 = tmin - tmin % bucket;
    size_t nb = (size_t)((tmax - t0) / bucket) + 1;
    nb = nb < MIN_BUCKETS ? MIN_BUCKETS : nb;
    struct lang_count *top = calloc(c->nrows, sizeof *top);
    size_t *counts = calloc(nb * (LANGS + 1), sizeof *counts);
    int rc = -1;
    if (!top || !counts)
        goto done;
    size_t ntop = count_langs(c, top), max = 1;
    for (size_t i = 0; i < c->nrows; i++) {
        size_t k = (size_t)((c->rows[i].appeared - t0) / bucket);
        size_t *cell = &counts[k * (LANGS + 1) + (size_t)slot(top, ntop, c->rows[i].lang)];
        (*cell)++;
    }
    for (size_t i = 0; i < nb; i++) {
        size_t sum = 0;
        for (size_t k = 0; k <= LANGS; k++)
            sum += counts[i * (LANGS + 1) + k];
        max = sum > max ? sum : max;
    }
    /* the legend's "other" sums what the seventh slot holds */
    if (ntop > LANGS) {
        for (size_t i = LANGS + 1; i < ntop; i++)
            top[LANGS].n += top[i].n;
        ntop = LANGS + 1;
    }
    rc = buf_printf(b,
                    "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" "
                    "aria-label=\"covering articles per %s, by language\" "
                    "xmlns=\"http://www.w3.org/2000/svg\">",
                    W, H,
                    bucket == 3600    ? "hour"
                    : bucket == 86400 ? "day"
                                      : "week");
    rc |= axes(b, max, t0, bucket, nb);
    rc |= bars(b, counts, nb, max, t0, bucket, top, ntop);
    rc |= first_marker(b, c, t0, bucket, nb);
    rc |= buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">per %s (UTC)</text></svg>\n",
                     X1, H - 8,
                     bucket == 3600    ? "hour"
                     : bucket == 86400 ? "day"
                                       : "week");
    rc |= legend(b, top, ntop);
done:
    free(top);
    free(counts);
    return rc ? -1 : 0;
}
