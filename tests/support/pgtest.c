#include "pgtest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

const char *pgtest_uri_or_skip(void)
{
    const char *uri = getenv("PW_TEST_PG_URI");
    if (!uri || !*uri) {
        print_message("[  SKIPPED ] cluster: PW_TEST_PG_URI is not set "
                      "(run through tests/pg_cluster.sh)\n");
        skip();
    }
    return uri;
}

PGconn *pgtest_fresh(const char *uri)
{
    PGconn *c = PQconnectdb(uri);
    if (PQstatus(c) != CONNECTION_OK)
        fail_msg("cannot connect: %s", PQerrorMessage(c));
    PGresult *r = PQexec(c, "SET client_min_messages = warning;"
                            "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("reset schema: %s", PQerrorMessage(c));
    PQclear(r);
    return c;
}

long long pgtest_int(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    long long v = -1;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
        v = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

long long pgtest_wait_int(PGconn *c, const char *sql, long long want, int secs)
{
    long long v = -1;
    for (int t = 0; t < secs * 10; t++) {
        if ((v = pgtest_int(c, sql)) >= want)
            break;
        usleep(100000);
    }
    return v;
}

/* The nodes started and not yet reaped (0: none). */
static pid_t nodes[PGTEST_NODES];

pid_t pgtest_spawn_node(const char *dir, const char *conf, int node)
{
    char log[512];
    assert_true(node >= 0 && node < PGTEST_NODES);
    snprintf(log, sizeof log, "%s/node%d.log", dir, node);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(127);
        execl(PW_BINARY_DIR "/presswatchd", "presswatchd", "--config", conf, "--foreground",
              (char *)NULL);
        _exit(127);
    }
    nodes[node] = pid;
    return pid;
}

/* Sends sig to the node and reaps it; its wait status. */
static int end_node(int node, int sig)
{
    int status = 0;
    pid_t pid = nodes[node];
    assert_true(pid > 0);
    assert_int_equal(kill(pid, sig), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    nodes[node] = 0;
    return status;
}

void pgtest_kill_node(int node)
{
    end_node(node, SIGKILL);
}

void pgtest_stop_node(const char *dir, int node)
{
    int status = end_node(node, SIGTERM);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "cat %s/node%d.log >&2", dir, node);
        assert_int_equal(system(cmd), 0);
        fail_msg("node n%d exited with status %d", node, status);
    }
}

int pgtest_kill_nodes(void **state)
{
    (void)state;
    for (int n = 0; n < PGTEST_NODES; n++)
        if (nodes[n] > 0) {
            kill(nodes[n], SIGKILL);
            waitpid(nodes[n], NULL, 0);
            nodes[n] = 0;
        }
    return 0;
}
