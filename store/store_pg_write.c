/*
 * store, PostgreSQL backend: the operations that write (store.h says what
 * each does; store.c is the reference implementation they mirror).
 */
#include "store/pg.h"

#include "common/buf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- hosts (per-host politeness across nodes) ---- */

int pg_url_host(const char *url, char *out, size_t outsz)
{
    const char *p = url ? strstr(url, "://") : NULL;
    if (!p)
        return -1;
    size_t slen = (size_t)(p - url);
    const char *dport;
    if (slen == 4 && !strncasecmp(url, "http", 4))
        dport = "80";
    else if (slen == 5 && !strncasecmp(url, "https", 5))
        dport = "443";
    else
        return -1;
    const char *a = p + 3, *end = a + strcspn(a, "/?#");
    for (const char *q = a; q < end; q++)
        if (*q == '@') /* userinfo */
            a = q + 1;
    const char *hend, *port = NULL;
    if (*a == '[') { /* IPv6 literal: the brackets are part of the key, as curl has it */
        if (!(hend = memchr(a, ']', (size_t)(end - a))))
            return -1;
        hend++;
        if (hend < end && *hend == ':')
            port = hend + 1;
    } else if ((hend = memchr(a, ':', (size_t)(end - a)))) {
        port = hend + 1;
    } else {
        hend = end;
    }
    size_t hlen = (size_t)(hend - a), plen = port ? (size_t)(end - port) : 0;
    if (!plen) {
        port = dport;
        plen = strlen(dport);
    }
    if (!hlen || hlen + plen + 2 > outsz)
        return -1;
    for (size_t i = 0; i < hlen; i++)
        out[i] = (char)tolower((unsigned char)a[i]);
    out[hlen] = ':';
    memcpy(out + hlen + 1, port, plen);
    out[hlen + 1 + plen] = '\0';
    return 0;
}

/* The host key of url in host, or NULL when it has none. */
static const char *host_key(const char *url, char *host, size_t hostsz)
{
    return url && pg_url_host(url, host, hostsz) == 0 ? host : NULL;
}

/* The row of host in hosts, so that claims find its feeds. */
static int host_add(struct pg_store *st, const char *host, char *err, size_t errsz)
{
    struct pg_params p = {0};
    if (!host)
        return 0;
    pgp_text(&p, host);
    return pg_exec(st, P_HOST_ADD, &p, NULL, err, errsz);
}

/* ---- configuration ---- */

int pg_store_feed_sync(struct pg_store *st, const char *name, const char *url, int64_t *feed_id,
                       char *err, size_t errsz)
{
    struct pg_params p = {0};
    char host[512];
    if (!name || !url)
        return pw_err(err, errsz, "store: sync feed: name and url are required");
    const char *key = host_key(url, host, sizeof host);
    pgp_text(&p, name);
    pgp_text(&p, url);
    pgp_text(&p, key);
    if (pg_one_int64(st, P_FEED_SYNC, &p, feed_id, err, errsz) < 0)
        return -1;
    return host_add(st, key, err, errsz);
}

int pg_store_canonical_sync(struct pg_store *st, const char *name, const char *path,
                            const char *text, int64_t *canonical_id, char *err, size_t errsz)
{
    struct pg_params p = {0};
    if (!name || !text)
        return pw_err(err, errsz, "store: sync canonical: name and text are required");
    pgp_text(&p, name);
    pgp_text(&p, path);
    pgp_text(&p, text);
    pgp_int(&p, store_text_hash(text, strlen(text)));
    return pg_one_int64(st, P_CANONICAL_SYNC, &p, canonical_id, err, errsz);
}

int pg_store_feed_result(struct pg_store *st, int64_t feed_id, time_t when, long http_status,
                         const char *error, char *err, size_t errsz)
{
    struct pg_params p = {0};
    enum pg_stmt id = error ? P_FEED_FAILED : P_FEED_OK;
    pgp_int(&p, feed_id);
    pgp_int(&p, (int64_t)when);
    if (http_status) /* 0: no HTTP response at all */
        pgp_int(&p, http_status);
    else
        pgp_null(&p);
    if (error)
        pgp_text(&p, error);
    return pg_update_one(st, id, &p, "feed", err, errsz);
}

/* ---- articles and versions ---- */

/* Finds or inserts the article; sets out->article_id and out->new_article. */
static int article_upsert(struct pg_store *st, int64_t feed_id, const struct store_item *item,
                          time_t now, struct store_upsert *out, char *err, size_t errsz)
{
    struct pg_params p = {0};
    pgp_int(&p, feed_id);
    pgp_text(&p, item->guid);
    pgp_text(&p, item->link);
    pgp_text(&p, item->title);
    pgp_int(&p, (int64_t)now);
    /* DO NOTHING returns no row on conflict: that tells a new article apart */
    PGresult *r = pg_run(st, P_ARTICLE_INSERT, &p, err, errsz);
    if (!r)
        return -1;
    if (PQntuples(r) == 1) {
        out->article_id = pg_int(r, 0, 0);
        out->new_article = 1;
    }
    PQclear(r);
    if (out->new_article)
        return 0;
    pgp_int(&p, feed_id);
    pgp_text(&p, item->guid);
    pgp_int(&p, (int64_t)now);
    pgp_text(&p, item->link);
    pgp_text(&p, item->title);
    return pg_one_int64(st, P_ARTICLE_TOUCH, &p, &out->article_id, err, errsz);
}

/* As store.c's version_latest: *same when the newest version's text is
 * text (or came from the page); else *prev is a copy of it. */
static int version_latest(struct pg_store *st, const char *text, size_t len, int64_t hash,
                          struct store_upsert *out, int *same, char **prev, char *err, size_t errsz)
{
    struct pg_params p = {0};
    *same = 0;
    *prev = NULL;
    pgp_int(&p, out->article_id);
    PGresult *r = pg_run(st, P_VERSION_LATEST, &p, err, errsz);
    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return 0;
    }
    out->version_id = pg_int(r, 0, 0);
    out->version_no = (int)pg_int(r, 0, 1);
    const char *old = PQgetvalue(r, 0, 3);
    size_t old_len = (size_t)PQgetlength(r, 0, 3);
    const char *source = pg_str(r, 0, 4);
    *same = (source && !strcmp(source, "page")) ||
            (pg_int(r, 0, 2) == hash && old_len == len && memcmp(old, text, len) == 0);
    if (!*same && !(*prev = strdup(old))) {
        PQclear(r);
        return pw_err(err, errsz, "store: %s: out of memory", pg_stmt_defs[P_VERSION_LATEST].what);
    }
    PQclear(r);
    return 0;
}

static int version_insert(struct pg_store *st, const struct store_item *item, const char *text,
                          int64_t hash, time_t now, struct store_upsert *out, char *err,
                          size_t errsz)
{
    struct pg_params p = {0};
    int no = out->version_no + 1;
    pgp_int(&p, out->article_id);
    pgp_int(&p, no);
    pgp_text(&p, item->title);
    pgp_text(&p, item->author);
    pgp_text(&p, item->summary);
    pgp_text(&p, item->content);
    pgp_text(&p, text);
    pgp_int(&p, hash);
    pgp_time(&p, item->published);
    pgp_time(&p, item->updated);
    pgp_int(&p, (int64_t)now);
    if (pg_one_int64(st, P_VERSION_INSERT, &p, &out->version_id, err, errsz) < 0)
        return -1;
    out->version_no = no;
    out->new_version = 1;
    return 0;
}

int pg_store_upsert_item(struct pg_store *st, int64_t feed_id, const struct store_item *item,
                         time_t now, struct store_upsert *out, char *err, size_t errsz)
{
    char *prev = NULL;
    int own, same = 0, ok = 0, oom = 0;

    memset(out, 0, sizeof *out);
    if (!item || !item->guid || !item->text)
        return pw_err(err, errsz, "store: upsert item: guid and text are required");
    /* Compared as stored: text PostgreSQL would reject is cleaned first, or
     * every poll of such an item would look like an edit. */
    char *clean = pg_utf8_clean(item->text, &oom);
    if (oom)
        return pw_err(err, errsz, "store: upsert item: out of memory");
    const char *text = clean ? clean : item->text;
    size_t len = strlen(text);
    int64_t hash = store_text_hash(text, len);

    if (pg_op_begin(st, &own, err, errsz) < 0) {
        free(clean);
        return -1;
    }
    if (article_upsert(st, feed_id, item, now, out, err, errsz) < 0)
        goto done;
    if (!out->new_article && version_latest(st, text, len, hash, out, &same, &prev, err, errsz) < 0)
        goto done;
    if (!same && version_insert(st, item, text, hash, now, out, err, errsz) < 0)
        goto done;
    ok = 1;
done:
    free(clean);
    if (pg_op_end(st, own, ok, err, errsz) < 0) {
        free(prev);
        memset(out, 0, sizeof *out);
        return -1;
    }
    if (out->new_version && out->version_no > 1)
        out->prev_text = prev;
    else
        free(prev);
    return 0;
}

int pg_store_version_add(struct pg_store *st, const struct store_page_version *pv, time_t now,
                         int64_t *version_id, int *version_no, char *err, size_t errsz)
{
    struct pg_params p = {0};
    if (!pv->text || !pv->source)
        return pw_err(err, errsz, "store: add version: text and source are required");
    pgp_int(&p, pv->article_id);
    pgp_text(&p, pv->title);
    pgp_text(&p, pv->author);
    pgp_text(&p, pv->text);
    pgp_int(&p, store_text_hash(p.v[3] ? p.v[3] : "", p.v[3] ? strlen(p.v[3]) : 0));
    pgp_int(&p, (int64_t)now);
    pgp_text(&p, pv->source);
    PGresult *r = pg_run(st, P_VERSION_ADD, &p, err, errsz);
    if (!r)
        return -1;
    int rows = PQntuples(r);
    if (rows == 1) {
        *version_id = pg_int(r, 0, 0);
        *version_no = (int)pg_int(r, 0, 1);
    }
    PQclear(r);
    if (rows != 1)
        return pw_err(err, errsz, "store: add version: unexpected %s",
                      rows ? "row" : "empty result");
    return 0;
}

int pg_store_version_set_text(struct pg_store *st, int64_t version_id,
                              const struct store_page_version *pv, char *err, size_t errsz)
{
    struct pg_params p = {0};
    if (!pv->text || !pv->source)
        return pw_err(err, errsz, "store: replace version text: text and source are required");
    pgp_int(&p, version_id);
    pgp_text(&p, pv->title);
    pgp_text(&p, pv->author);
    pgp_text(&p, pv->text);
    pgp_int(&p, store_text_hash(p.v[3] ? p.v[3] : "", p.v[3] ? strlen(p.v[3]) : 0));
    pgp_text(&p, pv->source);
    return pg_update_one(st, P_VERSION_SET_TEXT, &p, "version", err, errsz);
}

/* ---- matches and coverage ---- */

int pg_store_match_add(struct pg_store *st, int64_t version_id, int64_t canonical_id, double score,
                       const char *lang, const char *paragraphs, const char *detail_json, char *err,
                       size_t errsz)
{
    struct pg_params p = {0};
    pgp_int(&p, version_id);
    pgp_int(&p, canonical_id);
    pgp_double(&p, score);
    pgp_text(&p, lang);
    pgp_text(&p, paragraphs ? paragraphs : "");
    pgp_text(&p, detail_json);
    return pg_exec(st, P_MATCH_ADD, &p, NULL, err, errsz);
}

int pg_store_coverage_mark(struct pg_store *st, int64_t article_id, int64_t canonical_id,
                           int64_t version_id, double score, time_t now, int *first, char *err,
                           size_t errsz)
{
    struct pg_params p = {0};
    *first = 0;
    pgp_int(&p, article_id);
    pgp_int(&p, canonical_id);
    pgp_int(&p, version_id);
    pgp_double(&p, score);
    pgp_int(&p, (int64_t)now);
    PGresult *r = pg_run(st, P_COVERAGE_MARK, &p, err, errsz);
    if (!r)
        return -1;
    /* a row comes back only when inserted, or re-activated after a loss */
    *first = PQntuples(r) == 1;
    PQclear(r);
    return 0;
}

int pg_store_coverage_lose(struct pg_store *st, int64_t article_id, int64_t canonical_id, int *lost,
                           char *err, size_t errsz)
{
    struct pg_params p = {0};
    int64_t n = 0;
    pgp_int(&p, article_id);
    pgp_int(&p, canonical_id);
    if (pg_exec(st, P_COVERAGE_LOSE, &p, &n, err, errsz) < 0)
        return -1;
    *lost = n == 1;
    return 0;
}

/* ---- alert outbox ---- */

int pg_store_alert_add(struct pg_store *st, const char *kind, const char *record, time_t now,
                       const char *const *channels, size_t nchannels, int64_t *alert_id, char *err,
                       size_t errsz)
{
    struct pg_params p = {0};
    int own, ok = 0;
    int64_t id = 0;

    if (!kind || !record || (nchannels && !channels))
        return pw_err(err, errsz, "store: add alert: kind, record and channels are required");
    for (size_t i = 0; i < nchannels; i++)
        if (!channels[i])
            return pw_err(err, errsz, "store: add alert: channel %zu is NULL", i);
    if (pg_op_begin(st, &own, err, errsz) < 0)
        return -1;
    pgp_int(&p, (int64_t)now);
    pgp_text(&p, kind);
    pgp_text(&p, record);
    if (pg_one_int64(st, P_ALERT_INSERT, &p, &id, err, errsz) < 0)
        goto done;
    for (size_t i = 0; i < nchannels; i++) {
        pgp_int(&p, id);
        pgp_text(&p, channels[i]);
        pgp_int(&p, (int64_t)now);
        if (pg_exec(st, P_DELIVERY_INSERT, &p, NULL, err, errsz) < 0)
            goto done;
    }
    ok = 1;
done:
    if (pg_op_end(st, own, ok, err, errsz) < 0)
        return -1;
    if (alert_id)
        *alert_id = id;
    return 0;
}

/* The outbox's row updates: alert $1, channel $2, a time $3 and, for a
 * failure, the error $4. */
static int delivery_update(struct pg_store *st, enum pg_stmt which, int64_t alert_id,
                           const char *channel, time_t t, const char *error, char *err,
                           size_t errsz)
{
    struct pg_params p = {0};
    pgp_int(&p, alert_id);
    pgp_text(&p, channel);
    pgp_int(&p, (int64_t)t);
    if (which == P_DELIVERY_FAILED)
        pgp_text(&p, error);
    return pg_update_one(st, which, &p, "pending delivery", err, errsz);
}

int pg_store_delivery_done(struct pg_store *st, int64_t alert_id, const char *channel, time_t now,
                           char *err, size_t errsz)
{
    return delivery_update(st, P_DELIVERY_DONE, alert_id, channel, now, NULL, err, errsz);
}

int pg_store_delivery_sending(struct pg_store *st, int64_t alert_id, const char *channel,
                              time_t now, char *err, size_t errsz)
{
    return delivery_update(st, P_DELIVERY_SENDING, alert_id, channel, now, NULL, err, errsz);
}

int pg_store_delivery_failed(struct pg_store *st, int64_t alert_id, const char *channel,
                             time_t next_attempt, const char *error, char *err, size_t errsz)
{
    return delivery_update(st, P_DELIVERY_FAILED, alert_id, channel, next_attempt, error, err,
                           errsz);
}

/* ---- poll bookkeeping and pages ---- */

int pg_store_feed_state_put(struct pg_store *st, const struct store_feed_state *f, char *err,
                            size_t errsz)
{
    struct pg_params p = {0};
    char host[512];
    /* a permanent redirect moves the feed to the new URL's host */
    const char *key = host_key(f->moved_url ? f->moved_url : f->url, host, sizeof host);
    if (f->moved_url && host_add(st, key, err, errsz) < 0)
        return -1;
    pgp_int(&p, f->id);
    pgp_text(&p, f->moved_url);
    pgp_text(&p, f->redirect_url);
    pgp_int(&p, f->redirect_count);
    pgp_text(&p, f->etag);
    pgp_text(&p, f->last_modified);
    pgp_int(&p, f->body_hash);
    pgp_int(&p, f->unconditional);
    pgp_time(&p, f->last_unconditional);
    pgp_time(&p, f->last_attempt);
    pgp_time(&p, f->last_success);
    pgp_time(&p, f->next_due);
    if (f->last_status)
        pgp_int(&p, f->last_status);
    else
        pgp_null(&p);
    pgp_text(&p, f->last_error);
    pgp_int(&p, f->consecutive_failures);
    pgp_int(&p, f->error_alerted);
    pgp_int(&p, f->gone);
    pgp_int(&p, f->bytes);
    pgp_int(&p, f->items_new);
    pgp_int(&p, f->items_seen);
    pgp_int(&p, f->adaptive_interval);
    pgp_text(&p, key);
    return pg_update_one(st, P_FEED_STATE_PUT, &p, "feed", err, errsz);
}

int pg_store_page_add(struct pg_store *st, int64_t article_id, const char *url, time_t next_fetch,
                      char *err, size_t errsz)
{
    struct pg_params p = {0};
    if (!url)
        return pw_err(err, errsz, "store: add page: url is required");
    pgp_int(&p, article_id);
    pgp_text(&p, url);
    pgp_int(&p, (int64_t)next_fetch);
    return pg_exec(st, P_PAGE_ADD, &p, NULL, err, errsz);
}

int pg_store_page_put(struct pg_store *st, const struct store_page *pg, char *err, size_t errsz)
{
    struct pg_params p = {0};
    pgp_int(&p, pg->article_id);
    pgp_int(&p, pg->pending);
    pgp_int(&p, pg->fetches);
    pgp_time(&p, pg->next_fetch);
    pgp_time(&p, pg->last_fetch);
    if (pg->last_status)
        pgp_int(&p, pg->last_status);
    else
        pgp_null(&p);
    pgp_text(&p, pg->last_error);
    pgp_int(&p, pg->unpublished);
    return pg_update_one(st, P_PAGE_PUT, &p, "page", err, errsz);
}

/* ---- feed leases ---- */

/* Appends s to a PostgreSQL array literal being built in b ("{" first). */
static int array_add(struct buf *b, const char *s)
{
    int oom = buf_puts(b, b->len > 1 ? ",\"" : "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            oom |= buf_putc(b, '\\');
        oom |= buf_putc(b, *s);
    }
    return oom | buf_putc(b, '"');
}

/* Claims due feeds of hosts whose budget and gap allow a request now (see
 * P_HOSTS_READY), in one transaction; their ids go to ids[0..*n). */
static int claim_by_host(struct pg_store *st, const char *node, time_t now, int lease, int limit,
                         int64_t *ids, int *n, char *err, size_t errsz)
{
    struct pg_params p = {0};
    struct buf hosts = BUF_INIT, started = BUF_INIT;
    PGresult *r = NULL;
    int own, ok = 0, oom = 0;
    *n = 0;
    if (pg_op_begin(st, &own, err, errsz) < 0)
        return -1;
    pgp_int(&p, (int64_t)now);
    pgp_int(&p, limit);
    pgp_int(&p, st->per_host);
    if (!(r = pg_run(st, P_HOSTS_READY, &p, err, errsz)))
        goto done;
    oom |= buf_putc(&hosts, '{');
    for (int i = 0; i < PQntuples(r); i++)
        oom |= array_add(&hosts, pg_str(r, i, 0));
    oom |= buf_putc(&hosts, '}');
    int nhosts = PQntuples(r);
    PQclear(r);
    r = NULL;
    if (oom) {
        pw_err(err, errsz, "store: claim feeds: out of memory");
        goto done;
    }
    if (nhosts > 0) {
        /* with a gap, one start per host and claim: the next waits for it */
        memset(&p, 0, sizeof p);
        pgp_text(&p, node);
        pgp_int(&p, (int64_t)now);
        pgp_int(&p, lease);
        pgp_text(&p, hosts.data);
        pgp_int(&p, st->host_gap_ms > 0 ? 1 : st->per_host);
        pgp_int(&p, st->per_host);
        pgp_int(&p, limit);
        if (!(r = pg_run(st, P_FEEDS_CLAIM_HOSTS, &p, err, errsz)))
            goto done;
        oom |= buf_putc(&started, '{');
        for (int i = 0; i < PQntuples(r) && i < limit; i++) {
            ids[(*n)++] = pg_int(r, i, 0);
            oom |= array_add(&started, pg_str(r, i, 1)); /* repeats are harmless */
        }
        oom |= buf_putc(&started, '}');
        PQclear(r);
        r = NULL;
        if (oom) {
            pw_err(err, errsz, "store: claim feeds: out of memory");
            goto done;
        }
        memset(&p, 0, sizeof p);
        pgp_text(&p, started.data);
        pgp_int(&p, st->host_gap_ms);
        /* no gap: next_start stays 0, and the hosts rows unwritten */
        if (*n > 0 && st->host_gap_ms > 0 && pg_exec(st, P_HOSTS_STARTED, &p, NULL, err, errsz) < 0)
            goto done;
    }
    ok = 1;
done:
    buf_free(&hosts);
    buf_free(&started);
    if (pg_op_end(st, own, ok, err, errsz) < 0) {
        *n = 0;
        return -1;
    }
    return 0;
}

int pg_store_feeds_claim(struct pg_store *st, const char *node, time_t now, int lease, int limit,
                         store_claim_cb cb, void *arg, char *err, size_t errsz)
{
    struct pg_params p = {0};
    if (!node || !cb || lease < 1 || limit < 1)
        return pw_err(err, errsz, "store: claim feeds: node, callback, lease and limit required");
    int n = 0;
    if (st->per_host > 0) {
        int stopped = 0;
        int64_t *ids = malloc((size_t)limit * sizeof *ids);
        if (!ids)
            return pw_err(err, errsz, "store: claim feeds: out of memory");
        /* the transaction is over before cb starts polls on this connection */
        if (claim_by_host(st, node, now, lease, limit, ids, &n, err, errsz) < 0) {
            free(ids);
            return -1;
        }
        for (int i = 0; i < n && !stopped; i++)
            stopped = cb(ids[i], arg) != 0;
        free(ids);
        if (stopped || n >= limit)
            return 0;
    }
    pgp_text(&p, node);
    pgp_int(&p, (int64_t)now);
    pgp_int(&p, lease);
    pgp_int(&p, limit - n);
    PGresult *r =
        pg_run(st, st->per_host > 0 ? P_FEEDS_CLAIM_NOHOST : P_FEEDS_CLAIM, &p, err, errsz);
    if (!r)
        return -1;
    for (int i = 0; i < PQntuples(r) && cb(pg_int(r, i, 0), arg) == 0; i++)
        ;
    PQclear(r);
    return 0;
}

int pg_store_hosts_budget(struct pg_store *st, int per_host, long gap_ms, char *err, size_t errsz)
{
    if (per_host < 0 || gap_ms < 0)
        return pw_err(err, errsz, "store: host budget: per_host and gap must be >= 0");
    st->per_host = per_host;
    st->host_gap_ms = per_host > 0 ? gap_ms : 0;
    return 0;
}

int pg_store_node_release(struct pg_store *st, const char *node, const char *keep_channel,
                          char *err, size_t errsz)
{
    struct pg_params p = {0};
    if (!node)
        return pw_err(err, errsz, "store: release the node's claims: node required");
    pgp_text(&p, node);
    if (pg_exec(st, P_NODE_RELEASE_FEEDS, &p, NULL, err, errsz) < 0)
        return -1;
    memset(&p, 0, sizeof p);
    pgp_text(&p, node);
    pgp_text(&p, keep_channel);
    return pg_exec(st, P_NODE_RELEASE_DELIVERIES, &p, NULL, err, errsz);
}

int pg_store_feed_release(struct pg_store *st, int64_t feed_id, const char *node, char *err,
                          size_t errsz)
{
    struct pg_params p = {0};
    pgp_int(&p, feed_id);
    pgp_text(&p, node);
    return pg_exec(st, P_FEED_RELEASE, &p, NULL, err, errsz);
}

int pg_store_node_heartbeat(struct pg_store *st, const char *node, time_t now, char *err,
                            size_t errsz)
{
    struct pg_params p = {0};
    if (!node)
        return pw_err(err, errsz, "store: record heartbeat: node required");
    pgp_text(&p, node);
    pgp_int(&p, (int64_t)now);
    return pg_exec(st, P_NODE_HEARTBEAT, &p, NULL, err, errsz);
}
