/*
 * fetch_mail: SMTP submissions on the fetch client's curl multi handle, so
 * that sending an alert email never blocks the loop. A mail transfer queues
 * behind its own "smtp:host:port" key like any other host, and is reported
 * through the same done callback.
 */
#include "fetchers/fetch_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* CURLOPT_READFUNCTION: hands curl the message bytes. */
static size_t on_read(char *dst, size_t size, size_t nmemb, void *userp)
{
    struct xfer *t = userp;
    size_t room = size * nmemb, left = t->upload.len - t->upload_pos;
    size_t n = left < room ? left : room;

    if (n) {
        memcpy(dst, t->upload.data + t->upload_pos, n);
        t->upload_pos += n;
    }
    return n;
}

/* SMTP has no body to download; whatever curl hands over is dropped. */
static size_t on_discard(char *data, size_t size, size_t nmemb, void *userp)
{
    (void)data;
    (void)userp;
    return size * nmemb;
}

/* Checks the scheme and builds the queue key "smtp:host:port" (caller frees). */
static int mail_host(const char *url, char **key, char *err, size_t errsz)
{
    CURLU *u = curl_url();
    char *scheme = NULL;
    int ret = -1;

    if (!u)
        return pw_err(err, errsz, "fetch: out of memory");
    if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
        pw_err(err, errsz, "fetch: bad SMTP URL");
        goto fail;
    }
    if (strcasecmp(scheme, "smtp") && strcasecmp(scheme, "smtps")) {
        pw_err(err, errsz, "fetch: mail URL must be smtp:// or smtps://, not \"%.32s\"", scheme);
        goto fail;
    }
    if (url_host_key(u, "smtp:", key, err, errsz) < 0)
        goto fail;
    ret = 0;
fail:
    curl_free(scheme);
    curl_url_cleanup(u);
    return ret;
}

static CURLcode setup_mail(struct fetch_client *c, struct xfer *t, const struct fetch_mail *m)
{
    CURL *e = t->easy;
    CURLcode rc = CURLE_OK;

#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (rc == CURLE_OK)                                                                        \
            rc = curl_easy_setopt(e, opt, val);                                                    \
    } while (0)
    SET(CURLOPT_URL, t->url);
    SET(CURLOPT_PRIVATE, (void *)t);
    SET(CURLOPT_ERRORBUFFER, t->errbuf);
    SET(CURLOPT_NOSIGNAL, 1L);
    /* This transfer only: a feed URL can never reach SMTP, nor mail the web. */
    SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_MAIL_FROM, m->from);
    SET(CURLOPT_MAIL_RCPT, t->mail_rcpt);
    SET(CURLOPT_UPLOAD, 1L);
    SET(CURLOPT_READFUNCTION, on_read);
    SET(CURLOPT_READDATA, (void *)t);
    SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)t->upload.len);
    SET(CURLOPT_WRITEFUNCTION, on_discard);
    /* Without STARTTLS the password and the alerts would cross in clear. */
    SET(CURLOPT_USE_SSL, (long)(m->insecure ? CURLUSESSL_TRY : CURLUSESSL_ALL));
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (c->ca_file)
        SET(CURLOPT_CAINFO, c->ca_file);
    if (m->username) {
        SET(CURLOPT_USERNAME, m->username); /* curl copies both */
        SET(CURLOPT_PASSWORD, m->password ? m->password : "");
    }
    /* curl 7.88 waits for the reply to QUIT blocking, when it closes a
     * cached SMTP connection; this bounds that wait, and any other reply. */
    SET(CURLOPT_SERVER_RESPONSE_TIMEOUT, 20L);
    SET(CURLOPT_TIMEOUT_MS, c->timeout_ms);
    SET(CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
    SET(CURLOPT_LOW_SPEED_LIMIT, c->low_speed_bytes);
    SET(CURLOPT_LOW_SPEED_TIME, c->low_speed_secs);
#undef SET
    return rc;
}

int fetch_start_mail(struct fetch_client *c, const struct fetch_mail *m, fetch_done_cb cb,
                     void *arg, char *err, size_t errsz)
{
    struct xfer *t = NULL;
    struct host *h;
    char *key = NULL;

    if (!c || !m || !m->url || !m->from || !m->rcpt || !m->nrcpt || !m->data || !cb)
        return pw_err(err, errsz, "fetch: mail: missing argument");
    if (c->closing)
        return pw_err(err, errsz, "fetch: client is shutting down");
    if (mail_host(m->url, &key, err, errsz) < 0)
        return -1;
    if (!(t = calloc(1, sizeof(*t))) || !(t->url = strdup(m->url)) ||
        !(t->easy = curl_easy_init()) || buf_append(&t->upload, m->data, m->len) < 0)
        goto oom;
    t->c = c;
    t->cb = cb;
    t->arg = arg;
    for (size_t i = 0; i < m->nrcpt; i++) {
        struct curl_slist *l = curl_slist_append(t->mail_rcpt, m->rcpt[i]);
        if (!l)
            goto oom;
        t->mail_rcpt = l;
    }
    CURLcode rc = setup_mail(c, t, m);
    if (rc != CURLE_OK) {
        pw_err(err, errsz, "fetch: mail: %s", curl_easy_strerror(rc));
        goto fail;
    }
    if (!(h = host_get(c, key, 0)))
        goto oom;
    free(key);
    host_enqueue(c, h, t);
    pump(c);
    return 0;
oom:
    pw_err(err, errsz, "fetch: out of memory");
fail:
    free(key);
    xfer_free(t);
    return -1;
}
