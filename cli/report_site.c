/*
 * The site: page names to renderers (for presswatch serve) and every page
 * into a folder (for presswatch report). Names are parsed strictly, digits
 * and fixed words only, so anything else (../, %2e, a query) is not a page.
 */
#include "cli/report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads 1..18 digits at *s (no sign, no leading zero). */
static int digits(const char **s, long long *v)
{
    const char *p = *s;
    long long n = 0;
    if (*p < '1' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (p - *s >= 18)
            return -1;
        n = n * 10 + (*p - '0');
    }
    *s = p;
    *v = n;
    return 0;
}

/* "PREFIX-ID" then rest; returns the pointer after the id or NULL. */
static const char *prefixed(const char *name, const char *prefix, long long *id)
{
    size_t n = strlen(prefix);
    if (strncmp(name, prefix, n) || name[n] != '-')
        return NULL;
    name += n + 1;
    return digits(&name, id) == 0 ? name : NULL;
}

/* Loads the canonical with id (within ctx->only) and its rows; 1: none. */
static int load_canon(const struct report_ctx *ctx, long long id, struct rep_canon **v, size_t *n,
                      struct rep_canon **c, char *err, size_t errsz)
{
    if (rep_canons(ctx->st, ctx->only, v, n, err, errsz) < 0)
        return -1;
    for (size_t i = 0; i < *n; i++)
        if ((*v)[i].id == id) {
            *c = &(*v)[i];
            return rep_canon_rows(ctx->st, *c, err, errsz);
        }
    return 1;
}

static int canon_page(const struct report_ctx *ctx, const char *name, struct buf *b, char *err,
                      size_t errsz)
{
    long long id, page = 1;
    const char *rest;
    enum rep_col col = COL_SEEN;
    int desc = 0, kind; /* 0 overview, 1 propagation, 2 table */
    char key[16];
    if ((rest = prefixed(name, "canonical", &id))) {
        kind = 0;
    } else if ((rest = prefixed(name, "propagation", &id))) {
        kind = 1;
    } else if ((rest = prefixed(name, "table", &id)) && *rest++ == '-') {
        size_t k = 0;
        while (k < sizeof key - 1 && rest[k] >= 'a' && rest[k] <= 'z')
            key[k] = rest[k], k++;
        key[k] = '\0';
        rest += k;
        if (rep_col_parse(key, &col) < 0 || rest[0] != '-' || (rest[1] != 'a' && rest[1] != 'd') ||
            rest[2] != '-')
            return 1;
        desc = rest[1] == 'd';
        rest += 3;
        if (digits(&rest, &page) < 0)
            return 1;
        kind = 2;
    } else {
        return 1;
    }
    if (strcmp(rest, ".html"))
        return 1;
    struct rep_canon *v = NULL, *c = NULL;
    size_t n = 0;
    int rc = load_canon(ctx, id, &v, &n, &c, err, errsz);
    if (rc == 0 && kind == 0) {
        rc = rep_overview_page(ctx, c, b);
    } else if (rc == 0 && kind == 1) {
        rc = rep_sources(ctx->st, c, err, errsz);
        rc = rc ? rc : rep_prop_page(ctx, c, b);
    } else if (rc == 0) {
        const struct rep_row **rows = rep_table_sort(c, col, desc);
        rc = rows ? rep_table_page(ctx, c, rows, col, desc, (size_t)page, b) : -1;
        free(rows);
    }
    if (rc < 0 && !*err)
        pw_err(err, errsz, "report: out of memory");
    rep_canons_free(v, n);
    return rc;
}

int report_render(const struct report_ctx *ctx, const char *name, struct buf *b, char *err,
                  size_t errsz)
{
    long long id;
    const char *rest;
    err[0] = '\0';
    if (!*name || !strcmp(name, "index.html"))
        return rep_index_page(ctx, b, err, errsz);
    if (!strcmp(name, "feeds.html"))
        return rep_feeds_page(ctx, b, err, errsz);
    if ((rest = prefixed(name, "article", &id)))
        return strcmp(rest, ".html") ? 1 : rep_article_page(ctx, id, b, err, errsz);
    return canon_page(ctx, name, b, err, errsz);
}

/* ---- the static site ---- */

struct site {
    const char *dir;
    struct buf page; /* reused for every page */
    size_t pages;
    char *err;
    size_t errsz;
};

static int write_page(struct site *s, const char *name)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", s->dir, name);
    if (n < 0 || (size_t)n >= sizeof path)
        return pw_err(s->err, s->errsz, "report: %s: path too long", s->dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return pw_err(s->err, s->errsz, "report: %s: %s", path, strerror(errno));
    for (size_t off = 0; off < s->page.len;) {
        ssize_t w = write(fd, s->page.data + off, s->page.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            pw_err(s->err, s->errsz, "report: %s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    if (close(fd) < 0)
        return pw_err(s->err, s->errsz, "report: %s: %s", path, strerror(errno));
    s->pages++;
    buf_reset(&s->page);
    return 0;
}

static int rendered(struct site *s, int rc, const char *name)
{
    if (rc < 0)
        return *s->err ? -1 : pw_err(s->err, s->errsz, "report: %s: out of memory", name);
    return write_page(s, name);
}

static int write_tables(struct site *s, const struct report_ctx *ctx, const struct rep_canon *c)
{
    char name[96];
    for (int col = 0; col < COL_N; col++)
        for (int desc = 0; desc <= 1; desc++) {
            const struct rep_row **v = rep_table_sort(c, (enum rep_col)col, desc);
            if (!v)
                return pw_err(s->err, s->errsz, "report: out of memory");
            for (size_t page = 1; page <= rep_table_pages(c); page++) {
                snprintf(name, sizeof name, "table-%lld-%s-%c-%zu.html", (long long)c->id,
                         rep_col_key((enum rep_col)col), desc ? 'd' : 'a', page);
                if (rendered(s, rep_table_page(ctx, c, v, (enum rep_col)col, desc, page, &s->page),
                             name) < 0) {
                    free(v);
                    return -1;
                }
            }
            free(v);
        }
    return 0;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* One page per covering article, once even when it covers several texts. */
static int write_articles(struct site *s, const struct report_ctx *ctx, const struct rep_canon *v,
                          size_t n)
{
    size_t total = 0, k = 0;
    for (size_t i = 0; i < n; i++)
        total += v[i].nrows;
    int64_t *ids = malloc((total ? total : 1) * sizeof *ids);
    if (!ids)
        return pw_err(s->err, s->errsz, "report: out of memory");
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < v[i].nrows; j++)
            ids[k++] = v[i].rows[j].article_id;
    qsort(ids, total, sizeof *ids, cmp_id);
    int rc = 0;
    for (size_t i = 0; i < total && rc == 0; i++) {
        char name[64];
        if (i && ids[i] == ids[i - 1])
            continue;
        snprintf(name, sizeof name, "article-%lld.html", (long long)ids[i]);
        int r = rep_article_page(ctx, ids[i], &s->page, s->err, s->errsz);
        rc = r > 0 ? 0 : rendered(s, r, name); /* deleted meanwhile: skip it */
        if (r > 0)
            buf_reset(&s->page);
    }
    free(ids);
    return rc;
}

int report_write(const struct report_ctx *ctx, const char *dir, size_t *pages, char *err,
                 size_t errsz)
{
    struct site s = {.dir = dir, .err = err, .errsz = errsz};
    struct rep_canon *v = NULL;
    size_t n = 0;
    int rc = -1;
    char name[96];
    err[0] = '\0';
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
        return pw_err(err, errsz, "report: %s: %s", dir, strerror(errno));
    if (rendered(&s, rep_index_page(ctx, &s.page, err, errsz), "index.html") < 0 ||
        rendered(&s, rep_feeds_page(ctx, &s.page, err, errsz), "feeds.html") < 0 ||
        rep_canons(ctx->st, ctx->only, &v, &n, err, errsz) < 0)
        goto done;
    for (size_t i = 0; i < n; i++) {
        struct rep_canon *c = &v[i];
        if (rep_canon_rows(ctx->st, c, err, errsz) < 0 || rep_sources(ctx->st, c, err, errsz) < 0)
            goto done;
        snprintf(name, sizeof name, "canonical-%lld.html", (long long)c->id);
        if (rendered(&s, rep_overview_page(ctx, c, &s.page), name) < 0)
            goto done;
        snprintf(name, sizeof name, "propagation-%lld.html", (long long)c->id);
        if (rendered(&s, rep_prop_page(ctx, c, &s.page), name) < 0 || write_tables(&s, ctx, c) < 0)
            goto done;
    }
    if (write_articles(&s, ctx, v, n) < 0)
        goto done;
    rc = 0;
done:
    *pages = s.pages;
    rep_canons_free(v, n);
    buf_free(&s.page);
    return rc;
}
