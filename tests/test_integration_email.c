/*
 * Email alerts end to end: the real presswatchd runs --once cycles against
 * local feeds (evhttp, tests/support) and mails a real SMTP sink on
 * 127.0.0.1, a small server on libevent in this test's own thread. Checks
 * the delivered message, exactly-once delivery across an outage and across
 * a crash between the server's acceptance and our bookkeeping, digests,
 * STARTTLS being required, the credentials file check, and the systemd
 * unit's exposure rating.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "store/store.h"
#include "support/support.h"

/* ---- the SMTP sink ---- */

#define SINK_MAX 32

struct sink {
    struct event_base *base;
    struct evconnlistener *lis;
    struct event *tick;
    pthread_t thread;
    atomic_int stop;
    atomic_int kill_pid; /* > 0: at the end of the next DATA, SIGKILL it instead of answering */
    int port;
    pthread_mutex_t mu; /* guards what follows */
    char *msgs[SINK_MAX];
    int nmsgs;
    char auth[256]; /* the last AUTH PLAIN response, base64 */
    char rcpt[256];
};

struct conn {
    struct sink *s;
    int in_data, auth_wait;
    struct buf data;
};

static void conn_free(struct bufferevent *bev, struct conn *c)
{
    buf_free(&c->data);
    free(c);
    bufferevent_free(bev);
}

static void reply(struct bufferevent *bev, const char *text)
{
    bufferevent_write(bev, text, strlen(text));
}

static void on_drained(struct bufferevent *bev, void *arg)
{
    conn_free(bev, arg);
}

static void end_of_data(struct bufferevent *bev, struct conn *c)
{
    struct sink *s = c->s;
    pthread_mutex_lock(&s->mu);
    if (s->nmsgs < SINK_MAX)
        s->msgs[s->nmsgs++] = buf_detach(&c->data);
    pthread_mutex_unlock(&s->mu);
    buf_free(&c->data);
    c->in_data = 0;
    int pid = atomic_exchange(&s->kill_pid, 0);
    if (pid > 0) {
        /* The message is here, the daemon never hears "250". */
        kill(pid, SIGKILL);
        return;
    }
    reply(bev, "250 2.0.0 queued\r\n");
}

static void command(struct bufferevent *bev, struct conn *c, const char *line)
{
    struct sink *s = c->s;
    if (c->auth_wait) {
        c->auth_wait = 0;
        pthread_mutex_lock(&s->mu);
        snprintf(s->auth, sizeof s->auth, "%s", line);
        pthread_mutex_unlock(&s->mu);
        reply(bev, "235 2.7.0 ok\r\n");
    } else if (!strncasecmp(line, "EHLO", 4)) {
        reply(bev, "250-sink\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n");
    } else if (!strncasecmp(line, "AUTH PLAIN", 10)) {
        if (line[10] == ' ') {
            pthread_mutex_lock(&s->mu);
            snprintf(s->auth, sizeof s->auth, "%s", line + 11);
            pthread_mutex_unlock(&s->mu);
            reply(bev, "235 2.7.0 ok\r\n");
        } else {
            c->auth_wait = 1;
            reply(bev, "334 \r\n");
        }
    } else if (!strncasecmp(line, "RCPT TO:", 8)) {
        pthread_mutex_lock(&s->mu);
        snprintf(s->rcpt, sizeof s->rcpt, "%s", line + 8);
        pthread_mutex_unlock(&s->mu);
        reply(bev, "250 ok\r\n");
    } else if (!strncasecmp(line, "DATA", 4)) {
        c->in_data = 1;
        reply(bev, "354 go on\r\n");
    } else if (!strncasecmp(line, "QUIT", 4)) {
        reply(bev, "221 bye\r\n");
        bufferevent_setcb(bev, NULL, on_drained, NULL, c);
    } else if (!strncasecmp(line, "STARTTLS", 8)) {
        reply(bev, "454 4.7.0 no TLS here\r\n");
    } else {
        reply(bev, "250 ok\r\n"); /* HELO, MAIL FROM, RSET, NOOP */
    }
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    char *line;
    size_t n;
    while ((line = evbuffer_readln(bufferevent_get_input(bev), &n, EVBUFFER_EOL_CRLF))) {
        if (c->in_data && !strcmp(line, "."))
            end_of_data(bev, c);
        else if (c->in_data)
            buf_printf(&c->data, "%s\r\n", line[0] == '.' ? line + 1 : line);
        else
            command(bev, c, line);
        free(line);
    }
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        conn_free(bev, arg);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
                      void *arg)
{
    (void)l;
    (void)sa;
    (void)len;
    struct sink *s = arg;
    struct bufferevent *bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
    struct conn *c = calloc(1, sizeof *c);
    assert_true(bev && c);
    c->s = s;
    bufferevent_setcb(bev, on_read, NULL, on_event, c);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    reply(bev, "220 sink ESMTP\r\n");
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct sink *s = arg;
    (void)fd;
    (void)what;
    if (atomic_load(&s->stop))
        event_base_loopbreak(s->base);
}

static void *sink_loop(void *arg)
{
    struct sink *s = arg;
    event_base_dispatch(s->base);
    return NULL;
}

/* Starts the sink on port (0: any free one). */
static void sink_start(struct sink *s, int port)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_non_null(s->base = event_base_new());
    s->lis =
        evconnlistener_new_bind(s->base, on_accept, s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
                                16, (struct sockaddr *)&sin, sizeof sin);
    assert_non_null(s->lis);
    socklen_t len = sizeof sin;
    assert_int_equal(getsockname(evconnlistener_get_fd(s->lis), (struct sockaddr *)&sin, &len), 0);
    s->port = ntohs(sin.sin_port);
    atomic_store(&s->stop, 0);
    struct timeval tv = {0, 20000};
    assert_non_null(s->tick = event_new(s->base, -1, EV_PERSIST, on_tick, s));
    assert_int_equal(event_add(s->tick, &tv), 0);
    assert_int_equal(pthread_create(&s->thread, NULL, sink_loop, s), 0);
}

/* Stops listening; received messages stay. */
static void sink_stop(struct sink *s)
{
    atomic_store(&s->stop, 1);
    assert_int_equal(pthread_join(s->thread, NULL), 0);
    evconnlistener_free(s->lis);
    event_free(s->tick);
    event_base_free(s->base);
    s->base = NULL;
}

static void sink_clear(struct sink *s)
{
    for (int i = 0; i < s->nmsgs; i++)
        free(s->msgs[i]);
    s->nmsgs = 0;
    s->auth[0] = s->rcpt[0] = '\0';
}

/* ---- the daemon under test ---- */

static char tmpdir[256];
static struct test_server srv;
static struct sink sink = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void handle(struct evhttp_request *req, void *arg)
{
    (void)arg;
    const char *uri = evhttp_request_get_uri(req);
    if (!strcmp(uri, "/gazette.xml"))
        test_reply_file(req, PW_SOURCE_DIR "/etc/demo/feeds/harbour-gazette.xml",
                        "application/rss+xml; charset=utf-8");
    else if (!strcmp(uri, "/daily.xml"))
        test_reply_file(req, PW_SOURCE_DIR "/etc/demo/feeds/coastal-daily.xml",
                        "application/atom+xml");
    else
        evhttp_send_error(req, 404, "Not Found");
}

/* A fresh database and config; extra goes into [alerts]. Returns the
 * config's path in out. */
static void setup_case(const char *name, const char *extra, int port, char *out, size_t outsz)
{
    char secret[600];
    snprintf(secret, sizeof secret, "%s/%s.secret", tmpdir, name);
    FILE *f = fopen(secret, "w");
    assert_non_null(f);
    fputs("desk:s3cret\n", f);
    fclose(f);
    assert_int_equal(chmod(secret, 0600), 0);
    snprintf(out, outsz, "%s/%s.conf", tmpdir, name);
    f = fopen(out, "w");
    assert_non_null(f);
    fprintf(f,
            "[daemon]\ndatabase = %s.db\ntimeout = 10s\nhost_gap = 10ms\nfetch_pages = no\n"
            "[alerts]\nsyslog = no\nemail_to = desk@example.org\n"
            "email_from = presswatch@example.org\nsmtp_url = smtp://127.0.0.1:%d\n"
            "smtp_credentials = %s.secret\nemail_retry = 1s\n%s"
            "[canonical harbour]\nfile = %s/etc/demo/canonical/harbour-statement.txt\n"
            "[feed gazette]\nurl = http://127.0.0.1:%d/gazette.xml\n"
            "[feed daily]\nurl = http://127.0.0.1:%d/daily.xml\n",
            name, port, name, extra, PW_SOURCE_DIR, srv.port, srv.port);
    fclose(f);
}

/* Runs presswatchd --once; returns its pid's wait status and what it printed. */
static int run(const char *config, int kill_on_data, char **out)
{
    char path[600];
    snprintf(path, sizeof path, "%s/stderr.txt", tmpdir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen(path, "w", stderr))
            _exit(127);
        execl(PW_BINARY_DIR "/presswatchd", "presswatchd", "--config", config, "--once",
              "--foreground", (char *)NULL);
        _exit(127);
    }
    if (kill_on_data)
        atomic_store(&sink.kill_pid, pid);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    atomic_store(&sink.kill_pid, 0);
    struct buf b = BUF_INIT;
    char err[256];
    assert_int_equal(buf_read_file(&b, path, 1 << 22, err, sizeof err), 0);
    *out = buf_detach(&b);
    return status;
}

static char *run_ok(const char *config)
{
    char *out;
    int status = run(config, 0, &out);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("presswatchd failed (%d):\n%s", status, out);
    return out;
}

/* A copy of message i (caller frees), so that no assertion holds the lock. */
static char *msg(int i)
{
    pthread_mutex_lock(&sink.mu);
    char *m = i < sink.nmsgs ? strdup(sink.msgs[i]) : NULL;
    pthread_mutex_unlock(&sink.mu);
    assert_non_null(m);
    return m;
}

static int nmsgs(void)
{
    pthread_mutex_lock(&sink.mu);
    int n = sink.nmsgs;
    pthread_mutex_unlock(&sink.mu);
    return n;
}

/* The Message-ID of message i, copied into id. */
static void msg_id(int i, char *id, size_t idsz)
{
    char *m = msg(i);
    const char *p = strstr(m, "\r\nMessage-ID: ");
    if (p) {
        p += 14;
        snprintf(id, idsz, "%.*s", (int)strcspn(p, "\r"), p);
    }
    free(m);
    assert_non_null(p);
}

static int64_t email_backlog(const char *name)
{
    char db[600], err[256];
    struct store *st;
    int64_t n = -1;
    snprintf(db, sizeof db, "%s/%s.db", tmpdir, name);
    assert_int_equal(store_open(db, &st, err, sizeof err), 0);
    assert_int_equal(store_delivery_backlog(st, "email", &n, err, sizeof err), 0);
    store_close(st);
    return n;
}

/* The sum of the email deliveries' "interrupted" counts (attempts a crash
 * cut off), read apart from the store's own API. */
static int64_t email_interrupted(const char *name)
{
    char db[600];
    sqlite3 *h;
    sqlite3_stmt *st;
    int64_t n = -1;
    snprintf(db, sizeof db, "%s/%s.db", tmpdir, name);
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h,
                                        "SELECT total(interrupted) FROM deliveries"
                                        " WHERE channel = 'email'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

static void test_message(void **state)
{
    (void)state;
    char config[600];
    sink_clear(&sink);
    setup_case("message", "smtp_insecure = yes\n", sink.port, config, sizeof config);
    char *out = run_ok(config);
    assert_int_equal(test_count_lines(out, "alert: coverage "), 2);
    assert_int_equal(test_count_lines(out, "alerts: emailed 1 alert"), 2);
    if (getenv("PW_SHOW"))
        printf("%s\n", out);
    free(out);
    assert_int_equal(nmsgs(), 2);
    char *m = msg(0), auth[256], rcpt[256];
    if (getenv("PW_SHOW")) /* for the docs: the message as the server got it */
        printf("%s\n", m);
    assert_true(
        !strncmp(m, "From: presswatch@example.org\r\nTo: desk@example.org\r\nSubject: ", 61));
    assert_non_null(strstr(m, "\r\nDate: "));
    assert_non_null(strstr(m, "\r\nMessage-ID: <presswatch.alert-"));
    assert_non_null(strstr(m, "@example.org>\r\n"));
    assert_non_null(strstr(m, "Content-Type: multipart/alternative; boundary="));
    assert_non_null(strstr(m, "Content-Type: text/plain; charset=UTF-8\r\n"
                              "Content-Transfer-Encoding: quoted-printable\r\n"));
    assert_non_null(strstr(m, "Content-Type: text/html; charset=UTF-8\r\n"));
    assert_non_null(strstr(m, "Canonical text: harbour\r\n"));
    assert_non_null(strstr(m, "<th align=3D\"left\" valign=3D\"top\">Canonical text</th>"));
    free(m);
    pthread_mutex_lock(&sink.mu);
    snprintf(auth, sizeof auth, "%s", sink.auth);
    snprintf(rcpt, sizeof rcpt, "%s", sink.rcpt);
    pthread_mutex_unlock(&sink.mu);
    /* AUTH PLAIN carries "\0desk\0s3cret" */
    assert_string_equal(auth, "AGRlc2sAczNjcmV0");
    assert_string_equal(rcpt, "<desk@example.org>");
    char a[200], b[200];
    msg_id(0, a, sizeof a);
    msg_id(1, b, sizeof b);
    assert_string_not_equal(a, b);
    /* nothing is sent twice */
    out = run_ok(config);
    free(out);
    assert_int_equal(nmsgs(), 2);
    assert_int_equal(email_backlog("message"), 0);
}

static void test_outage(void **state)
{
    (void)state;
    char config[600];
    int port = sink.port;
    sink_clear(&sink);
    sink_stop(&sink);
    setup_case("outage", "smtp_insecure = yes\n", port, config, sizeof config);
    /* the server is down: alerts still reach the log, email queues */
    char *out = run_ok(config);
    assert_int_equal(test_count_lines(out, "alert: coverage "), 2);
    assert_non_null(strstr(out, "email of 1 alert failed"));
    free(out);
    assert_int_equal(email_backlog("outage"), 2);
    sleep(2); /* email_retry = 1s */
    sink_start(&sink, port);
    out = run_ok(config);
    assert_int_equal(test_count_lines(out, "alerts: emailed 1 alert"), 2);
    free(out);
    assert_int_equal(nmsgs(), 2);
    out = run_ok(config);
    free(out);
    assert_int_equal(nmsgs(), 2);
    char a[200], b[200];
    msg_id(0, a, sizeof a);
    msg_id(1, b, sizeof b);
    assert_string_not_equal(a, b);
    assert_int_equal(email_backlog("outage"), 0);
}

static void test_crash_window(void **state)
{
    (void)state;
    char config[600], *out;
    sink_clear(&sink);
    setup_case("crash", "smtp_insecure = yes\n", sink.port, config, sizeof config);
    /* killed after the server took the message, before "250" was seen */
    int status = run(config, 1, &out);
    free(out);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_int_equal(nmsgs(), 1);
    /* still pending (the second feed may not have been read before the kill) */
    int64_t backlog = email_backlog("crash");
    assert_true(backlog == 1 || backlog == 2);
    assert_int_equal(email_interrupted("crash"), 0);
    out = run_ok(config);
    /* the message in the window went again, recognisably: same Message-ID,
     * counted in the store and said in the log */
    assert_int_equal(email_interrupted("crash"), 1);
    assert_non_null(strstr(out, "1 went again after an attempt cut off by a crash"));
    free(out);
    assert_int_equal(nmsgs(), 3);
    char ids[3][200];
    for (int i = 0; i < 3; i++)
        msg_id(i, ids[i], sizeof ids[i]);
    assert_string_equal(ids[0], ids[1]);
    assert_string_not_equal(ids[1], ids[2]);
    out = run_ok(config);
    free(out);
    assert_int_equal(nmsgs(), 3);
    assert_int_equal(email_backlog("crash"), 0);
}

static void test_digest(void **state)
{
    (void)state;
    char config[600];
    sink_clear(&sink);
    setup_case("digest", "smtp_insecure = yes\nemail_digest = 2s\n", sink.port, config,
               sizeof config);
    /* the alerts wait for their period ... */
    char *out = run_ok(config);
    assert_null(strstr(out, "alerts: emailed"));
    free(out);
    assert_int_equal(nmsgs(), 0);
    sleep(3);
    /* ... then go out together */
    out = run_ok(config);
    assert_non_null(strstr(out, "alerts: emailed 2 alerts"));
    free(out);
    assert_int_equal(nmsgs(), 1);
    char *m = msg(0);
    assert_non_null(strstr(m, "Message-ID: <presswatch.digest-"));
    assert_non_null(strstr(m, "2 alerts\r\n"));
    free(m);
}

static void test_rate_limit(void **state)
{
    (void)state;
    char config[600];
    sink_clear(&sink);
    /* the one message the hour allows carries everything that is due */
    setup_case("limit", "smtp_insecure = yes\nemail_max_per_hour = 1\n", sink.port, config,
               sizeof config);
    char *out = run_ok(config);
    free(out);
    assert_int_equal(nmsgs(), 1);
    assert_int_equal(email_backlog("limit"), 1);
    /* the rest waits for the next hour */
    out = run_ok(config);
    free(out);
    assert_int_equal(nmsgs(), 1);
}

static void test_starttls_required(void **state)
{
    (void)state;
    char config[600];
    sink_clear(&sink);
    setup_case("plain", "", sink.port, config, sizeof config);
    char *out = run_ok(config);
    assert_non_null(strstr(out, "email of 1 alert failed"));
    free(out);
    /* nothing went out, and the password never crossed in clear */
    assert_int_equal(nmsgs(), 0);
    assert_string_equal(sink.auth, "");
    assert_int_equal(email_backlog("plain"), 2);
}

static void test_credentials_refused(void **state)
{
    (void)state;
    char config[600], secret[600], *out;
    setup_case("perm", "smtp_insecure = yes\n", sink.port, config, sizeof config);
    snprintf(secret, sizeof secret, "%s/perm.secret", tmpdir);
    assert_int_equal(chmod(secret, 0644), 0);
    int status = run(config, 0, &out);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    assert_non_null(strstr(out, "perm.secret: mode 0644 lets the group and others read"));
    free(out);
}

/* The unit's hardening, as systemd rates it (skipped without systemd-analyze). */
static void test_unit_exposure(void **state)
{
    (void)state;
    if (access("/usr/bin/systemd-analyze", X_OK) != 0)
        skip();
    FILE *p = popen("/usr/bin/systemd-analyze security --offline=yes " PW_SOURCE_DIR
                    "/systemd/presswatchd.service 2>&1",
                    "r");
    assert_non_null(p);
    char line[512];
    double exposure = -1;
    while (fgets(line, sizeof line, p)) {
        const char *at = strstr(line, "Overall exposure level for presswatchd.service: ");
        if (at)
            exposure =
                strtod(at + strlen("Overall exposure level for presswatchd.service: "), NULL);
    }
    pclose(p);
    print_message("exposure %.1f\n", exposure);
    assert_true(exposure >= 0);
    assert_true(exposure <= 2.0);
}

static int setup(void **state)
{
    (void)state;
    test_mkdtemp(tmpdir, sizeof tmpdir, "pwmail");
    test_server_start(&srv, handle, NULL);
    sink_start(&sink, 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sink_stop(&sink);
    sink_clear(&sink);
    test_server_stop(&srv);
    test_rmdir(tmpdir);
    return 0;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_message),
        cmocka_unit_test(test_outage),
        cmocka_unit_test(test_crash_window),
        cmocka_unit_test(test_digest),
        cmocka_unit_test(test_rate_limit),
        cmocka_unit_test(test_starttls_required),
        cmocka_unit_test(test_credentials_refused),
        cmocka_unit_test(test_unit_exposure),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
