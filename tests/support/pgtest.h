/*
 * pgtest: helpers of the tests that run daemons on a PostgreSQL database
 * (PW_TEST_PG_URI, set by tests/pg_cluster.sh). Failures end the test
 * through cmocka.
 */
#ifndef PW_TESTS_PGTEST_H
#define PW_TESTS_PGTEST_H

#include <libpq-fe.h>
#include <sys/types.h>

/* The URI from PW_TEST_PG_URI; skips the test (cmocka) when it is not set. */
const char *pgtest_uri_or_skip(void);
/* A connection to uri whose public schema is emptied (each test starts
 * from nothing). The caller closes it with PQfinish. */
PGconn *pgtest_fresh(const char *uri);
/* The first column of the first row as a number; -1 when the query fails
 * (the schema may not exist yet while the nodes start). */
long long pgtest_int(PGconn *c, const char *sql);
/* Waits until sql yields at least want, or secs pass; returns the last value. */
long long pgtest_wait_int(PGconn *c, const char *sql, long long want, int secs);
/* Nodes are numbered 0..PGTEST_NODES-1; each runs presswatchd --config
 * conf --foreground, its output in dir/nodeN.log. */
#define PGTEST_NODES 8
pid_t pgtest_spawn_node(const char *dir, const char *conf, int node);
/* SIGKILL, and reaps the node. */
void pgtest_kill_node(int node);
/* SIGTERM, and the node must exit 0 (else its log is printed and the test
 * fails). */
void pgtest_stop_node(const char *dir, int node);
/* A teardown: kills the nodes still running, so that a failed test does
 * not leave them behind. */
int pgtest_kill_nodes(void **state);

#endif
