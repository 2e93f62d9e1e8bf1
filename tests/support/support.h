/*
 * Test support shared by the integration tests: an evhttp server on
 * 127.0.0.1 running in its own thread, and helpers that run the real
 * presswatchd binary and read what it wrote.
 */
#ifndef PW_TESTS_SUPPORT_H
#define PW_TESTS_SUPPORT_H

#include <pthread.h>
#include <stdatomic.h>

struct evhttp_request;
struct event_base;
struct evhttp;
struct event;

struct test_server {
    struct event_base *base;
    struct evhttp *http;
    struct event *tick;
    pthread_t thread;
    atomic_int stop;
    int port;
};

/* Starts a server whose every request goes to handler (called on the
 * server's thread). Asserts on failure. */
void test_server_start(struct test_server *s, void (*handler)(struct evhttp_request *, void *),
                       void *arg);
void test_server_stop(struct test_server *s);

/* Replies 200 with body (len bytes) and the given Content-Type (nullable). */
void test_reply(struct evhttp_request *req, int code, const char *type, const char *body,
                size_t len);
/* Replies 200 with the contents of a file. */
void test_reply_file(struct evhttp_request *req, const char *path, const char *type);

/* Makes a fresh temporary folder (path filled, at least 64 bytes) and
 * removes it with test_rmdir. */
void test_mkdtemp(char *path, size_t size, const char *prefix);
void test_rmdir(const char *path);

/* Runs presswatchd with args (NULL-terminated, without argv[0]), stderr to a
 * file in dir; asserts exit status 0; returns what it printed (caller
 * frees). */
char *test_run_daemon(const char *dir, const char *const *args);

/* Polls a file until it contains needle; 1 when it did within secs. */
int test_wait_for(const char *path, const char *needle, int secs);

/* Lines of text starting with prefix. */
int test_count_lines(const char *text, const char *prefix);

#endif
