/*
 * bench_cluster [N] [URI]: 1, 2 and 3 presswatchd nodes on one machine
 * sharing N feeds (default 30,000) through one PostgreSQL database (URI,
 * else PW_TEST_PG_URI: run it as `tests/pg_cluster.sh build-rel/bench_cluster
 * 30000`). Its public schema is emptied before each configuration.
 *
 * The feeds come from an evhttp server (a child process) on HOSTS ports of
 * 127.0.0.1, which the nodes treat as HOSTS hosts (small RSS documents, two
 * items each). The nodes run as in production (leases, per-host budget
 * per_host = PER_HOST with no gap: the point is the coordination's cost,
 * not politeness delays), each feed polled once (interval 1h).
 *
 * Per configuration it prints: the start (every node mirrors the config's
 * feeds into the database), the poll phase (first poll to last) with
 * feeds/s, and CPU seconds of the nodes, the feed server and the database
 * server. The database's CPU is read from /proc: the postmaster (the parent
 * of this program's own backend) with its reaped children (cutime, cstime:
 * the nodes' backends once they exit) plus its live children, so the
 * database must run on this machine. Its share is of the CPU all three
 * parties used. The machine may be shared: wall time alone says little,
 * CPU times say what the work cost.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <fcntl.h>
#include <libgen.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HOSTS 50
#define PER_HOST 8
#define CONCURRENCY 32
#define MAX_NODES 3

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the feed server (a child process, as bench_poll's) ---- */

static void serve_feed(struct evhttp_request *req, void *arg)
{
    (void)arg;
    int i;
    if (sscanf(evhttp_request_get_uri(req), "/f/%d", &i) != 1) {
        evhttp_send_error(req, 404, "Not Found");
        return;
    }
    struct evbuffer *b = evbuffer_new();
    if (!b) {
        evhttp_send_error(req, 500, "out of memory");
        return;
    }
    evbuffer_add_printf(
        b,
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Feed %d</title>"
        "<link>https://example.org/%d</link>"
        "<item><guid>f%d-a</guid><title>Council approves the budget for %d</title>"
        "<link>https://example.org/%d/a</link><description>The city council approved the "
        "budget for the coming year after a long debate about the harbour and the schools."
        "</description></item>"
        "<item><guid>f%d-b</guid><title>Weather for district %d</title>"
        "<link>https://example.org/%d/b</link><description>Sunny spells and light winds "
        "along the coast, showers inland later in the day.</description></item>"
        "</channel></rss>",
        i, i, i, i, i, i, i, i);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/xml");
    evhttp_send_reply(req, 200, "OK", b);
    evbuffer_free(b);
}

static pid_t start_server(int ports[HOSTS])
{
    int fds[HOSTS];
    for (int h = 0; h < HOSTS; h++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = 0};
        socklen_t len = sizeof sin;
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int one = 1;
        if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
            bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0 || listen(fd, 1024) < 0 ||
            getsockname(fd, (struct sockaddr *)&sin, &len) < 0) {
            perror("bench_cluster: server socket");
            return -1;
        }
        fds[h] = fd;
        ports[h] = ntohs(sin.sin_port);
    }
    pid_t pid = fork();
    if (pid != 0) {
        for (int h = 0; h < HOSTS; h++)
            close(fds[h]);
        return pid;
    }
    struct event_base *base = event_base_new();
    struct evhttp *http = base ? evhttp_new(base) : NULL;
    if (!http)
        _exit(1);
    for (int h = 0; h < HOSTS; h++) {
        evutil_make_socket_nonblocking(fds[h]);
        if (!evhttp_accept_socket_with_handle(http, fds[h]))
            _exit(1);
    }
    evhttp_set_gencb(http, serve_feed, NULL);
    event_base_dispatch(base);
    _exit(0);
}

/* ---- CPU from /proc ---- */

/* utime + stime (+ cutime + cstime when children) of pid, in seconds;
 * *ppid its parent. -1 when pid is gone or unreadable. */
static double proc_cpu(pid_t pid, int children, pid_t *ppid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* after "pid (comm)": state ppid ... utime(14) stime(15) cutime(16) cstime(17) */
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    char state;
    int pp;
    unsigned long long ut, st;
    long long cut, cst;
    if (sscanf(p + 2, "%c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %lld %lld", &state, &pp,
               &ut, &st, &cut, &cst) != 6)
        return -1;
    if (ppid)
        *ppid = pp;
    double hz = (double)sysconf(_SC_CLK_TCK);
    return ((double)(ut + st) + (children ? (double)(cut + cst) : 0)) / hz;
}

/* The postmaster's CPU with its reaped children, plus its live children's. */
static double db_cpu(pid_t postmaster)
{
    double total = proc_cpu(postmaster, 1, NULL);
    if (total < 0)
        return -1;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        pid_t pid = (pid_t)atoi(e->d_name), pp = 0;
        if (pid <= 0 || pid == postmaster)
            continue;
        double c = proc_cpu(pid, 0, &pp);
        if (c >= 0 && pp == postmaster)
            total += c;
    }
    if (d)
        closedir(d);
    return total;
}

/* Busy CPU seconds of the whole machine (all CPUs), from /proc/stat: with
 * the figures above it tells what other programs took meanwhile. */
static double machine_cpu(void)
{
    unsigned long long v[8] = {0};
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return -1;
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                   &v[4], &v[5], &v[6], &v[7]);
    fclose(f);
    if (n != 8)
        return -1;
    /* user nice system [idle iowait] irq softirq steal */
    return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / (double)sysconf(_SC_CLK_TCK);
}

/* ---- database ---- */

static int db_exec(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "bench_cluster: %s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    return ok ? 0 : -1;
}

static long long db_int(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    long long v = -1;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
        v = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

/* ---- one configuration ---- */

struct result {
    double start, poll, total; /* wall seconds */
    double node_cpu, server_cpu, db_cpu;
    double machine_cpu; /* every process's, this bench's and others' */
    long long polled, articles, twice;
    int failed; /* a node exited non-zero */
};

static pid_t spawn(const char *daemon, const char *conf, const char *log)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0)
            _exit(127);
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
        execl(daemon, daemon, "--config", conf, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static int run_config(int nodes, int n, const char *uri, const char *daemon, const char *dir,
                      const int ports[HOSTS], pid_t server, PGconn *c, pid_t postmaster,
                      struct result *res)
{
    char conf[MAX_NODES][600], log[MAX_NODES][600];
    memset(res, 0, sizeof *res);
    if (db_exec(c, "SET client_min_messages = warning") < 0 ||
        db_exec(c, "DROP SCHEMA IF EXISTS public CASCADE") < 0 ||
        db_exec(c, "CREATE SCHEMA public") < 0)
        return -1;
    for (int k = 0; k < nodes; k++) {
        snprintf(conf[k], sizeof conf[k], "%s/node%d.conf", dir, k);
        snprintf(log[k], sizeof log[k], "%s/node%d-of-%d.log", dir, k, nodes);
        FILE *f = fopen(conf[k], "w");
        if (!f) {
            perror(conf[k]);
            return -1;
        }
        fprintf(f,
                "[daemon]\ndatabase = %s\nnode = bench%d\nconcurrency = %d\nper_host = %d\n"
                "host_gap = 0\ninterval = 1h\ntimeout = 60s\nlease = 5m\nfetch_pages = no\n"
                "log_level = warning\n[alerts]\nsyslog = no\n"
                "[canonical statement]\nfile = %s/canonical.txt\n",
                uri, k, CONCURRENCY, PER_HOST, dir);
        for (int i = 0; i < n; i++)
            fprintf(f, "[feed f%05d]\nurl = http://127.0.0.1:%d/f/%d\n", i, ports[i % HOSTS], i);
        fclose(f);
    }
    double db0 = postmaster > 0 ? db_cpu(postmaster) : -1;
    double srv0 = proc_cpu(server, 0, NULL), all0 = machine_cpu();
    double t0 = now_s(), first = 0, last = 0;
    pid_t pid[MAX_NODES];
    for (int k = 0; k < nodes; k++)
        pid[k] = spawn(daemon, conf[k], log[k]);
    /* the bench's own count is a scan of feeds: four times a second, a
     * small part of the database's CPU */
    long long polled = 0;
    while (polled < n && now_s() - t0 < 3600) {
        usleep(250000);
        polled = db_int(c, "SELECT count(*) FROM feeds WHERE last_fetch IS NOT NULL");
        if (polled > 0 && !first)
            first = now_s();
        int dead = 0;
        for (int k = 0; k < nodes; k++)
            dead += waitpid(pid[k], NULL, WNOHANG) == pid[k];
        if (dead) {
            fprintf(stderr, "bench_cluster: a node exited early; see %s\n", dir);
            res->failed = 1;
            return -1;
        }
    }
    last = now_s();
    res->polled = polled;
    for (int k = 0; k < nodes; k++) {
        struct rusage ru;
        int status;
        kill(pid[k], SIGTERM);
        if (wait4(pid[k], &status, 0, &ru) == pid[k]) {
            res->node_cpu += (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                             (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                res->failed = 1;
        }
    }
    usleep(300000); /* the postmaster reaps the nodes' backends */
    res->db_cpu = postmaster > 0 && db0 >= 0 ? db_cpu(postmaster) - db0 : -1;
    res->server_cpu = proc_cpu(server, 0, NULL) - srv0;
    res->machine_cpu = all0 >= 0 ? machine_cpu() - all0 : -1;
    res->start = first ? first - t0 : 0;
    res->poll = first ? last - first : 0;
    res->total = last - t0;
    res->articles = db_int(c, "SELECT count(*) FROM articles");
    /* a feed polled twice would show as a failure or a second version;
     * versions per article tell the same: 1 each */
    res->twice = db_int(c, "SELECT count(*) FROM versions") - res->articles;
    return 0;
}

int main(int argc, char **argv)
{
    int n = 30000;
    const char *uri = getenv("PW_TEST_PG_URI");
    for (int i = 1; i < argc; i++) {
        if (strstr(argv[i], "://"))
            uri = argv[i];
        else
            n = atoi(argv[i]);
    }
    if (n <= 0 || n > 1000000 || !uri || !*uri) {
        fprintf(stderr, "usage: bench_cluster [N] [postgresql://URI]  (or PW_TEST_PG_URI; run as"
                        " tests/pg_cluster.sh build-rel/bench_cluster 30000)\n");
        return 2;
    }
    char self[1024], bindir[1024], daemon[1100];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    if (sl < 0)
        return 1;
    self[sl] = '\0';
    snprintf(bindir, sizeof bindir, "%s", dirname(self));
    snprintf(daemon, sizeof daemon, "%s/presswatchd", bindir);

    const char *tmp = getenv("TMPDIR");
    char dir[512], path[700];
    snprintf(dir, sizeof dir, "%s/pwclusterXXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(path, sizeof path, "%s/canonical.txt", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return 1;
    fputs("Statement of the harbour authority on the closure of the eastern breakwater.\n\n"
          "The authority has decided to close the eastern breakwater to vessels over forty "
          "metres from the first of March, after divers found cracks in its foundations.\n",
          f);
    fclose(f);

    PGconn *c = PQconnectdb(uri);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "bench_cluster: cannot connect: %s", PQerrorMessage(c));
        return 1;
    }
    pid_t postmaster = 0;
    long long backend = db_int(c, "SELECT pg_backend_pid()");
    if (backend <= 0 || proc_cpu((pid_t)backend, 0, &postmaster) < 0 ||
        proc_cpu(postmaster, 1, NULL) < 0)
        postmaster = 0;
    PGresult *r = PQexec(c, "SHOW server_version");
    printf("bench_cluster: %d feeds on %d hosts (ports of 127.0.0.1), PostgreSQL %s%s; nodes: "
           "concurrency %d, per_host %d, no gap; %ld CPUs\n",
           n, HOSTS, PQresultStatus(r) == PGRES_TUPLES_OK ? PQgetvalue(r, 0, 0) : "?",
           postmaster ? "" : " (not on this machine: no database CPU)", CONCURRENCY, PER_HOST,
           sysconf(_SC_NPROCESSORS_ONLN));
    PQclear(r);
    fflush(stdout);

    int ports[HOSTS];
    pid_t server = start_server(ports);
    if (server < 0)
        return 1;
    int rc = 0;
    printf("%-5s %8s %7s %8s %8s %7s %8s %8s %8s %10s %9s\n", "nodes", "start s", "poll s",
           "feeds/s", "node cpu", "srv cpu", "db cpu", "db share", "db cores", "db ms/feed",
           "other cpu");
    for (int nodes = 1; nodes <= MAX_NODES; nodes++) {
        struct result res;
        if (run_config(nodes, n, uri, daemon, dir, ports, server, c, postmaster, &res) < 0 ||
            res.polled != n) {
            fprintf(stderr, "bench_cluster: %d node(s): %lld of %d feeds polled\n", nodes,
                    res.polled, n);
            rc = 1;
            break;
        }
        double all = res.node_cpu + res.server_cpu + (res.db_cpu > 0 ? res.db_cpu : 0);
        char db[4][16], other[16] = "n/a";
        for (int i = 0; i < 4; i++)
            snprintf(db[i], sizeof db[i], "n/a");
        if (res.db_cpu >= 0) {
            snprintf(db[0], sizeof db[0], "%.2f", res.db_cpu);
            snprintf(db[1], sizeof db[1], "%.0f%%", 100.0 * res.db_cpu / all);
            snprintf(db[2], sizeof db[2], "%.2f", res.db_cpu / res.total);
            snprintf(db[3], sizeof db[3], "%.3f", 1000.0 * res.db_cpu / n);
        }
        if (res.machine_cpu >= 0 && res.db_cpu >= 0)
            snprintf(other, sizeof other, "%.2f", res.machine_cpu - all);
        printf("%-5d %8.2f %7.2f %8.0f %8.2f %7.2f %8s %8s %8s %10s %9s\n", nodes, res.start,
               res.poll, n / res.poll, res.node_cpu, res.server_cpu, db[0], db[1], db[2], db[3],
               other);
        if (res.articles != 2LL * n || res.twice != 0 || res.failed) {
            printf("  check: %lld articles (want %d), %lld extra versions, %s\n", res.articles,
                   2 * n, res.twice, res.failed ? "a node failed" : "nodes exited 0");
            rc = 1;
        }
        fflush(stdout);
    }
    printf("start: spawn to the first poll (each node mirrors the %d feeds into the database); "
           "poll: first poll to the last; feeds/s over the poll phase; cpu in seconds over the "
           "whole run; db share: of nodes + feed server + database; db cores: db cpu / wall; "
           "other cpu: the machine's busy CPU seconds meanwhile less those three (this bench, "
           "other users)\n",
           n);
    kill(server, SIGTERM);
    waitpid(server, NULL, 0);
    PQfinish(c);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    if (rc == 0 && system(path) != 0)
        fprintf(stderr, "bench_cluster: could not remove %s\n", dir);
    else if (rc)
        fprintf(stderr, "bench_cluster: logs kept in %s\n", dir);
    return rc;
}
