/*
 * page_score: picks the article's main text from the node table, after
 * Mozilla Readability: paragraphs (any block holding 25+ characters of its
 * own inline text) give points to their ancestors; the best ancestor, scaled
 * by its link density, is the article; siblings that score well join it;
 * then boilerplate inside it (link lists, share widgets, forms, captions) is
 * removed. When that leaves little text, the pass is repeated with fewer
 * heuristics, as Readability does, and the longest result wins.
 */
#include <stdlib.h>
#include <string.h>

#include "fetchers/page_int.h"

enum { P_STRIP = 1, P_WEIGHT = 2, P_CLEAN = 4 };

#define MIN_PARAGRAPH 25    /* characters of own text that make a paragraph */
#define MIN_ARTICLE 500     /* below this, retry with fewer heuristics */
#define ANCESTOR_LEVELS 5   /* how far up a paragraph's points reach */
#define STRICTER_SHARE 0.75 /* a looser pass must find 1/0.75 times the text */

struct agg {
    int text, links, inl, icommas, commas;
    int np, nimg, nli, ninput, nembed, ntable, nth, ntr, ntd;
    int headtext, listtext, kids, blockkids;
};

struct pass {
    const struct pdoc *d;
    int flags;
    unsigned char *drop, *rm, *scored, *in_dt, *in_fig;
    struct agg *a;
    double *score;
};

static int is_heading(int t)
{
    return t >= T_H1 && t <= T_H6;
}

static double link_density(const struct pass *p, int i)
{
    return p->a[i].text ? (double)p->a[i].links / p->a[i].text : 0.0;
}

/* Marks nodes Readability would drop before scoring. */
static void mark_drops(struct pass *p)
{
    const struct pdoc *d = p->d;
    for (int i = 0; i < d->len; i++) {
        const struct pnode *n = &d->n[i];
        int par = n->parent;
        if (par >= 0 && p->drop[par]) {
            p->drop[i] = 1;
            continue;
        }
        if (n->tag == T_TEXT)
            continue;
        int t = n->tag;
        if (n->flags & NF_HIDDEN)
            p->drop[i] = 1;
        else if (t == T_BUTTON || t == T_INPUT || t == T_SELECT || t == T_TEXTAREA ||
                 t == T_IFRAME || t == T_OBJECT)
            p->drop[i] = 1;
        else if ((p->flags & P_STRIP) && !(n->flags & NF_IN_TABLE) &&
                 ((n->flags & NF_UNLIKELY) || t == T_NAV || t == T_ASIDE || t == T_FOOTER))
            p->drop[i] = 1;
    }
}

/* Sums text, links and element counts over each subtree, bottom-up. */
static void aggregate(struct pass *p)
{
    const struct pdoc *d = p->d;
    for (int i = d->len - 1; i >= 0; i--) {
        if (p->drop[i])
            continue;
        const struct pnode *n = &d->n[i];
        struct agg *a = &p->a[i];
        if (n->tag == T_TEXT) {
            a->text = a->inl = n->chars;
            a->commas = a->icommas = n->commas;
        } else if (n->tag == T_A) {
            a->links = (n->flags & NF_HASHLINK) ? a->text * 3 / 10 : a->text;
        }
        if (n->parent < 0)
            continue;
        struct agg *u = &p->a[n->parent];
        int t = n->tag, block = (n->flags & NF_BLOCK) != 0;
        u->text += a->text;
        u->links += a->links;
        u->commas += a->commas;
        if (!block) {
            u->inl += a->inl;
            u->icommas += a->icommas;
        }
        u->np += a->np + (t == T_P);
        u->nimg += a->nimg + (t == T_IMG);
        u->nli += a->nli + (t == T_LI);
        u->ninput += a->ninput + (t == T_INPUT || t == T_SELECT || t == T_TEXTAREA);
        u->nembed += a->nembed + (t == T_EMBED || t == T_OBJECT || t == T_IFRAME);
        u->ntable += a->ntable + (t == T_TABLE);
        u->nth += a->nth + (t == T_TH || t == T_CAPTION || t == T_THEAD);
        u->ntr += a->ntr + (t == T_TR);
        u->ntd += a->ntd + (t == T_TD);
        u->headtext += is_heading(t) ? a->text : a->headtext;
        u->listtext += (t == T_UL || t == T_OL) ? a->text : a->listtext;
        if (t != T_TEXT) {
            u->kids++;
            u->blockkids += block;
        }
    }
}

static int data_table(const struct pass *p, int i)
{
    const struct agg *a = &p->a[i];
    if (a->ntable > 0)
        return 0;
    if (a->nth > 0)
        return 1;
    return a->ntr >= 10 || a->ntd > 10;
}

/* Inherited facts: inside a data table or code, inside a figure. */
static void mark_context(struct pass *p)
{
    const struct pdoc *d = p->d;
    for (int i = 0; i < d->len; i++) {
        int par = d->n[i].parent;
        if (par < 0)
            continue;
        int pt = d->n[par].tag;
        p->in_dt[i] =
            p->in_dt[par] || pt == T_CODE || pt == T_PRE || (pt == T_TABLE && data_table(p, par));
        p->in_fig[i] = p->in_fig[par] || pt == T_FIGURE;
    }
}

static double initial_score(const struct pass *p, int i)
{
    double s;
    switch (p->d->n[i].tag) {
    case T_DIV:
        s = 5;
        break;
    case T_PRE:
    case T_TD:
    case T_BLOCKQUOTE:
        s = 3;
        break;
    case T_OL:
    case T_UL:
    case T_DL:
    case T_DD:
    case T_DT:
    case T_LI:
    case T_FORM:
        s = -3;
        break;
    case T_H1:
    case T_H2:
    case T_H3:
    case T_H4:
    case T_H5:
    case T_H6:
    case T_TH:
        s = -5;
        break;
    default:
        s = 0;
    }
    if (p->flags & P_WEIGHT)
        s += p->d->n[i].weight;
    return s;
}

static void touch(struct pass *p, int i)
{
    if (!p->scored[i]) {
        p->scored[i] = 1;
        p->score[i] = initial_score(p, i);
    }
}

/* Blocks whose own text is a paragraph (menus and list items are not). */
static int scorable(int t)
{
    switch (t) {
    case T_LI:
    case T_UL:
    case T_OL:
    case T_DL:
    case T_DT:
    case T_DD:
    case T_H1:
    case T_TH:
    case T_TR:
    case T_TABLE:
    case T_NAV:
    case T_FOOTER:
    case T_ASIDE:
    case T_HEADER:
    case T_FIGCAPTION:
    case T_FIGURE:
    case T_FORM:
    case T_CAPTION:
    case T_BODY:
    case T_HTML:
        return 0;
    default:
        return 1;
    }
}

static double run_points(int chars, int commas)
{
    if (chars < MIN_PARAGRAPH)
        return 0;
    int bonus = chars / 100;
    return 1 + commas + (bonus > 3 ? 3 : bonus);
}

/* Points of the inline text directly in element i. Runs of it separated by
 * block children or by two <br> in a row are paragraphs of their own, as
 * Readability makes them <p>s; *runs counts the non-empty runs. */
static double own_points(const struct pass *p, int i, int *runs)
{
    const struct pdoc *d = p->d;
    int chars = 0, commas = 0, brs = 0;
    double pts = 0;
    *runs = 0;
    for (int c = i + 1; c <= d->n[i].end; c = c < d->n[i].end ? d->n[c].end : c + 1) {
        int flush = c == d->n[i].end;
        if (!flush) {
            if (p->drop[c])
                continue;
            const struct pnode *n = &d->n[c];
            if (n->tag == T_BR)
                flush = ++brs >= 2;
            else if (n->flags & NF_BLOCK)
                flush = 1;
            else if (p->a[c].inl > 0)
                chars += p->a[c].inl, commas += p->a[c].icommas, brs = 0;
        }
        if (flush && chars > 0) {
            pts += run_points(chars, commas);
            ++*runs;
            chars = commas = brs = 0;
        }
    }
    return pts;
}

/* Gives each paragraph's points to its ancestors. */
static void score_paragraphs(struct pass *p)
{
    const struct pdoc *d = p->d;
    for (int i = 0; i < d->len; i++) {
        const struct pnode *n = &d->n[i];
        if (p->drop[i] || n->tag == T_TEXT || !(n->flags & NF_BLOCK) || !scorable(n->tag))
            continue;
        const struct agg *a = &p->a[i];
        if (a->inl < MIN_PARAGRAPH)
            continue;
        int runs;
        double pts = own_points(p, i, &runs);
        if (pts == 0)
            continue;
        /* Text beside blocks or in several runs: the element holds paragraphs. */
        int anc = a->blockkids || runs > 1 ? i : n->parent;
        for (int level = 0; anc >= 0 && level < ANCESTOR_LEVELS; level++) {
            if (d->n[anc].tag == T_HTML)
                break;
            touch(p, anc);
            p->score[anc] += level == 0 ? pts : level == 1 ? pts / 2 : pts / (level * 3);
            anc = d->n[anc].parent;
        }
    }
    for (int i = 0; i < d->len; i++)
        if (p->scored[i])
            p->score[i] *= 1 - link_density(p, i);
}

/* Whether i is a strict descendant of anc. */
static int contains(const struct pdoc *d, int anc, int i)
{
    return i > anc && i < d->n[anc].end;
}

/* The top candidate, moved up where Readability moves it. */
static int top_candidate(struct pass *p)
{
    const struct pdoc *d = p->d;
    enum { TOPN = 5 };
    int best[TOPN], nb = 0;
    for (int i = 0; i < d->len; i++) {
        if (!p->scored[i] || p->drop[i])
            continue;
        int k;
        if (nb < TOPN)
            k = nb++;
        else if (p->score[i] > p->score[best[TOPN - 1]])
            k = TOPN - 1;
        else
            continue;
        best[k] = i;
        for (; k > 0 && p->score[best[k]] > p->score[best[k - 1]]; k--) {
            int t = best[k];
            best[k] = best[k - 1];
            best[k - 1] = t;
        }
    }
    if (nb == 0 || d->n[best[0]].tag == T_BODY)
        return d->body;
    int top = best[0];

    /* Several close runners-up under one ancestor: the ancestor is the article. */
    int alts[TOPN], na = 0;
    /* An ancestor or descendant of top is no separate evidence. */
    for (int k = 1; k < nb; k++)
        if (p->score[best[k]] / p->score[top] >= 0.75 && !contains(d, best[k], top) &&
            !contains(d, top, best[k]))
            alts[na++] = best[k];
    if (na >= 3) {
        for (int a = d->n[top].parent; a >= 0 && d->n[a].tag != T_BODY; a = d->n[a].parent) {
            int c = 0;
            for (int k = 0; k < na; k++)
                c += contains(d, a, alts[k]);
            if (c >= 3) {
                top = a;
                touch(p, top);
                break;
            }
        }
    }
    /* A parent scoring better than the child it got points from wins. */
    double last = p->score[top], threshold = last / 3;
    for (int a = d->n[top].parent; a >= 0 && d->n[a].tag != T_BODY; a = d->n[a].parent) {
        if (!p->scored[a])
            continue;
        if (p->score[a] < threshold)
            break;
        if (p->score[a] > last) {
            top = a;
            break;
        }
        last = p->score[a];
    }
    /* An only child is as good as its parent. */
    while (d->n[top].parent >= 0 && d->n[d->n[top].parent].tag != T_BODY &&
           p->a[d->n[top].parent].kids == 1)
        top = d->n[top].parent;
    touch(p, top);
    return top;
}

static const char *class_of(xmlNode *x)
{
    xmlAttr *a = xmlHasProp(x, (const xmlChar *)"class");
    return a && a->children && a->children->content ? (const char *)a->children->content : "";
}

/* Whether a short paragraph reads as a sentence (ends with a full stop). */
static int sentence_like(const struct pass *p, int i)
{
    const struct pdoc *d = p->d;
    int last = -1;
    for (int j = i + 1; j < d->n[i].end; j++) {
        if (d->n[j].tag != T_TEXT)
            continue;
        const char *s = (const char *)d->n[j].x->content;
        if (strstr(s, ". "))
            return 1;
        if (d->n[j].chars)
            last = j;
    }
    if (last < 0)
        return 0;
    const char *s = (const char *)d->n[last].x->content;
    size_t k = strlen(s);
    while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\n' || s[k - 1] == '\t' || s[k - 1] == '\r'))
        k--;
    return k > 0 && s[k - 1] == '.';
}

/* Top and the siblings that join it, in document order, into roots. */
static int gather(struct pass *p, int top, int *roots)
{
    const struct pdoc *d = p->d;
    int par = d->n[top].parent;
    if (top == d->body || par < 0) {
        roots[0] = top;
        return 1;
    }
    double threshold = p->score[top] * 0.2;
    if (threshold < 10)
        threshold = 10;
    const char *tcls = class_of(d->n[top].x);
    int nr = 0;
    for (int c = par + 1; c < d->n[par].end; c = d->n[c].end) {
        if (p->drop[c] || d->n[c].tag == T_TEXT)
            continue;
        int take = c == top;
        if (!take) {
            double bonus = *tcls && !strcmp(tcls, class_of(d->n[c].x)) ? p->score[top] * 0.2 : 0;
            int len = p->a[c].text;
            double ld = link_density(p, c);
            if (p->scored[c] && p->score[c] + bonus >= threshold)
                take = 1;
            else if (d->n[c].tag == T_P && len > 80 && ld < 0.25)
                take = 1;
            else if (d->n[c].tag == T_P && len > 0 && len <= 80 && ld == 0 && sentence_like(p, c))
                take = 1;
        }
        if (take)
            roots[nr++] = c;
    }
    return nr;
}

/* Readability's _cleanConditionally verdict for one element. */
static int fishy(const struct pass *p, int i)
{
    const struct pdoc *d = p->d;
    const struct pnode *n = &d->n[i];
    const struct agg *a = &p->a[i];
    int t = n->tag;
    if (p->in_dt[i] || (t == T_TABLE && data_table(p, i)))
        return 0;
    int weight = (p->flags & P_WEIGHT) ? n->weight : 0;
    if (weight < 0)
        return 1;
    if (a->commas >= 10)
        return 0;
    int is_list = t == T_UL || t == T_OL || (a->text && a->listtext * 10 > a->text * 9);
    int np = a->np, img = a->nimg, li = a->nli - 100, len = a->text;
    double ld = link_density(p, i);
    double heading = a->text ? (double)a->headtext / a->text : 0;
    if (img > 1 && (double)np / img < 0.5 && !p->in_fig[i])
        return 1;
    if (!is_list && li > np)
        return 1;
    if (a->ninput > np / 3)
        return 1;
    if (!is_list && heading < 0.9 && len < 25 && (img == 0 || img > 2) && !p->in_fig[i])
        return 1;
    if (!is_list && weight < 25 && ld > 0.2)
        return 1;
    if (weight >= 25 && ld > 0.5)
        return 1;
    return (a->nembed == 1 && len < 75) || a->nembed > 1;
}

/* Whether element i of the article is boilerplate (Readability's prepArticle
 * plus captions, bylines and named widgets). */
static int boilerplate(const struct pass *p, int i, int is_root)
{
    const struct pnode *n = &p->d->n[i];
    const struct agg *a = &p->a[i];
    int t = n->tag;
    if (t == T_H1 || t == T_FORM || t == T_FOOTER || t == T_ASIDE || t == T_NAV || t == T_EMBED ||
        t == T_FIELDSET || t == T_FIGCAPTION)
        return !(t == T_FORM && is_root);
    if (!is_root && (n->flags & NF_SHARE) && a->text < 500)
        return 1;
    if (!is_root && (n->flags & NF_NOISE) && (a->text < 500 || link_density(p, i) > 0.3))
        return 1;
    if ((n->flags & NF_CAPTION) && a->text < 300)
        return 1;
    if ((n->flags & NF_BYLINE) && a->text < 100)
        return 1;
    if (!is_root && (n->flags & NF_META) && a->text < 100)
        return 1;
    if ((p->flags & P_WEIGHT) && (t == T_H2 || t == T_H3) && n->weight < 0)
        return 1;
    if ((p->flags & P_CLEAN) && (t == T_FORM || t == T_TABLE || t == T_UL || t == T_DIV ||
                                 t == T_SECTION || t == T_OL || t == T_DL))
        return fishy(p, i);
    return 0;
}

/* Removes boilerplate inside the roots; returns the text left. */
static int clean(struct pass *p, const int *roots, int nr)
{
    const struct pdoc *d = p->d;
    int total = 0;
    for (int r = 0; r < nr; r++) {
        for (int i = roots[r]; i < d->n[roots[r]].end;) {
            if (p->drop[i]) {
                i = d->n[i].end;
                continue;
            }
            if (d->n[i].tag == T_TEXT) {
                total += d->n[i].chars;
                i++;
                continue;
            }
            if (boilerplate(p, i, i == roots[r])) {
                p->rm[i] = 1;
                i = d->n[i].end;
                continue;
            }
            i++;
        }
    }
    return total;
}

/* Appends the text of the roots, skipping dropped and removed subtrees. */
static int emit(const struct pass *p, const int *roots, int nr, struct walker *w)
{
    const struct pdoc *d = p->d;
    int *open = malloc((size_t)d->len * sizeof *open);
    if (!open)
        return -1;
    for (int r = 0; r < nr; r++) {
        int depth = 0;
        page_emit_break(w, 2);
        for (int i = roots[r]; i < d->n[roots[r]].end;) {
            while (depth > 0 && d->n[open[depth - 1]].end <= i) {
                int o = open[--depth];
                page_emit_break(w, (d->n[o].flags & NF_LINEBREAK) ? 1 : 2);
            }
            const struct pnode *n = &d->n[i];
            if (p->drop[i] || p->rm[i]) {
                i = n->end;
                continue;
            }
            if (n->tag == T_TEXT) {
                page_emit_text(w, (const char *)n->x->content);
            } else if (n->tag == T_BR) {
                /* <br><br> is how many CMSs separate paragraphs. */
                page_emit_break(w, w->pending_breaks ? 2 : 1);
            } else if (n->flags & NF_BLOCK) {
                page_emit_break(w, (n->flags & NF_LINEBREAK) ? 1 : 2);
                open[depth++] = i;
            }
            i++;
        }
        page_emit_break(w, 2);
    }
    free(open);
    return w->oom ? -1 : 0;
}

static void pass_free(struct pass *p)
{
    free(p->drop);
    free(p->rm);
    free(p->scored);
    free(p->in_dt);
    free(p->in_fig);
    free(p->a);
    free(p->score);
}

static int pass_alloc(struct pass *p, const struct pdoc *d, int flags)
{
    size_t n = (size_t)d->len + 1;
    memset(p, 0, sizeof *p);
    p->d = d;
    p->flags = flags;
    p->drop = calloc(n, 1);
    p->rm = calloc(n, 1);
    p->scored = calloc(n, 1);
    p->in_dt = calloc(n, 1);
    p->in_fig = calloc(n, 1);
    p->a = calloc(n, sizeof *p->a);
    p->score = calloc(n, sizeof *p->score);
    if (!p->drop || !p->rm || !p->scored || !p->in_dt || !p->in_fig || !p->a || !p->score) {
        pass_free(p);
        return -1;
    }
    return 0;
}

int page_score_text(const struct pdoc *d, const char *title, struct walker *w)
{
    static const int attempts[] = {P_STRIP | P_WEIGHT | P_CLEAN, P_WEIGHT | P_CLEAN, P_CLEAN, 0};
    (void)title;
    if (d->len == 0)
        return 0;
    int *roots = malloc((size_t)d->len * sizeof *roots);
    if (!roots)
        return -1;
    struct pass best = {0};
    int best_len = -1, best_nr = 0, rc = 0;
    int *best_roots = malloc((size_t)d->len * sizeof *best_roots);
    if (!best_roots) {
        free(roots);
        return -1;
    }
    for (size_t k = 0; k < sizeof attempts / sizeof attempts[0]; k++) {
        struct pass p;
        if (pass_alloc(&p, d, attempts[k]) < 0) {
            rc = -1;
            break;
        }
        mark_drops(&p);
        aggregate(&p);
        mark_context(&p);
        score_paragraphs(&p);
        int top = top_candidate(&p);
        int nr = gather(&p, top, roots);
        int len = clean(&p, roots, nr);
        /* A stricter pass wins unless a looser one finds much more text. */
        if (best_len < 0 || (double)len * STRICTER_SHARE > best_len) {
            pass_free(&best);
            best = p;
            best_len = len;
            best_nr = nr;
            memcpy(best_roots, roots, (size_t)nr * sizeof *roots);
        } else {
            pass_free(&p);
        }
        if (len >= MIN_ARTICLE)
            break;
    }
    if (rc == 0 && best_len >= 0)
        rc = emit(&best, best_roots, best_nr, w);
    pass_free(&best);
    free(best_roots);
    free(roots);
    return rc;
}
