#include "daemon/ingest.h"

#include "daemon/conf.h"

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

static int lang_listed(const char *list, const char *lang)
{
    size_t n = lang ? strlen(lang) : 0;
    for (const char *c = list; n && *c;) {
        size_t len = strcspn(c, ",");
        if (len == n && !strncmp(c, lang, n))
            return 1;
        c += len + (c[len] == ',');
    }
    return 0;
}

/* Whether one filter lets an alert through on a channel. r (nullable) is
 * the match behind a coverage alert: languages and min_score judge it. */
static int filter_passes(const struct conf_filter *f, const char *channel, unsigned bit,
                         const struct match_result *r)
{
    unsigned mask = !strcmp(channel, ALERT_CHANNEL_EMAIL) ? f->email_kinds
                    : !strcmp(channel, ALERT_CHANNEL_LOG) ? f->log_kinds
                                                          : ~0u;
    if (bit && !(mask & bit))
        return 0;
    if (r && f->languages && !lang_listed(f->languages, r->lang))
        return 0;
    /* A filter's min_score is a bar on the score itself (a quote that
     * covers below it is still held back). */
    return !(r && f->min_score >= 0 && r->score < f->min_score);
}

/* Queues an alert on the channels the feed's and the canonical text's
 * filters (both nullable) let it through; an alert no channel takes is not
 * stored at all. */
static int queue_alert(const struct ingest_ctx *ctx, const struct conf_filter *canon_filter,
                       const struct match_result *r, const char *kind, const struct buf *rec,
                       time_t now, struct ingest_stats *stats, char *err, size_t errsz)
{
    const char *channels[ALERT_CHANNELS_MAX];
    size_t n = 0;
    unsigned bit = conf_kind_bit(kind);
    for (size_t i = 0; i < ctx->nchannels && n < ALERT_CHANNELS_MAX; i++) {
        const char *c = ctx->channels[i];
        if ((!ctx->feed_filter || filter_passes(ctx->feed_filter, c, bit, r)) &&
            (!canon_filter || filter_passes(canon_filter, c, bit, r)))
            channels[n++] = c;
    }
    if (n == 0)
        return 0;
    int64_t id;
    if (store_alert_add(ctx->st, kind, rec->data, now, channels, n, &id, err, errsz) < 0)
        return -1;
    stats->alerts++;
    return 0;
}

int ingest_alert(const struct ingest_ctx *ctx, const char *kind, const struct buf *rec, time_t now,
                 struct ingest_stats *stats, char *err, size_t errsz)
{
    return queue_alert(ctx, NULL, NULL, kind, rec, now, stats, err, errsz);
}

/* Ends a record: queues it unless building it ran out of memory. cn and r
 * (both nullable) are the canonical text and match the alert is about. */
static int finish_alert(const struct ingest_ctx *ctx, const struct ingest_canon *cn,
                        const struct match_result *r, const char *kind, struct buf *rec, int oom,
                        time_t now, struct ingest_stats *stats, char *err, size_t errsz)
{
    int rc = oom ? pw_err(err, errsz, "out of memory")
                 : queue_alert(ctx, cn ? cn->filter : NULL, r, kind, rec, now, stats, err, errsz);
    buf_free(rec);
    return rc;
}

static int put_version(struct buf *rec, const struct ingest_version *v)
{
    char num[24];
    snprintf(num, sizeof num, "%d", v->version_no);
    return v->version_no > 1 ? alert_kv(rec, "version", num) : 0;
}

/* Misquoted passages, so the alert says the article changed the words:
 * altered=2 changes="p9: 4 -> 3; p11: negation removed". */
static int put_altered(struct buf *rec, const struct match_result *r)
{
    struct buf what = BUF_INIT;
    size_t n = 0;
    int oom = 0;
    for (size_t i = 0; i < r->npassages; i++) {
        if (!r->passages[i].altered)
            continue;
        n++;
        if (what.len < 300) {
            oom |= buf_printf(&what, "%sp%d", what.len ? "; " : "", r->passages[i].paragraph);
            for (size_t k = 0; k < r->passages[i].nchanges; k++)
                oom |= buf_printf(&what, "%s%s", k ? ", " : ": ", r->passages[i].changes[k]);
        }
    }
    if (n) {
        char num[24];
        snprintf(num, sizeof num, "%zu", n);
        oom |= alert_kv(rec, "altered", num);
        oom |= alert_kv(rec, "changes", what.data);
    }
    buf_free(&what);
    return oom;
}

static int coverage_alert(const struct ingest_ctx *ctx, const struct ingest_canon *cn,
                          const struct match_result *r, const char *paragraphs,
                          const char *feed_name, const struct ingest_version *v, time_t now,
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
    oom |= put_altered(&rec, r);
    oom |= alert_kv(&rec, "feed", feed_name);
    oom |= put_version(&rec, v);
    oom |= alert_kv(&rec, "url", v->link);
    oom |= alert_kv(&rec, "title", v->title);
    return finish_alert(ctx, cn, r, "coverage", &rec, oom, now, stats, err, errsz);
}

static int coverage_lost_alert(const struct ingest_ctx *ctx, const struct ingest_canon *cn,
                               const struct match_result *r, const char *feed_name,
                               const struct ingest_version *v, time_t now,
                               struct ingest_stats *stats, char *err, size_t errsz)
{
    struct buf rec = BUF_INIT;
    char score[16];
    snprintf(score, sizeof score, "%.2f", r->score);
    int oom = buf_puts(&rec, "coverage-lost");
    oom |= alert_kv(&rec, "canonical", cn->name);
    oom |= alert_kv(&rec, "score", score);
    oom |= alert_kv(&rec, "feed", feed_name);
    oom |= put_version(&rec, v);
    oom |= alert_kv(&rec, "url", v->link);
    oom |= alert_kv(&rec, "title", v->title);
    return finish_alert(ctx, cn, NULL, "coverage-lost", &rec, oom, now, stats, err, errsz);
}

/* Appends "text" cut at about max bytes on a UTF-8 boundary. */
static int put_snippet(struct buf *b, const char *s, size_t max)
{
    size_t n = strlen(s);
    int cut = n > max;
    if (cut) {
        n = max;
        while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    int rc = buf_putc(b, '\'');
    rc |= buf_append(b, s, n);
    if (cut)
        rc |= buf_puts(b, "...");
    return rc | buf_putc(b, '\'');
}

static const struct match_passage *find_passage(const struct match_result *r,
                                                const struct match_passage *p)
{
    for (size_t i = 0; i < r->npassages; i++)
        if (r->passages[i].paragraph == p->paragraph &&
            !strcmp(r->passages[i].canonical, p->canonical))
            return &r->passages[i];
    return NULL;
}

static int same_words(const char *a, const char *b, int *same)
{
    char *na = text_normalize(a, strlen(a)), *nb = text_normalize(b, strlen(b));
    int rc = na && nb ? 0 : -1;
    *same = !rc && !strcmp(na, nb);
    free(na);
    free(nb);
    return rc;
}

/* What happened to the covered passages between two matches of one
 * canonical text: "p3 reworded: '...'; p5 removed". Empty when nothing. */
static int passage_changes(const struct match_result *before, const struct match_result *after,
                           struct buf *out)
{
    int rc = 0;
    for (size_t i = 0; i < after->npassages && !rc; i++) {
        const struct match_passage *a = &after->passages[i], *b = find_passage(before, a);
        int same = 0;
        if (b && same_words(a->article, b->article, &same) < 0)
            return -1;
        if (b && same && a->altered == b->altered)
            continue;
        rc |= buf_printf(out, "%sp%d %s: ", out->len ? "; " : "", a->paragraph,
                         !b                          ? "quote added"
                         : a->altered && !b->altered ? "quote altered"
                         : !a->altered && b->altered ? "quote corrected"
                                                     : "quote reworded");
        rc |= put_snippet(out, a->article, 80);
        for (size_t k = 0; a->altered && k < a->nchanges; k++)
            rc |= buf_printf(out, "%s%s", k ? ", " : " (", a->changes[k]);
        if (a->altered && a->nchanges)
            rc |= buf_putc(out, ')');
    }
    for (size_t i = 0; i < before->npassages && !rc; i++) {
        const struct match_passage *b = &before->passages[i];
        if (find_passage(after, b))
            continue;
        rc |= buf_printf(out, "%sp%d quote removed: ", out->len ? "; " : "", b->paragraph);
        rc |= put_snippet(out, b->article, 80);
    }
    return rc ? -1 : 0;
}

/* A covered article changed: were its covered passages touched? */
static int coverage_changed(const struct ingest_ctx *ctx, const struct ingest_canon *cn,
                            const struct match_result *r, const char *feed_name,
                            const struct ingest_version *v, time_t now, struct ingest_stats *stats,
                            char *err, size_t errsz)
{
    struct match_result before = {0};
    struct buf what = BUF_INIT, rec = BUF_INIT;
    if (match_article(cn->m, v->prev_text, cn->min_score, &before, err, errsz) < 0)
        return -1;
    int oom = passage_changes(&before, r, &what);
    char score[32];
    snprintf(score, sizeof score, "%.2f->%.2f", before.score, r->score);
    match_result_clear(&before);
    if (oom || what.len == 0) {
        buf_free(&what);
        return oom ? pw_err(err, errsz, "out of memory") : 0;
    }
    oom = buf_puts(&rec, "coverage-changed");
    oom |= alert_kv(&rec, "canonical", cn->name);
    oom |= alert_kv(&rec, "score", score);
    oom |= alert_kv(&rec, "feed", feed_name);
    oom |= put_version(&rec, v);
    oom |= alert_kv(&rec, "url", v->link);
    oom |= alert_kv(&rec, "title", v->title);
    oom |= alert_kv(&rec, "passages", what.data);
    buf_free(&what);
    return finish_alert(ctx, cn, NULL, "coverage-changed", &rec, oom, now, stats, err, errsz);
}

/* The headline: a version text's first paragraph, normalised; "" if none. */
static char *headline(const char *text)
{
    size_t n = strcspn(text, "\n");
    return text_normalize(text, n);
}

static int changed_alert(const struct ingest_ctx *ctx, const struct ingest_version *v,
                         const char *feed_name, time_t now, struct ingest_stats *stats, char *err,
                         size_t errsz)
{
    struct diff_summary d = {0};
    struct diff_ops ops = {0};
    struct buf rec = BUF_INIT;
    char *h0 = NULL, *h1 = NULL, *sentence = NULL;
    if (diff_words(v->prev_text, v->text, &d, err, errsz) < 0)
        return -1;
    /* The headline is reported on its own: the sentence comes from the body. */
    const char *body0 = v->prev_text + strcspn(v->prev_text, "\n");
    const char *body1 = v->text + strcspn(v->text, "\n");
    if (diff_ops_words(body0, body1, &ops, err, errsz) < 0) {
        diff_summary_clear(&d);
        return -1;
    }
    sentence = diff_first_sentence(body0, body1, &ops, 160);
    h0 = headline(v->prev_text);
    h1 = headline(v->text);
    char num[3][24];
    snprintf(num[0], sizeof num[0], "%d", v->version_no);
    snprintf(num[1], sizeof num[1], "%zu", d.words_added);
    snprintf(num[2], sizeof num[2], "%zu", d.words_removed);
    int oom = !h0 || !h1 || buf_puts(&rec, "changed");
    oom |= alert_kv(&rec, "feed", feed_name);
    oom |= alert_kv(&rec, "version", num[0]);
    oom |= alert_kv(&rec, "added", num[1]);
    oom |= alert_kv(&rec, "removed", num[2]);
    oom |= alert_kv(&rec, "url", v->link);
    oom |= alert_kv(&rec, "title", v->title);
    if (!oom && strcmp(h0, h1) != 0) {
        /* as written, not normalised: the first line of each text */
        char *b = strndup(v->prev_text, strcspn(v->prev_text, "\n"));
        char *a = strndup(v->text, strcspn(v->text, "\n"));
        oom |= !a || !b || alert_kv(&rec, "headline_before", b);
        oom |= !a || !b || alert_kv(&rec, "headline_after", a);
        free(a);
        free(b);
    }
    oom |= alert_kv(&rec, "sentence", sentence);
    oom |= alert_kv(&rec, "diff", d.summary);
    free(h0);
    free(h1);
    free(sentence);
    diff_ops_clear(&ops);
    diff_summary_clear(&d);
    return finish_alert(ctx, NULL, NULL, "changed", &rec, oom, now, stats, err, errsz);
}

/* One canonical text's result for a new version: the match row, then the
 * coverage transitions it causes. covers is judged by the text's own
 * min_score. */
static int analyse_result(const struct ingest_ctx *ctx, const struct ingest_canon *cn,
                          const struct match_result *r, const char *feed_name,
                          const struct ingest_version *v, time_t now, struct ingest_stats *stats,
                          char *err, size_t errsz)
{
    char *paragraphs = NULL, *json = NULL;
    int rc = -1, first = 0, active = 0, lost = 0;
    int covers = match_covers(r, cn->min_score);
    paragraphs = match_paragraph_list(r);
    if (!paragraphs || match_result_json(r, NULL, &json) < 0) {
        pw_err(err, errsz, "out of memory");
        goto done;
    }
    if (store_match_add(ctx->st, v->version_id, cn->id, r->score, r->lang, paragraphs, json, err,
                        errsz) < 0)
        goto done;
    if (v->version_no > 1 &&
        store_coverage_active(ctx->st, v->article_id, cn->id, &active, err, errsz) < 0)
        goto done;
    if (covers) {
        if (store_coverage_mark(ctx->st, v->article_id, cn->id, v->version_id, r->score, now,
                                &first, err, errsz) < 0)
            goto done;
        if (first &&
            coverage_alert(ctx, cn, r, paragraphs, feed_name, v, now, stats, err, errsz) < 0)
            goto done;
        if (active && v->prev_text &&
            coverage_changed(ctx, cn, r, feed_name, v, now, stats, err, errsz) < 0)
            goto done;
    } else if (active) {
        if (store_coverage_lose(ctx->st, v->article_id, cn->id, &lost, err, errsz) < 0)
            goto done;
        if (lost && coverage_lost_alert(ctx, cn, r, feed_name, v, now, stats, err, errsz) < 0)
            goto done;
    }
    rc = 0;
done:
    free(paragraphs);
    free(json);
    return rc;
}

struct index_walk {
    const struct ingest_ctx *ctx;
    const char *feed_name;
    const struct ingest_version *v;
    time_t now;
    struct ingest_stats *stats;
    unsigned char *seen; /* canonicals the index reported */
    char *err;
    size_t errsz;
};

static int on_indexed(void *arg, size_t id, const struct match_result *r)
{
    struct index_walk *w = arg;
    if (id >= w->ctx->ncanons)
        return 0;
    w->seen[id] = 1;
    return analyse_result(w->ctx, &w->ctx->canons[id], r, w->feed_name, w->v, w->now, w->stats,
                          w->err, w->errsz);
}

/* A canonical the index did not report may still have been covered by the
 * previous version: score it alone, so that the loss is recorded. */
static int analyse_unreported(const struct ingest_ctx *ctx, const struct ingest_canon *cn,
                              const char *feed_name, const struct ingest_version *v, time_t now,
                              struct ingest_stats *stats, char *err, size_t errsz)
{
    int active = 0;
    if (v->version_no < 2 ||
        store_coverage_active(ctx->st, v->article_id, cn->id, &active, err, errsz) < 0)
        return v->version_no < 2 ? 0 : -1;
    if (!active)
        return 0;
    struct match_result r = {0};
    int rc = match_article(cn->m, v->text, cn->min_score, &r, err, errsz);
    if (rc == 0)
        rc = analyse_result(ctx, cn, &r, feed_name, v, now, stats, err, errsz);
    match_result_clear(&r);
    return rc;
}

int ingest_analyse(const struct ingest_ctx *ctx, const char *feed_name,
                   const struct ingest_version *v, time_t now, struct ingest_stats *stats,
                   char *err, size_t errsz)
{
    int was_covered = 0;
    if (v->version_no > 1 &&
        store_article_is_covered(ctx->st, v->article_id, &was_covered, err, errsz) < 0)
        return -1;
    /* The index scores only the texts an article can reach (the lowest
     * per-text threshold decides), so K canonical texts cost little more
     * than one. */
    unsigned char *seen = calloc(ctx->ncanons ? ctx->ncanons : 1, 1);
    if (!seen)
        return pw_err(err, errsz, "out of memory");
    double lowest = 1.0;
    for (size_t i = 0; i < ctx->ncanons; i++)
        if (ctx->canons[i].min_score < lowest)
            lowest = ctx->canons[i].min_score;
    struct index_walk w = {ctx, feed_name, v, now, stats, seen, err, errsz};
    int rc = ctx->ncanons
                 ? match_index_article(ctx->index, v->text, lowest, on_indexed, &w, err, errsz)
                 : 0;
    for (size_t i = 0; rc == 0 && i < ctx->ncanons; i++)
        if (!seen[i])
            rc = analyse_unreported(ctx, &ctx->canons[i], feed_name, v, now, stats, err, errsz);
    free(seen);
    if (rc < 0)
        return -1;
    if (was_covered && v->prev_text && !v->prev_from_feed)
        return changed_alert(ctx, v, feed_name, now, stats, err, errsz);
    return 0;
}

/* Only web pages are fetched: a feed's link may say file:, mailto: or javascript:. */
static int web_link(const char *link)
{
    return link && (!strncasecmp(link, "http://", 7) || !strncasecmp(link, "https://", 8));
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
    if (up.new_article && ctx->fetch_pages && web_link(e->link)) {
        /* Analysed once the page is in (pages.c), so that coverage is
         * judged on the article, not on its teaser. */
        if (store_page_add(ctx->st, up.article_id, e->link, ctx->page_due, err, errsz) < 0)
            goto done;
        stats->pages_queued++;
    } else if (up.new_version) {
        struct ingest_version v = {up.article_id, up.version_id, up.version_no, e->link,
                                   e->title,      text,          up.prev_text,  0};
        if (ingest_analyse(ctx, feed_name, &v, now, stats, err, errsz) < 0)
            goto done;
    }
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
    stats->ttl = f->ttl;
    int rc = 0;
    for (size_t i = 0; i < f->nentries && rc == 0; i++)
        rc = store_entry(ctx, feed_name, feed_id, &f->entries[i], now, stats, err, errsz);
    feed_free(f);
    return rc;
}
