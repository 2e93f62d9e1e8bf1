/*
 * Several presswatchd nodes on one PostgreSQL database (PW_TEST_PG_URI, set
 * by tests/pg_cluster.sh; skipped without it):
 *
 * - per-host politeness holds across nodes: three nodes poll the feeds of
 *   three local "hosts" (evhttp servers on three ports of 127.0.0.1: the
 *   fetch client keys hosts by host:port), and each server records when
 *   requests arrive and how many it is answering at once. No host sees
 *   more requests at once than per_host, nor two requests closer than
 *   host_gap (less the slack test_integration_poll allows for connection
 *   set-up), though each node on its own would allow three times that;
 * - article pages (fetch_pages) are claimed through the database too: with
 *   three nodes, each page is fetched once;
 * - a node stopped with SIGTERM hands back its feed leases and its claims
 *   on undelivered alerts as it exits, so that another node takes them at
 *   once rather than when they expire (minutes later).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <event2/event.h>
#include <event2/http.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/pgtest.h"
#include "support/support.h"

#define NODES 3
#define HOSTS 3
#define MAX_REQ 64

static const char canonical[] =
    "The harbour authority will close the eastern breakwater to ships longer than eighty "
    "metres from the first of March while engineers repair the storm damage.\n\n"
    "Ferries to the islands will move to the western pier for the duration of the works, "
    "and the timetable will not change.\n";

/* ---- one "host": a server on its own port, recording its requests ---- */

struct host {
    struct test_server srv;
    pthread_mutex_t mu;
    int reply_ms; /* delay before answering (0: at once) */
    int hang;     /* /hang/ requests: the first of each is never answered */
    int in_flight, max_in_flight;
    int n;
    double at[MAX_REQ]; /* arrival times, CLOCK_MONOTONIC seconds */
    int hits[MAX_REQ];  /* per feed index */
    int phits[MAX_REQ]; /* article page requests, per feed index */
};

static int local_pages; /* feed items link to pages on their host (/p/i) */

static struct host hosts[HOSTS];

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct pending {
    struct host *h;
    struct evhttp_request *req;
    int i;
};

static void reply(struct host *h, struct evhttp_request *req, int i)
{
    char body[2048];
    int n = snprintf(body, sizeof body,
                     "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>F%d</title>"
                     "<item><guid>g%d-%d</guid><title>Harbour %d</title>"
                     "<link>%s:%d/%s/%d</link><description>%s</description>"
                     "</item></channel></rss>",
                     i, h->srv.port, i, i, local_pages ? "http://127.0.0.1" : "https://example.org",
                     h->srv.port, local_pages ? "p" : "a", i, canonical);
    pthread_mutex_lock(&h->mu);
    h->in_flight--;
    pthread_mutex_unlock(&h->mu);
    test_reply(req, 200, "application/rss+xml", body, (size_t)n);
}

static void reply_later(evutil_socket_t fd, short what, void *arg)
{
    struct pending *p = arg;
    (void)fd;
    (void)what;
    reply(p->h, p->req, p->i);
    free(p);
}

static void handle(struct evhttp_request *req, void *arg)
{
    struct host *h = arg;
    int i = -1, hang = 0;
    const char *uri = evhttp_request_get_uri(req);
    if (sscanf(uri, "/p/%d", &i) == 1 && i >= 0 && i < MAX_REQ) {
        char page[2048];
        pthread_mutex_lock(&h->mu);
        h->phits[i]++;
        pthread_mutex_unlock(&h->mu);
        int n = snprintf(page, sizeof page,
                         "<html><head><title>Harbour %d</title></head><body><article>"
                         "<h1>Harbour %d</h1><p>%s</p></article></body></html>",
                         i, i, canonical);
        test_reply(req, 200, "text/html; charset=utf-8", page, (size_t)n);
        return;
    }
    if (sscanf(uri, "/f/%d", &i) != 1 && (hang = sscanf(uri, "/hang/%d", &i)) != 1) {
        evhttp_send_error(req, 404, "Not Found");
        return;
    }
    if (i < 0 || i >= MAX_REQ) {
        evhttp_send_error(req, 404, "Not Found");
        return;
    }
    pthread_mutex_lock(&h->mu);
    int first = h->hits[i]++ == 0;
    if (h->n < MAX_REQ)
        h->at[h->n++] = mono();
    if (++h->in_flight > h->max_in_flight)
        h->max_in_flight = h->in_flight;
    pthread_mutex_unlock(&h->mu);
    if (hang && first)
        return; /* never answered: the node polling it holds its lease */
    if (h->reply_ms <= 0) {
        reply(h, req, i);
        return;
    }
    struct pending *p = malloc(sizeof *p);
    assert_non_null(p);
    *p = (struct pending){h, req, i};
    struct timeval tv = {h->reply_ms / 1000, (h->reply_ms % 1000) * 1000};
    assert_int_equal(event_base_once(h->srv.base, -1, EV_TIMEOUT, reply_later, p, &tv), 0);
}

static void hosts_start(int reply_ms)
{
    for (int k = 0; k < HOSTS; k++) {
        memset(&hosts[k], 0, sizeof hosts[k]);
        pthread_mutex_init(&hosts[k].mu, NULL);
        hosts[k].reply_ms = reply_ms;
        test_server_start(&hosts[k].srv, handle, &hosts[k]);
    }
}

static void hosts_stop(void)
{
    for (int k = 0; k < HOSTS; k++) {
        test_server_stop(&hosts[k].srv);
        pthread_mutex_destroy(&hosts[k].mu);
    }
}

/* ---- database and nodes ---- */

/* A node's config: daemon keys (extra), then nfeeds feeds per host whose
 * path is path/i. */
static void write_conf(const char *file, const char *uri, int node, const char *extra,
                       const char *path, int nfeeds)
{
    FILE *fp = fopen(file, "w");
    assert_non_null(fp);
    fprintf(
        fp,
        "[daemon]\ndatabase = %s\nnode = n%d\ninterval = 1h\nfetch_pages = %s\n%s\n"
        "[alerts]\nsyslog = no\nmin_score = 0.3\n\n[canonical harbour]\nfile = canonical.txt\n\n",
        uri, node, local_pages ? "yes" : "no", extra);
    for (int k = 0; k < HOSTS; k++)
        for (int i = 0; i < nfeeds; i++)
            fprintf(fp, "[feed h%df%02d]\nurl = http://127.0.0.1:%d/%s/%d\n", k, i,
                    hosts[k].srv.port, path, i);
    fclose(fp);
}

static void write_canonical(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/canonical.txt", dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(canonical, fp);
    fclose(fp);
}

/* Three nodes poll nfeeds feeds of each host once; returns when all are
 * polled and the nodes stopped. */
static void run_nodes(const char *uri, const char *extra, int nfeeds)
{
    PGconn *c = pgtest_fresh(uri);
    char dir[256], conf[NODES][512];
    test_mkdtemp(dir, sizeof dir, "pw-polite");
    write_canonical(dir);
    for (int n = 0; n < NODES; n++) {
        snprintf(conf[n], sizeof conf[n], "%s/node%d.conf", dir, n);
        write_conf(conf[n], uri, n, extra, "f", nfeeds);
    }
    for (int n = 0; n < NODES; n++)
        pgtest_spawn_node(dir, conf[n], n);
    long long polled = pgtest_wait_int(c, "SELECT count(*) FROM feeds WHERE last_fetch IS NOT NULL",
                                       HOSTS * nfeeds, 90);
    long long pages = local_pages ? pgtest_wait_int(c,
                                                    "SELECT count(*) FROM pages"
                                                    " WHERE last_fetch IS NOT NULL",
                                                    HOSTS * nfeeds, 90)
                                  : 0;
    for (int n = 0; n < NODES; n++)
        pgtest_stop_node(dir, n);
    assert_int_equal(polled, HOSTS * nfeeds);
    if (local_pages)
        assert_int_equal(pages, HOSTS * nfeeds);
    /* each feed once: the nodes shared them */
    assert_int_equal(pgtest_int(c, "SELECT count(*) FROM articles"), HOSTS * nfeeds);
    PQfinish(c);
    test_rmdir(dir);
}

/* per_host = 2 over all nodes: slow answers keep requests open, and no
 * host ever answers more than two at once (three nodes with local limits
 * only would reach six). */
static void test_host_budget_across_nodes(void **state)
{
    (void)state;
    const char *uri = pgtest_uri_or_skip();
    hosts_start(400);
    run_nodes(uri, "concurrency = 8\nper_host = 2\nhost_gap = 0\n", 6);
    hosts_stop();
    for (int k = 0; k < HOSTS; k++) {
        print_message("host %d: %d requests, at most %d at once (per_host 2)\n", k, hosts[k].n,
                      hosts[k].max_in_flight);
        assert_int_equal(hosts[k].n, 6);
        if (hosts[k].max_in_flight > 2)
            fail_msg("host %d answered %d requests at once, per_host is 2", k,
                     hosts[k].max_in_flight);
    }
}

/* host_gap = 500ms over all nodes: consecutive requests to one host are
 * at least the gap apart (less 10% for connection set-up, as in
 * test_integration_poll), though three nodes start claiming at once. */
static void test_host_gap_across_nodes(void **state)
{
    (void)state;
    const char *uri = pgtest_uri_or_skip();
    hosts_start(0);
    /* one poll at a time per node: each node's claims spread over the
     * hosts, so its own gap would not space them */
    run_nodes(uri, "concurrency = 1\nper_host = 4\nhost_gap = 500ms\n", 4);
    hosts_stop();
    for (int k = 0; k < HOSTS; k++) {
        double closest = 1e9;
        assert_int_equal(hosts[k].n, 4);
        for (int i = 1; i < hosts[k].n; i++) {
            double gap = hosts[k].at[i] - hosts[k].at[i - 1];
            if (gap < closest)
                closest = gap;
        }
        print_message("host %d: %d requests, closest two %.3f s apart (host_gap 0.5 s)\n", k,
                      hosts[k].n, closest);
        if (closest < 0.45)
            fail_msg("host %d saw two requests %.3f s apart, host_gap is 0.5 s", k, closest);
    }
}

/* fetch_pages: every article page is claimed by one node, so each is
 * fetched once, though every node sees all of them due. */
static void test_pages_once_across_nodes(void **state)
{
    (void)state;
    const char *uri = pgtest_uri_or_skip();
    hosts_start(0);
    local_pages = 1;
    run_nodes(uri, "concurrency = 8\nper_host = 8\nhost_gap = 0\n", 6);
    local_pages = 0;
    hosts_stop();
    for (int k = 0; k < HOSTS; k++)
        for (int i = 0; i < 6; i++)
            if (hosts[k].phits[i] != 1)
                fail_msg("host %d page %d fetched %d times", k, i, hosts[k].phits[i]);
    print_message("pages: each of %d fetched once by three nodes\n", HOSTS * 6);
}

/* ---- a clean stop hands the node's work back ---- */

#define STOP_FEEDS 4 /* per host */
#define STOP_LEASE 120

static void test_sigterm_releases(void **state)
{
    (void)state;
    const char *uri = pgtest_uri_or_skip();
    hosts_start(0);
    for (int k = 0; k < HOSTS; k++)
        hosts[k].hang = 1;
    PGconn *c = pgtest_fresh(uri);
    char dir[256], conf[2][512], path[600];
    test_mkdtemp(dir, sizeof dir, "pw-stop");
    write_canonical(dir);
    /* n0's alert file cannot be written: its deliveries stay pending under
     * its claims. Long leases: a test that waited for them to expire would
     * take minutes. Half the feeds hang on their first request. */
    for (int n = 0; n < 2; n++) {
        snprintf(conf[n], sizeof conf[n], "%s/node%d.conf", dir, n);
        FILE *fp = fopen(conf[n], "w");
        assert_non_null(fp);
        fprintf(fp,
                "[daemon]\ndatabase = %s\nnode = n%d\ninterval = 1h\nfetch_pages = no\n"
                "lease = %ds\ntimeout = 30s\nconcurrency = 32\nper_host = 8\nhost_gap = 0\n\n"
                "[alerts]\nsyslog = no\nmin_score = 0.3\nalert_file = %s/%s/alerts.txt\n\n"
                "[canonical harbour]\nfile = canonical.txt\n\n",
                uri, n, STOP_LEASE, dir, n == 0 ? "missing" : "ok");
        for (int k = 0; k < HOSTS; k++)
            for (int i = 0; i < STOP_FEEDS; i++)
                fprintf(fp, "[feed h%d%s%02d]\nurl = http://127.0.0.1:%d/%s/%d\n", k,
                        i % 2 ? "hang" : "f", i, hosts[k].srv.port, i % 2 ? "hang" : "f", i);
        fclose(fp);
    }
    snprintf(path, sizeof path, "%s/ok", dir);
    assert_int_equal(mkdir(path, 0700), 0);

    /* n0 alone: it polls the quick feeds (their alerts stay undelivered
     * under its claims) and hangs on the others, holding their leases */
    int nquick = HOSTS * STOP_FEEDS / 2, nhang = HOSTS * STOP_FEEDS - nquick;
    pgtest_spawn_node(dir, conf[0], 0);
    assert_true(pgtest_wait_int(c,
                                "SELECT count(*) FROM deliveries WHERE claimed_by = 'n0'"
                                " AND state = 'pending'",
                                nquick, 60) >= nquick);
    assert_int_equal(
        pgtest_wait_int(c, "SELECT count(*) FROM feeds WHERE lease_node = 'n0'", nhang, 60), nhang);
    int requested = 0;
    for (int t = 0; t < 600 && requested < nhang; t++) {
        requested = 0;
        for (int k = 0; k < HOSTS; k++) {
            pthread_mutex_lock(&hosts[k].mu);
            for (int i = 1; i < STOP_FEEDS; i += 2)
                requested += hosts[k].hits[i] > 0;
            pthread_mutex_unlock(&hosts[k].mu);
        }
        usleep(100000);
    }
    assert_int_equal(requested, nhang);

    /* n1 joins: everything is n0's, so it has nothing to do */
    pgtest_spawn_node(dir, conf[1], 1);
    assert_int_equal(pgtest_wait_int(c, "SELECT count(*) FROM nodes WHERE name = 'n1'", 1, 30), 1);
    assert_int_equal(pgtest_int(c, "SELECT count(*) FROM feeds WHERE lease_node = 'n1'"), 0);

    /* n0 stops: as it exits, its leases and claims are handed back */
    pgtest_stop_node(dir, 0);
    assert_int_equal(pgtest_int(c, "SELECT count(*) FROM feeds WHERE lease_node = 'n0'"), 0);
    assert_int_equal(pgtest_int(c, "SELECT count(*) FROM deliveries WHERE claimed_by = 'n0'"
                                   " AND state = 'pending'"),
                     0);

    /* and n1 takes them now, well inside the lease n0 had (120 s) */
    assert_int_equal(pgtest_wait_int(c,
                                     "SELECT count(*) FROM feeds WHERE last_fetch IS NOT NULL"
                                     " AND last_error IS NULL",
                                     HOSTS * STOP_FEEDS, 45),
                     HOSTS * STOP_FEEDS);
    snprintf(path, sizeof path, "%s/ok/alerts.txt", dir);
    assert_true(test_wait_for(path, "canonical=harbour", 30));
    assert_int_equal(pgtest_int(c, "SELECT count(*) FROM alerts"), HOSTS * STOP_FEEDS);
    assert_int_equal(pgtest_wait_int(c,
                                     "SELECT 1 - least(count(*), 1) FROM deliveries"
                                     " WHERE state = 'pending'",
                                     1, 45),
                     1);
    pgtest_stop_node(dir, 1);
    PQfinish(c);
    hosts_stop();
    test_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_host_budget_across_nodes, pgtest_kill_nodes),
        cmocka_unit_test_teardown(test_host_gap_across_nodes, pgtest_kill_nodes),
        cmocka_unit_test_teardown(test_pages_once_across_nodes, pgtest_kill_nodes),
        cmocka_unit_test_teardown(test_sigterm_releases, pgtest_kill_nodes),
    };
    return cmocka_run_group_tests_name("cluster nodes", tests, NULL, NULL);
}
