/*
 * store, PostgreSQL backend: what its files share. Not for other modules.
 *
 * Statements live in pg_stmt_defs[] (store_pg_sql.c), are prepared once per
 * connection by pg_store_open (named "pw<n>"), and run with text-format
 * parameters and results. Transaction control runs as simple queries.
 */
#ifndef PW_STORE_PG_H
#define PW_STORE_PG_H

#include "store/backend.h"

#include <libpq-fe.h>

enum pg_stmt {
    P_BEGIN, /* P_BEGIN .. P_ROLLBACK_TO: simple queries, not prepared */
    P_COMMIT,
    P_ROLLBACK,
    P_SAVEPOINT,
    P_RELEASE,
    P_ROLLBACK_TO,
    P_FEED_SYNC, /* the first prepared statement */
    P_CANONICAL_SYNC,
    P_FEED_OK,
    P_FEED_FAILED,
    P_ARTICLE_INSERT,
    P_ARTICLE_TOUCH,
    P_VERSION_LATEST,
    P_VERSION_INSERT,
    P_MATCH_ADD,
    P_COVERAGE_MARK,
    P_ARTICLE_COVERED,
    P_ALERT_INSERT,
    P_DELIVERY_INSERT,
    P_DELIVERY_DUE,
    P_DELIVERY_DONE,
    P_DELIVERY_FAILED,
    P_DELIVERY_SENDING,
    P_DELIVERY_SENT_STATS,
    P_DELIVERY_BACKLOG,
    P_DELIVERY_OLDEST_DUE,
    P_FEED_STATE_GET,
    P_FEED_STATE_PUT,
    P_LIST_FEEDS,
    P_LIST_ARTICLES,
    P_LIST_COVERAGE,
    P_PAGE_ADD,
    P_PAGES_DUE,
    P_PAGES_CLAIM,
    P_PAGE_NEXT_DUE,
    P_PAGE_GET,
    P_PAGE_PUT,
    P_PAGE_TOTALS,
    P_VERSION_GET,
    P_VERSION_ADD,
    P_VERSION_SET_TEXT,
    P_LIST_VERSIONS,
    P_COVERAGE_ACTIVE,
    P_COVERAGE_LOSE,
    P_REPORT_CANONICALS,
    P_REPORT_COVERAGE,
    P_REPORT_TEXTS,
    P_REPORT_ARTICLE,
    P_REPORT_MATCHES,
    P_COUNT_FEEDS, /* the P_COUNT_* run in the order of pg_count_tables[] */
    P_COUNT_ARTICLES,
    P_COUNT_VERSIONS,
    P_COUNT_CANONICALS,
    P_COUNT_MATCHES,
    P_COUNT_COVERAGE,
    P_COUNT_ALERTS,
    P_COUNT_DELIVERIES,
    P_FEEDS_CLAIM, /* feed leases and node heartbeats (migration 2) */
    P_FEED_RELEASE,
    P_NODE_HEARTBEAT,
    P_NODES_LIST,
    P_DELIVERY_CLAIM, /* migration 3 */
    P_HOST_ADD,       /* per-host budget across nodes (migration 4) */
    P_HOSTS_READY,
    P_FEEDS_CLAIM_HOSTS,
    P_HOSTS_STARTED,
    P_FEEDS_CLAIM_NOHOST,
    P_NODE_RELEASE_FEEDS, /* a node stopping cleanly */
    P_NODE_RELEASE_DELIVERIES,
    P__N
};

struct pg_stmt_def {
    const char *what; /* names the operation in error messages */
    const char *sql;
};

extern const struct pg_stmt_def pg_stmt_defs[P__N];
extern const char *const pg_count_tables[P_COUNT_DELIVERIES - P_COUNT_FEEDS + 1];
/* pg_migrations[i] brings schema_version from i to i + 1. Append only. */
extern const char *const pg_migrations[];
extern const int pg_n_migrations;

struct pg_store {
    PGconn *conn;
    int in_tx;        /* inside store_begin .. commit/rollback: never reconnect */
    char *node;       /* store_claim_as: deliveries and due pages read are claimed for it;
                       * NULL: plain reads */
    int per_host;     /* store_hosts_budget: leases per host over all nodes; 0: no budget */
    long host_gap_ms; /* and the gap between two claims on one host */
};

/* The politeness key of a feed URL, as the fetch client queues by it:
 * "host:port" in lower case (default ports filled in). 0 with out filled,
 * or -1 when the URL has no host (file:, not a URL) or it does not fit. */
int pg_url_host(const char *url, char *out, size_t outsz);

/* Parameters of one statement, as text. Numbers are formatted into num[];
 * text that is not valid UTF-8 is replaced by a cleaned copy in owned[]
 * (PostgreSQL rejects such text; SQLite stores the bytes as they are). */
#define PG_MAX_PARAMS 24
struct pg_params {
    int n;
    int oom;
    const char *v[PG_MAX_PARAMS];
    char num[PG_MAX_PARAMS][32];
    char *owned[PG_MAX_PARAMS];
};
void pgp_int(struct pg_params *p, int64_t v);
void pgp_time(struct pg_params *p, time_t t); /* 0 (unknown) is NULL */
void pgp_double(struct pg_params *p, double v);
void pgp_text(struct pg_params *p, const char *s); /* NULL is NULL */
void pgp_null(struct pg_params *p);

/* Copy of s with every byte that is not part of a valid UTF-8 sequence
 * replaced by U+FFFD, or NULL when s is valid (or on OOM: *oom set). */
char *pg_utf8_clean(const char *s, int *oom);

/* Runs statement id with p (released here, may be NULL). Returns the result
 * (PQclear it) or NULL with err naming the operation. */
PGresult *pg_run(struct pg_store *st, enum pg_stmt id, struct pg_params *p, char *err,
                 size_t errsz);
/* Runs id, ignoring rows; *changed (nullable): rows it touched. */
int pg_exec(struct pg_store *st, enum pg_stmt id, struct pg_params *p, int64_t *changed, char *err,
            size_t errsz);
/* Runs id, which must yield exactly one row; its first column into *v. */
int pg_one_int64(struct pg_store *st, enum pg_stmt id, struct pg_params *p, int64_t *v, char *err,
                 size_t errsz);
/* Runs an UPDATE that must touch one row; what_row names it in the error. */
int pg_update_one(struct pg_store *st, enum pg_stmt id, struct pg_params *p, const char *what_row,
                  char *err, size_t errsz);
/* Runs a transaction-control statement (P_BEGIN .. P_ROLLBACK_TO). */
int pg_simple(struct pg_store *st, enum pg_stmt id, char *err, size_t errsz);

/* Multi-statement operations: all or nothing, in their own transaction or,
 * inside the caller's, a savepoint (as store.c's op_begin/op_end). */
int pg_op_begin(struct pg_store *st, int *own, char *err, size_t errsz);
int pg_op_end(struct pg_store *st, int own, int ok, char *err, size_t errsz);

/* Cell readers: SQL NULL reads as 0 or NULL; "t"/"f" as 1/0. */
int64_t pg_int(const PGresult *r, int row, int col);
double pg_double(const PGresult *r, int row, int col);
const char *pg_str(const PGresult *r, int row, int col);
char *pg_strdup(const PGresult *r, int row, int col, int *oom); /* NULL stays NULL */

#endif
