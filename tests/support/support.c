#include "support.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"

/* libevent is not built thread-aware here, so the test's thread cannot wake
 * the server's loop; the loop looks at a flag instead. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct test_server *s = arg;
    (void)fd;
    (void)what;
    if (atomic_load(&s->stop))
        event_base_loopbreak(s->base);
}

static void *serve(void *arg)
{
    struct test_server *s = arg;
    event_base_dispatch(s->base);
    return NULL;
}

void test_server_start(struct test_server *s, void (*handler)(struct evhttp_request *, void *),
                       void *arg)
{
    s->base = event_base_new();
    assert_non_null(s->base);
    s->http = evhttp_new(s->base);
    assert_non_null(s->http);
    evhttp_set_gencb(s->http, handler, arg);
    struct evhttp_bound_socket *sock = evhttp_bind_socket_with_handle(s->http, "127.0.0.1", 0);
    assert_non_null(sock);
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    assert_int_equal(getsockname(evhttp_bound_socket_get_fd(sock), (struct sockaddr *)&sin, &len),
                     0);
    s->port = ntohs(sin.sin_port);
    atomic_store(&s->stop, 0);
    struct timeval tv = {0, 50000};
    s->tick = event_new(s->base, -1, EV_PERSIST, on_tick, s);
    assert_non_null(s->tick);
    assert_int_equal(event_add(s->tick, &tv), 0);
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

void test_server_stop(struct test_server *s)
{
    atomic_store(&s->stop, 1);
    pthread_join(s->thread, NULL);
    event_free(s->tick);
    evhttp_free(s->http);
    event_base_free(s->base);
}

void test_reply(struct evhttp_request *req, int code, const char *type, const char *body,
                size_t len)
{
    struct evbuffer *out = evbuffer_new();
    evbuffer_add(out, body, len);
    if (type)
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
    evhttp_send_reply(req, code, code == 200 ? "OK" : "Status", out);
    evbuffer_free(out);
}

void test_reply_file(struct evhttp_request *req, const char *path, const char *type)
{
    struct buf b = BUF_INIT;
    char err[256];
    if (buf_read_file(&b, path, 1 << 22, err, sizeof err) < 0)
        evhttp_send_error(req, 500, err);
    else
        test_reply(req, 200, type, b.data, b.len);
    buf_free(&b);
}

void test_mkdtemp(char *path, size_t size, const char *prefix)
{
    const char *tmp = getenv("TMPDIR");
    int n = snprintf(path, size, "%s/%sXXXXXX", tmp && *tmp ? tmp : "/tmp", prefix);
    assert_true(n > 0 && (size_t)n < size);
    assert_non_null(mkdtemp(path));
}

void test_rmdir(const char *path)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    assert_int_equal(system(cmd), 0);
}

char *test_run_daemon(const char *dir, const char *const *args)
{
    char out[600];
    const char *argv[16];
    size_t n = 0;
    argv[n++] = "presswatchd";
    for (; args[n - 1] && n < 15; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    snprintf(out, sizeof out, "%s/stderr.txt", dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen(out, "w", stderr))
            _exit(127);
        execv(PW_BINARY_DIR "/presswatchd", (char *const *)argv);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    struct buf b = BUF_INIT;
    char err[256];
    assert_int_equal(buf_read_file(&b, out, 1 << 22, err, sizeof err), 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("presswatchd failed (status %d):\n%s", status, b.data);
    return buf_detach(&b);
}

int test_wait_for(const char *path, const char *needle, int secs)
{
    for (int i = 0; i < secs * 20; i++) {
        struct buf b = BUF_INIT;
        char err[256];
        int found = buf_read_file(&b, path, 1 << 22, err, sizeof err) == 0 && b.data &&
                    strstr(b.data, needle);
        buf_free(&b);
        if (found)
            return 1;
        usleep(50000);
    }
    return 0;
}

int test_count_lines(const char *text, const char *prefix)
{
    int n = 0;
    size_t len = strlen(prefix);
    for (const char *p = text; p && *p;) {
        if (!strncmp(p, prefix, len))
            n++;
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return n;
}
