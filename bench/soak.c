/*
 * bench_soak: crash safety of presswatchd under SIGKILL.
 *
 *   bench_soak [KILLS]        (default 200) kill/restart soak
 *   bench_soak KILLS --slow-250 MS   the same, the SMTP sink answering "250"
 *                             MS after it took a message: a wide window
 *                             for kills between the two, to show that every
 *                             resend it causes is announced
 *   bench_soak --rss SECONDS  no kills: the daemon's memory over SECONDS
 *   bench_soak --day [FEEDS [POLLS]]  no kills: the daemon's memory over
 *                             POLLS polls of each of FEEDS feeds (default
 *                             200 feeds, 192 polls: two days at 15 minutes)
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
 * "N kills, L lost, D duplicated". A kill after the server took a message
 * and before the daemon marked it makes the daemon send it again (RFC 1047;
 * no SMTP client can tell). Such copies carry the same Message-ID, so a
 * mailbox that dedupes on it holds one message; they are not counted in D
 * when, and only when, the daemon announced them: the delivery's
 * "interrupted" count allows one extra copy per attempt a kill cut off.
 * Every other extra copy, in the file or by mail, is in D, and the copies
 * the receiver saw are shown apart. Exit 0 when nothing was lost or
 * duplicated, the database is intact and the daemon never died on its own.
 *
 * The memory modes sample the daemon: RSS split into anonymous and
 * file-backed pages (/proc/PID/smaps_rollup), and the heap and SQLite
 * figures of the "memory:" line it logs once per cycle at LOG_DEBUG. --day
 * ends with the means of each quarter of the polls and a verdict: flat when
 * no RSS sampled in the last half exceeds RSS at half-way by FLAT_PCT or
 * more (the first half is the warm-up: the page cache and the heap fill).
 */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"

#define NFEEDS 4           /* the kill soak's and --rss's feeds */
#define FEED_ITEMS 8       /* stories a feed shows; older ones scroll out */
#define TICK_MS 100        /* feed changes, checks and the daemon's health */
#define KILL_MIN_MS 30     /* a kill comes this long to KILL_MAX_MS after a start */
#define KILL_MAX_MS 1500   /* (polls are every 1-2 s) */
#define SETTLE_SECS 120    /* the last run's time to catch up */
#define STOP_SECS 60       /* SIGTERM to exit, at most */
#define RSS_SAMPLE_SECS 10 /* --rss: one sample per period */
#define DAY_FEEDS 200
#define DAY_POLLS 192       /* two days of a feed polled every 15 minutes */
#define DAY_SAMPLES 48      /* --day: about this many samples */
#define FLAT_PCT 1.0        /* --day: the last half's growth of RSS, at most */
#define DAY_CHANGE_ODDS 30  /* --day: a feed changes about every 3 s, every other poll */
#define DAY_SETTLE_SECS 600 /* --day: the email backlog of many feeds takes longer */

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
    int rows;     /* version rows holding it */
    int coverage; /* rev 1: coverage alerts naming its story, at the end */
};

/* One reading of the daemon's memory, in kB (-1: not known). */
struct mem_sample {
    long cycles; /* polls per feed so far */
    long rss, anon, file;
    long heap_used, heap_free, heap_mapped, sqlite, cache;
};

struct soak {
    struct event_base *base;
    struct evhttp *http;
    struct evconnlistener *smtp;
    struct event *tick, *kill_timer, *sigterm;
    int http_port, smtp_port;
    char dir[128], db[192], conf[192], alerts[192], log[192], daemon_path[512];
    int nfeeds;
    struct story (*feeds)[FEED_ITEMS];
    size_t *nstories;
    int *next_no;
    int *pending;   /* per feed: revisions published and not yet seen stored */
    long *requests; /* per feed: feed requests served */
    struct revision *revs;
    size_t nrevs, revcap;
    size_t *revmap; /* open addressing: revision index + 1, 0 when empty */
    size_t mapcap;
    long long seen_id;     /* the last version row read */
    long long unexplained; /* version rows naming no published revision */
    char **msg_ids;        /* Message-IDs received, in order */
    int slow_250_ms;       /* --slow-250 */
    size_t nmsgs, msgcap;
    pid_t pid;
    int kills, target, crashes;
    int settling; /* the kills are over; waiting for the daemon to catch up */
    time_t settle_deadline;
    time_t stop_deadline; /* SIGTERM sent: SIGKILL after this */
    int rss_secs;         /* --rss mode */
    time_t rss_end, rss_next;
    long rss_first, rss_max, rss_last;
    int rss_samples;
    int change_odds;          /* a feed changes at 1 tick in this many (when it may) */
    int day_polls;            /* --day mode: polls per feed */
    long day_every, day_next; /* a sample every day_every cycles */
    struct mem_sample *samples;
    size_t nsamples, samplecap;
    long log_off; /* how far the daemon's log was read */
    struct mem_sample last_logged;
    time_t t0;
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

static size_t rev_hash(int feed, int no, int rev)
{
    uint64_t h = ((uint64_t)(unsigned)feed << 42) ^ ((uint64_t)(unsigned)no << 16) ^ (unsigned)rev;
    h *= 0x9e3779b97f4a7c15u;
    return (size_t)(h >> 17);
}

static void revmap_put(struct soak *s, size_t i)
{
    const struct revision *r = &s->revs[i];
    size_t j = rev_hash(r->feed, r->no, r->rev) & (s->mapcap - 1);
    while (s->revmap[j])
        j = (j + 1) & (s->mapcap - 1);
    s->revmap[j] = i + 1;
}

/* The index of a published revision, or -1. */
static long rev_find(const struct soak *s, int feed, int no, int rev)
{
    if (!s->mapcap)
        return -1;
    for (size_t j = rev_hash(feed, no, rev) & (s->mapcap - 1); s->revmap[j];
         j = (j + 1) & (s->mapcap - 1)) {
        const struct revision *r = &s->revs[s->revmap[j] - 1];
        if (r->feed == feed && r->no == no && r->rev == rev)
            return (long)(s->revmap[j] - 1);
    }
    return -1;
}

static void publish(struct soak *s, int feed, int no, int rev)
{
    if (s->nrevs == s->revcap) {
        s->revcap = s->revcap ? s->revcap * 2 : 256;
        if (!(s->revs = realloc(s->revs, s->revcap * sizeof *s->revs)))
            die("realloc");
    }
    s->revs[s->nrevs++] = (struct revision){feed, no, rev, 0, 0};
    s->pending[feed]++;
    if (2 * s->nrevs > s->mapcap) { /* rebuilt at half full */
        free(s->revmap);
        s->mapcap = s->mapcap ? s->mapcap * 2 : 1024;
        if (!(s->revmap = calloc(s->mapcap, sizeof *s->revmap)))
            die("calloc");
        for (size_t i = 0; i + 1 < s->nrevs; i++)
            revmap_put(s, i);
    }
    revmap_put(s, s->nrevs - 1);
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
 * be replaced before the daemon had its chance), at a tick with odds of 1 in
 * change_odds. */
static void mutate(struct soak *s)
{
    for (int k = 0; k < s->nfeeds; k++) {
        if (s->pending[k] || rnd(s) % s->change_odds)
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
    if (sscanf(uri, "/feed/%d.xml", &k) != 1 || k < 0 || k >= s->nfeeds) {
        evhttp_send_error(req, 404, "Not Found");
        return;
    }
    s->requests[k]++;
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
    struct bufferevent *bev;
    struct event *ack; /* --slow-250: the "250" still to say */
    int in_data;
    char msg_id[256];
};

static void smtp_close(struct bufferevent *bev, struct smtp_conn *c)
{
    if (c->ack)
        event_free(c->ack);
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

static void smtp_ack(evutil_socket_t fd, short what, void *arg)
{
    struct smtp_conn *c = arg;
    (void)fd;
    (void)what;
    smtp_say(c->bev, "250 2.0.0 queued\r\n");
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
                smtp_message(c); /* taken: a real server has queued it here */
                if (c->ack) {
                    struct timeval tv = {c->s->slow_250_ms / 1000,
                                         (long)(c->s->slow_250_ms % 1000) * 1000L};
                    evtimer_add(c->ack, &tv);
                } else {
                    smtp_say(bev, "250 2.0.0 queued\r\n");
                }
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
    c->bev = bev;
    if (s->slow_250_ms > 0 && !(c->ack = evtimer_new(s->base, smtp_ack, c)))
        die("smtp accept");
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
        /* the memory modes read the daemon's LOG_DEBUG "memory:" lines */
        execl(s->daemon_path, "presswatchd", "--config", s->conf, "--foreground",
              s->rss_secs || s->day_polls ? "--verbose" : (char *)NULL, (char *)NULL);
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

/* Credits the revisions named by the version rows after s->seen_id (all
 * rows, from 0): one pass over new rows, not a search per revision. */
static int scan_versions(struct soak *s)
{
    if (!s->ro && sqlite3_open_v2(s->db, &s->ro, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        sqlite3_close(s->ro);
        s->ro = NULL;
        return -1;
    }
    sqlite3_busy_timeout(s->ro, 2000);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->ro, "SELECT id, text FROM versions WHERE id > ?1 ORDER BY id", -1,
                           &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, s->seen_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(st, 1);
        int named = 0;
        for (const char *p = text; p && (p = strstr(p, "pwmk")); p += 4) {
            int feed, no, rev, end = 0;
            if (sscanf(p, "pwmk%dx%dx%dend%n", &feed, &no, &rev, &end) != 3 || !end)
                continue;
            long i = rev_find(s, feed, no, rev);
            if (i < 0)
                continue;
            named = 1;
            if (s->revs[i].rows++ == 0)
                s->pending[feed]--;
        }
        s->unexplained += !named;
        s->seen_id = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int backlog_empty(struct soak *s)
{
    long long n = -1;
    return s->ro &&
           count_int(s, "SELECT count(*) FROM deliveries WHERE state = 'pending'", NULL, &n) == 0 &&
           n == 0;
}

/* The daemon's RSS, and of it the anonymous pages; the rest is file-backed
 * (the binary, libraries, SQLite's shared-memory index of the WAL). */
static void read_rss(pid_t pid, struct mem_sample *m)
{
    char path[64], line[256];
    long kb;
    m->rss = m->anon = m->file = -1;
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f)) {
        if (sscanf(line, "Rss: %ld kB", &kb) == 1)
            m->rss = kb;
        else if (sscanf(line, "Anonymous: %ld kB", &kb) == 1)
            m->anon = kb;
    }
    if (f)
        fclose(f);
    if (m->rss >= 0 && m->anon >= 0)
        m->file = m->rss - m->anon;
}

/* Reads what the daemon logged since the last call; keeps the figures of
 * its last "memory:" line (a line still being written waits). */
static void read_memory_log(struct soak *s)
{
    FILE *f = fopen(s->log, "r");
    if (!f)
        return;
    if (fseek(f, s->log_off, SEEK_SET) == 0) {
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        while ((n = getline(&line, &cap, f)) > 0 && line[n - 1] == '\n') {
            s->log_off += n;
            const char *p = strstr(line, "memory: heap ");
            struct mem_sample *m = &s->last_logged;
            if (p &&
                sscanf(p,
                       "memory: heap %ld kB in use, %ld kB free, %ld kB mapped; sqlite %ld "
                       "kB, page cache %ld kB",
                       &m->heap_used, &m->heap_free, &m->heap_mapped, &m->sqlite, &m->cache) != 5)
                m->heap_used = m->heap_free = m->heap_mapped = m->sqlite = m->cache = -1;
        }
        free(line);
    }
    fclose(f);
}

static void sample(struct soak *s, const char *mode, long cycles)
{
    read_memory_log(s);
    struct mem_sample m = s->last_logged;
    m.cycles = cycles;
    read_rss(s->pid, &m);
    if (s->nsamples == s->samplecap) {
        s->samplecap = s->samplecap ? s->samplecap * 2 : 64;
        if (!(s->samples = realloc(s->samples, s->samplecap * sizeof *s->samples)))
            die("realloc");
    }
    s->samples[s->nsamples++] = m;
    printf("%s: t=%llds cycle %ld, %zu revisions: rss %ld kB (anon %ld, file %ld); heap %ld kB "
           "in use, %ld free, %ld mapped; sqlite %ld kB (page cache %ld)\n",
           mode, (long long)(time(NULL) - s->t0), cycles, s->nrevs, m.rss, m.anon, m.file,
           m.heap_used, m.heap_free, m.heap_mapped, m.sqlite, m.cache);
    fflush(stdout);
}

/* Polls per feed so far: the fewest requests any feed had. */
static long cycles_done(const struct soak *s)
{
    long c = s->requests[0];
    for (int k = 1; k < s->nfeeds; k++)
        if (s->requests[k] < c)
            c = s->requests[k];
    return c;
}

/* SIGTERM; on_tick reaps the daemon. The loop goes on meanwhile: on its
 * way out libcurl says QUIT to the SMTP sink and waits for the answer (a
 * blocking wait here held the daemon up to curl's 120 s reply timeout). */
static void stop_daemon(struct soak *s)
{
    if (s->pid <= 0 || s->stop_deadline)
        return; /* kill(0, ...) would signal this whole process group */
    kill(s->pid, SIGTERM);
    s->stop_deadline = time(NULL) + STOP_SECS;
}

/* Called each tick once stopping: 1 while the daemon is still running. */
static int reap_stopped(struct soak *s)
{
    int status;
    pid_t r = waitpid(s->pid, &status, WNOHANG);
    if (r == 0 && time(NULL) <= s->stop_deadline)
        return 1;
    if (r == 0) {
        fprintf(stderr, "bench_soak: presswatchd did not stop within %d s of SIGTERM\n", STOP_SECS);
        kill(s->pid, SIGKILL);
        waitpid(s->pid, &status, 0);
        s->crashes++;
    } else if (r == s->pid && (!WIFEXITED(status) || WEXITSTATUS(status))) {
        s->crashes++;
    }
    s->pid = 0;
    event_base_loopexit(s->base, NULL);
    return 0;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct soak *s = arg;
    int status;
    (void)fd;
    (void)what;
    if (s->pid <= 0)
        return; /* stopped; the loop is ending */
    if (s->stop_deadline) {
        reap_stopped(s);
        return;
    }
    if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
        /* it died without being killed: a crash to report, then go on */
        fprintf(stderr, "bench_soak: presswatchd exited on its own (status %d); see %s\n", status,
                s->log);
        s->crashes++;
        start_daemon(s);
    }
    scan_versions(s);
    time_t now = time(NULL);
    if (s->rss_secs && !s->settling) {
        if (now >= s->rss_next && now < s->rss_end) {
            sample(s, "rss", cycles_done(s));
            long kb = s->samples[s->nsamples - 1].rss;
            if (s->rss_samples++ == 0)
                s->rss_first = kb;
            s->rss_last = kb;
            if (kb > s->rss_max)
                s->rss_max = kb;
            s->rss_next = now + RSS_SAMPLE_SECS;
        }
        if (now < s->rss_end) {
            mutate(s);
            return;
        }
        s->settling = 1; /* then catch up, as after the last kill */
        s->settle_deadline = now + SETTLE_SECS;
    }
    if (s->day_polls && !s->settling) {
        long cycles = cycles_done(s);
        if (cycles >= s->day_next) {
            sample(s, "day", cycles);
            s->day_next = (cycles / s->day_every + 1) * s->day_every;
        }
        if (cycles < s->day_polls) {
            mutate(s);
            return;
        }
        s->settling = 1;
        s->settle_deadline = now + DAY_SETTLE_SECS;
    }
    if (!s->settling) {
        mutate(s);
        return;
    }
    int caught_up = 1;
    for (int k = 0; k < s->nfeeds; k++)
        caught_up &= s->pending[k] == 0;
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
    long lost, dup, resent, malformed;
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

/* Each alert with a delivery on channel must have been seen exactly once;
 * with resent (email), once more per attempt the daemon says a kill cut
 * off, counted there. */
static void tally_channel(struct soak *s, const char *channel, const int *counts, long long max,
                          long *lost, long *dup, long *resent)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->ro, "SELECT alert_id, interrupted FROM deliveries WHERE channel = ?1",
                           -1, &st, NULL) != SQLITE_OK) {
        (*lost)++; /* cannot tell: not a pass */
        return;
    }
    sqlite3_bind_text(st, 1, channel, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        long long id = sqlite3_column_int64(st, 0);
        int announced = resent ? sqlite3_column_int(st, 1) : 0;
        int c = id >= 1 && id <= max ? counts[id] : 0;
        if (c == 0) {
            (*lost)++;
        } else if (c > 1) {
            int extra = c - 1, ok = extra < announced ? extra : announced;
            if (resent)
                *resent += ok;
            *dup += extra - ok;
        }
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
    long file_lost = 0, file_dup = 0, mail_lost = 0, mail_dup = 0, mail_resent = 0;
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
    tally_channel(s, "file", in_file, max, &file_lost, &file_dup, NULL);
    tally_channel(s, "email", in_mail, max, &mail_lost, &mail_dup, &mail_resent);
    long long nalerts = 0, nfile = 0, nmail = 0;
    count_int(s, "SELECT count(*) FROM alerts", NULL, &nalerts);
    count_int(s, "SELECT count(*) FROM deliveries WHERE channel = 'file'", NULL, &nfile);
    count_int(s, "SELECT count(*) FROM deliveries WHERE channel = 'email'", NULL, &nmail);
    printf("alerts: %lld in the outbox; file: %lld due, %ld lost, %ld duplicated; "
           "email: %lld due, %zu messages, %ld lost, %ld duplicated, %ld resent after a kill"
           " cut an attempt off (announced, same Message-ID); "
           "%ld malformed lines or messages\n",
           nalerts, nfile, file_lost, file_dup, nmail, s->nmsgs, mail_lost, mail_dup, mail_resent,
           t->malformed);
    t->lost += file_lost + mail_lost;
    t->dup += file_dup + mail_dup + t->malformed;
    t->resent = mail_resent;
    free(in_file);
    free(in_mail);
}

/* One coverage alert per story: the cause is stored with its alert. */
static void verify_coverage(struct soak *s, struct tally *t)
{
    long lost = 0, dup = 0, stories = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->ro, "SELECT record FROM alerts WHERE kind = 'coverage'", -1, &st,
                           NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *rec = (const char *)sqlite3_column_text(st, 0);
            const char *p = rec ? strstr(rec, " url=http://127.0.0.1:") : NULL;
            int port, feed, no, end = 0;
            if (!p ||
                sscanf(p, " url=http://127.0.0.1:%d/a/%d/%d%n", &port, &feed, &no, &end) != 3 ||
                port != s->http_port || (p[end] != ' ' && p[end] != '\0'))
                continue;
            long i = rev_find(s, feed, no, 1);
            if (i >= 0)
                s->revs[i].coverage++;
        }
        sqlite3_finalize(st);
    }
    for (size_t i = 0; i < s->nrevs; i++) {
        const struct revision *r = &s->revs[i];
        if (r->rev != 1)
            continue;
        stories++;
        if (r->coverage == 0)
            lost++;
        else if (r->coverage > 1)
            dup += r->coverage - 1;
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

    /* Counted again from the first row: a row that went away is lost. */
    for (size_t i = 0; i < s->nrevs; i++)
        s->revs[i].rows = 0;
    s->seen_id = 0;
    s->unexplained = 0;
    if (scan_versions(s) < 0)
        printf("versions: cannot read: %s\n", sqlite3_errmsg(s->ro));
    long lost = 0, dup = 0;
    long long total = 0;
    for (size_t i = 0; i < s->nrevs; i++) {
        const struct revision *r = &s->revs[i];
        if (r->rows == 0)
            lost++;
        else if (r->rows > 1)
            dup += r->rows - 1;
    }
    count_int(s, "SELECT count(*) FROM versions", NULL, &total);
    printf("versions: %zu published, %lld stored, %ld lost, %ld duplicated, %lld unexplained\n",
           s->nrevs, total, lost, dup, s->unexplained);
    t->lost += lost;
    t->dup += dup + s->unexplained;
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
    for (int k = 0; k < s->nfeeds; k++)
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

/* Mean of a field over the samples whose cycle lies in (lo, hi]. */
static double mean_of(const struct soak *s, size_t off, long lo, long hi)
{
    double sum = 0;
    long n = 0;
    for (size_t i = 0; i < s->nsamples; i++) {
        const struct mem_sample *m = &s->samples[i];
        long v = *(const long *)(const void *)((const char *)m + off);
        if (m->cycles > lo && m->cycles <= hi && v >= 0) {
            sum += (double)v;
            n++;
        }
    }
    return n ? sum / (double)n : -1;
}

/* --day: the mean of RSS, heap and SQLite figures in each quarter of the
 * polls, and whether RSS stayed flat after the first. */
static void day_verdict(const struct soak *s)
{
    static const struct {
        const char *name;
        size_t off;
    } fields[] = {{"rss", offsetof(struct mem_sample, rss)},
                  {"anon", offsetof(struct mem_sample, anon)},
                  {"file", offsetof(struct mem_sample, file)},
                  {"heap in use", offsetof(struct mem_sample, heap_used)},
                  {"heap free", offsetof(struct mem_sample, heap_free)},
                  {"sqlite", offsetof(struct mem_sample, sqlite)}};
    long q = s->day_polls / 4;
    double rss[4] = {0};
    for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
        printf("day: mean %s by quarter of the polls:", fields[f].name);
        for (int i = 0; i < 4; i++) {
            double v = mean_of(s, fields[f].off, i * q, i == 3 ? LONG_MAX : (i + 1) * q);
            printf(" %.0f kB", v);
            if (f == 0)
                rss[i] = v;
        }
        printf("\n");
    }
    /* after the warm-up: the highest RSS of the last half against RSS at
     * half-way */
    const struct mem_sample *a = &s->samples[0], *z = &s->samples[s->nsamples - 1];
    const struct mem_sample *mid = a;
    long top = 0;
    for (size_t i = 0; i < s->nsamples; i++) {
        if (s->samples[i].cycles <= s->day_polls / 2)
            mid = &s->samples[i];
        else if (s->samples[i].rss > top)
            top = s->samples[i].rss;
    }
    printf("day: %d feeds x %ld polls, %zu samples; rss %ld kB at cycle %ld, %ld kB at cycle %ld, "
           "%ld kB at cycle %ld\n",
           s->nfeeds, z->cycles, s->nsamples, a->rss, a->cycles, mid->rss, mid->cycles, z->rss,
           z->cycles);
    double growth = mid->rss > 0 ? 100.0 * (double)(top - mid->rss) / (double)mid->rss : 100;
    printf("day: rss first quarter %.0f kB, last quarter %.0f kB; last half: %ld kB at half-way, "
           "at most %ld kB after (%+.2f%%; flat: under %.1f%%): %s\n",
           rss[0], rss[3], mid->rss, top, growth, FLAT_PCT,
           growth < FLAT_PCT ? "flat" : "NOT flat");
}

static void *alloc_zeroed(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (!p)
        die("calloc");
    return p;
}

int main(int argc, char **argv)
{
    static struct soak s; /* large; zeroed */
    s.target = 200;
    s.nfeeds = NFEEDS;
    s.change_odds = 2;
    int bad = 0;
    if (argc == 3 && !strcmp(argv[1], "--rss")) {
        s.rss_secs = atoi(argv[2]);
        bad = s.rss_secs <= 0;
    } else if (argc >= 2 && argc <= 4 && !strcmp(argv[1], "--day")) {
        s.nfeeds = argc > 2 ? atoi(argv[2]) : DAY_FEEDS;
        s.day_polls = argc > 3 ? atoi(argv[3]) : DAY_POLLS;
        s.change_odds = DAY_CHANGE_ODDS;
        bad = s.nfeeds <= 0 || s.nfeeds > 10000 || s.day_polls < 4;
    } else if (argc == 2 || (argc == 4 && !strcmp(argv[2], "--slow-250"))) {
        s.target = atoi(argv[1]);
        s.slow_250_ms = argc == 4 ? atoi(argv[3]) : 0;
        bad = s.target <= 0 || (argc == 4 && (s.slow_250_ms <= 0 || s.slow_250_ms > 60000));
    } else {
        bad = argc != 1;
    }
    if (bad) {
        fprintf(stderr, "usage: bench_soak [KILLS] | bench_soak KILLS --slow-250 MS | "
                        "bench_soak --rss SECONDS | bench_soak --day [FEEDS [POLLS]]\n");
        return 2;
    }
    s.feeds = alloc_zeroed((size_t)s.nfeeds, sizeof *s.feeds);
    s.nstories = alloc_zeroed((size_t)s.nfeeds, sizeof *s.nstories);
    s.next_no = alloc_zeroed((size_t)s.nfeeds, sizeof *s.next_no);
    s.pending = alloc_zeroed((size_t)s.nfeeds, sizeof *s.pending);
    s.requests = alloc_zeroed((size_t)s.nfeeds, sizeof *s.requests);
    s.last_logged = (struct mem_sample){0, -1, -1, -1, -1, -1, -1, -1, -1};
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
    for (int k = 0; k < s.nfeeds; k++)
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
    s.t0 = time(NULL);
    start_daemon(&s);
    if (s.rss_secs) {
        s.target = 0;
        s.rss_end = s.t0 + s.rss_secs;
        s.rss_next = s.t0 + 2; /* after start-up */
    } else if (s.day_polls) {
        s.target = 0;
        s.day_every = s.day_polls / DAY_SAMPLES > 0 ? s.day_polls / DAY_SAMPLES : 1;
        s.day_next = 1;
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
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    struct stat db_st;
    long long db_kb = stat(s.db, &db_st) == 0 ? (long long)db_st.st_size / 1024 : -1;
    struct tally t;
    verify(&s, &t);
    int errors = log_has_errors(s.log);
    printf("daemon: %d unexpected exits, %d sanitizer reports, %lld s; cpu: daemon %.1f s, "
           "soak %.1f s; database %lld kB\n",
           s.crashes, errors, (long long)(time(NULL) - s.t0),
           (double)kids.ru_utime.tv_sec + (double)kids.ru_stime.tv_sec +
               (double)(kids.ru_utime.tv_usec + kids.ru_stime.tv_usec) / 1e6,
           (double)self.ru_utime.tv_sec + (double)self.ru_stime.tv_sec +
               (double)(self.ru_utime.tv_usec + self.ru_stime.tv_usec) / 1e6,
           db_kb);
    if (s.rss_secs)
        printf("rss: first %ld kB, max %ld kB, last %ld kB over %d samples (%d s)\n", s.rss_first,
               s.rss_max, s.rss_last, s.rss_samples, s.rss_secs);
    int ok = !t.db_bad && t.lost == 0 && t.dup == 0 && !s.crashes && !errors;
    if (ok) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", s.dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench_soak: could not remove %s\n", s.dir);
    }
    printf("%d kills, %ld lost, %ld duplicated\n", s.kills, t.lost, t.dup);
    if (s.day_polls && s.nsamples)
        day_verdict(&s); /* its last line: the verdict */
    sqlite3_close(s.ro);
    for (size_t i = 0; i < s.nmsgs; i++)
        free(s.msg_ids[i]);
    free(s.msg_ids);
    free(s.revs);
    free(s.revmap);
    free(s.samples);
    free(s.feeds);
    free(s.nstories);
    free(s.next_no);
    free(s.pending);
    free(s.requests);
    event_free(s.tick);
    event_free(s.kill_timer);
    event_free(s.sigterm);
    evconnlistener_free(s.smtp);
    evhttp_free(s.http);
    event_base_free(s.base);
    return ok ? 0 : 1;
}
