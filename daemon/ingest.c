#include "daemon/ingest.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alerts/alerts.h"
#include "analysis/analysis.h"
#include "common/buf.h"
#include "fetchers/feed.h"
#include "fetchers/page.h"
#include "store/store.h"

void ingest_charset(const char *content_type, char *out, size_t outsz)
{
    out[0] = '\0';
    if (!content_type || outsz == 0)
        return;
    const char *p = strcasestr(content_type, "charset=");
    if (!p)
        return;
    p += 8;
    if (*p == '"' || *p == '\'')
        p++;
    size_t n = 0;
    while (p[n] && p[n] != '"' && p[n] != '\'' && p[n] != ';' && !isspace((unsigned char)p[n]))
        n++;
    if (n >= outsz)
        return; /* a charset name that long is not one */
    memcpy(out, p, n);
    out[n] = '\0';
}

/* 64-bit FNV-1a, to give items without guid or link a stable id. */
static unsigned long long fnv1a(const char *a, const char *b)
{
    unsigned long long h = 1469598103934665603ULL;
    for (const char *s = a ? a : ""; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    h = (h ^ 0xff) * 1099511628211ULL;
    for (const char *s = b ? b : ""; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* The text an item is analysed and versioned by: its title, then the plain
 * text of its content (or summary when there is no content). */
static int item_text(const struct feed_entry *e, char **out, char *err, size_t errsz)
{
    struct buf b = BUF_INIT;
    const char *html = e->content && *e->content ? e->content : e->summary;
    char *body = NULL;
    if (html && page_html_to_text(html, strlen(html), NULL, &body, err, errsz) < 0)
        return -1;
    int oom = 0;
    if (e->title) {
        char *title = NULL;
        if (page_html_to_text(e->title, strlen(e->title), NULL, &title, err, errsz) < 0) {
            free(body);
            return -1;
        }
        oom |= buf_puts(&b, title);
        free(title);
    }
    if (body && *body) {
        if (b.len)
            oom |= buf_puts(&b, "\n\n");
        oom |= buf_puts(&b, body);
    }
    free(body);
    if (oom || !(*out = buf_detach(&b))) {
        buf_free(&b);
        return pw_err(err, errsz, "out of memory");
    }
    return 0;
}

static int queue_alert(const struct ingest_ctx *ctx, const char *kind, struct buf *rec, time_t now,
                       struct ingest_stats *stats, char *err, size_t errsz)
{
    int64_t id;
    if (store_alert_add(ctx->st, kind, rec->data, now, ctx->channels, ctx->nchannels, &id, err,
                        errsz) < 0)
        return -1;
    stats->alerts++;
    return 0;
}

static int coverage_alert(const struct ingest_ctx *ctx, const struct ingest_canon *cn,
                          const struct match_result *r, const char *paragraphs,
                          const char *feed_name, const struct feed_entry *e, time_t now,
                          struct ingest_stats *stats, char *err, size_t errsz)
{
    struct buf rec = BUF_INIT;
    char score[16];
    snprintf(score, sizeof score, "%.2f", r->score);
    int oom = buf_puts(&rec, "coverage");
    oom |= alert_kv(&rec, "canonical", cn->name);
    oom |= alert_kv(&rec, "score", score);
    oom |= alert_kv(&rec, "paragraphs", paragraphs);
    oom |= alert_kv(&rec, "lang", r->lang);
    oom |= alert_kv(&rec, "feed", feed_name);
    oom |= alert_kv(&rec, "url", e->link);
    oom |= alert_kv(&rec, "title", e->title);
    int rc = oom ? pw_err(err, errsz, "out of memory")
                 : queue_alert(ctx, "coverage", &rec, now, stats, err, errsz);
    buf_free(&rec);
    return rc;
}

static int changed_alert(const struct ingest_ctx *ctx, const struct store_upsert *up,
                         const char *text, const char *feed_name, const struct feed_entry *e,
                         time_t now, struct ingest_stats *stats, char *err, size_t errsz)
{
    struct diff_summary d = {0};
    if (diff_words(up->prev_text, text, &d, err, errsz) < 0)
        return -1;
    struct buf rec = BUF_INIT;
    char num[3][24];
    snprintf(num[0], sizeof num[0], "%d", up->version_no);
    snprintf(num[1], sizeof num[1], "%zu", d.words_added);
    snprintf(num[2], sizeof num[2], "%zu", d.words_removed);
    int oom = buf_puts(&rec, "changed");
    oom |= alert_kv(&rec, "feed", feed_name);
    oom |= alert_kv(&rec, "version", num[0]);
    oom |= alert_kv(&rec, "added", num[1]);
    oom |= alert_kv(&rec, "removed", num[2]);
    oom |= alert_kv(&rec, "url", e->link);
    oom |= alert_kv(&rec, "title", e->title);
    oom |= alert_kv(&rec, "diff", d.summary);
    int rc = oom ? pw_err(err, errsz, "out of memory")
                 : queue_alert(ctx, "changed", &rec, now, stats, err, errsz);
    buf_free(&rec);
    diff_summary_clear(&d);
    return rc;
}

/* Scores a new version against every canonical text and queues the alerts
 * it causes: coverage the first time an article covers a text, changed when
 * an article that already covered one is edited. */
static int analyse_version(const struct ingest_ctx *ctx, const char *feed_name,
                           const struct feed_entry *e, const struct store_upsert *up,
                           const char *text, time_t now, struct ingest_stats *stats, char *err,
                           size_t errsz)
{
    int was_covered = 0;
    if (up->version_no > 1 &&
        store_article_is_covered(ctx->st, up->article_id, &was_covered, err, errsz) < 0)
        return -1;
    for (size_t i = 0; i < ctx->ncanons; i++) {
        const struct ingest_canon *cn = &ctx->canons[i];
        struct match_result r = {0};
        char *paragraphs = NULL, *json = NULL;
        int rc = -1, first = 0;
        if (match_article(cn->m, text, ctx->min_score, &r, err, errsz) < 0)
            goto next;
        paragraphs = match_paragraph_list(&r);
        if (!paragraphs || match_result_json(&r, NULL, &json) < 0) {
            pw_err(err, errsz, "out of memory");
            goto next;
        }
        if (store_match_add(ctx->st, up->version_id, cn->id, r.score, r.lang, paragraphs, json, err,
                            errsz) < 0)
            goto next;
        if (r.covers && store_coverage_mark(ctx->st, up->article_id, cn->id, up->version_id,
                                            r.score, now, &first, err, errsz) < 0)
            goto next;
        if (first &&
            coverage_alert(ctx, cn, &r, paragraphs, feed_name, e, now, stats, err, errsz) < 0)
            goto next;
        rc = 0;
    next:
        free(paragraphs);
        free(json);
        match_result_clear(&r);
        if (rc < 0)
            return -1;
    }
    if (was_covered && up->prev_text)
        return changed_alert(ctx, up, text, feed_name, e, now, stats, err, errsz);
    return 0;
}

static int store_entry(const struct ingest_ctx *ctx, const char *feed_name, int64_t feed_id,
                       const struct feed_entry *e, time_t now, struct ingest_stats *stats,
                       char *err, size_t errsz)
{
    char *text = NULL;
    char hashed[32], when[24];
    struct store_upsert up = {0};
    int rc = -1;
    const char *guid = e->id && *e->id ? e->id : e->link && *e->link ? e->link : NULL;
    if (!guid) {
        /* No id and no link: an id from what identifies the item for a reader. */
        snprintf(when, sizeof when, "%lld", (long long)e->published);
        snprintf(hashed, sizeof hashed, "hash:%016llx",
                 fnv1a(e->title, e->has_published ? when : e->summary));
        guid = hashed;
    }
    if (item_text(e, &text, err, errsz) < 0)
        goto done;
    struct store_item item = {
        .guid = guid,
        .link = e->link,
        .title = e->title,
        .author = e->author,
        .summary = e->summary,
        .content = e->content,
        .text = text,
        .published = e->has_published ? e->published : 0,
        .updated = e->has_updated ? e->updated : 0,
    };
    if (store_upsert_item(ctx->st, feed_id, &item, now, &up, err, errsz) < 0)
        goto done;
    stats->new_articles += up.new_article;
    stats->new_versions += up.new_version;
    if (up.new_version && analyse_version(ctx, feed_name, e, &up, text, now, stats, err, errsz) < 0)
        goto done;
    rc = 0;
done:
    free(up.prev_text);
    free(text);
    return rc;
}

int ingest_feed(const struct ingest_ctx *ctx, const char *feed_name, int64_t feed_id,
                const char *url, const char *body, size_t len, const char *content_type, time_t now,
                struct ingest_stats *stats, char *err, size_t errsz)
{
    struct feed *f = NULL;
    char charset[64];
    memset(stats, 0, sizeof *stats);
    ingest_charset(content_type, charset, sizeof charset);
    if (feed_parse(body, len, url, charset[0] ? charset : NULL, &f, err, errsz) < 0)
        return -1;
    if (f->bozo) {
        stats->bozo = 1;
        snprintf(stats->bozo_msg, sizeof stats->bozo_msg, "%s",
                 f->bozo_msg ? f->bozo_msg : "not well-formed");
    }
    stats->entries = f->nentries;
    int rc = 0;
    for (size_t i = 0; i < f->nentries && rc == 0; i++)
        rc = store_entry(ctx, feed_name, feed_id, &f->entries[i], now, stats, err, errsz);
    feed_free(f);
    return rc;
}
