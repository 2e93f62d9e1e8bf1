/* The report's model of a canonical text and the articles covering it. */
#include "cli/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "store/store.h"

const char *const rep_reuse_names[REUSE_N] = {"verbatim", "translated", "paraphrased"};

/* A feed's date later than this past our first sight of the item is a wrong
 * clock or a made-up date: the item existed when we saw it. */
#define PUBLISHED_SLACK 3600

enum rep_reuse rep_reuse_kind(const char *s)
{
    for (int k = 0; s && k < REUSE_N; k++)
        if (!strcmp(s, rep_reuse_names[k]))
            return (enum rep_reuse)k;
    return REUSE_N;
}

void rep_reuse_label(const struct rep_row *r, char *out, size_t n)
{
    int done[REUSE_N] = {0};
    size_t o = 0;
    out[0] = '\0';
    for (int round = 0; round < REUSE_N; round++) {
        int best = -1;
        for (int k = 0; k < REUSE_N; k++)
            if (!done[k] && r->reuse[k] > 0 && (best < 0 || r->reuse[k] > r->reuse[best]))
                best = k;
        if (best < 0)
            break;
        done[best] = 1;
        int w = snprintf(out + o, n - o, "%s%s", o ? ", " : "", rep_reuse_names[best]);
        if (w < 0 || (size_t)w >= n - o)
            break;
        o += (size_t)w;
    }
}

size_t rep_count_paragraphs(const char *text)
{
    size_t n = 0;
    int in_para = 0;
    for (const char *s = text; s && *s;) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        int blank = 1;
        for (size_t i = 0; i < len && blank; i++)
            blank = s[i] == ' ' || s[i] == '\t' || s[i] == '\r';
        if (blank)
            in_para = 0;
        else if (!in_para)
            n++, in_para = 1;
        s += len + (nl != NULL);
    }
    return n;
}

struct canons_acc {
    const char *only;
    struct rep_canon *v;
    size_t n, cap;
    int oom;
};

static int add_canon(const struct store_canonical_row *r, void *arg)
{
    struct canons_acc *a = arg;
    if (a->only && strcmp(a->only, r->name))
        return 0;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 8;
        struct rep_canon *v = realloc(a->v, cap * sizeof *v);
        if (!v)
            return a->oom = 1;
        a->v = v, a->cap = cap;
    }
    struct rep_canon *c = &a->v[a->n];
    memset(c, 0, sizeof *c);
    c->id = r->id;
    c->narticles = r->articles;
    c->noutlets = r->outlets;
    c->nparagraphs = rep_count_paragraphs(r->text);
    c->name = strdup(r->name);
    c->text = strdup(r->text);
    a->n++;
    if (!c->name || !c->text)
        return a->oom = 1;
    return 0;
}

int rep_canons(struct store *st, const char *only, struct rep_canon **out, size_t *n, char *err,
               size_t errsz)
{
    struct canons_acc a = {.only = only};
    *out = NULL;
    *n = 0;
    if (store_list_canonicals(st, add_canon, &a, err, errsz) < 0 || a.oom) {
        if (a.oom)
            pw_err(err, errsz, "report: out of memory");
        rep_canons_free(a.v, a.n);
        return -1;
    }
    *out = a.v;
    *n = a.n;
    return 0;
}

static void row_clear(struct rep_row *r)
{
    free(r->feed);
    free(r->title);
    free(r->link);
    free(r->lang);
    free(r->paras);
}

void rep_canons_free(struct rep_canon *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        for (size_t j = 0; j < v[i].nrows; j++)
            row_clear(&v[i].rows[j]);
        free(v[i].rows);
        free(v[i].name);
        free(v[i].text);
    }
    free(v);
}

static char *dup_or_null(const char *s, int *oom)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *oom = 1;
    return d;
}

static int parse_paras(const char *list, struct rep_row *r)
{
    size_t n = 1;
    for (const char *s = list; *s; s++)
        n += *s == ',';
    if (!(r->paras = calloc(n, sizeof *r->paras)))
        return -1;
    for (const char *s = list; *s;) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s)
            break;
        if (v > 0 && v < 100000)
            r->paras[r->nparas++] = (int)v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            break;
    }
    return 0;
}

/* Aggregates the passages of the detail JSON; a detail it cannot read (an
 * older matcher's) leaves the counts at 0 rather than failing the page. */
static void aggregate(struct rep_row *r, const char *detail)
{
    struct match_result m;
    char err[128];
    if (!detail || rep_detail_parse(detail, &m, err, sizeof err) < 0)
        return;
    r->npassages = (int)m.npassages;
    for (size_t i = 0; i < m.npassages; i++) {
        const struct match_passage *p = &m.passages[i];
        r->altered += p->altered != 0;
        r->attributed += p->attributed != 0;
        enum rep_reuse k = rep_reuse_kind(p->reuse);
        if (k < REUSE_N)
            r->reuse[k]++;
    }
    match_result_clear(&m);
}

struct rows_acc {
    struct rep_canon *c;
    size_t cap;
    int oom;
};

static int add_row(const struct store_covering_row *s, void *arg)
{
    struct rows_acc *a = arg;
    struct rep_canon *c = a->c;
    if (c->nrows == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        struct rep_row *v = realloc(c->rows, cap * sizeof *v);
        if (!v)
            return a->oom = 1;
        c->rows = v, a->cap = cap;
    }
    struct rep_row *r = &c->rows[c->nrows++];
    memset(r, 0, sizeof *r);
    r->article_id = s->article_id;
    r->feed = dup_or_null(s->feed, &a->oom);
    r->title = dup_or_null(s->title, &a->oom);
    r->link = dup_or_null(s->link, &a->oom);
    r->lang = dup_or_null(s->lang && *s->lang ? s->lang : "und", &a->oom);
    r->first_seen = s->first_seen;
    r->published = s->published;
    r->first_covered = s->first_covered;
    r->appeared = s->published > 0 && s->published <= s->first_seen + PUBLISHED_SLACK
                      ? s->published
                      : s->first_seen;
    r->active = s->active;
    r->versions = s->versions;
    r->version_no = s->version_no;
    r->score = s->score;
    r->source = -1;
    if (parse_paras(s->paragraphs, r) < 0)
        a->oom = 1;
    aggregate(r, s->detail);
    return a->oom;
}

int rep_canon_rows(struct store *st, struct rep_canon *c, char *err, size_t errsz)
{
    struct rows_acc a = {.c = c};
    if (store_list_covering(st, c->id, add_row, &a, err, errsz) < 0)
        return -1;
    if (a.oom)
        return pw_err(err, errsz, "report: %s: out of memory", c->name);
    /* Distinct languages: few, so a linear list is enough. */
    const char *seen[256]; /* ISO 639-1 has fewer codes */
    size_t n = 0;
    c->nlangs = 0;
    for (size_t i = 0; i < c->nrows; i++) {
        size_t j = 0;
        while (j < n && strcmp(seen[j], c->rows[i].lang))
            j++;
        if (j == n) {
            c->nlangs++;
            if (n < sizeof seen / sizeof seen[0])
                seen[n++] = c->rows[i].lang;
        }
    }
    return 0;
}
