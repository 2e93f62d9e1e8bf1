/*
 * store tests, run once per backend: a real SQLite file in a fresh
 * temporary directory per test, then, when PW_TEST_PG_URI names a
 * PostgreSQL database (tests/pg_cluster.sh makes a throwaway one), the same
 * cases against it, its schema emptied before each test. A second, raw
 * connection checks what the store wrote where the API has no reader
 * (schema version, feed status, stored bytes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "store/store.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fx {
    int pg; /* the PostgreSQL backend; else SQLite */
    char dir[64];
    char path[128]; /* the SQLite file */
    char db[512];   /* what store_open is given: the file or the URI */
    struct store *st;
    char err[256];
};

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    strcpy(fx->dir, "/tmp/pw-store-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->path, sizeof fx->path, "%s/pw.db", fx->dir);
    snprintf(fx->db, sizeof fx->db, "%s", fx->path);
    assert_int_equal(store_open(fx->db, &fx->st, fx->err, sizeof fx->err), 0);
    *state = fx;
    return 0;
}

/* An empty public schema per test: each starts from migration 1. */
static int setup_pg(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    fx->pg = 1;
    strcpy(fx->dir, "/tmp/pw-store-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    snprintf(fx->path, sizeof fx->path, "%s/pw.db", fx->dir);
    snprintf(fx->db, sizeof fx->db, "%s", getenv("PW_TEST_PG_URI"));
    PGconn *c = PQconnectdb(fx->db);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, "SET client_min_messages = warning;"
                            "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        fail_msg("reset schema: %s", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    if (store_open(fx->db, &fx->st, fx->err, sizeof fx->err) != 0)
        fail_msg("%s", fx->err);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    char p[160];
    store_close(fx->st);
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(p, sizeof p, "%s%s", fx->path, suffix[i]);
        unlink(p);
    }
    snprintf(p, sizeof p, "%s/empty.db", fx->dir);
    unlink(p);
    rmdir(fx->dir);
    free(fx);
    return 0;
}

/* First column of the first row of sql, through a separate connection. */
static int64_t raw_int(const struct fx *fx, const char *sql)
{
    if (fx->pg) {
        PGconn *c = PQconnectdb(fx->db);
        assert_int_equal(PQstatus(c), CONNECTION_OK);
        PGresult *r = PQexec(c, sql);
        if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1)
            fail_msg("%s: %s", sql, PQerrorMessage(c));
        int64_t v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
        PQfinish(c);
        return v;
    }
    const char *path = fx->path;
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static void raw_exec(const struct fx *fx, const char *sql)
{
    if (fx->pg) {
        PGconn *c = PQconnectdb(fx->db);
        assert_int_equal(PQstatus(c), CONNECTION_OK);
        PGresult *r = PQexec(c, sql);
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            fail_msg("%s: %s", sql, PQerrorMessage(c));
        PQclear(r);
        PQfinish(c);
        return;
    }
    const char *path = fx->path;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* PRAGMA user_version, or PostgreSQL's schema_version table. */
static int64_t schema_version(const struct fx *fx)
{
    return raw_int(fx, fx->pg ? "SELECT version FROM schema_version" : "PRAGMA user_version");
}

static int64_t count(struct fx *fx, const char *table)
{
    int64_t n = -1;
    assert_int_equal(store_count(fx->st, table, &n, fx->err, sizeof fx->err), 0);
    return n;
}

static int64_t feed(struct fx *fx, const char *name)
{
    int64_t id = 0;
    char url[128];
    snprintf(url, sizeof url, "https://%s.example/rss", name);
    assert_int_equal(store_feed_sync(fx->st, name, url, &id, fx->err, sizeof fx->err), 0);
    return id;
}

static void upsert(struct fx *fx, int64_t feed_id, const char *guid, const char *text, time_t now,
                   struct store_upsert *u)
{
    struct store_item it = {.guid = guid, .link = "https://example/a", .title = guid, .text = text};
    int rc = store_upsert_item(fx->st, feed_id, &it, now, u, fx->err, sizeof fx->err);
    if (rc != 0)
        fail_msg("%s", fx->err);
}

/* ---- open and migrate ---- */

static void test_store_open_reopen(void **state)
{
    struct fx *fx = *state;
    int64_t v = schema_version(fx);
    assert_true(v >= 1);
    feed(fx, "a");
    store_close(fx->st);
    fx->st = NULL;

    /* reopening runs no migration again and keeps the data */
    assert_int_equal(store_open(fx->db, &fx->st, fx->err, sizeof fx->err), 0);
    assert_int_equal(schema_version(fx), v);
    assert_int_equal(count(fx, "feeds"), 1);
    store_close(fx->st);
    assert_int_equal(store_open(fx->db, &fx->st, fx->err, sizeof fx->err), 0);
    assert_int_equal(schema_version(fx), v);
    assert_int_equal(count(fx, "feeds"), 1);
    if (fx->pg)
        return;

    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
    sqlite3_finalize(s);
    sqlite3_close(db);
}

static void test_store_future_version(void **state)
{
    struct fx *fx = *state;
    store_close(fx->st);
    fx->st = NULL;
    raw_exec(fx,
             fx->pg ? "UPDATE schema_version SET version = 9999" : "PRAGMA user_version = 9999");

    struct store *st = (struct store *)1;
    assert_int_equal(store_open(fx->db, &st, fx->err, sizeof fx->err), -1);
    assert_null(st);
    assert_non_null(strstr(fx->err, "9999"));
    assert_non_null(strstr(fx->err, "newer"));
    /* nothing was touched */
    assert_int_equal(schema_version(fx), 9999);
}

static void test_store_open_errors(void **state)
{
    struct fx *fx = *state;
    struct store *st = NULL;
    char p[256];

    snprintf(p, sizeof p, "%s/no/such/dir/x.db", fx->dir);
    assert_int_equal(store_open(p, &st, fx->err, sizeof fx->err), -1);
    assert_null(st);
    assert_non_null(strstr(fx->err, "store: open"));
    assert_non_null(strstr(fx->err, "unable to open"));

    /* Read-only (root ignores chmod, so ask SQLite): an empty file cannot be migrated ... */
    snprintf(p, sizeof p, "%s/empty.db", fx->dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fclose(f);
    char uri[300];
    snprintf(uri, sizeof uri, "file:%s?mode=ro", p);
    assert_int_equal(store_open(uri, &st, fx->err, sizeof fx->err), -1);
    assert_null(st);
    assert_non_null(strstr(fx->err, "readonly"));

    /* ... and a migrated one opens, but writing fails cleanly. */
    snprintf(uri, sizeof uri, "file:%s?mode=ro", fx->path);
    assert_int_equal(store_open(uri, &st, fx->err, sizeof fx->err), 0);
    int64_t id = 0, n = -1;
    assert_int_equal(store_feed_sync(st, "x", "https://x/", &id, fx->err, sizeof fx->err), -1);
    assert_non_null(strstr(fx->err, "store: sync feed: "));
    assert_non_null(strstr(fx->err, "readonly"));
    /* inside a transaction too, and the transaction is still undone */
    assert_int_equal(store_begin(st, fx->err, sizeof fx->err), 0);
    assert_int_equal(store_upsert_item(st, 1, &(struct store_item){.guid = "g", .text = "t"}, 1,
                                       &(struct store_upsert){0}, fx->err, sizeof fx->err),
                     -1);
    assert_non_null(strstr(fx->err, "readonly"));
    store_rollback(st);
    assert_int_equal(store_count(st, "feeds", &n, fx->err, sizeof fx->err), 0);
    assert_int_equal(n, 0);
    store_close(st);

    store_close(NULL);
}

/* PostgreSQL: an unreachable server, and a session that may only read
 * (as the CLI's role might): it opens, and writing fails cleanly. */
static void test_store_pg_open_errors(void **state)
{
    struct fx *fx = *state;
    struct store *st = (struct store *)1;
    assert_int_equal(store_open("postgresql://pw@127.0.0.1:1/none?connect_timeout=5", &st, fx->err,
                                sizeof fx->err),
                     -1);
    assert_null(st);
    assert_non_null(strstr(fx->err, "store: connect to PostgreSQL: "));

    char uri[600];
    snprintf(uri, sizeof uri, "%s%soptions=-c%%20default_transaction_read_only%%3Don", fx->db,
             strchr(fx->db, '?') ? "&" : "?");
    assert_int_equal(store_open(uri, &st, fx->err, sizeof fx->err), 0);
    int64_t id = 0, n = -1;
    assert_int_equal(store_feed_sync(st, "x", "https://x/", &id, fx->err, sizeof fx->err), -1);
    assert_non_null(strstr(fx->err, "store: sync feed: "));
    assert_non_null(strstr(fx->err, "read-only"));
    assert_int_equal(store_begin(st, fx->err, sizeof fx->err), 0);
    assert_int_equal(store_upsert_item(st, 1, &(struct store_item){.guid = "g", .text = "t"}, 1,
                                       &(struct store_upsert){0}, fx->err, sizeof fx->err),
                     -1);
    assert_non_null(strstr(fx->err, "read-only"));
    store_rollback(st);
    assert_int_equal(store_count(st, "feeds", &n, fx->err, sizeof fx->err), 0);
    assert_int_equal(n, 0);
    store_close(st);
}

/* PostgreSQL: a row locked elsewhere makes a write wait lock_timeout, then
 * fail clearly, as SQLite's busy timeout does. */
static void test_store_pg_busy(void **state)
{
    struct fx *fx = *state;
    int64_t id = feed(fx, "a");
    char q[128];
    snprintf(q, sizeof q, "SELECT id FROM feeds WHERE id = %lld FOR UPDATE", (long long)id);
    PGconn *c = PQconnectdb(fx->db);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PQclear(PQexec(c, "BEGIN"));
    PGresult *r = PQexec(c, q);
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    PQclear(r);
    time_t t0 = time(NULL);
    assert_int_equal(store_feed_result(fx->st, id, 1, 200, NULL, fx->err, sizeof fx->err), -1);
    assert_true(time(NULL) - t0 >= 4);
    assert_string_equal(fx->err,
                        "store: record feed result: canceling statement due to lock timeout");
    PQclear(PQexec(c, "ROLLBACK"));
    PQfinish(c);
    assert_int_equal(store_feed_result(fx->st, id, 1, 200, NULL, fx->err, sizeof fx->err), 0);
}

/* "sqlite:///path" is the same SQLite file as "path". */
static void test_store_sqlite_scheme(void **state)
{
    struct fx *fx = *state;
    struct store *st = NULL;
    int64_t n = -1;
    char uri[300];
    feed(fx, "a");
    snprintf(uri, sizeof uri, "sqlite://%s", fx->path);
    assert_int_equal(store_open(uri, &st, fx->err, sizeof fx->err), 0);
    assert_int_equal(store_count(st, "feeds", &n, fx->err, sizeof fx->err), 0);
    assert_int_equal(n, 1);
    store_close(st);
}

/* busy_timeout: a writer elsewhere makes begin wait, then fail clearly. */
static void test_store_busy(void **state)
{
    struct fx *fx = *state;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    time_t t0 = time(NULL);
    assert_int_equal(store_begin(fx->st, fx->err, sizeof fx->err), -1);
    assert_true(time(NULL) - t0 >= 4);
    assert_string_equal(fx->err, "store: begin: database is locked");
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(db);
    assert_int_equal(store_begin(fx->st, fx->err, sizeof fx->err), 0);
    assert_int_equal(store_commit(fx->st, fx->err, sizeof fx->err), 0);
}

/* ---- configuration ---- */

static void test_store_sync(void **state)
{
    struct fx *fx = *state;
    int64_t a = 0, b = 0, c = 0;
    assert_int_equal(store_feed_sync(fx->st, "a", "https://a/1", &a, fx->err, sizeof fx->err), 0);
    assert_int_equal(store_feed_sync(fx->st, "b", "https://b/1", &b, fx->err, sizeof fx->err), 0);
    assert_int_not_equal(a, b);
    assert_int_equal(store_feed_sync(fx->st, "a", "https://a/1", &c, fx->err, sizeof fx->err), 0);
    assert_int_equal(c, a);
    assert_int_equal(store_feed_sync(fx->st, "a", "https://a/2", &c, fx->err, sizeof fx->err), 0);
    assert_int_equal(c, a);
    assert_int_equal(count(fx, "feeds"), 2);
    assert_int_equal(raw_int(fx, "SELECT count(*) FROM feeds WHERE name = 'a'"
                                 " AND url = 'https://a/2'"),
                     1);

    int64_t k = 0, k2 = 0;
    assert_int_equal(
        store_canonical_sync(fx->st, "stmt", "/etc/s.txt", "one", &k, fx->err, sizeof fx->err), 0);
    assert_int_equal(
        store_canonical_sync(fx->st, "stmt", "/etc/s.txt", "one", &k2, fx->err, sizeof fx->err), 0);
    assert_int_equal(k, k2);
    assert_int_equal(
        store_canonical_sync(fx->st, "stmt", "/etc/t.txt", "two", &k2, fx->err, sizeof fx->err), 0);
    assert_int_equal(k, k2);
    assert_int_equal(count(fx, "canonicals"), 1);
    assert_int_equal(raw_int(fx, "SELECT count(*) FROM canonicals WHERE text = 'two'"
                                 " AND path = '/etc/t.txt'"),
                     1);

    assert_int_equal(store_feed_sync(fx->st, NULL, "u", &c, fx->err, sizeof fx->err), -1);
}

static void test_store_feed_result(void **state)
{
    struct fx *fx = *state;
    int64_t id = feed(fx, "a");
    char q[128];
    snprintf(q, sizeof q, "SELECT consecutive_failures FROM feeds WHERE id = %lld", (long long)id);

    assert_int_equal(store_feed_result(fx->st, id, 100, 503, "HTTP 503", fx->err, sizeof fx->err),
                     0);
    assert_int_equal(store_feed_result(fx->st, id, 200, 0, "timeout", fx->err, sizeof fx->err), 0);
    assert_int_equal(raw_int(fx, q), 2);
    assert_int_equal(raw_int(fx, "SELECT count(*) FROM feeds WHERE last_error = 'timeout'"
                                 " AND last_fetch = 200 AND last_status IS NULL"),
                     1);
    assert_int_equal(store_feed_result(fx->st, id, 300, 200, NULL, fx->err, sizeof fx->err), 0);
    assert_int_equal(raw_int(fx, q), 0);
    assert_int_equal(raw_int(fx, "SELECT count(*) FROM feeds WHERE last_error IS NULL"
                                 " AND last_status = 200 AND last_success = 300"),
                     1);

    assert_int_equal(store_feed_result(fx->st, id + 100, 1, 200, NULL, fx->err, sizeof fx->err),
                     -1);
    assert_string_equal(fx->err, "store: record feed result: no such feed");
}

/* ---- articles and versions ---- */

static void test_store_upsert_versions(void **state)
{
    struct fx *fx = *state;
    int64_t f = feed(fx, "a");
    struct store_upsert u;

    upsert(fx, f, "g1", "first text", 100, &u);
    assert_true(u.new_article);
    assert_true(u.new_version);
    assert_int_equal(u.version_no, 1);
    assert_null(u.prev_text);
    int64_t art = u.article_id, v1 = u.version_id;

    upsert(fx, f, "g1", "first text", 200, &u);
    assert_false(u.new_article);
    assert_false(u.new_version);
    assert_int_equal(u.article_id, art);
    assert_int_equal(u.version_id, v1);
    assert_int_equal(u.version_no, 1);
    assert_null(u.prev_text);
    assert_int_equal(count(fx, "versions"), 1);

    upsert(fx, f, "g1", "second text", 300, &u);
    assert_false(u.new_article);
    assert_true(u.new_version);
    assert_int_equal(u.version_no, 2);
    assert_int_not_equal(u.version_id, v1);
    assert_non_null(u.prev_text);
    assert_string_equal(u.prev_text, "first text");
    free(u.prev_text);

    /* compared with the newest version only: going back is a new version */
    upsert(fx, f, "g1", "first text", 400, &u);
    assert_int_equal(u.version_no, 3);
    assert_string_equal(u.prev_text, "second text");
    free(u.prev_text);

    assert_int_equal(count(fx, "articles"), 1);
    assert_int_equal(count(fx, "versions"), 3);
    assert_int_equal(raw_int(fx, "SELECT last_seen FROM articles"), 400);
    assert_int_equal(raw_int(fx, "SELECT first_seen FROM articles"), 100);

    /* same guid in another feed: another article */
    int64_t f2 = feed(fx, "b");
    upsert(fx, f2, "g1", "first text", 500, &u);
    assert_true(u.new_article);
    assert_int_not_equal(u.article_id, art);
    assert_int_equal(u.version_no, 1);
    assert_int_equal(count(fx, "articles"), 2);

    /* required fields, unknown feed (foreign key): errors, nothing written */
    struct store_item it = {.guid = "x", .text = NULL};
    assert_int_equal(store_upsert_item(fx->st, f, &it, 1, &u, fx->err, sizeof fx->err), -1);
    it.text = "t";
    assert_int_equal(store_upsert_item(fx->st, f2 + 100, &it, 1, &u, fx->err, sizeof fx->err), -1);
    if (fx->pg)
        assert_non_null(strstr(fx->err, "store: insert article: insert or update on table"
                                        " \"articles\" violates foreign key constraint"));
    else
        assert_string_equal(fx->err, "store: insert article: FOREIGN KEY constraint failed");
    assert_int_equal(u.article_id, 0);
    assert_int_equal(count(fx, "articles"), 2);
}

static void test_store_invalid_utf8(void **state)
{
    struct fx *fx = *state;
    int64_t f = feed(fx, "a");
    struct store_upsert u;
    const char bad1[] = "caf\xe9 \xff\xfe \xc3 end";
    const char bad2[] = "caf\xe9 \xff\xfe \xc3 end\x80";

    upsert(fx, f, "\xfe-guid", bad1, 1, &u);
    upsert(fx, f, "\xfe-guid", bad1, 2, &u);
    assert_false(u.new_version);
    upsert(fx, f, "\xfe-guid", bad2, 3, &u);
    assert_int_equal(u.version_no, 2);
    assert_non_null(u.prev_text);
    if (fx->pg) {
        /* PostgreSQL refuses invalid UTF-8: each bad byte is stored as
         * U+FFFD, consistently, so the same text is still no new version. */
        assert_string_equal(u.prev_text, "caf\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd"
                                         " \xef\xbf\xbd end");
        free(u.prev_text);
        assert_int_equal(count(fx, "versions"), 2);
        return;
    }
    assert_int_equal(strlen(u.prev_text), sizeof bad1 - 1);
    assert_memory_equal(u.prev_text, bad1, sizeof bad1);
    free(u.prev_text);

    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_open_v2(fx->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT text FROM versions ORDER BY version_no", -1, &s, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_bytes(s, 0), sizeof bad1 - 1);
    assert_memory_equal(sqlite3_column_blob(s, 0), bad1, sizeof bad1 - 1);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_int_equal(sqlite3_column_bytes(s, 0), sizeof bad2 - 1);
    assert_memory_equal(sqlite3_column_blob(s, 0), bad2, sizeof bad2 - 1);
    sqlite3_finalize(s);
    sqlite3_close(db);
}

/* ---- matches and coverage ---- */

static void test_store_coverage(void **state)
{
    struct fx *fx = *state;
    int64_t f = feed(fx, "a"), k = 0;
    struct store_upsert u;
    int first = -1, covered = -1;

    assert_int_equal(store_canonical_sync(fx->st, "c", NULL, "canon", &k, fx->err, sizeof fx->err),
                     0);
    upsert(fx, f, "g", "text", 10, &u);
    assert_int_equal(
        store_article_is_covered(fx->st, u.article_id, &covered, fx->err, sizeof fx->err), 0);
    assert_int_equal(covered, 0);

    assert_int_equal(store_match_add(fx->st, u.version_id, k, 0.5, "bg", "1,2", "{\"x\":1}",
                                     fx->err, sizeof fx->err),
                     0);
    /* analysing the same pair again replaces the score */
    assert_int_equal(
        store_match_add(fx->st, u.version_id, k, 0.6, "bg", "1,2,3", NULL, fx->err, sizeof fx->err),
        0);
    assert_int_equal(count(fx, "matches"), 1);

    assert_int_equal(store_coverage_mark(fx->st, u.article_id, k, u.version_id, 0.6, 11, &first,
                                         fx->err, sizeof fx->err),
                     0);
    assert_int_equal(first, 1);
    assert_int_equal(store_coverage_mark(fx->st, u.article_id, k, u.version_id, 0.7, 12, &first,
                                         fx->err, sizeof fx->err),
                     0);
    assert_int_equal(first, 0);
    assert_int_equal(count(fx, "coverage"), 1);
    assert_int_equal(
        store_article_is_covered(fx->st, u.article_id, &covered, fx->err, sizeof fx->err), 0);
    assert_int_equal(covered, 1);

    assert_int_equal(store_match_add(fx->st, u.version_id + 99, k, 0.5, NULL, NULL, NULL, fx->err,
                                     sizeof fx->err),
                     -1);
    if (fx->pg)
        assert_non_null(strstr(fx->err, "store: add match: insert or update on table"
                                        " \"matches\" violates foreign key constraint"));
    else
        assert_string_equal(fx->err, "store: add match: FOREIGN KEY constraint failed");
}

/* ---- alert outbox ---- */

struct seen {
    int n;
    int stop_after;
    int64_t ids[8];
    int attempts[8];
    int cut_off[8];
    char record[8][64];
};

static int collect(const struct store_delivery *d, void *arg)
{
    struct seen *s = arg;
    assert_true(s->n < 8);
    s->ids[s->n] = d->alert_id;
    s->attempts[s->n] = d->attempts;
    s->cut_off[s->n] = d->cut_off;
    snprintf(s->record[s->n], sizeof s->record[0], "%s %s %s", d->kind, d->channel, d->record);
    s->n++;
    return s->stop_after && s->n >= s->stop_after;
}

static struct seen due(struct fx *fx, const char *channel, time_t now, int limit)
{
    struct seen s = {0};
    assert_int_equal(
        store_delivery_due(fx->st, channel, now, limit, collect, &s, fx->err, sizeof fx->err), 0);
    return s;
}

static void test_store_outbox(void **state)
{
    struct fx *fx = *state;
    const char *ch[] = {"syslog", "email"};
    int64_t id = 0;

    assert_int_equal(store_alert_add(fx->st, "coverage", "coverage canonical=c score=0.7", 100, ch,
                                     2, &id, fx->err, sizeof fx->err),
                     0);
    assert_int_equal(count(fx, "alerts"), 1);
    assert_int_equal(count(fx, "deliveries"), 2);

    struct seen s = due(fx, "syslog", 100, 10);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.ids[0], id);
    assert_int_equal(s.attempts[0], 0);
    assert_string_equal(s.record[0], "coverage syslog coverage canonical=c score=0.7");
    assert_int_equal(due(fx, "email", 100, 10).n, 1);
    assert_int_equal(due(fx, "syslog", 99, 10).n, 0); /* not before it was created */

    assert_int_equal(store_delivery_done(fx->st, id, "syslog", 101, fx->err, sizeof fx->err), 0);
    assert_int_equal(due(fx, "syslog", 200, 10).n, 0);
    assert_int_equal(due(fx, "email", 200, 10).n, 1);
    /* done twice: the second finds nothing pending */
    assert_int_equal(store_delivery_done(fx->st, id, "syslog", 102, fx->err, sizeof fx->err), -1);
    assert_string_equal(fx->err, "store: mark delivery done: no such pending delivery");

    assert_int_equal(
        store_delivery_failed(fx->st, id, "email", 160, "smtp: 451", fx->err, sizeof fx->err), 0);
    assert_int_equal(due(fx, "email", 159, 10).n, 0);
    s = due(fx, "email", 160, 10);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.attempts[0], 1);
    assert_int_equal(s.cut_off[0], 0);
    /* an attempt that ends, even badly, was not cut off */
    assert_int_equal(store_delivery_sending(fx->st, id, "email", 160, fx->err, sizeof fx->err), 0);
    assert_int_equal(
        store_delivery_failed(fx->st, id, "email", 300, "smtp: 451", fx->err, sizeof fx->err), 0);
    assert_int_equal(due(fx, "email", 299, 10).n, 0);
    s = due(fx, "email", 300, 10);
    assert_int_equal(s.attempts[0], 2);
    assert_int_equal(s.cut_off[0], 0);
    /* one that never ended was: the delivery says so from then on */
    assert_int_equal(store_delivery_sending(fx->st, id, "email", 300, fx->err, sizeof fx->err), 0);
    assert_int_equal(due(fx, "email", 300, 10).cut_off[0], 1);
    assert_int_equal(store_delivery_sending(fx->st, id, "email", 310, fx->err, sizeof fx->err), 0);
    assert_int_equal(
        store_delivery_failed(fx->st, id, "email", 320, "smtp: 451", fx->err, sizeof fx->err), 0);
    assert_int_equal(due(fx, "email", 320, 10).cut_off[0], 1);
    assert_int_equal(store_delivery_sending(fx->st, id, "email", 320, fx->err, sizeof fx->err), 0);
    assert_int_equal(store_delivery_done(fx->st, id, "email", 301, fx->err, sizeof fx->err), 0);
    assert_int_equal(store_delivery_sending(fx->st, id, "email", 330, fx->err, sizeof fx->err), -1);
    assert_int_equal(due(fx, "email", 1000, 10).n, 0);
    assert_int_equal(
        store_delivery_failed(fx->st, id, "email", 400, "late", fx->err, sizeof fx->err), -1);
    assert_int_equal(store_delivery_failed(fx->st, id, "fax", 400, "x", fx->err, sizeof fx->err),
                     -1);
}

static void test_store_outbox_order_limit(void **state)
{
    struct fx *fx = *state;
    const char *ch[] = {"syslog"};
    int64_t ids[3];
    /* created out of id order: due() walks oldest first */
    time_t created[3] = {30, 10, 20};
    for (int i = 0; i < 3; i++) {
        char rec[16];
        snprintf(rec, sizeof rec, "n=%d", i);
        assert_int_equal(store_alert_add(fx->st, "changed", rec, created[i], ch, 1, &ids[i],
                                         fx->err, sizeof fx->err),
                         0);
    }
    struct seen s = due(fx, "syslog", 100, 0);
    assert_int_equal(s.n, 3);
    assert_int_equal(s.ids[0], ids[1]);
    assert_int_equal(s.ids[1], ids[2]);
    assert_int_equal(s.ids[2], ids[0]);
    assert_int_equal(due(fx, "syslog", 100, 2).n, 2);

    s = (struct seen){.stop_after = 1};
    assert_int_equal(
        store_delivery_due(fx->st, "syslog", 100, 10, collect, &s, fx->err, sizeof fx->err), 0);
    assert_int_equal(s.n, 1);
    /* the walk that stopped early was reset: the store is usable again */
    assert_int_equal(store_delivery_done(fx->st, ids[1], "syslog", 101, fx->err, sizeof fx->err),
                     0);
    assert_int_equal(due(fx, "syslog", 100, 0).n, 2);

    /* no channels: an alert with nothing to deliver */
    assert_int_equal(store_alert_add(fx->st, "x", "y", 1, NULL, 0, NULL, fx->err, sizeof fx->err),
                     0);
    assert_int_equal(count(fx, "alerts"), 4);
    assert_int_equal(count(fx, "deliveries"), 3);
}

/* ---- transactions ---- */

static void test_store_rollback(void **state)
{
    struct fx *fx = *state;
    const char *ch[] = {"syslog", "email"};
    struct store_upsert u;
    int64_t k = 0;
    int first = 0;

    store_rollback(fx->st); /* no transaction: no-op */
    assert_int_equal(store_begin(fx->st, fx->err, sizeof fx->err), 0);
    assert_int_equal(store_begin(fx->st, fx->err, sizeof fx->err), -1);
    assert_non_null(strstr(fx->err, "store: begin: "));
    int64_t f = feed(fx, "a");
    assert_int_equal(store_canonical_sync(fx->st, "c", NULL, "t", &k, fx->err, sizeof fx->err), 0);
    upsert(fx, f, "g", "text", 1, &u);
    upsert(fx, f, "g", "text 2", 2, &u);
    free(u.prev_text);
    assert_int_equal(
        store_match_add(fx->st, u.version_id, k, 0.9, "en", "1", NULL, fx->err, sizeof fx->err), 0);
    assert_int_equal(store_coverage_mark(fx->st, u.article_id, k, u.version_id, 0.9, 2, &first,
                                         fx->err, sizeof fx->err),
                     0);
    assert_int_equal(
        store_alert_add(fx->st, "coverage", "r", 2, ch, 2, NULL, fx->err, sizeof fx->err), 0);
    /* a failing operation inside the transaction undoes only itself */
    assert_int_equal(store_upsert_item(fx->st, f + 50,
                                       &(struct store_item){.guid = "z", .text = "z"}, 3, &u,
                                       fx->err, sizeof fx->err),
                     -1);
    assert_int_equal(count(fx, "articles"), 1);
    store_rollback(fx->st);
    store_rollback(fx->st);

    const char *tables[] = {"feeds",   "canonicals", "articles", "versions",
                            "matches", "coverage",   "alerts",   "deliveries"};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        assert_int_equal(count(fx, tables[i]), 0);

    /* and the same work committed stays */
    assert_int_equal(store_begin(fx->st, fx->err, sizeof fx->err), 0);
    f = feed(fx, "a");
    upsert(fx, f, "g", "text", 1, &u);
    assert_int_equal(store_commit(fx->st, fx->err, sizeof fx->err), 0);
    assert_int_equal(store_commit(fx->st, fx->err, sizeof fx->err), -1);
    assert_non_null(strstr(fx->err, "store: commit: "));
    assert_int_equal(raw_int(fx, "SELECT count(*) FROM versions"), 1);
}

/* ---- reading ---- */

struct art_seen {
    int n;
    char line[8][96];
};

static int collect_article(const struct store_article_row *r, void *arg)
{
    struct art_seen *s = arg;
    assert_true(s->n < 8);
    snprintf(s->line[s->n++], sizeof s->line[0], "%s %s %s %d %lld %lld", r->feed, r->guid,
             r->title ? r->title : "-", r->versions, (long long)r->first_seen,
             (long long)r->last_seen);
    return 0;
}

static void test_store_list_articles(void **state)
{
    struct fx *fx = *state;
    int64_t a = feed(fx, "a"), b = feed(fx, "b");
    struct store_upsert u;
    upsert(fx, a, "a1", "t", 10, &u);
    upsert(fx, b, "b1", "t", 20, &u);
    upsert(fx, a, "a2", "t", 30, &u);
    upsert(fx, a, "a1", "t2", 40, &u);
    free(u.prev_text);

    struct art_seen s = {0};
    assert_int_equal(
        store_list_articles(fx->st, NULL, 0, collect_article, &s, fx->err, sizeof fx->err), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.line[0], "a a2 a2 1 30 30");
    assert_string_equal(s.line[1], "b b1 b1 1 20 20");
    assert_string_equal(s.line[2], "a a1 a1 2 10 40");

    s = (struct art_seen){0};
    assert_int_equal(
        store_list_articles(fx->st, "a", 1, collect_article, &s, fx->err, sizeof fx->err), 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.line[0], "a a2 a2 1 30 30");

    s = (struct art_seen){0};
    assert_int_equal(
        store_list_articles(fx->st, "nope", 0, collect_article, &s, fx->err, sizeof fx->err), 0);
    assert_int_equal(s.n, 0);
}

struct cov_seen {
    int n;
    char line[8][128];
};

static int collect_coverage(const struct store_coverage_row *r, void *arg)
{
    struct cov_seen *s = arg;
    assert_true(s->n < 8);
    snprintf(s->line[s->n++], sizeof s->line[0], "%s %s %s %.2f %s [%s] %lld", r->canonical,
             r->feed, r->title ? r->title : "-", r->score, r->lang ? r->lang : "-", r->paragraphs,
             (long long)r->first_covered);
    return 0;
}

static void test_store_list_coverage(void **state)
{
    struct fx *fx = *state;
    int64_t f = feed(fx, "a"), k1 = 0, k2 = 0;
    struct store_upsert u1, u2, w;
    int first;

    assert_int_equal(store_canonical_sync(fx->st, "k1", NULL, "one", &k1, fx->err, sizeof fx->err),
                     0);
    assert_int_equal(store_canonical_sync(fx->st, "k2", NULL, "two", &k2, fx->err, sizeof fx->err),
                     0);
    upsert(fx, f, "x", "v1", 10, &u1);
    upsert(fx, f, "x", "v2", 20, &u2);
    free(u2.prev_text);
    upsert(fx, f, "y", "w1", 30, &w);

    /* article x: version 1 scores better than version 2 for k1 */
    assert_int_equal(
        store_match_add(fx->st, u1.version_id, k1, 0.8, "bg", "1,2", NULL, fx->err, sizeof fx->err),
        0);
    assert_int_equal(
        store_match_add(fx->st, u2.version_id, k1, 0.4, "en", "3", NULL, fx->err, sizeof fx->err),
        0);
    assert_int_equal(store_coverage_mark(fx->st, u1.article_id, k1, u1.version_id, 0.8, 15, &first,
                                         fx->err, sizeof fx->err),
                     0);
    assert_int_equal(
        store_match_add(fx->st, w.version_id, k1, 0.5, "de", "", NULL, fx->err, sizeof fx->err), 0);
    assert_int_equal(store_coverage_mark(fx->st, w.article_id, k1, w.version_id, 0.5, 12, &first,
                                         fx->err, sizeof fx->err),
                     0);
    /* covered without a match row: coverage's own score */
    assert_int_equal(store_coverage_mark(fx->st, w.article_id, k2, w.version_id, 0.3, 31, &first,
                                         fx->err, sizeof fx->err),
                     0);

    struct cov_seen s = {0};
    assert_int_equal(
        store_list_coverage(fx->st, NULL, collect_coverage, &s, fx->err, sizeof fx->err), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.line[0], "k1 a y 0.50 de [] 12");
    assert_string_equal(s.line[1], "k1 a x 0.80 bg [1,2] 15");
    assert_string_equal(s.line[2], "k2 a y 0.30 - [] 31");

    s = (struct cov_seen){0};
    assert_int_equal(
        store_list_coverage(fx->st, "k2", collect_coverage, &s, fx->err, sizeof fx->err), 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.line[0], "k2 a y 0.30 - [] 31");
}

static void test_store_count_whitelist(void **state)
{
    struct fx *fx = *state;
    int64_t n = 0;
    assert_int_equal(store_count(fx->st, "sqlite_master", &n, fx->err, sizeof fx->err), -1);
    assert_string_equal(fx->err, "store: count: unknown table \"sqlite_master\"");
    assert_int_equal(store_count(fx->st, "feeds; DROP TABLE feeds", &n, fx->err, sizeof fx->err),
                     -1);
    assert_int_equal(store_count(fx->st, NULL, &n, fx->err, sizeof fx->err), -1);
    assert_int_equal(count(fx, "deliveries"), 0);
}

/* ---- feed leases ---- */

struct claimed {
    int n;
    int64_t ids[8];
};

static int collect_claim(int64_t feed_id, void *arg)
{
    struct claimed *c = arg;
    assert_true(c->n < 8);
    c->ids[c->n++] = feed_id;
    return 0;
}

static struct claimed claim(struct store *st, const char *node, time_t now, int limit)
{
    struct claimed c = {0};
    char err[256];
    if (store_feeds_claim(st, node, now, 60, limit, collect_claim, &c, err, sizeof err) != 0)
        fail_msg("%s", err);
    return c;
}

/* Two nodes on one database: a feed is leased to one at a time, a lease
 * ends by release or expiry, a row being claimed elsewhere is skipped. */
static void test_store_pg_leases(void **state)
{
    struct fx *fx = *state;
    struct store *b = NULL;
    int64_t f1 = feed(fx, "a"), f2 = feed(fx, "b"), f3 = feed(fx, "c");
    (void)f3;
    raw_exec(fx, "UPDATE feeds SET next_due = 500 WHERE name = 'c'");
    assert_int_equal(store_open(fx->db, &b, fx->err, sizeof fx->err), 0);

    struct claimed ca = claim(fx->st, "node-a", 100, 1);
    assert_int_equal(ca.n, 1);
    assert_int_equal(ca.ids[0], f1); /* never polled first, then by id */
    struct claimed cb = claim(b, "node-b", 100, 10);
    assert_int_equal(cb.n, 1);
    assert_int_equal(cb.ids[0], f2); /* f1 is a's, f3 not due */
    assert_int_equal(claim(fx->st, "node-a", 100, 10).n, 0);
    assert_int_equal(raw_int(fx, "SELECT count(*) FROM feeds WHERE lease_node = 'node-a'"
                                 " AND lease_until = 160"),
                     1);

    /* released: free again (its next_due decides); not b's to release */
    assert_int_equal(store_feed_release(b, f1, "node-b", fx->err, sizeof fx->err), 0);
    assert_int_equal(claim(b, "node-b", 101, 10).n, 0);
    assert_int_equal(store_feed_release(fx->st, f1, "node-a", fx->err, sizeof fx->err), 0);
    cb = claim(b, "node-b", 101, 10);
    assert_int_equal(cb.n, 1);
    assert_int_equal(cb.ids[0], f1);

    /* node b dies: its leases (f1, f2 until 161 and 160) pass to a on expiry */
    store_close(b);
    assert_int_equal(claim(fx->st, "node-a", 159, 10).n, 0);
    assert_int_equal(claim(fx->st, "node-a", 161, 10).n, 2);

    /* SKIP LOCKED: a row locked by another claimer is skipped, not waited for */
    raw_exec(fx, "UPDATE feeds SET lease_node = NULL, lease_until = NULL");
    PGconn *c = PQconnectdb(fx->db);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PQclear(PQexec(c, "BEGIN"));
    PGresult *r = PQexec(c, "SELECT id FROM feeds WHERE name = 'a' FOR UPDATE");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    PQclear(r);
    time_t t0 = time(NULL);
    ca = claim(fx->st, "node-a", 1000, 10);
    assert_true(time(NULL) - t0 < 3);
    assert_int_equal(ca.n, 2);
    assert_true(ca.ids[0] != f1 && ca.ids[1] != f1);
    PQclear(PQexec(c, "ROLLBACK"));
    PQfinish(c);

    assert_int_equal(store_node_heartbeat(fx->st, "node-a", 1000, fx->err, sizeof fx->err), 0);
    assert_int_equal(store_node_heartbeat(fx->st, "node-a", 1001, fx->err, sizeof fx->err), 0);
    assert_int_equal(raw_int(fx, "SELECT heartbeat FROM nodes WHERE name = 'node-a'"), 1001);
}

static struct seen due_on(struct store *st, const char *channel, time_t now, int limit)
{
    struct seen s = {0};
    char err[256];
    if (store_delivery_due(st, channel, now, limit, collect, &s, err, sizeof err) != 0)
        fail_msg("%s", err);
    return s;
}

static int print_node_row(const struct store_node_row *r, void *arg)
{
    struct claimed *c = arg;
    assert_true(c->n < 8);
    c->ids[c->n++] = r->feeds * 1000 + (r->heartbeat % 1000);
    return 0;
}

/* Deliveries claimed per node: a node never gets another's (live) claim,
 * sees its own again, and gets a dead node's once the claim expires. */
static void test_store_pg_delivery_claims(void **state)
{
    struct fx *fx = *state;
    struct store *b = NULL;
    const char *ch[] = {"file"};
    int64_t id[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(
            store_alert_add(fx->st, "changed", "x", 10 + i, ch, 1, &id[i], fx->err, sizeof fx->err),
            0);
    assert_int_equal(store_open(fx->db, &b, fx->err, sizeof fx->err), 0);
    assert_int_equal(store_claim_as(fx->st, "node-a", fx->err, sizeof fx->err), 0);
    assert_int_equal(store_claim_as(b, "node-b", fx->err, sizeof fx->err), 0);

    struct seen sa = due_on(fx->st, "file", 100, 2);
    assert_int_equal(sa.n, 2);
    assert_int_equal(sa.ids[0], id[0]);
    struct seen sb = due_on(b, "file", 100, 10);
    assert_int_equal(sb.n, 1); /* a's two are a's */
    assert_int_equal(sb.ids[0], id[2]);
    assert_int_equal(due_on(fx->st, "file", 100, 10).n, 2); /* its own again, not b's */
    assert_int_equal(store_delivery_done(b, id[2], "file", 101, fx->err, sizeof fx->err), 0);

    /* a dies after claiming: b gets its deliveries when the claim expires */
    store_close(fx->st);
    fx->st = NULL;
    assert_int_equal(due_on(b, "file", 200, 10).n, 0);
    assert_int_equal(store_open(fx->db, &fx->st, fx->err, sizeof fx->err), 0);
    raw_exec(fx, "UPDATE deliveries SET claim_until = 1 WHERE claimed_by = 'node-a'");
    assert_int_equal(due_on(b, "file", 200, 10).n, 2);
    /* without a node the store reads as before, claims or not */
    assert_int_equal(due_on(fx->st, "file", 200, 10).n, 2);

    /* nodes for status: heartbeat and the leases each holds now */
    int64_t f = feed(fx, "a");
    (void)f;
    assert_int_equal(store_node_heartbeat(b, "node-b", 1005, fx->err, sizeof fx->err), 0);
    assert_int_equal(claim(b, "node-b", 1000, 5).n, 1);
    struct claimed nodes = {0};
    assert_int_equal(
        store_list_nodes(fx->st, 1001, print_node_row, &nodes, fx->err, sizeof fx->err), 0);
    assert_int_equal(nodes.n, 1);
    assert_int_equal(nodes.ids[0], 1005);
    struct store_feed_state fs;
    assert_int_equal(store_feed_state_get(fx->st, f, &fs, fx->err, sizeof fx->err), 0);
    assert_string_equal(fs.lease_node, "node-b");
    assert_int_equal(fs.lease_until, 1060);
    store_feed_state_clear(&fs);
    store_close(b);
}

struct pages_seen {
    int n;
    int64_t ids[8];
};

static int page_seen(const struct store_page *pg, void *arg)
{
    struct pages_seen *s = arg;
    assert_true(s->n < 8);
    s->ids[s->n++] = pg->article_id;
    return 0;
}

static struct pages_seen pages_due_on(struct store *st, time_t now, int limit)
{
    struct pages_seen s = {0};
    char err[512];
    if (store_pages_due(st, now, limit, page_seen, &s, err, sizeof err) < 0)
        fail_msg("%s", err);
    return s;
}

/* Due article pages are claimed per node: a page one node fetches is not
 * due for another until its claim ends, and a page put back with its next
 * fetch time is due then, for any node. */
static void test_store_pg_page_claims(void **state)
{
    struct fx *fx = *state;
    struct store *b = NULL;
    int64_t f = feed(fx, "a"), art[3];
    for (int i = 0; i < 3; i++) {
        struct store_upsert u = {0};
        char guid[8];
        snprintf(guid, sizeof guid, "g%d", i);
        upsert(fx, f, guid, "text", 10, &u);
        free(u.prev_text);
        art[i] = u.article_id;
        assert_int_equal(
            store_page_add(fx->st, art[i], "https://a.example/p", 20 + i, fx->err, sizeof fx->err),
            0);
    }
    assert_int_equal(store_open(fx->db, &b, fx->err, sizeof fx->err), 0);
    /* without a node: plain reads, the same pages every time */
    assert_int_equal(store_claims(fx->st), 0);
    assert_int_equal(pages_due_on(fx->st, 100, 10).n, 3);
    assert_int_equal(pages_due_on(fx->st, 100, 10).n, 3);

    assert_int_equal(store_claim_as(fx->st, "node-a", fx->err, sizeof fx->err), 0);
    assert_int_equal(store_claim_as(b, "node-b", fx->err, sizeof fx->err), 0);
    assert_int_equal(store_claims(b), 1);
    struct pages_seen sa = pages_due_on(fx->st, 100, 2);
    assert_int_equal(sa.n, 2);
    assert_int_equal(sa.ids[0], art[0]);
    struct pages_seen sb = pages_due_on(b, 100, 10);
    assert_int_equal(sb.n, 1); /* a's two are a's */
    assert_int_equal(sb.ids[0], art[2]);
    assert_int_equal(pages_due_on(fx->st, 100, 10).n, 0); /* claimed ones are not due again */

    /* a fetched its first page: next fetch at 500, for whoever comes then */
    struct store_page pg;
    assert_int_equal(store_page_get(fx->st, art[0], &pg, fx->err, sizeof fx->err), 0);
    pg.next_fetch = 500;
    assert_int_equal(store_page_put(fx->st, &pg, fx->err, sizeof fx->err), 0);
    store_page_clear(&pg);
    /* a dies holding its second: due again when the claim ends */
    assert_int_equal(pages_due_on(b, 100 + STORE_PAGE_LEASE - 1, 10).n, 0);
    struct pages_seen late = pages_due_on(b, 100 + STORE_PAGE_LEASE, 10);
    assert_int_equal(late.n, 2); /* art[1] (a's) and art[2] (b's own), their claims over */
    assert_int_equal(late.ids[0], art[1]);
    struct pages_seen next = pages_due_on(fx->st, 500, 10);
    assert_int_equal(next.n, 1); /* art[0] at its own next fetch */
    assert_int_equal(next.ids[0], art[0]);
    store_close(b);
}

static int64_t feed_at(struct fx *fx, const char *name, const char *url)
{
    int64_t id = 0;
    assert_int_equal(store_feed_sync(fx->st, name, url, &id, fx->err, sizeof fx->err), 0);
    return id;
}

static int64_t host_is(struct fx *fx, const char *name, const char *host)
{
    char q[256];
    if (host)
        snprintf(q, sizeof q,
                 "SELECT count(*) FROM feeds f JOIN hosts h ON h.name = f.host"
                 " WHERE f.name = '%s' AND f.host = '%s'",
                 name, host);
    else
        snprintf(q, sizeof q, "SELECT count(*) FROM feeds WHERE name = '%s' AND host IS NULL",
                 name);
    return raw_int(fx, q);
}

/* The host a feed is polite to: the fetch client's "host:port" of the URL
 * polled, with a row in hosts. */
static void test_store_pg_host_keys(void **state)
{
    struct fx *fx = *state;
    feed_at(fx, "a", "https://News.Example/rss");
    feed_at(fx, "b", "http://user:pw@h.example:8080/x?y=1");
    feed_at(fx, "c", "http://[::1]:81/f");
    feed_at(fx, "d", "http://h.example#top");
    feed_at(fx, "e", "file:///tmp/feed.xml");
    assert_int_equal(host_is(fx, "a", "news.example:443"), 1);
    assert_int_equal(host_is(fx, "b", "h.example:8080"), 1);
    assert_int_equal(host_is(fx, "c", "[::1]:81"), 1);
    assert_int_equal(host_is(fx, "d", "h.example:80"), 1);
    assert_int_equal(host_is(fx, "e", NULL), 1);

    /* a permanent redirect moves the feed to its new host; syncing the same
     * URL keeps it there, a new URL brings it back */
    struct store_feed_state fs;
    int64_t id = feed_at(fx, "a", "https://News.Example/rss");
    assert_int_equal(store_feed_state_get(fx->st, id, &fs, fx->err, sizeof fx->err), 0);
    fs.moved_url = strdup("https://Other.Example:8443/rss");
    assert_int_equal(store_feed_state_put(fx->st, &fs, fx->err, sizeof fx->err), 0);
    store_feed_state_clear(&fs);
    assert_int_equal(host_is(fx, "a", "other.example:8443"), 1);
    feed_at(fx, "a", "https://News.Example/rss");
    assert_int_equal(host_is(fx, "a", "other.example:8443"), 1);
    feed_at(fx, "a", "https://third.example/rss");
    assert_int_equal(host_is(fx, "a", "third.example:443"), 1);
}

static struct claimed claim_at(struct store *st, const char *node, time_t now)
{
    return claim(st, node, now, 8);
}

static int claimed_has(const struct claimed *c, int64_t id)
{
    for (int i = 0; i < c->n; i++)
        if (c->ids[i] == id)
            return 1;
    return 0;
}

/* The budget and the gap of a host hold over nodes; a host being claimed
 * by another node is skipped, not waited for; file: feeds have no host. */
static void test_store_pg_host_budget(void **state)
{
    struct fx *fx = *state;
    struct store *b = NULL;
    int64_t h1[4], h2, fl;
    char name[8], url[64];
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "a%d", i);
        snprintf(url, sizeof url, "http://h1.example/%d", i);
        h1[i] = feed_at(fx, name, url);
    }
    h2 = feed_at(fx, "b", "http://h2.example/1");
    fl = feed_at(fx, "c", "file:///tmp/c.xml");
    assert_int_equal(store_open(fx->db, &b, fx->err, sizeof fx->err), 0);
    assert_int_equal(store_hosts_budget(fx->st, 2, 0, fx->err, sizeof fx->err), 0);
    assert_int_equal(store_hosts_budget(b, 2, 0, fx->err, sizeof fx->err), 0);
    const char *leased_h1 = "SELECT count(*) FROM feeds WHERE host = 'h1.example:80'"
                            " AND lease_node IS NOT NULL";

    /* budget 2: a takes two of h1 (and the others); b none of h1 */
    struct claimed ca = claim_at(fx->st, "node-a", 100);
    assert_int_equal(ca.n, 4);
    assert_true(claimed_has(&ca, h1[0]) && claimed_has(&ca, h1[1]));
    assert_true(claimed_has(&ca, h2) && claimed_has(&ca, fl));
    assert_int_equal(claim_at(b, "node-b", 100).n, 0);
    /* a release frees one place */
    assert_int_equal(store_feed_release(fx->st, h1[0], "node-a", fx->err, sizeof fx->err), 0);
    raw_exec(fx, "UPDATE feeds SET next_due = 9999 WHERE name = 'a0'");
    struct claimed cb = claim_at(b, "node-b", 101);
    assert_int_equal(cb.n, 1);
    assert_int_equal(cb.ids[0], h1[2]);
    assert_int_equal(claim_at(b, "node-b", 101).n, 0);
    assert_int_equal(raw_int(fx, leased_h1), 2);
    /* a node that dies frees its share when its leases expire (a's: 160) */
    assert_int_equal(claim_at(b, "node-b", 159).n, 0);
    cb = claim_at(b, "node-b", 160);
    assert_int_equal(cb.n, 3); /* h1[1] (h1[3] waits: b holds h1[2]), h2, the file */
    assert_true(claimed_has(&cb, h1[1]) && !claimed_has(&cb, h1[3]));

    /* a gap: one start per host per gap, whichever node asks */
    raw_exec(fx, "UPDATE feeds SET lease_node = NULL, lease_until = NULL, next_due = NULL");
    raw_exec(fx, "UPDATE hosts SET next_start = 0");
    assert_int_equal(store_hosts_budget(fx->st, 3, 60000, fx->err, sizeof fx->err), 0);
    assert_int_equal(store_hosts_budget(b, 3, 60000, fx->err, sizeof fx->err), 0);
    ca = claim_at(fx->st, "node-a", 1000);
    assert_int_equal(ca.n, 3); /* one of h1, h2, the file */
    assert_true(claimed_has(&ca, h1[0]) && claimed_has(&ca, h2));
    assert_int_equal(claim_at(b, "node-b", 1000).n, 0);
    assert_int_equal(claim_at(fx->st, "node-a", 1000).n, 0);
    assert_true(raw_int(fx, "SELECT min(next_start) - (extract(epoch FROM now()) * 1000)::bigint"
                            " FROM hosts") > 50000);
    raw_exec(fx, "UPDATE hosts SET next_start = 0 WHERE name = 'h1.example:80'"); /* time passes */
    cb = claim_at(b, "node-b", 1000);
    assert_int_equal(cb.n, 1);
    assert_int_equal(cb.ids[0], h1[1]);

    /* SKIP LOCKED: a host another node is claiming right now is skipped */
    raw_exec(fx, "UPDATE feeds SET lease_node = NULL, lease_until = NULL, next_due = NULL");
    raw_exec(fx, "UPDATE hosts SET next_start = 0");
    PGconn *c = PQconnectdb(fx->db);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PQclear(PQexec(c, "BEGIN"));
    PGresult *r = PQexec(c, "SELECT name FROM hosts WHERE name = 'h2.example:80' FOR UPDATE");
    assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
    PQclear(r);
    time_t t0 = time(NULL);
    ca = claim_at(fx->st, "node-a", 2000);
    assert_true(time(NULL) - t0 < 3);
    assert_int_equal(ca.n, 2);
    assert_true(claimed_has(&ca, fl) && !claimed_has(&ca, h2));
    PQclear(PQexec(c, "ROLLBACK"));
    PQfinish(c);

    /* a node stopping cleanly hands back its leases at once */
    assert_int_equal(store_node_release(fx->st, "node-a", NULL, fx->err, sizeof fx->err), 0);
    assert_int_equal(raw_int(fx, "SELECT count(*) FROM feeds WHERE lease_node = 'node-a'"), 0);
    assert_int_equal(raw_int(fx, "SELECT count(*) FROM feeds WHERE lease_node = 'node-b'"), 0);
    store_close(b);
}

/* Several nodes claiming and releasing at once: a host never has more
 * feeds out than its budget. The count here goes up after a claim has
 * committed and down before the release, so it is never above what the
 * database counts; without a shared budget four nodes would reach 4 x 2. */
#define BN_NODES 4
#define BN_HOSTS 3
#define BN_FEEDS 8 /* per host */
#define BN_BUDGET 2
struct bn_shared {
    const char *uri;
    int64_t ids[BN_HOSTS][BN_FEEDS];
    atomic_int out[BN_HOSTS];
    atomic_int max_out[BN_HOSTS];
    atomic_int claims, errors;
};
struct bn_node {
    struct bn_shared *sh;
    int no;
};

static int bn_host(const struct bn_shared *sh, int64_t id)
{
    for (int h = 0; h < BN_HOSTS; h++)
        for (int i = 0; i < BN_FEEDS; i++)
            if (sh->ids[h][i] == id)
                return h;
    return -1;
}

static void *bn_run(void *arg)
{
    struct bn_node *n = arg;
    struct bn_shared *sh = n->sh;
    struct store *st = NULL;
    char err[256], node[16];
    snprintf(node, sizeof node, "node-%d", n->no);
    if (store_open(sh->uri, &st, err, sizeof err) < 0 ||
        store_hosts_budget(st, BN_BUDGET, 0, err, sizeof err) < 0) {
        atomic_fetch_add(&sh->errors, 1);
        store_close(st);
        return NULL;
    }
    for (int round = 0; round < 60; round++) {
        struct claimed c = {0};
        if (store_feeds_claim(st, node, 100, 60, 4, collect_claim, &c, err, sizeof err) < 0) {
            atomic_fetch_add(&sh->errors, 1);
            break;
        }
        for (int i = 0; i < c.n; i++) {
            int h = bn_host(sh, c.ids[i]);
            int now_out = atomic_fetch_add(&sh->out[h], 1) + 1;
            int m = atomic_load(&sh->max_out[h]);
            while (now_out > m && !atomic_compare_exchange_weak(&sh->max_out[h], &m, now_out))
                ;
        }
        atomic_fetch_add(&sh->claims, c.n);
        usleep(2000); /* "polling" */
        for (int i = 0; i < c.n; i++) {
            atomic_fetch_sub(&sh->out[bn_host(sh, c.ids[i])], 1);
            if (store_feed_release(st, c.ids[i], node, err, sizeof err) < 0)
                atomic_fetch_add(&sh->errors, 1);
        }
    }
    store_close(st);
    return NULL;
}

static void test_store_pg_host_budget_nodes(void **state)
{
    struct fx *fx = *state;
    struct bn_shared sh = {.uri = fx->db};
    char name[16], url[64];
    for (int h = 0; h < BN_HOSTS; h++)
        for (int i = 0; i < BN_FEEDS; i++) {
            snprintf(name, sizeof name, "h%df%d", h, i);
            snprintf(url, sizeof url, "http://host%d.example/%d", h, i);
            sh.ids[h][i] = feed_at(fx, name, url);
        }
    pthread_t t[BN_NODES];
    struct bn_node nodes[BN_NODES];
    for (int i = 0; i < BN_NODES; i++) {
        nodes[i] = (struct bn_node){&sh, i};
        assert_int_equal(pthread_create(&t[i], NULL, bn_run, &nodes[i]), 0);
    }
    for (int i = 0; i < BN_NODES; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(atomic_load(&sh.errors), 0);
    print_message("host budget: %d claims by %d nodes; most out at once per host: %d %d %d\n",
                  atomic_load(&sh.claims), BN_NODES, atomic_load(&sh.max_out[0]),
                  atomic_load(&sh.max_out[1]), atomic_load(&sh.max_out[2]));
    assert_true(atomic_load(&sh.claims) > 0);
    for (int h = 0; h < BN_HOSTS; h++)
        if (atomic_load(&sh.max_out[h]) > BN_BUDGET)
            fail_msg("host %d had %d feeds out at once, budget %d", h, atomic_load(&sh.max_out[h]),
                     BN_BUDGET);
}

/* SQLite has one node: claims are the due feeds, nothing is leased. */
static void test_store_sqlite_claim(void **state)
{
    struct fx *fx = *state;
    feed(fx, "a");
    feed(fx, "b");
    raw_exec(fx, "UPDATE feeds SET next_due = 500 WHERE name = 'b'");
    assert_int_equal(claim(fx->st, "n", 100, 10).n, 1);
    assert_int_equal(claim(fx->st, "n", 100, 10).n, 1);
    assert_int_equal(claim(fx->st, "n", 500, 10).n, 2);
    assert_int_equal(claim(fx->st, "n", 500, 1).n, 1);
    assert_int_equal(store_feed_release(fx->st, 1, "n", fx->err, sizeof fx->err), 0);
    assert_int_equal(store_node_heartbeat(fx->st, "n", 1, fx->err, sizeof fx->err), 0);
    /* claiming deliveries changes nothing with one node */
    const char *ch[] = {"file"};
    assert_int_equal(
        store_alert_add(fx->st, "changed", "x", 10, ch, 1, NULL, fx->err, sizeof fx->err), 0);
    assert_int_equal(store_claim_as(fx->st, "n", fx->err, sizeof fx->err), 0);
    assert_int_equal(due(fx, "file", 100, 10).n, 1);
    assert_int_equal(due(fx, "file", 100, 10).n, 1);
    struct claimed nodes = {0};
    assert_int_equal(store_list_nodes(fx->st, 1, print_node_row, &nodes, fx->err, sizeof fx->err),
                     0);
    assert_int_equal(nodes.n, 0);
}

/* The cases that hold for both backends; each backend adds its own. */
#define STORE_CASES(setup_fn)                                                                      \
    cmocka_unit_test_setup_teardown(test_store_open_reopen, setup_fn, teardown),                   \
        cmocka_unit_test_setup_teardown(test_store_future_version, setup_fn, teardown),            \
        cmocka_unit_test_setup_teardown(test_store_sync, setup_fn, teardown),                      \
        cmocka_unit_test_setup_teardown(test_store_feed_result, setup_fn, teardown),               \
        cmocka_unit_test_setup_teardown(test_store_upsert_versions, setup_fn, teardown),           \
        cmocka_unit_test_setup_teardown(test_store_invalid_utf8, setup_fn, teardown),              \
        cmocka_unit_test_setup_teardown(test_store_coverage, setup_fn, teardown),                  \
        cmocka_unit_test_setup_teardown(test_store_outbox, setup_fn, teardown),                    \
        cmocka_unit_test_setup_teardown(test_store_outbox_order_limit, setup_fn, teardown),        \
        cmocka_unit_test_setup_teardown(test_store_rollback, setup_fn, teardown),                  \
        cmocka_unit_test_setup_teardown(test_store_list_articles, setup_fn, teardown),             \
        cmocka_unit_test_setup_teardown(test_store_list_coverage, setup_fn, teardown),             \
        cmocka_unit_test_setup_teardown(test_store_count_whitelist, setup_fn, teardown)

int main(void)
{
    const struct CMUnitTest sqlite_tests[] = {
        STORE_CASES(setup),
        cmocka_unit_test_setup_teardown(test_store_open_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_busy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_sqlite_scheme, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_sqlite_claim, setup, teardown),
    };
    const struct CMUnitTest pg_tests[] = {
        STORE_CASES(setup_pg),
        cmocka_unit_test_setup_teardown(test_store_pg_open_errors, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_store_pg_busy, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_store_pg_leases, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_store_pg_delivery_claims, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_store_pg_page_claims, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_store_pg_host_keys, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_store_pg_host_budget, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_store_pg_host_budget_nodes, setup_pg, teardown),
    };
    int failed = cmocka_run_group_tests_name("store (SQLite)", sqlite_tests, NULL, NULL);
    const char *uri = getenv("PW_TEST_PG_URI");
    if (!uri || !*uri) {
        printf("[  SKIPPED ] store (PostgreSQL): PW_TEST_PG_URI is not set "
               "(tests/pg_cluster.sh runs a command with a throwaway cluster)\n");
        return failed;
    }
    return failed + cmocka_run_group_tests_name("store (PostgreSQL)", pg_tests, NULL, NULL);
}
