#include "pgtest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
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

pid_t pgtest_spawn_node(const char *dir, const char *conf, int node)
{
    char log[512];
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
    return pid;
}
