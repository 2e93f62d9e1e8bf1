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
/* Starts presswatchd --config conf --foreground, its output in
 * dir/nodeN.log. The caller waits for it. */
pid_t pgtest_spawn_node(const char *dir, const char *conf, int node);

#endif
