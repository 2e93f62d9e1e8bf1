/*
 * store, PostgreSQL backend: connection, migrations, statement helpers and
 * transactions. The operations are in store_pg_write.c and store_pg_read.c.
 *
 * One difference from SQLite that callers can see: a statement that fails
 * inside the caller's transaction leaves that transaction failed (only
 * store_rollback helps), where SQLite undoes just the statement. Operations
 * of several statements use a savepoint, as in store.c, so they undo only
 * themselves in both. Every caller rolls back on any failure anyway.
 */
#include "store/pg.h"

#include "common/buf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- parameters ---- */

static const char *pgp_slot(struct pg_params *p)
{
    if (p->n >= PG_MAX_PARAMS) {
        p->oom = 1; /* a programming error; reported as a failure of the call */
        return NULL;
    }
    return p->num[p->n];
}

void pgp_int(struct pg_params *p, int64_t v)
{
    if (!pgp_slot(p))
        return;
    snprintf(p->num[p->n], sizeof p->num[0], "%" PRId64, v);
    p->v[p->n] = p->num[p->n];
    p->n++;
}

void pgp_time(struct pg_params *p, time_t t)
{
    if (t)
        pgp_int(p, (int64_t)t);
    else
        pgp_null(p);
}

void pgp_double(struct pg_params *p, double v)
{
    if (!pgp_slot(p))
        return;
    /* 17 significant digits round-trip a double exactly */
    snprintf(p->num[p->n], sizeof p->num[0], "%.17g", v);
    p->v[p->n] = p->num[p->n];
    p->n++;
}

void pgp_null(struct pg_params *p)
{
    if (!pgp_slot(p))
        return;
    p->v[p->n++] = NULL;
}

void pgp_text(struct pg_params *p, const char *s)
{
    if (!pgp_slot(p))
        return;
    char *clean = s ? pg_utf8_clean(s, &p->oom) : NULL;
    p->owned[p->n] = clean;
    p->v[p->n++] = clean ? clean : s;
}

static void pgp_release(struct pg_params *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->n; i++)
        free(p->owned[i]);
    p->n = 0;
}

/* Length of the valid UTF-8 sequence at s, 0 when none starts there
 * (overlong forms, surrogates and code points past U+10FFFF are invalid,
 * as for PostgreSQL). Never reads past a NUL. */
static size_t utf8_seq(const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    if (c < 0xC2 || c > 0xF4 || (s[1] & 0xC0) != 0x80)
        return 0;
    if (c < 0xE0)
        return 2;
    if ((s[2] & 0xC0) != 0x80 || (c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F))
        return 0;
    if (c < 0xF0)
        return 3;
    if ((s[3] & 0xC0) != 0x80 || (c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F))
        return 0;
    return 4;
}

char *pg_utf8_clean(const char *s, int *oom)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, n;
    while (u[i] && (n = utf8_seq(u + i)) > 0)
        i += n;
    if (!u[i])
        return NULL; /* valid: the common case costs one pass, no copy */
    size_t len = i + strlen(s + i);
    char *out = malloc(len * 3 + 1); /* each bad byte becomes 3 bytes */
    if (!out) {
        *oom = 1;
        return NULL;
    }
    size_t o = 0;
    for (i = 0; u[i];) {
        n = utf8_seq(u + i);
        if (n) {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    out[o] = '\0';
    return out;
}

/* ---- results ---- */

int64_t pg_int(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return 0;
    const char *v = PQgetvalue(r, row, col);
    if (v[0] == 't' && !v[1])
        return 1;
    return strtoll(v, NULL, 10);
}

double pg_double(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0.0 : strtod(PQgetvalue(r, row, col), NULL);
}

const char *pg_str(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

char *pg_strdup(const PGresult *r, int row, int col, int *oom)
{
    const char *v = pg_str(r, row, col);
    if (!v)
        return NULL;
    char *c = strdup(v);
    if (!c)
        *oom = 1;
    return c;
}

/* ---- running statements ---- */

/* The server's message without its trailing newline (libpq's has one). */
static int pg_fail(struct pg_store *st, const PGresult *r, const char *what, char *err,
                   size_t errsz)
{
    const char *m = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!m)
        m = PQerrorMessage(st->conn);
    size_t len = strlen(m);
    while (len && (m[len - 1] == '\n' || m[len - 1] == ' '))
        len--;
    return pw_err(err, errsz, "store: %s: %.*s", what, (int)len, m);
}

static int prepare_all(struct pg_store *st, char *err, size_t errsz)
{
    for (int i = P_FEED_SYNC; i < P__N; i++) {
        char name[16];
        snprintf(name, sizeof name, "pw%d", i);
        PGresult *r = PQprepare(st->conn, name, pg_stmt_defs[i].sql, 0, NULL);
        int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok) {
            char what[96];
            snprintf(what, sizeof what, "prepare %s", pg_stmt_defs[i].what);
            pg_fail(st, r, what, err, errsz);
        }
        PQclear(r);
        if (!ok)
            return -1;
    }
    return 0;
}

/* Per session: a lock held elsewhere makes a call fail after 5 s, like
 * SQLite's busy timeout; no JIT (short OLTP statements only lose by it,
 * and stale statistics during a burst of claims can make their estimated
 * costs cross jit_above_cost), tried only: a server without the setting
 * goes on. */
static int session_setup(struct pg_store *st, char *err, size_t errsz)
{
    PGresult *r = PQexec(st->conn, "SET lock_timeout = 5000");
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok)
        return pg_fail(st, NULL, "configure session", err, errsz);
    PQclear(PQexec(st->conn, "SET jit = off"));
    return 0;
}

/* A daemon outlives server restarts: a broken connection is re-made, and
 * its statements prepared again, but only between transactions, so that
 * half a transaction is never redone in autocommit. */
static int pg_ensure(struct pg_store *st, char *err, size_t errsz)
{
    if (PQstatus(st->conn) == CONNECTION_OK)
        return 0;
    if (st->in_tx)
        return pw_err(err, errsz, "store: connection to PostgreSQL lost inside a transaction");
    PQreset(st->conn);
    if (PQstatus(st->conn) != CONNECTION_OK)
        return pg_fail(st, NULL, "reconnect", err, errsz);
    if (session_setup(st, err, errsz) < 0)
        return -1;
    return prepare_all(st, err, errsz);
}

PGresult *pg_run(struct pg_store *st, enum pg_stmt id, struct pg_params *p, char *err, size_t errsz)
{
    char name[16];
    PGresult *r = NULL;
    if (p && p->oom) {
        pw_err(err, errsz, "store: %s: out of memory", pg_stmt_defs[id].what);
        goto done;
    }
    if (pg_ensure(st, err, errsz) < 0)
        goto done;
    snprintf(name, sizeof name, "pw%d", (int)id);
    r = PQexecPrepared(st->conn, name, p ? p->n : 0, p ? p->v : NULL, NULL, NULL, 0);
    ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
        pg_fail(st, r, pg_stmt_defs[id].what, err, errsz);
        PQclear(r);
        r = NULL;
    }
done:
    pgp_release(p);
    return r;
}

int pg_exec(struct pg_store *st, enum pg_stmt id, struct pg_params *p, int64_t *changed, char *err,
            size_t errsz)
{
    PGresult *r = pg_run(st, id, p, err, errsz);
    if (!r)
        return -1;
    if (changed)
        *changed = strtoll(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return 0;
}

int pg_one_int64(struct pg_store *st, enum pg_stmt id, struct pg_params *p, int64_t *v, char *err,
                 size_t errsz)
{
    PGresult *r = pg_run(st, id, p, err, errsz);
    if (!r)
        return -1;
    int rows = PQntuples(r);
    if (rows == 1)
        *v = pg_int(r, 0, 0);
    PQclear(r);
    if (rows != 1)
        return pw_err(err, errsz, "store: %s: unexpected %s", pg_stmt_defs[id].what,
                      rows ? "row" : "empty result");
    return 0;
}

int pg_update_one(struct pg_store *st, enum pg_stmt id, struct pg_params *p, const char *what_row,
                  char *err, size_t errsz)
{
    int64_t n = 0;
    if (pg_exec(st, id, p, &n, err, errsz) < 0)
        return -1;
    if (n != 1)
        return pw_err(err, errsz, "store: %s: no such %s", pg_stmt_defs[id].what, what_row);
    return 0;
}

int pg_simple(struct pg_store *st, enum pg_stmt id, char *err, size_t errsz)
{
    PGresult *r = PQexec(st->conn, pg_stmt_defs[id].sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        pg_fail(st, r, pg_stmt_defs[id].what, err, errsz);
    PQclear(r);
    return ok ? 0 : -1;
}

int pg_op_begin(struct pg_store *st, int *own, char *err, size_t errsz)
{
    *own = PQtransactionStatus(st->conn) == PQTRANS_IDLE;
    if (*own && pg_ensure(st, err, errsz) < 0)
        return -1;
    return pg_simple(st, *own ? P_BEGIN : P_SAVEPOINT, err, errsz);
}

int pg_op_end(struct pg_store *st, int own, int ok, char *err, size_t errsz)
{
    if (ok && pg_simple(st, own ? P_COMMIT : P_RELEASE, err, errsz) == 0)
        return 0;
    if (PQtransactionStatus(st->conn) != PQTRANS_IDLE) {
        if (own) {
            pg_simple(st, P_ROLLBACK, NULL, 0);
        } else {
            pg_simple(st, P_ROLLBACK_TO, NULL, 0);
            pg_simple(st, P_RELEASE, NULL, 0);
        }
    }
    return -1;
}

/* ---- transactions ---- */

int pg_store_begin(struct pg_store *st, char *err, size_t errsz)
{
    /* PostgreSQL only warns about a nested BEGIN; SQLite refuses it. */
    if (PQtransactionStatus(st->conn) != PQTRANS_IDLE &&
        PQtransactionStatus(st->conn) != PQTRANS_UNKNOWN)
        return pw_err(err, errsz, "store: begin: a transaction is already open");
    if (pg_ensure(st, err, errsz) < 0 || pg_simple(st, P_BEGIN, err, errsz) < 0)
        return -1;
    st->in_tx = 1;
    return 0;
}

int pg_store_commit(struct pg_store *st, char *err, size_t errsz)
{
    st->in_tx = 0; /* committed or not, the transaction is over */
    switch (PQtransactionStatus(st->conn)) {
    case PQTRANS_IDLE:
        return pw_err(err, errsz, "store: commit: no transaction is open");
    case PQTRANS_INERROR:
        /* COMMIT would silently roll back: say so. */
        pg_simple(st, P_ROLLBACK, NULL, 0);
        return pw_err(err, errsz, "store: commit: an earlier statement failed; rolled back");
    default:
        return pg_simple(st, P_COMMIT, err, errsz);
    }
}

void pg_store_rollback(struct pg_store *st)
{
    if (st)
        st->in_tx = 0;
    if (st && PQtransactionStatus(st->conn) != PQTRANS_IDLE &&
        PQtransactionStatus(st->conn) != PQTRANS_UNKNOWN)
        pg_simple(st, P_ROLLBACK, NULL, 0);
}

/* ---- open, migrate, close ---- */

static void quiet_notices(void *arg, const char *message)
{
    (void)arg; /* "relation already exists, skipping" and the like are not errors */
    (void)message;
}

/* schema_version, as the SQLite user_version: -1 when the table does not exist. */
static int read_version(struct pg_store *st, int lock, int *v, char *err, size_t errsz)
{
    PGresult *r = PQexec(st->conn, lock ? "SELECT version FROM schema_version WHERE id = 1"
                                          " FOR UPDATE"
                                        : "SELECT version FROM schema_version WHERE id = 1");
    int rc = 0;
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
        *v = PQntuples(r) == 1 ? (int)pg_int(r, 0, 0) : 0;
    } else {
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        if (!lock && state && strcmp(state, "42P01") == 0) /* undefined_table */
            *v = -1;
        else
            rc = pg_fail(st, r, "read schema version", err, errsz);
    }
    PQclear(r);
    return rc;
}

static int exec_script(struct pg_store *st, const char *sql, const char *what, char *err,
                       size_t errsz)
{
    PGresult *r = PQexec(st->conn, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok)
        pg_fail(st, r, what, err, errsz);
    PQclear(r);
    return ok ? 0 : -1;
}

static int too_new(int v, char *err, size_t errsz)
{
    return pw_err(err, errsz,
                  "store: database schema version %d is newer than this program supports (%d); "
                  "upgrade presswatch",
                  v, pg_n_migrations);
}

/* Several nodes may start at once: the version row is locked (FOR UPDATE,
 * which distributed PostgreSQL-likes support, unlike advisory locks) for
 * each step, and re-read under the lock. A reader finding the schema
 * current writes nothing, so read-only roles can open the database. */
static int migrate(struct pg_store *st, char *err, size_t errsz)
{
    int v;
    if (read_version(st, 0, &v, err, errsz) < 0)
        return -1;
    if (v > pg_n_migrations)
        return too_new(v, err, errsz);
    if (v == pg_n_migrations)
        return 0;
    static const char create[] =
        "CREATE TABLE IF NOT EXISTS schema_version (id INTEGER PRIMARY KEY CHECK (id = 1),"
        " version INTEGER NOT NULL);"
        "INSERT INTO schema_version (id, version) VALUES (1, 0) ON CONFLICT (id) DO NOTHING";
    /* Two nodes creating the table at once: one fails on the catalog's
     * unique index, and the table exists when it tries again. */
    if (exec_script(st, create, "create schema_version", err, errsz) < 0 &&
        exec_script(st, create, "create schema_version", err, errsz) < 0)
        return -1;
    for (;;) {
        char what[64];
        if (exec_script(st, "BEGIN", "migrate schema", err, errsz) < 0)
            return -1;
        if (read_version(st, 1, &v, err, errsz) < 0)
            goto fail;
        if (v > pg_n_migrations) {
            too_new(v, err, errsz);
            goto fail;
        }
        if (v == pg_n_migrations)
            return exec_script(st, "COMMIT", "migrate schema", err, errsz);
        snprintf(what, sizeof what, "migrate schema to version %d", v + 1);
        char set[96];
        snprintf(set, sizeof set, "UPDATE schema_version SET version = %d WHERE id = 1", v + 1);
        if (exec_script(st, pg_migrations[v], what, err, errsz) < 0 ||
            exec_script(st, set, what, err, errsz) < 0 ||
            exec_script(st, "COMMIT", what, err, errsz) < 0)
            goto fail;
    }
fail:
    exec_script(st, "ROLLBACK", "rollback", NULL, 0);
    return -1;
}

int pg_store_open(const char *uri, struct pg_store **out, char *err, size_t errsz)
{
    *out = NULL;
    struct pg_store *st = calloc(1, sizeof *st);
    if (!st)
        return pw_err(err, errsz, "store: open: out of memory");
    /* The URI may hold a password: messages name the server libpq reports,
     * never the URI itself. Passwords belong in ~/.pgpass or PGPASSFILE. */
    st->conn = PQconnectdb(uri);
    if (!st->conn) {
        pw_err(err, errsz, "store: connect to PostgreSQL: out of memory");
        goto fail;
    }
    if (PQstatus(st->conn) != CONNECTION_OK) {
        pg_fail(st, NULL, "connect to PostgreSQL", err, errsz);
        goto fail;
    }
    PQsetNoticeProcessor(st->conn, quiet_notices, NULL);
    /* UTF-8 in and out whatever the server's default. */
    if (PQsetClientEncoding(st->conn, "UTF8") != 0) {
        pg_fail(st, NULL, "set client encoding", err, errsz);
        goto fail;
    }
    if (session_setup(st, err, errsz) < 0)
        goto fail;
    if (migrate(st, err, errsz) < 0 || prepare_all(st, err, errsz) < 0)
        goto fail;
    *out = st;
    return 0;
fail:
    pg_store_close(st);
    return -1;
}

void pg_store_close(struct pg_store *st)
{
    if (!st)
        return;
    PQfinish(st->conn); /* the server rolls back an open transaction */
    free(st->node);
    free(st);
}
