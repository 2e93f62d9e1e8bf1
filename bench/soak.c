/*
 * bench_soak: crash safety of presswatchd under SIGKILL.
 *
 *   bench_soak [KILLS]        (default 200) kill/restart soak
 *   bench_soak --rss SECONDS  no kills: the daemon's memory over many cycles
 *
 * This process serves changing RSS feeds and an SMTP sink on 127.0.0.1
 * from one libevent loop, runs the real presswatchd (next to this binary)
 * with 1-second polls and both a file and an email alert channel, and
 * SIGKILLs it at random moments, restarting it each time. A feed changes
 * (a new story, or a new revision of one) only once what it published
 * before is stored, so every revision served must end up stored. After the
 * last kill the daemon runs until it has caught up, is stopped with
 * SIGTERM, and the database, the alert file and the received mail are
 * checked: PRAGMA integrity_check, every revision stored exactly once, one
 * coverage alert per story, every alert once in the file and once by mail
 * (Message-IDs carry alert ids). The last line is
 * "N kills, L lost, D duplicated". Mail resent after a kill between the
 * server's "250" and the daemon's bookkeeping is the documented SMTP window:
 * counted in D and shown apart. Exit 0 when nothing was lost, nothing but
 * that window duplicated, the database is intact and the daemon never died
 * on its own.
 */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"

#define NFEEDS 4
#define FEED_ITEMS 8       /* stories a feed shows; older ones scroll out */
#define TICK_MS 100        /* feed changes, checks and the daemon's health */
#define KILL_MIN_MS 30     /* a kill comes this long to KILL_MAX_MS after a start */
#define KILL_MAX_MS 1500   /* (polls are every 1-2 s) */
#define SETTLE_SECS 120    /* the last run's time to catch up */
#define RSS_SAMPLE_SECS 10 /* --rss: one sample per period */

static const char *const canonical[] = {
    "The harbour authority confirmed on Monday that the northern quay will close for repairs "
    "from the first of March until the end of September.",
    "Ferries to the islands will leave from the southern terminal during the works, and the "
    "timetable stays unchanged for all twelve daily crossings.",
    "The repairs cost 25 million euros, paid in equal parts by the city and the national "
    "infrastructure fund.",
    "Fishing boats keep their berths at the eastern pier, where the authority will add forty "
    "temporary moorings before the works begin.",
};

struct story {
    int no, rev;
};

struct revision { /* one revision the server published */
    int feed, no, rev;
    int stored; /* seen in the database */
    int rows;   /* version rows holding it, at the end */
};

struct soak {
    struct event_base *base;
    struct evhttp *http;
    struct evconnlistener *smtp;
    struct event *tick, *kill_timer, *sigterm;
    int http_port, smtp_port;
    char dir[128], db[192], conf[192], alerts[192], log[192], daemon_path[512];
    struct story feeds[NFEEDS][FEED_ITEMS];
    size_t nstories[NFEEDS];
    int next_no[NFEEDS];
    struct revision *revs;
    size_t nrevs, revcap;
    char **msg_ids; /* Message-IDs received, in order */
    size_t nmsgs, msgcap;
    pid_t pid;
    int kills, target, crashes;
    int settling; /* the kills are over; waiting for the daemon to catch up */
    time_t settle_deadline;
    int rss_secs; /* --rss mode */
    time_t rss_end, rss_next;
    long rss_first, rss_max, rss_last;
    int rss_samples;
    sqlite3 *ro; /* the database, read-only */
    unsigned rng;
};

static unsigned rnd(struct soak *s)
{
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 17;
    s->rng ^= s->rng << 5;
    return s->rng;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_soak: %s: %s\n", what, strerror(errno));
    exit(2);
}

/* ---- the feeds ---- */

static void marker(char *out, size_t n, int feed, int no, int rev)
{
    /* one word, lower case: survives HTML to text and normalisation */
    snprintf(out, n, "pwmk%dx%dx%dend", feed, no, rev);
}

static void publish(struct soak *s, int feed, int no, int rev)
{
    if (s->nrevs == s->revcap) {
        s->revcap = s->revcap ? s->revcap * 2 : 256;
        if (!(s->revs = realloc(s->revs, s->revcap * sizeof *s->revs)))
            die("realloc");
    }
    s->revs[s->nrevs++] = (struct revision){feed, no, rev, 0, 0};
}

static void add_story(struct soak *s, int k)
{
    if (s->nstories[k] == FEED_ITEMS) {
        memmove(&s->feeds[k][0], &s->feeds[k][1], (FEED_ITEMS - 1) * sizeof s->feeds[k][0]);
        s->nstories[k]--;
    }
    int no = ++s->next_no[k];
    s->feeds[k][s->nstories[k]++] = (struct story){no, 1};
    publish(s, k, no, 1);
}

/* A feed changes only when all it published is stored (so no revision can
 * be replaced before the daemon had its chance), half of the time. */
static void mutate(struct soak *s, const int *unstored)
{
    for (int k = 0; k < NFEEDS; k++) {
        if (unstored[k] || rnd(s) % 2)
            continue;
        if (s->nstories[k] < 3 || rnd(s) % 5 < 2) {
            add_story(s, k);
        } else {
            struct story *st = &s->feeds[k][rnd(s) % s->nstories[k]];
            publish(s, k, st->no, ++st->rev);
        }
    }
}

static void render(struct soak *s, int k, struct buf *b)
{
    buf_printf(b,
               "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<rss version=\"2.0\"><channel>"
               "<title>Soak %d</title><link>http://127.0.0.1:%d/</link>"
               "<description>soak feed</description>\n",
               k, s->http_port);
    for (size_t i = 0; i < s->nstories[k]; i++) {
        const struct story *st = &s->feeds[k][i];
        char mk[64];
        marker(mk, sizeof mk, k, st->no, st->rev);
        buf_printf(b,
                   "<item><title>Harbour story %d-%d</title>"
                   "<link>http://127.0.0.1:%d/a/%d/%d</link><guid>soak-%d-%d</guid>"
                   "<description>",
                   k, st->no, s->http_port, k, st->no, k, st->no);
        for (size_t p = 0; p < sizeof canonical / sizeof canonical[0]; p++)
            buf_printf(b, "&lt;p&gt;%s&lt;/p&gt;", canonical[p]);
        buf_printf(b, "&lt;p&gt;Revision %s.&lt;/p&gt;</description></item>\n", mk);
    }
    buf_puts(b, "</channel></rss>\n");
}

static void on_http(struct evhttp_request *req, void *arg)
{
    struct soak *s = arg;
    const char *uri = evhttp_request_get_uri(req);
    int k;
    if (sscanf(uri, "/feed/%d.xml", &k) != 1 || k < 0 || k >= NFEEDS) {
        evhttp_send_error(req, 404, "Not Found");
        return;
    }
    struct buf b = BUF_INIT;
    render(s, k, &b);
    struct evbuffer *out = evbuffer_new();
    evbuffer_add(out, b.data, b.len);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "application/rss+xml; charset=utf-8");
    evhttp_send_reply(req, 200, "OK", out);
    evbuffer_free(out);
    buf_free(&b);
}

/* ---- the SMTP sink: keeps the Message-ID of every message ---- */

struct smtp_conn {
    struct soak *s;
    int in_data;
    char msg_id[256];
};

static void smtp_close(struct bufferevent *bev, struct smtp_conn *c)
{
    free(c);
    bufferevent_free(bev);
}

static void smtp_say(struct bufferevent *bev, const char *text)
{
    bufferevent_write(bev, text, strlen(text));
}

static void smtp_drained(struct bufferevent *bev, void *arg)
{
    smtp_close(bev, arg);
}

static void smtp_message(struct smtp_conn *c)
{
    struct soak *s = c->s;
    if (s->nmsgs == s->msgcap) {
        s->msgcap = s->msgcap ? s->msgcap * 2 : 256;
        if (!(s->msg_ids = realloc(s->msg_ids, s->msgcap * sizeof *s->msg_ids)))
            die("realloc");
    }
    if (!(s->msg_ids[s->nmsgs++] = strdup(c->msg_id)))
        die("strdup");
    c->msg_id[0] = '\0';
}

static void smtp_read(struct bufferevent *bev, void *arg)
{
    struct smtp_conn *c = arg;
    char *line;
    size_t n;
    while ((line = evbuffer_readln(bufferevent_get_input(bev), &n, EVBUFFER_EOL_CRLF))) {
        if (c->in_data) {
            if (!strcmp(line, ".")) {
                c->in_data = 0;
                smtp_message(c);
                smtp_say(bev, "250 2.0.0 queued\r\n");
            } else if (!strncasecmp(line, "Message-ID: ", 12) && !c->msg_id[0]) {
                snprintf(c->msg_id, sizeof c->msg_id, "%s", line + 12);
            }
        } else if (!strncasecmp(line, "EHLO", 4)) {
            smtp_say(bev, "250-sink\r\n250 8BITMIME\r\n");
        } else if (!strncasecmp(line, "DATA", 4)) {
            c->in_data = 1;
            smtp_say(bev, "354 go on\r\n");
        } else if (!strncasecmp(line, "QUIT", 4)) {
            smtp_say(bev, "221 bye\r\n");
            bufferevent_setcb(bev, NULL, smtp_drained, NULL, c);
            free(line);
            return;
        } else if (!strncasecmp(line, "STARTTLS", 8)) {
            smtp_say(bev, "454 4.7.0 no TLS here\r\n");
        } else {
            smtp_say(bev, "250 ok\r\n");
        }
        free(line);
    }
}

static void smtp_event(struct bufferevent *bev, short what, void *arg)
{
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        smtp_close(bev, arg);
}

static void smtp_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
                        void *arg)
{
    (void)l;
    (void)sa;
    (void)len;
    struct soak *s = arg;
    struct bufferevent *bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
    struct smtp_conn *c = calloc(1, sizeof *c);
    if (!bev || !c)
        die("smtp accept");
    c->s = s;
    bufferevent_setcb(bev, smtp_read, NULL, smtp_event, c);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    smtp_say(bev, "220 sink ESMTP\r\n");
}

/* ---- the daemon ---- */

static void start_daemon(struct soak *s)
{
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        if (!freopen(s->log, "a", stderr) || !freopen("/dev/null", "w", stdout))
            _exit(127);
        execl(s->daemon_path, "presswatchd", "--config", s->conf, "--foreground", (char *)NULL);
        _exit(127);
    }
    s->pid = pid;
}

static void arm_kill(struct soak *s)
{
    int ms = KILL_MIN_MS + (int)(rnd(s) % (KILL_MAX_MS - KILL_MIN_MS));
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(s->kill_timer, &tv);
}

static int count_int(struct soak *s, const char *sql, const char *arg, long long *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->ro, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (arg)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* Flags the revisions now in the database; unstored[k] counts feed k's others. */
static void check_stored(struct soak *s, int *unstored)
{
    memset(unstored, 0, NFEEDS * sizeof *unstored);
    if (!s->ro && sqlite3_open_v2(s->db, &s->ro, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        sqlite3_close(s->ro);
        s->ro = NULL;
    }
    if (s->ro)
        sqlite3_busy_timeout(s->ro, 2000);
    for (size_t i = 0; i < s->nrevs; i++) {
        struct revision *r = &s->revs[i];
        if (r->stored)
            continue;
        char mk[64];
        long long n = 0;
        marker(mk, sizeof mk, r->feed, r->no, r->rev);
        if (s->ro &&
            count_int(s, "SELECT count(*) FROM versions WHERE instr(text, ?1) > 0", mk, &n) == 0 &&
            n > 0)
            r->stored = 1;
        else
            unstored[r->feed]++;
    }
}

static int backlog_empty(struct soak *s)
{
    long long n = -1;
    return s->ro &&
           count_int(s, "SELECT count(*) FROM deliveries WHERE state = 'pending'", NULL, &n) == 0 &&
           n == 0;
}

static long rss_kb(pid_t pid)
{
    char path[64], line[256];
    long kb = -1;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

static void stop_daemon(struct soak *s)
{
    int status;
    if (s->pid <= 0)
        return; /* kill(0, ...) would signal this whole process group */
    kill(s->pid, SIGTERM);
    if (waitpid(s->pid, &status, 0) == s->pid && (!WIFEXITED(status) || WEXITSTATUS(status)))
        s->crashes++;
    s->pid = 0;
    event_base_loopexit(s->base, NULL);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct soak *s = arg;
    int unstored[NFEEDS], status;
    (void)fd;
    (void)what;
    if (s->pid <= 0)
        return; /* stopped; the loop is ending */
    if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
        /* it died without being killed: a crash to report, then go on */
        fprintf(stderr, "bench_soak: presswatchd exited on its own (status %d); see %s\n", status,
                s->log);
        s->crashes++;
        start_daemon(s);
    }
    check_stored(s, unstored);
    time_t now = time(NULL);
    if (s->rss_secs) {
        if (now >= s->rss_next && now < s->rss_end) {
            long kb = rss_kb(s->pid);
            if (s->rss_samples++ == 0)
                s->rss_first = kb;
            s->rss_last = kb;
            if (kb > s->rss_max)
                s->rss_max = kb;
            printf("rss: t=%llds %ld kB, %zu revisions published\n",
                   (long long)(now - (s->rss_end - s->rss_secs)), kb, s->nrevs);
            fflush(stdout);
            s->rss_next = now + RSS_SAMPLE_SECS;
        }
        if (now < s->rss_end) {
            mutate(s, unstored);
            return;
        }
        if (!s->settling) { /* then catch up, as after the last kill */
            s->settling = 1;
            s->settle_deadline = now + SETTLE_SECS;
        }
    }
    if (!s->settling) {
        mutate(s, unstored);
        return;
    }
    int caught_up = 1;
    for (int k = 0; k < NFEEDS; k++)
        caught_up &= unstored[k] == 0;
    if ((caught_up && backlog_empty(s)) || now > s->settle_deadline)
        stop_daemon(s);
}

static void on_kill(evutil_socket_t fd, short what, void *arg)
{
    struct soak *s = arg;
    int status;
    (void)fd;
    (void)what;
    kill(s->pid, SIGKILL);
    if (waitpid(s->pid, &status, 0) == s->pid &&
        !(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL))
        s->crashes++; /* it had died before the kill */
    s->kills++;
    if (s->kills % 50 == 0) {
        printf("soak: %d kills, %zu revisions published, %zu mails\n", s->kills, s->nrevs,
               s->nmsgs);
        fflush(stdout);
    }
    start_daemon(s);
    if (s->kills < s->target) {
        arm_kill(s);
    } else {
        s->settling = 1;
        s->settle_deadline = time(NULL) + SETTLE_SECS;
    }
}

static void on_sigterm(evutil_socket_t fd, short what, void *arg)
{
    struct soak *s = arg;
    (void)fd;
    (void)what;
    if (s->pid > 0)
        kill(s->pid, SIGKILL);
    fprintf(stderr, "bench_soak: interrupted; files left in %s\n", s->dir);
    exit(2);
}

/* ---- the verdict ---- */

struct tally {
    long lost, dup, smtp_dup, malformed;
    int db_bad;
};

/* The alert id a line of the alert file ends with, or -1. */
static long long file_line_id(const char *line)
{
    const char *p = strrchr(line, ' ');
    long long id;
    char end;
    if (!p || sscanf(p, " alert_id=%lld%c", &id, &end) != 1)
        return -1;
    return id;
}

static void count_in(long long id, long long max, int *counts, long *phantom)
{
    if (id < 1 || id > max)
        (*phantom)++;
    else
        counts[id]++;
}

/* Each alert with a delivery on channel must have been seen exactly once. */
static void tally_channel(struct soak *s, const char *channel, const int *counts, long long max,
                          long *lost, long *dup)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->ro, "SELECT alert_id FROM deliveries WHERE channel = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        long long id = sqlite3_column_int64(st, 0);
        int c = id >= 1 && id <= max ? counts[id] : 0;
        if (c == 0)
            (*lost)++;
        else if (c > 1)
            *dup += c - 1;
    }
    sqlite3_finalize(st);
}

static void verify_alerts(struct soak *s, struct tally *t)
{
    long long max = 0;
    count_int(s, "SELECT coalesce(max(id), 0) FROM alerts", NULL, &max);
    int *in_file = calloc((size_t)max + 1, sizeof *in_file);
    int *in_mail = calloc((size_t)max + 1, sizeof *in_mail);
    if (!in_file || !in_mail)
        die("calloc");
    long file_lost = 0, file_dup = 0, mail_lost = 0, mail_dup = 0;
    FILE *f = fopen(s->alerts, "r");
    char *line = NULL;
    size_t cap = 0;
    while (f && getline(&line, &cap, f) > 0) {
        line[strcspn(line, "\n")] = '\0';
        long long id = file_line_id(line);
        if (id < 0)
            t->malformed++;
        else
            count_in(id, max, in_file, &file_dup);
    }
    free(line);
    if (f)
        fclose(f);
    for (size_t i = 0; i < s->nmsgs; i++) {
        long long id;
        if (sscanf(s->msg_ids[i], "<presswatch.alert-%lld.", &id) == 1)
            count_in(id, max, in_mail, &mail_dup);
        else
            t->malformed++; /* a digest or no Message-ID: not asked for */
    }
    tally_channel(s, "file", in_file, max, &file_lost, &file_dup);
    tally_channel(s, "email", in_mail, max, &mail_lost, &mail_dup);
    long long nalerts = 0, nfile = 0, nmail = 0;
    count_int(s, "SELECT count(*) FROM alerts", NULL, &nalerts);
    count_int(s, "SELECT count(*) FROM deliveries WHERE channel = 'file'", NULL, &nfile);
    count_int(s, "SELECT count(*) FROM deliveries WHERE channel = 'email'", NULL, &nmail);
    printf("alerts: %lld in the outbox; file: %lld due, %ld lost, %ld duplicated; "
           "email: %lld due, %zu messages, %ld lost, %ld duplicated (SMTP window); "
           "%ld malformed lines or messages\n",
           nalerts, nfile, file_lost, file_dup, nmail, s->nmsgs, mail_lost, mail_dup, t->malformed);
    t->lost += file_lost + mail_lost;
    t->dup += file_dup + mail_dup + t->malformed;
    t->smtp_dup = mail_dup;
    free(in_file);
    free(in_mail);
}

/* One coverage alert per story: the cause is stored with its alert. */
static void verify_coverage(struct soak *s, struct tally *t)
{
    long lost = 0, dup = 0, stories = 0;
    for (size_t i = 0; i < s->nrevs; i++) {
        const struct revision *r = &s->revs[i];
        if (r->rev != 1)
            continue;
        char pat[128];
        long long n = 0;
        snprintf(pat, sizeof pat, "%% url=http://127.0.0.1:%d/a/%d/%d %%", s->http_port, r->feed,
                 r->no);
        count_int(s,
                  "SELECT count(*) FROM alerts WHERE kind = 'coverage' AND record || ' ' LIKE ?1",
                  pat, &n);
        stories++;
        if (n == 0)
            lost++;
        else if (n > 1)
            dup += n - 1;
    }
    printf("coverage alerts: %ld stories, %ld without an alert, %ld extra\n", stories, lost, dup);
    t->lost += lost;
    t->dup += dup;
}

static void verify(struct soak *s, struct tally *t)
{
    memset(t, 0, sizeof *t);
    if (!s->ro && sqlite3_open_v2(s->db, &s->ro, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        printf("database: cannot open %s\n", s->db);
        t->db_bad = 1;
        return;
    }
    sqlite3_stmt *st;
    const char *ok = NULL;
    if (sqlite3_prepare_v2(s->ro, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        ok = (const char *)sqlite3_column_text(st, 0);
    printf("database: integrity_check %s\n", ok ? ok : sqlite3_errmsg(s->ro));
    t->db_bad = !ok || strcmp(ok, "ok") != 0;
    sqlite3_finalize(st);

    long lost = 0, dup = 0;
    long long rows = 0, total = 0;
    for (size_t i = 0; i < s->nrevs; i++) {
        struct revision *r = &s->revs[i];
        char mk[64];
        long long n = 0;
        marker(mk, sizeof mk, r->feed, r->no, r->rev);
        count_int(s, "SELECT count(*) FROM versions WHERE instr(text, ?1) > 0", mk, &n);
        rows += n;
        if (n == 0)
            lost++;
        else if (n > 1)
            dup += n - 1;
    }
    count_int(s, "SELECT count(*) FROM versions", NULL, &total);
    printf("versions: %zu published, %lld stored, %ld lost, %ld duplicated, %lld unexplained\n",
           s->nrevs, total, lost, dup, total - rows);
    t->lost += lost;
    t->dup += dup + (total > rows ? total - rows : 0);
    verify_coverage(s, t);
    verify_alerts(s, t);
}

/* A sanitizer report in the daemon's log is a crash even when it exited. */
static int log_has_errors(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    int n = 0;
    while (f && fgets(line, sizeof line, f))
        n += strstr(line, "ERROR: AddressSanitizer") || strstr(line, "runtime error:") ||
             strstr(line, "ERROR: LeakSanitizer");
    if (f)
        fclose(f);
    return n;
}

/* ---- set-up ---- */

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        die(path);
}

static void setup(struct soak *s)
{
    snprintf(s->dir, sizeof s->dir, "/tmp/pw-soak-XXXXXX");
    if (!mkdtemp(s->dir))
        die("mkdtemp");
    snprintf(s->db, sizeof s->db, "%s/soak.db", s->dir);
    snprintf(s->conf, sizeof s->conf, "%s/soak.conf", s->dir);
    snprintf(s->alerts, sizeof s->alerts, "%s/alerts.log", s->dir);
    snprintf(s->log, sizeof s->log, "%s/daemon.log", s->dir);
    struct buf b = BUF_INIT;
    for (size_t p = 0; p < sizeof canonical / sizeof canonical[0]; p++)
        buf_printf(&b, "%s\n\n", canonical[p]);
    char path[256];
    snprintf(path, sizeof path, "%s/canonical.txt", s->dir);
    write_file(path, b.data);
    buf_free(&b);
    buf_printf(&b,
               "[daemon]\ndatabase = soak.db\ninterval = 1s\nhost_gap = 0\nper_host = 8\n"
               "concurrency = 16\ntimeout = 10s\nfetch_pages = no\n"
               "[alerts]\nsyslog = no\nmin_score = 0.30\nalert_file = alerts.log\n"
               "email_to = desk@example.org\nemail_from = soak@example.org\n"
               "smtp_url = smtp://127.0.0.1:%d\nsmtp_insecure = yes\nemail_retry = 1s\n"
               "[canonical harbour]\nfile = canonical.txt\n",
               s->smtp_port);
    for (int k = 0; k < NFEEDS; k++)
        buf_printf(&b, "[feed soak%d]\nurl = http://127.0.0.1:%d/feed/%d.xml\n", k, s->http_port,
                   k);
    write_file(s->conf, b.data);
    buf_free(&b);
}

static void listen_all(struct soak *s)
{
    struct sockaddr_in sin = {.sin_family = AF_INET};
    socklen_t len = sizeof sin;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (!(s->http = evhttp_new(s->base)))
        die("evhttp_new");
    evhttp_set_gencb(s->http, on_http, s);
    struct evhttp_bound_socket *hs = evhttp_bind_socket_with_handle(s->http, "127.0.0.1", 0);
    if (!hs || getsockname(evhttp_bound_socket_get_fd(hs), (struct sockaddr *)&sin, &len) < 0)
        die("http listen");
    s->http_port = ntohs(sin.sin_port);
    sin.sin_port = 0;
    s->smtp =
        evconnlistener_new_bind(s->base, smtp_accept, s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
                                16, (struct sockaddr *)&sin, sizeof sin);
    len = sizeof sin;
    if (!s->smtp || getsockname(evconnlistener_get_fd(s->smtp), (struct sockaddr *)&sin, &len) < 0)
        die("smtp listen");
    s->smtp_port = ntohs(sin.sin_port);
}

static void find_daemon(struct soak *s)
{
    const char *env = getenv("PW_DAEMON");
    if (env) {
        snprintf(s->daemon_path, sizeof s->daemon_path, "%s", env);
        return;
    }
    char self[400];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        die("readlink /proc/self/exe");
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    snprintf(s->daemon_path, sizeof s->daemon_path, "%s/presswatchd", self);
}

int main(int argc, char **argv)
{
    static struct soak s; /* large; zeroed */
    s.target = 200;
    if (argc == 3 && !strcmp(argv[1], "--rss"))
        s.rss_secs = atoi(argv[2]);
    else if (argc == 2)
        s.target = atoi(argv[1]);
    if ((argc == 3 && s.rss_secs <= 0) || s.target <= 0 || argc > 3) {
        fprintf(stderr, "usage: bench_soak [KILLS] | bench_soak --rss SECONDS\n");
        return 2;
    }
    s.rng = (unsigned)time(NULL) ^ ((unsigned)getpid() << 12);
    if (!s.rng)
        s.rng = 1;
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    find_daemon(&s);
    if (!(s.base = event_base_new()))
        die("event_base_new");
    listen_all(&s);
    setup(&s);
    for (int k = 0; k < NFEEDS; k++)
        for (int i = 0; i < 2; i++)
            add_story(&s, k);
    struct timeval tick = {0, TICK_MS * 1000};
    s.tick = event_new(s.base, -1, EV_PERSIST, on_tick, &s);
    s.kill_timer = evtimer_new(s.base, on_kill, &s);
    s.sigterm = evsignal_new(s.base, SIGINT, on_sigterm, &s);
    if (!s.tick || !s.kill_timer || !s.sigterm || event_add(s.tick, &tick) < 0 ||
        event_add(s.sigterm, NULL) < 0)
        die("events");
    printf("soak: %s against %s, files in %s\n", s.daemon_path, s.conf, s.dir);
    fflush(stdout);
    time_t t0 = time(NULL);
    start_daemon(&s);
    if (s.rss_secs) {
        s.target = 0;
        s.rss_end = t0 + s.rss_secs;
        s.rss_next = t0 + 2; /* after start-up */
    } else {
        arm_kill(&s);
    }
    event_base_dispatch(s.base);
    if (s.pid > 0) { /* only when the loop broke early */
        kill(s.pid, SIGKILL);
        waitpid(s.pid, NULL, 0);
    }
    /* The daemon is gone: its SMTP connections' ends are pending events. */
    for (int i = 0; i < 10; i++)
        event_base_loop(s.base, EVLOOP_NONBLOCK);
    struct tally t;
    verify(&s, &t);
    int errors = log_has_errors(s.log);
    printf("daemon: %d unexpected exits, %d sanitizer reports, %lld s\n", s.crashes, errors,
           (long long)(time(NULL) - t0));
    if (s.rss_secs)
        printf("rss: first %ld kB, max %ld kB, last %ld kB over %d samples (%d s)\n", s.rss_first,
               s.rss_max, s.rss_last, s.rss_samples, s.rss_secs);
    int ok = !t.db_bad && t.lost == 0 && t.dup == t.smtp_dup && !s.crashes && !errors;
    if (ok && t.smtp_dup == 0) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", s.dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench_soak: could not remove %s\n", s.dir);
    }
    sqlite3_close(s.ro);
    for (size_t i = 0; i < s.nmsgs; i++)
        free(s.msg_ids[i]);
    free(s.msg_ids);
    free(s.revs);
    event_free(s.tick);
    event_free(s.kill_timer);
    event_free(s.sigterm);
    evconnlistener_free(s.smtp);
    evhttp_free(s.http);
    event_base_free(s.base);
    printf("%d kills, %ld lost, %ld duplicated\n", s.kills, t.lost, t.dup);
    return ok ? 0 : 1;
}
