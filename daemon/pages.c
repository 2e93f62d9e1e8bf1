#include "daemon/pages.h"

#include <ctype.h>
#include <event2/event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "alerts/alerts.h"
#include "analysis/analysis.h"
#include "common/buf.h"
#include "daemon/conf.h"
#include "daemon/ingest.h"
#include "daemon/log.h"
#include "fetchers/fetch.h"
#include "fetchers/page.h"
#include "store/store.h"

#define TIMER_MAX_SECS 3600 /* look again at least hourly: a reload may change the schedule */

/* One page fetch in flight; owned by the in-flight list. */
struct page_job {
    struct pages *p;
    int64_t article_id;
    char *url;
    struct page_job *prev, *next;
};

struct pages {
    struct pages_env env;
    struct event *timer;
    struct page_job *jobs; /* in flight */
    size_t busy;
};

static void job_free(struct page_job *j)
{
    if (!j)
        return;
    free(j->url);
    free(j);
}

static void job_unlink(struct pages *p, struct page_job *j)
{
    if (j->prev)
        j->prev->next = j->next;
    else
        p->jobs = j->next;
    if (j->next)
        j->next->prev = j->prev;
    p->busy--;
}

/* ---- comparing versions ---- */

/* A short paragraph holding a clock time (12:05) or a numeric date
 * (12.03.2026, 2026-03-12) says when, not what: it changes on every visit. */
static int time_only(const char *line)
{
    size_t words = 0, digits = 0;
    int stamp = 0;
    for (const char *s = line; *s; s++) {
        if (*s != ' ' && (s == line || s[-1] == ' '))
            words++;
        if (isdigit((unsigned char)*s)) {
            digits++;
            if ((s[1] == ':' || s[1] == '.' || s[1] == '-' || s[1] == '/') &&
                isdigit((unsigned char)s[2]))
                stamp = 1;
        }
    }
    return stamp && words <= 6 && digits >= 3;
}

char *pages_version_key(const char *text)
{
    struct buf b = BUF_INIT;
    char *norm = text_normalize(text, strlen(text));
    if (!norm)
        return NULL;
    int oom = 0;
    for (char *line = norm, *next; line && !oom; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        while (*line == ' ')
            line++;
        if (!*line || time_only(line))
            continue;
        oom = (b.len && buf_putc(&b, '\n')) || buf_puts(&b, line);
    }
    free(norm);
    char *key = oom ? NULL : buf_detach(&b);
    if (!key)
        buf_free(&b);
    return key;
}

/* 1 when the keys differ, 0 when not, -1 on OOM. */
static int texts_differ(const char *a, const char *b)
{
    char *ka = pages_version_key(a), *kb = pages_version_key(b);
    int rc = ka && kb ? strcmp(ka, kb) != 0 : -1;
    free(ka);
    free(kb);
    return rc;
}

/* host+path of a URL, lowercased host without "www.", no query, fragment
 * or trailing slash, into out. */
static void url_key(const char *url, char *out, size_t outsz)
{
    const char *s = strstr(url, "://");
    s = s ? s + 3 : url;
    if (!strncasecmp(s, "www.", 4))
        s += 4;
    size_t n = strcspn(s, "?#"), host = strcspn(s, "/?#");
    if (n >= outsz)
        n = outsz - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = i < host ? (char)tolower((unsigned char)s[i]) : s[i];
    while (n > host && out[n - 1] == '/')
        n--;
    out[n] = '\0';
}

int pages_other_story(const char *url, const char *final, const char *old_headline,
                      const char *new_headline)
{
    char a[2048], b[2048];
    if (!final || !url)
        return 0;
    url_key(url, a, sizeof a);
    url_key(final, b, sizeof b);
    if (!strcmp(a, b))
        return 0;
    if (!strchr(b, '/'))
        return 1; /* the front page */
    if (!old_headline || !new_headline)
        return !new_headline;
    char *x = text_normalize(old_headline, strlen(old_headline));
    char *y = text_normalize(new_headline, strlen(new_headline));
    int other = !x || !y || strcmp(x, y) != 0;
    free(x);
    free(y);
    return other;
}

/* ---- one page result ---- */

/* What a fetched page gave: the article's new text, or why there is none. */
struct page_read {
    struct page_article art;
    char *text; /* headline, blank line, main text; NULL when there is none */
    char reason[512];
    int gone; /* 404/410, or redirected to another story */
    long status;
};

/* The body starts like an HTML document (after a BOM, white space and comments). */
static int looks_html(const char *b, size_t len)
{
    static const char *const starts[] = {"<!doctype html", "<html", "<head", "<body"};
    size_t i = len >= 3 && !memcmp(b, "\xef\xbb\xbf", 3) ? 3 : 0;
    for (int guard = 0; guard < 16; guard++) {
        while (i < len && isspace((unsigned char)b[i]))
            i++;
        const char *end = i + 4 <= len && !memcmp(b + i, "<!--", 4)
                              ? memmem(b + i + 4, len - i - 4, "-->", 3)
                              : NULL;
        if (!end)
            break;
        i = (size_t)(end - b) + 3;
    }
    for (size_t k = 0; k < sizeof starts / sizeof starts[0]; k++) {
        size_t n = strlen(starts[k]);
        if (len - i >= n && !strncasecmp(b + i, starts[k], n))
            return 1;
    }
    return 0;
}

/* HTML by its Content-Type; generic types (many servers send
 * application/octet-stream or text/plain for any file) by the body. */
static int html_page(const char *ct, const char *body, size_t len)
{
    if (!ct)
        return 1; /* page_extract decides */
    while (*ct == ' ')
        ct++;
    size_t n = strcspn(ct, "; ");
    if ((n == 9 && !strncasecmp(ct, "text/html", 9)) ||
        (n == 21 && !strncasecmp(ct, "application/xhtml+xml", 21)))
        return 1;
    if ((n == 24 && !strncasecmp(ct, "application/octet-stream", 24)) ||
        (n == 10 && !strncasecmp(ct, "text/plain", 10)))
        return looks_html(body, len);
    return 0;
}

static void read_page(const struct fetch_result *res, const struct store_version *cur,
                      struct page_read *pr)
{
    char charset[64], err[256];
    pr->status = res->status;
    if (!res->ok) {
        pr->gone = res->status == 404 || res->status == 410;
        snprintf(pr->reason, sizeof pr->reason, "%s", res->error ? res->error : "fetch failed");
        return;
    }
    if (!html_page(res->content_type, res->body, res->len)) {
        snprintf(pr->reason, sizeof pr->reason, "not HTML (Content-Type: %.100s)",
                 res->content_type);
        return;
    }
    ingest_charset(res->content_type, charset, sizeof charset);
    if (page_extract(res->body, res->len, charset[0] ? charset : NULL, res->effective_url, &pr->art,
                     err, sizeof err) < 0) {
        snprintf(pr->reason, sizeof pr->reason, "no article text: %s", err);
        pr->gone = pages_other_story(res->url, res->effective_url, NULL, NULL);
        return;
    }
    const char *head = pr->art.title && *pr->art.title ? pr->art.title : cur->article_title;
    if (pages_other_story(res->url, res->effective_url, cur->article_title, head)) {
        snprintf(pr->reason, sizeof pr->reason, "redirected to another story: %.400s",
                 res->effective_url);
        pr->gone = 1;
        return;
    }
    if (asprintf(&pr->text, "%s\n\n%s", head ? head : "", pr->art.text) < 0) {
        pr->text = NULL;
        snprintf(pr->reason, sizeof pr->reason, "out of memory");
    }
}

static int lifecycle_alert(const struct ingest_ctx *ctx, const char *kind,
                           const struct store_page *pg, const struct store_version *cur,
                           const struct page_read *pr, time_t now, struct ingest_stats *st,
                           char *err, size_t errsz)
{
    struct buf rec = BUF_INIT;
    char num[2][24];
    snprintf(num[0], sizeof num[0], "%ld", pr->status);
    snprintf(num[1], sizeof num[1], "%d", cur->version_no);
    int oom = buf_puts(&rec, kind);
    oom |= alert_kv(&rec, "feed", pg->feed);
    if (pr->gone)
        oom |= alert_kv(&rec, "status", pr->status ? num[0] : NULL);
    oom |= alert_kv(&rec, "versions", num[1]);
    oom |= alert_kv(&rec, "url", pg->url);
    oom |= alert_kv(&rec, "title", cur->article_title);
    if (pr->gone)
        oom |= alert_kv(&rec, "reason", pr->reason);
    int rc = oom ? pw_err(err, errsz, "out of memory")
                 : ingest_alert(ctx, kind, &rec, now, st, err, errsz);
    buf_free(&rec);
    return rc;
}

/* Stores what the page says, inside the caller's transaction. */
static int record_page(const struct ingest_ctx *ctx, struct store_page *pg,
                       const struct store_version *cur, const struct page_read *pr, time_t now,
                       struct ingest_stats *st, char *err, size_t errsz)
{
    struct ingest_version v = {
        pg->article_id, cur->id, cur->version_no, pg->url, cur->article_title, cur->text, NULL, 0};
    int covered = 0, first = pg->pending && cur->version_no == 1 && !strcmp(cur->source, "feed");
    if (!pg->pending && store_article_is_covered(ctx->st, pg->article_id, &covered, err, errsz) < 0)
        return -1;
    if (pr->gone && !pg->pending && !pg->unpublished) {
        pg->unpublished = 1;
        if (covered && lifecycle_alert(ctx, "unpublished", pg, cur, pr, now, st, err, errsz) < 0)
            return -1;
    } else if (pr->text && pg->unpublished) {
        pg->unpublished = 0;
        if (covered && lifecycle_alert(ctx, "republished", pg, cur, pr, now, st, err, errsz) < 0)
            return -1;
    }
    struct store_page_version pv = {pg->article_id, cur->article_title, pr->art.byline, pr->text,
                                    "page"};
    if (pr->art.title && *pr->art.title)
        pv.title = pr->art.title;
    if (pr->text && first) {
        /* The page replaces the teaser of a version nobody has seen yet. */
        if (store_version_set_text(ctx->st, cur->id, &pv, err, errsz) < 0)
            return -1;
        v.text = pr->text;
        v.title = pv.title;
    } else if (pr->text) {
        int differ = texts_differ(cur->text, pr->text);
        if (differ < 0)
            return pw_err(err, errsz, "out of memory");
        if (differ || !strcmp(cur->source, "feed")) {
            if (store_version_add(ctx->st, &pv, now, &v.version_id, &v.version_no, err, errsz) < 0)
                return -1;
            v.text = pr->text;
            v.title = pv.title;
            v.prev_text = cur->text;
            v.prev_from_feed = !strcmp(cur->source, "feed");
            first = 1;
        }
    }
    /* A version pending analysis is analysed now, with whatever text it has. */
    if ((first || pg->pending) && ingest_analyse(ctx, pg->feed, &v, now, st, err, errsz) < 0)
        return -1;
    return 0;
}

/* The next fetch, from the schedule: delay fetches - 1 after this one. */
static time_t next_fetch(const struct conf *c, int fetches, time_t now)
{
    if (fetches < 1 || (size_t)fetches > c->nrevisit)
        return 0;
    return now + c->revisit[fetches - 1];
}

static const struct conf_feed *find_feed(const struct conf *c, const char *name)
{
    for (size_t i = 0; i < c->nfeeds; i++)
        if (!strcmp(c->feeds[i].name, name))
            return &c->feeds[i];
    return NULL;
}

/* One transaction: the page's version and alerts, its bookkeeping. res NULL:
 * the page is no longer fetched (its feed was dropped or stopped fetching
 * pages); a pending analysis still happens. */
static void handle(struct pages *p, int64_t article_id, const struct fetch_result *res)
{
    const struct pages_env *e = &p->env;
    struct store_page pg = {0};
    struct store_version cur = {0};
    struct page_read pr = {0};
    struct ingest_ctx ctx;
    struct ingest_canon *ic = NULL;
    struct ingest_stats st = {0};
    char err[512];
    time_t now = time(NULL);
    if (store_page_get(e->store, article_id, &pg, err, sizeof err) < 0 ||
        store_version_get(e->store, article_id, 0, &cur, err, sizeof err) < 0) {
        log_warnx("page of article %lld: %s", (long long)article_id, err);
        goto done;
    }
    if (res)
        read_page(res, &cur, &pr);
    else
        snprintf(pr.reason, sizeof pr.reason, "feed no longer fetches pages");
    if (!pr.text && (res || pg.pending))
        log_warnx("feed %s: page %s: %s; the article keeps its %s", pg.feed, pg.url, pr.reason,
                  pg.pending || !strcmp(cur.source, "feed") ? "feed text" : "last version");
    if (e->analysis_ctx(e->arg, &ctx, &ic, err, sizeof err) < 0 ||
        store_begin(e->store, err, sizeof err) < 0) {
        log_warnx("feed %s: page %s: %s", pg.feed, pg.url, err);
        goto done;
    }
    if (record_page(&ctx, &pg, &cur, &pr, now, &st, err, sizeof err) < 0)
        goto fail;
    pg.pending = 0;
    if (res) {
        pg.fetches++;
        pg.last_fetch = now;
        pg.last_status = res->status;
    }
    free(pg.last_error);
    pg.last_error = pr.text ? NULL : strdup(pr.reason);
    pg.next_fetch = res ? next_fetch(e->conf(e->arg), pg.fetches, now) : 0;
    if (store_page_put(e->store, &pg, err, sizeof err) < 0 ||
        store_commit(e->store, err, sizeof err) < 0)
        goto fail;
    log_debug("feed %s: page %s: fetch %d, %zu alerts", pg.feed, pg.url, pg.fetches, st.alerts);
    goto done;
fail:
    store_rollback(e->store);
    log_warnx("feed %s: page %s: cannot record it: %s", pg.feed, pg.url, err);
done:
    free(ic);
    free(pr.text);
    page_article_free(&pr.art);
    store_version_clear(&cur);
    store_page_clear(&pg);
}

static void on_fetched(const struct fetch_result *res, void *arg)
{
    struct page_job *j = arg;
    struct pages *p = j->p;
    job_unlink(p, j);
    handle(p, j->article_id, res);
    job_free(j);
    pages_kick(p);
    p->env.done(p->env.arg);
}

/* ---- scheduling ---- */

struct due {
    struct pages *p;
    struct {
        int64_t article_id;
        char *url;
        int skip; /* feed gone or not fetching pages: settle without fetching */
    } v[64];
    size_t n;
};

static int in_flight(const struct pages *p, int64_t article_id)
{
    for (const struct page_job *j = p->jobs; j; j = j->next)
        if (j->article_id == article_id)
            return 1;
    return 0;
}

static int collect_due(const struct store_page *pg, void *arg)
{
    struct due *d = arg;
    if (in_flight(d->p, pg->article_id))
        return 0;
    const struct conf_feed *f = find_feed(d->p->env.conf(d->p->env.arg), pg->feed);
    d->v[d->n].article_id = pg->article_id;
    d->v[d->n].skip = !f || !f->fetch_pages;
    if (!(d->v[d->n].url = strdup(pg->url)))
        return 1;
    return ++d->n == sizeof d->v / sizeof d->v[0];
}

static void start(struct pages *p, int64_t article_id, char *url)
{
    char err[512];
    struct page_job *j = calloc(1, sizeof *j);
    if (!j) {
        log_warnx("page %s: out of memory", url);
        free(url);
        return;
    }
    *j = (struct page_job){p, article_id, url, NULL, p->jobs};
    if (fetch_start(p->env.fetch, url, on_fetched, j, err, sizeof err) < 0) {
        /* A link the client refuses is data, not a crash: record it. */
        struct fetch_result res = {.url = url, .error = err, .kind = FETCH_OTHER};
        handle(p, article_id, &res);
        job_free(j);
        return;
    }
    if (p->jobs)
        p->jobs->prev = j;
    p->jobs = j;
    p->busy++;
}

void pages_kick(struct pages *p)
{
    const struct conf *c = p->env.conf(p->env.arg);
    size_t cap = c->concurrency > 0 ? (size_t)c->concurrency : 32;
    char err[512];
    time_t now = time(NULL);
    while (p->busy < cap) {
        struct due d = {.p = p};
        size_t want = cap - p->busy;
        if (want > sizeof d.v / sizeof d.v[0])
            want = sizeof d.v / sizeof d.v[0];
        /* In-flight pages are due too: ask for enough rows to get past them
         * (claimed pages are not: a row asked for is a page claimed). */
        size_t ask = store_claims(p->env.store) ? want : p->busy + want;
        if (store_pages_due(p->env.store, now, (int)ask, collect_due, &d, err, sizeof err) < 0)
            log_warnx("pages: %s", err);
        size_t started = 0;
        for (size_t i = 0; i < d.n; i++) {
            if (started >= want || d.v[i].skip) {
                if (d.v[i].skip && started < want)
                    handle(p, d.v[i].article_id, NULL);
                free(d.v[i].url);
                continue;
            }
            start(p, d.v[i].article_id, d.v[i].url);
            started++;
        }
        if (d.n == 0 || started == 0)
            break;
    }
    if (p->env.once)
        return;
    time_t when = 0;
    if (store_page_next_due(p->env.store, &when, err, sizeof err) < 0) {
        log_warnx("pages: %s", err);
        when = now + 60;
    }
    long secs = when == 0 ? TIMER_MAX_SECS : when <= now ? 1 : (long)(when - now);
    struct timeval tv = {secs < TIMER_MAX_SECS ? secs : TIMER_MAX_SECS, 0};
    evtimer_add(p->timer, &tv);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    pages_kick(arg);
}

int pages_new(const struct pages_env *env, struct pages **out, char *err, size_t errsz)
{
    struct pages *p = calloc(1, sizeof *p);
    if (!p)
        return pw_err(err, errsz, "out of memory");
    p->env = *env;
    if (!(p->timer = evtimer_new(env->base, on_timer, p))) {
        free(p);
        return pw_err(err, errsz, "out of memory");
    }
    *out = p;
    return 0;
}

void pages_free(struct pages *p)
{
    if (!p)
        return;
    event_free(p->timer);
    while (p->jobs) {
        struct page_job *j = p->jobs;
        p->jobs = j->next;
        job_free(j);
    }
    free(p);
}

size_t pages_busy(const struct pages *p)
{
    return p ? p->busy : 0;
}
