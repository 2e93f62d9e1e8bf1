/*
 * fetch responses: what the header callback keeps of each response and how
 * a finished transfer becomes a struct fetch_result.
 *
 * With CURLOPT_FOLLOWLOCATION curl hands us the headers of every hop. A new
 * status line starts a new response, so the validators and cache hints are
 * dropped there and only the final response's count: an ETag on a 301 says
 * nothing about the feed behind it. The status of each finished hop is kept
 * just long enough to know whether every redirect was permanent.
 */
#include "fetchers/fetch_int.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void resp_hdrs_free(struct resp_hdrs *h)
{
    free(h->etag);
    free(h->last_modified);
    free(h->date);
    free(h->expires);
    free(h->retry_after);
    free(h->age);
    buf_free(&h->cache_control);
    memset(h, 0, sizeof(*h));
}

/* Parses "HTTP/x[.y] NNN ..." (curl writes "HTTP/2 200" for HTTP/2 too). */
static int status_line(const char *p, size_t n, long *status)
{
    size_t i = 5;
    long code = 0;
    int digits = 0;

    if (n < 5 || strncmp(p, "HTTP/", 5) != 0)
        return 0;
    while (i < n && p[i] != ' ')
        i++;
    while (i < n && p[i] == ' ')
        i++;
    for (; i < n && isdigit((unsigned char)p[i]) && digits < 3; i++, digits++)
        code = code * 10 + (p[i] - '0');
    if (digits != 3)
        return 0;
    *status = code;
    return 1;
}

/* Replaces *slot with a copy of v[0..n); returns -1 out of memory. */
static int set_value(char **slot, const char *v, size_t n)
{
    char *s = strndup(v, n);
    if (!s)
        return -1;
    free(*slot);
    *slot = s;
    return 0;
}

/* CURLOPT_HEADERFUNCTION: one header line at a time, CRLF included. */
size_t on_header(char *data, size_t size, size_t nmemb, void *userp)
{
    struct xfer *t = userp;
    struct resp_hdrs *h = &t->hdrs;
    size_t n = size * nmemb, len = n;
    long status;
    int rc = 0;

    while (len > 0 && (data[len - 1] == '\r' || data[len - 1] == '\n'))
        len--;
    if (status_line(data, len, &status)) {
        /* A 1xx is followed by the real status of the same request. */
        if (t->hop_status >= 200) {
            t->hops++;
            if (t->hop_status != 301 && t->hop_status != 308)
                t->temporary_hop = 1;
        }
        t->hop_status = status;
        resp_hdrs_free(h);
        return n;
    }
    const char *colon = memchr(data, ':', len);
    if (!colon)
        return n; /* the blank line, or junk curl has let through */
    size_t nlen = (size_t)(colon - data);
    const char *v = colon + 1, *end = data + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t vlen = (size_t)(end - v);

#define IS(name) (nlen == sizeof(name) - 1 && !strncasecmp(data, name, nlen))
    if (IS("ETag"))
        rc = set_value(&h->etag, v, vlen);
    else if (IS("Last-Modified"))
        rc = set_value(&h->last_modified, v, vlen);
    else if (IS("Date"))
        rc = set_value(&h->date, v, vlen);
    else if (IS("Expires"))
        rc = set_value(&h->expires, v, vlen);
    else if (IS("Retry-After"))
        rc = set_value(&h->retry_after, v, vlen);
    else if (IS("Age"))
        rc = set_value(&h->age, v, vlen);
    else if (IS("Cache-Control")) {
        if (h->cache_control.len)
            rc = buf_putc(&h->cache_control, ',');
        if (rc == 0)
            rc = buf_append(&h->cache_control, v, vlen);
    }
#undef IS
    if (rc < 0) {
        t->no_mem = 1;
        return 0; /* aborts the transfer */
    }
    return n;
}

/* ---- header values ------------------------------------------------------ */

/* Non-negative decimal with nothing else but surrounding blanks; huge
 * values saturate (a year of seconds is already more than anyone needs). */
static int parse_seconds(const char *s, long *out)
{
    long v = 0;
    int digits = 0;

    while (*s == ' ' || *s == '\t')
        s++;
    for (; isdigit((unsigned char)*s); s++, digits++)
        v = v > (LONG_MAX - 9) / 10 ? LONG_MAX : v * 10 + (*s - '0');
    while (*s == ' ' || *s == '\t')
        s++;
    if (!digits || *s)
        return -1;
    *out = v;
    return 0;
}

/* HTTP-date in any of the three forms RFC 9110 requires readers to accept;
 * curl's parser handles them all. */
static int parse_date(const char *s, time_t *out)
{
    time_t t;

    if (!s)
        return -1;
    t = curl_getdate(s, NULL);
    if (t == (time_t)-1)
        return -1;
    *out = t;
    return 0;
}

static long clamp_secs(long long v)
{
    if (v < 0)
        return 0;
    return v > LONG_MAX ? LONG_MAX : (long)v;
}

/* A date in Retry-After or Expires is measured against the response's own
 * Date when there is one, so that a server whose clock is off still gets
 * the delay it asked for. */
static time_t base_time(const char *date, time_t now)
{
    time_t d;
    return parse_date(date, &d) == 0 ? d : now;
}

long fetch_retry_after(const char *value, const char *date, time_t now)
{
    long secs;
    time_t when;

    if (!value)
        return -1;
    if (parse_seconds(value, &secs) == 0)
        return secs;
    if (parse_date(value, &when) < 0)
        return -1;
    return clamp_secs((long long)when - (long long)base_time(date, now));
}

/* Seconds of the directive "max-age=N" (N may be quoted) in tok, which is
 * one comma-separated element of Cache-Control; tok is modified. */
static int max_age_directive(char *tok, long *out)
{
    char *p = tok + strspn(tok, " \t");
    size_t n;

    if (strncasecmp(p, "max-age", 7) != 0)
        return -1;
    p += 7;
    p += strspn(p, " \t");
    if (*p++ != '=')
        return -1;
    p += strspn(p, " \t");
    n = strlen(p);
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        p[--n] = '\0';
    if (n >= 2 && p[0] == '"' && p[n - 1] == '"') { /* allowed, if discouraged */
        p[n - 1] = '\0';
        p++;
    }
    return parse_seconds(p, out);
}

/* max-age from a Cache-Control value ("public, max-age=600"), or -1. */
static long cc_max_age(const char *cc)
{
    long result = -1, secs;

    while (cc && *cc) {
        const char *end = strchr(cc, ',');
        size_t n = end ? (size_t)(end - cc) : strlen(cc);
        char tok[64];
        if (n < sizeof(tok)) {
            memcpy(tok, cc, n);
            tok[n] = '\0';
            if (max_age_directive(tok, &secs) == 0)
                result = secs; /* the last one wins, like most caches */
        }
        cc = end ? end + 1 : NULL;
    }
    return result;
}

long fetch_max_age(const char *cache_control, const char *expires, const char *date,
                   const char *age, time_t now)
{
    long life = cc_max_age(cache_control), used = 0;
    time_t exp;

    if (life < 0 && expires) {
        /* An Expires that does not parse ("0", "-1") means already stale. */
        life = parse_date(expires, &exp) < 0
                   ? 0
                   : clamp_secs((long long)exp - (long long)base_time(date, now));
    }
    if (life < 0)
        return -1;
    /* A cache in front of the origin may have held the response a while:
     * what is left is what matters for the next poll. */
    if (age && parse_seconds(age, &used) == 0)
        life = life > used ? life - used : 0;
    return life;
}

/* ---- results ------------------------------------------------------------ */

/* Copies s into out as one line: stored errors and syslog records are
 * line-oriented, and curl's messages sometimes end with a newline. */
static void one_line(char *out, size_t outsz, const char *s)
{
    size_t i = 0;
    for (; *s && i + 1 < outsz; s++)
        out[i++] = (*s == '\r' || *s == '\n' || *s == '\t') ? ' ' : *s;
    while (i > 0 && out[i - 1] == ' ')
        i--;
    out[i] = '\0';
}

/* Calls the user's callback; the depth count lets fetch_client_free know
 * that it must not destroy the client under our feet. */
static void deliver(struct fetch_client *c, struct xfer *t, const struct fetch_result *res)
{
    c->depth++;
    t->cb(res, t->arg);
    c->depth--;
}

static enum fetch_kind kind_of(const struct xfer *t, CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return FETCH_DNS;
    case CURLE_COULDNT_CONNECT:
        return FETCH_CONNECT;
    case CURLE_OPERATION_TIMEDOUT:
        return FETCH_TIMEOUT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_USE_SSL_FAILED:
        return FETCH_TLS;
    case CURLE_FILESIZE_EXCEEDED:
        return FETCH_TOO_LARGE;
    case CURLE_TOO_MANY_REDIRECTS:
        return FETCH_REDIRECTS;
    case CURLE_UNSUPPORTED_PROTOCOL:
        /* Only a Location can bring us to a scheme we refuse: fetch_start
         * checked the one we were given. */
        return t->hops > 0 || t->hop_status / 100 == 3 ? FETCH_REDIRECTS : FETCH_OTHER;
    default:
        return FETCH_OTHER;
    }
}

/* Reports a transfer curl has finished with result rc. t is already off the
 * running list and out of the multi handle; the caller frees it. */
void report_done(struct fetch_client *c, struct xfer *t, CURLcode rc)
{
    struct fetch_result res = {0};
    char msg[CURL_ERROR_SIZE + 64];
    char *eff = NULL, *ctype = NULL;
    long status = 0, header_size = 0, redirects = 0;
    curl_off_t body_wire = 0;
    time_t now = time(NULL);

    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(t->easy, CURLINFO_EFFECTIVE_URL, &eff);
    curl_easy_getinfo(t->easy, CURLINFO_CONTENT_TYPE, &ctype);
    curl_easy_getinfo(t->easy, CURLINFO_HEADER_SIZE, &header_size);
    curl_easy_getinfo(t->easy, CURLINFO_REDIRECT_COUNT, &redirects);
    /* Counted before content decoding: what the server really sent. */
    curl_easy_getinfo(t->easy, CURLINFO_SIZE_DOWNLOAD_T, &body_wire);
    if (!t->body.data && buf_append(&t->body, "", 0) < 0)
        t->no_mem = 1;

    res.url = t->url;
    res.effective_url = eff ? eff : t->url;
    res.status = status;
    res.content_type = ctype;
    res.body = t->body.data ? t->body.data : "";
    res.len = t->body.len;
    res.etag = t->hdrs.etag;
    res.last_modified = t->hdrs.last_modified;
    res.retry_after = fetch_retry_after(t->hdrs.retry_after, t->hdrs.date, now);
    res.max_age =
        fetch_max_age(t->hdrs.cache_control.data, t->hdrs.expires, t->hdrs.date, t->hdrs.age, now);
    res.wire_bytes =
        (size_t)(header_size > 0 ? header_size : 0) + (size_t)(body_wire > 0 ? body_wire : 0);

    if (t->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
        snprintf(msg, sizeof(msg), "body larger than %zu bytes", c->max_body);
        res.kind = FETCH_TOO_LARGE;
    } else if (t->no_mem) {
        snprintf(msg, sizeof(msg), "out of memory");
        res.kind = FETCH_OTHER;
    } else if (rc != CURLE_OK) {
        one_line(msg, sizeof(msg), t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc));
        res.kind = kind_of(t, rc);
    } else if (!t->is_file && status == 304) {
        res.ok = res.not_modified = 1;
        res.kind = FETCH_NOT_MODIFIED;
    } else if (!t->is_file && (status < 200 || status > 299)) {
        snprintf(msg, sizeof(msg), "HTTP %ld", status);
        res.kind = FETCH_HTTP_ERROR;
    } else {
        res.ok = 1;
        res.kind = FETCH_OK;
    }
    /* Only a response that came through tells where the feed now lives. */
    if (rc == CURLE_OK && redirects > 0 && t->hops > 0 && !t->temporary_hop)
        res.permanent_url = res.effective_url;
    if (!res.ok)
        res.error = msg;
    deliver(c, t, &res);
}

/* Reports a transfer that never reached curl (curl_multi_add_handle failed). */
void report_failed(struct fetch_client *c, struct xfer *t)
{
    struct fetch_result res = {0};

    res.url = t->url;
    res.effective_url = t->url;
    res.body = "";
    res.error = t->start_err;
    res.kind = FETCH_OTHER;
    res.retry_after = res.max_age = -1;
    deliver(c, t, &res);
}
