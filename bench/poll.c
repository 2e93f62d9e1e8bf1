/*
 * bench_poll [N] [--keep]: the daemon's polling cycle over N generated feeds
 * (default 10,000; 20-200 KB, Latin and Cyrillic, some windows-1251) served
 * from an evhttp server on 127.0.0.1 that this program starts and stops.
 *
 * Cycle 1: all new (fetch, parse, store, match). Cycle 2: nothing changed
 * (every poll answered 304). Cycle 3: a tenth of the feeds changed. For each
 * it prints wall and CPU seconds, feeds/s and the daemon's peak RSS; and in
 * the same run the reference `curl --parallel --parallel-max 50` over the
 * same URLs, to /dev/null and then with --etag-compare for the 304 pass.
 *
 * The daemon runs with concurrency 50 and no per-host gap or limit, like
 * curl's parallel mode against one host: it measures the client, not its
 * politeness delays.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"

struct run {
    double wall, cpu;
    long maxrss_kb;
    int status;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs argv to completion; its own CPU time and peak RSS come from wait4. */
static int run(char *const argv[], const char *out, struct run *r)
{
    double t0 = now_s();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        if (out) {
            int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd < 0)
                _exit(127);
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    struct rusage ru;
    int status;
    if (wait4(pid, &status, 0, &ru) != pid)
        return -1;
    r->wall = now_s() - t0;
    r->cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
             (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    r->maxrss_kb = ru.ru_maxrss;
    r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return 0;
}

/* ---- the feed server (a child process) ---- */

struct server {
    const char *dir;
};

static void serve_file(struct evhttp_request *req, void *arg)
{
    const struct server *s = arg;
    const char *uri = evhttp_request_get_uri(req);
    char path[1024];
    struct stat st;
    if (strstr(uri, "..") || snprintf(path, sizeof path, "%s%s", s->dir, uri) >= (int)sizeof path ||
        stat(path, &st) < 0) {
        evhttp_send_error(req, 404, "Not Found");
        return;
    }
    char etag[64];
    snprintf(etag, sizeof etag, "\"%llx-%llx\"", (unsigned long long)st.st_size,
             (unsigned long long)st.st_mtim.tv_sec * 1000000000ULL +
                 (unsigned long long)st.st_mtim.tv_nsec);
    struct evkeyvalq *out = evhttp_request_get_output_headers(req);
    const char *inm = evhttp_find_header(evhttp_request_get_input_headers(req), "If-None-Match");
    evhttp_add_header(out, "ETag", etag);
    if (inm && !strcmp(inm, etag)) {
        evhttp_send_reply(req, 304, "Not Modified", NULL);
        return;
    }
    int fd = open(path, O_RDONLY);
    struct evbuffer *b = evbuffer_new();
    if (fd < 0 || !b || evbuffer_add_file(b, fd, 0, st.st_size) < 0) {
        if (fd >= 0)
            close(fd);
        evbuffer_free(b);
        evhttp_send_error(req, 500, "read failed");
        return;
    }
    evhttp_add_header(out, "Content-Type", "application/xml");
    evhttp_send_reply(req, 200, "OK", b);
    evbuffer_free(b);
}

static pid_t start_server(const char *dir, int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = 0};
    socklen_t len = sizeof sin;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0 || listen(fd, 1024) < 0 ||
        getsockname(fd, (struct sockaddr *)&sin, &len) < 0) {
        perror("bench_poll: server socket");
        return -1;
    }
    *port = ntohs(sin.sin_port);
    pid_t pid = fork();
    if (pid != 0) {
        close(fd);
        return pid;
    }
    struct server s = {dir};
    struct event_base *base = event_base_new();
    struct evhttp *http = evhttp_new(base);
    evutil_make_socket_nonblocking(fd);
    if (!base || !http || evhttp_accept_socket(http, fd) < 0)
        _exit(1);
    evhttp_set_gencb(http, serve_file, &s);
    event_base_dispatch(base);
    _exit(0);
}

/* ---- corpus ---- */

static long long dir_bytes(const char *dir, int n)
{
    long long total = 0;
    char path[1024];
    struct stat st;
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/feed%04d.xml", dir, i);
        if (stat(path, &st) == 0)
            total += st.st_size;
    }
    return total;
}

/* Adds one new item to every tenth feed (the file's mtime, so its ETag,
 * changes with it). */
static int change_tenth(const char *dir, int n)
{
    char path[1024], err[256];
    for (int i = 0; i < n; i += 10) {
        struct buf b = BUF_INIT;
        snprintf(path, sizeof path, "%s/feed%04d.xml", dir, i);
        if (buf_read_file(&b, path, 1 << 30, err, sizeof err) < 0) {
            fprintf(stderr, "bench_poll: %s\n", err);
            return -1;
        }
        int atom = strstr(b.data, "</feed>") != NULL;
        char *end = strstr(b.data, atom ? "</feed>" : "</channel>");
        struct buf o = BUF_INIT;
        if (!end)
            return -1;
        buf_append(&o, b.data, (size_t)(end - b.data));
        if (atom)
            buf_printf(&o,
                       "<entry><title>Breaking %d</title><id>tag:new:%d</id>"
                       "<link href=\"https://example.org/new/%d\"/>"
                       "<summary>A new item added for cycle 3.</summary></entry>\n",
                       i, i, i);
        else
            buf_printf(&o,
                       "<item><title>Breaking %d</title><guid>new-%d</guid>"
                       "<link>https://example.org/new/%d</link>"
                       "<description>A new item added for cycle 3.</description></item>\n",
                       i, i, i);
        buf_puts(&o, end);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(o.data, 1, o.len, f) != o.len) {
            perror(path);
            return -1;
        }
        fclose(f);
        buf_free(&b);
        buf_free(&o);
    }
    return 0;
}

static void print_run(const char *what, const struct run *r, int feeds)
{
    printf("%-28s wall %7.2f s  cpu %7.2f s  %8.0f feeds/s  %6.3f ms cpu/feed  peak RSS %6.1f MB"
           "%s\n",
           what, r->wall, r->cpu, feeds / r->wall, r->cpu * 1000.0 / feeds, r->maxrss_kb / 1024.0,
           r->status ? "  (exit status non-zero)" : "");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    int n = 10000, keep = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--keep"))
            keep = 1;
        else
            n = atoi(argv[i]);
    }
    if (n <= 0 || n > 99999) {
        fprintf(stderr, "usage: bench_poll [N] [--keep]\n");
        return 2;
    }
    /* Sibling programs of this build: the generator and the daemon. */
    char self[1024], bindir[1024], gen[1100], daemon[1100];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    if (sl < 0)
        return 1;
    self[sl] = '\0';
    snprintf(bindir, sizeof bindir, "%s", dirname(self));
    snprintf(gen, sizeof gen, "%s/bench_gen_feeds", bindir);
    snprintf(daemon, sizeof daemon, "%s/presswatchd", bindir);

    const char *tmp = getenv("TMPDIR");
    char dir[512], feeds[600], cfg[600], db[600], log[600], curlcfg[2][600], etags[600];
    snprintf(dir, sizeof dir, "%s/pwbenchXXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(feeds, sizeof feeds, "%s/feeds", dir);
    snprintf(cfg, sizeof cfg, "%s/bench.conf", dir);
    snprintf(db, sizeof db, "%s/bench.db", dir);
    snprintf(log, sizeof log, "%s/daemon.log", dir);
    snprintf(etags, sizeof etags, "%s/etags", dir);
    mkdir(etags, 0755);

    struct run r;
    char nbuf[16];
    snprintf(nbuf, sizeof nbuf, "%d", n);
    char *genv[] = {gen, feeds, nbuf, NULL};
    printf("bench_poll: generating %d feeds ...\n", n);
    fflush(stdout);
    if (run(genv, NULL, &r) < 0 || r.status) {
        fprintf(stderr, "bench_poll: %s failed\n", gen);
        return 1;
    }
    printf("bench_poll: %d feeds, %.0f MB\n", n, dir_bytes(feeds, n) / 1e6);

    int port;
    pid_t server = start_server(feeds, &port);
    if (server < 0)
        return 1;

    /* One canonical text and the config */
    char canon[600];
    snprintf(canon, sizeof canon, "%s/canonical.txt", dir);
    FILE *f = fopen(canon, "w");
    FILE *c = fopen(cfg, "w");
    FILE *k0 = NULL, *k1 = NULL;
    snprintf(curlcfg[0], sizeof curlcfg[0], "%s/curl-get.cfg", dir);
    snprintf(curlcfg[1], sizeof curlcfg[1], "%s/curl-etag.cfg", dir);
    k0 = fopen(curlcfg[0], "w");
    k1 = fopen(curlcfg[1], "w");
    if (!f || !c || !k0 || !k1) {
        perror("bench_poll: write config");
        return 1;
    }
    /* A statement like the ones users watch: it shares some everyday words
     * with the generated feeds (ministry, statement, budget) but is not
     * reported by them, as most items of real feeds do not report it. */
    fputs("Statement of the harbour authority on the closure of the eastern breakwater.\n\n"
          "The authority has decided to close the eastern breakwater to vessels over forty "
          "metres from the first of March, after divers found cracks in its foundations.\n\n"
          "Ferries to the islands will use the western pier while the repairs last; the "
          "ministry has approved a budget of twelve million euros for the works.\n\n"
          "Министерство одобрило бюджет ремонта восточного волнолома в двенадцать миллионов "
          "евро; паромы будут отправляться от западного причала.\n",
          f);
    fclose(f);
    fprintf(
        c,
        "[daemon]\ndatabase = %s\nconcurrency = 50\nper_host = 50\nhost_gap = 0\nfetch_pages = no\n"
        "timeout = 120s\n[alerts]\nsyslog = no\n[canonical statement]\nfile = %s\n",
        db, canon);
    for (int i = 0; i < n; i++) {
        fprintf(c, "[feed f%04d]\nurl = http://127.0.0.1:%d/feed%04d.xml\n", i, port, i);
        /* "next" separates one URL's options from the following one's */
        fprintf(k0,
                "%surl = \"http://127.0.0.1:%d/feed%04d.xml\"\noutput = \"/dev/null\"\n"
                "etag-save = \"%s/%d\"\n",
                i ? "next\n" : "", port, i, etags, i);
        fprintf(k1,
                "%surl = \"http://127.0.0.1:%d/feed%04d.xml\"\noutput = \"/dev/null\"\n"
                "etag-compare = \"%s/%d\"\n",
                i ? "next\n" : "", port, i, etags, i);
    }
    fclose(c);
    fclose(k0);
    fclose(k1);

    char *curl0[] = {
        "curl",     "-s", "--no-progress-meter", "--parallel", "--parallel-max", "50", "-K",
        curlcfg[0], NULL};
    char *curl1[] = {
        "curl",     "-s", "--no-progress-meter", "--parallel", "--parallel-max", "50", "-K",
        curlcfg[1], NULL};
    if (run(curl0, NULL, &r) == 0)
        print_run("curl --parallel-max 50", &r, n);
    if (run(curl1, NULL, &r) == 0)
        print_run("curl --etag-compare (304)", &r, n);

    char *dargv[] = {daemon, "--config", cfg, "--once", NULL};
    static const char *const names[] = {"cycle 1 (all new)", "cycle 2 (nothing changed)",
                                        "cycle 3 (10% changed)"};
    for (int cyc = 0; cyc < 3; cyc++) {
        if (cyc == 2 && change_tenth(feeds, n) < 0)
            break;
        if (run(dargv, log, &r) < 0)
            break;
        print_run(names[cyc], &r, n);
    }

    char cmd[1200];
    snprintf(cmd, sizeof cmd,
             "sqlite3 '%s' 'SELECT count(*) || \" articles, \" || "
             "(SELECT count(*) FROM versions) || \" versions, \" || "
             "(SELECT count(*) FROM matches) || \" matches\" FROM articles' 2>/dev/null",
             db);
    printf("stored: ");
    fflush(stdout);
    if (system(cmd) != 0)
        printf("(sqlite3 not installed)\n");
    kill(server, SIGTERM);
    waitpid(server, NULL, 0);
    if (keep) {
        printf("kept %s (daemon log: %s)\n", dir, log);
    } else {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench_poll: could not remove %s\n", dir);
    }
    return 0;
}
