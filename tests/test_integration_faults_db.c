/*
 * Disk and database faults, end to end with the real presswatchd: a full
 * disk (RLIMIT_FSIZE on the daemon, which then sees EFBIG like ENOSPC), a
 * read-only database, another process holding the write lock, and a
 * corrupt or truncated database file at start. Each must give a clear
 * reason, store nothing by halves, leave the file intact, and recover once
 * the fault is gone. Feeds are file:// URLs: no server is needed here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "store/store.h"
#include "support/support.h"

static char tmpdir[256];

/* Writes feed NAME.xml with items 0..n-1, each about 1 KB of text. */
static void write_feed(const char *name, int n)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s.xml", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title>"
          "<link>http://example.org/</link><description>d</description>",
          f);
    for (int i = 0; i < n; i++) {
        fprintf(f,
                "<item><title>Story %d</title><link>http://example.org/%d</link>"
                "<guid>g-%d</guid><description>Story %d.",
                i, i, i, i);
        for (int w = 0; w < 120; w++)
            fprintf(f, " word%d", i * 1000 + w);
        fputs("</description></item>", f);
    }
    fputs("</channel></rss>\n", f);
    fclose(f);
}

/* Config NAME.conf: database NAME.db, one feed polled every second. */
static void write_config(const char *name, char *conf, size_t confsz)
{
    snprintf(conf, confsz, "%s/%s.conf", tmpdir, name);
    FILE *f = fopen(conf, "w");
    assert_non_null(f);
    fprintf(f,
            "[daemon]\ndatabase = %s.db\nfetch_pages = no\ntimeout = 5s\n"
            "[alerts]\nsyslog = no\n"
            "[canonical harbour]\nfile = %s/etc/demo/canonical/harbour-statement.txt\n"
            "[feed a]\nurl = file://%s/%s.xml\ninterval = 1s\n",
            name, PW_SOURCE_DIR, tmpdir, name);
    fclose(f);
}

struct limits {
    long fsize;  /* RLIMIT_FSIZE in bytes; 0: none */
    int nobody;  /* run as uid/gid 65534 (when we are root) */
    int forever; /* no --once: the caller stops it */
};

/* Starts presswatchd; stderr goes to NAME.log. */
static pid_t start(const char *name, const char *conf, const struct limits *lim)
{
    char log[600];
    snprintf(log, sizeof log, "%s/%s.log", tmpdir, name);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (!freopen(log, "w", stderr))
            _exit(127);
        if (lim->fsize) {
            struct rlimit rl = {(rlim_t)lim->fsize, (rlim_t)lim->fsize};
            signal(SIGXFSZ, SIG_IGN); /* EFBIG, as a full disk gives ENOSPC */
            if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
                _exit(126);
        }
        if (lim->nobody && getuid() == 0 && (setgid(65534) < 0 || setuid(65534) < 0))
            _exit(125);
        if (lim->forever)
            execl(PW_BINARY_DIR "/presswatchd", "presswatchd", "--config", conf, "--foreground",
                  (char *)NULL);
        else
            execl(PW_BINARY_DIR "/presswatchd", "presswatchd", "--config", conf, "--once",
                  "--foreground", (char *)NULL);
        _exit(127);
    }
    return pid;
}

static char *read_log(const char *name)
{
    char log[600], err[256];
    struct buf b = BUF_INIT;
    snprintf(log, sizeof log, "%s/%s.log", tmpdir, name);
    assert_int_equal(buf_read_file(&b, log, 1 << 22, err, sizeof err), 0);
    return b.data ? buf_detach(&b) : strdup("");
}

/* Runs --once; returns the wait status, and the log in *out. */
static int run_once(const char *name, const char *conf, const struct limits *lim, char **out)
{
    int status;
    pid_t pid = start(name, conf, lim);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    *out = read_log(name);
    assert_null(strstr(*out, "Sanitizer"));
    assert_null(strstr(*out, "runtime error"));
    return status;
}

static void db_path(const char *name, char *db, size_t dbsz)
{
    snprintf(db, dbsz, "%s/%s.db", tmpdir, name);
}

static int64_t articles(const char *name)
{
    char db[600], err[256];
    struct store *st;
    int64_t n = -1;
    db_path(name, db, sizeof db);
    assert_int_equal(store_open(db, &st, err, sizeof err), 0);
    assert_int_equal(store_count(st, "articles", &n, err, sizeof err), 0);
    store_close(st);
    return n;
}

/* PRAGMA integrity_check, read-only: the test's own check, not the store's. */
static void assert_intact(const char *name)
{
    char db[600];
    sqlite3 *h;
    sqlite3_stmt *s;
    db_path(name, db, sizeof db);
    assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "ok");
    sqlite3_finalize(s);
    sqlite3_close(h);
}

static long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

static char *file_bytes(const char *path)
{
    struct buf b = BUF_INIT;
    char err[256];
    assert_int_equal(buf_read_file(&b, path, 1 << 24, err, sizeof err), 0);
    return buf_detach(&b);
}

static int ok_exit(int status)
{
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void test_disk_full(void **state)
{
    (void)state;
    char conf[600], db[600], *out;
    struct limits none = {0}, full = {0};
    write_feed("full", 2);
    write_config("full", conf, sizeof conf);
    assert_true(ok_exit(run_once("full", conf, &none, &out)));
    free(out);
    assert_int_equal(articles("full"), 2);
    /* 200 stories of ~1 KB need far more than 16 KiB past the file's end */
    write_feed("full", 200);
    db_path("full", db, sizeof db);
    full.fsize = file_size(db) + 16384;
    int status = run_once("full", conf, &full, &out);
    if (!ok_exit(status))
        fail_msg("presswatchd died on a full disk (status %d):\n%s", status, out);
    if (!strstr(out, "feed a: cannot record the poll") && !strstr(out, "feed a: store:"))
        fail_msg("no reason logged for the full disk:\n%s", out);
    assert_true(strstr(out, "disk I/O error") || strstr(out, "disk is full"));
    free(out);
    assert_intact("full");
    assert_int_equal(articles("full"), 2); /* all or nothing */
    /* room again: everything arrives, once */
    assert_true(ok_exit(run_once("full", conf, &none, &out)));
    free(out);
    assert_int_equal(articles("full"), 200);
    assert_true(ok_exit(run_once("full", conf, &none, &out)));
    free(out);
    assert_int_equal(articles("full"), 200);
    assert_intact("full");
}

/* The daemon exited non-zero with a reason containing expect and naming
 * db, and db is byte for byte as before (len bytes). Frees out and before. */
static void assert_refused(const char *what, int status, char *out, const char *expect,
                           const char *db, char *before, long len)
{
    if (!WIFEXITED(status) || WEXITSTATUS(status) == 0)
        fail_msg("%s was not refused (status %d):\n%s", what, status, out);
    assert_non_null(strstr(out, expect));
    assert_non_null(strstr(out, db)); /* the reason names the file */
    free(out);
    char *after = file_bytes(db);
    assert_int_equal(file_size(db), len);
    assert_memory_equal(before, after, (size_t)len);
    free(before);
    free(after);
}

static void test_read_only(void **state)
{
    (void)state;
    char conf[600], db[600], *out;
    struct limits none = {0}, ro = {.nobody = 1};
    write_feed("ro", 2);
    write_config("ro", conf, sizeof conf);
    assert_true(ok_exit(run_once("ro", conf, &none, &out)));
    free(out);
    db_path("ro", db, sizeof db);
    char *before = file_bytes(db);
    long len = file_size(db);
    /* root writes anyway: then the daemon runs as nobody, who may read only */
    assert_int_equal(chmod(tmpdir, getuid() == 0 ? 0755 : 0555), 0);
    assert_int_equal(chmod(db, 0444), 0);
    write_feed("ro", 5);
    int status = run_once("ro", conf, &ro, &out);
    assert_int_equal(chmod(tmpdir, 0700), 0);
    assert_int_equal(chmod(db, 0644), 0);
    assert_refused("a read-only database", status, out, "readonly", db, before, len);
    assert_true(ok_exit(run_once("ro", conf, &none, &out)));
    free(out);
    assert_int_equal(articles("ro"), 5);
}

/* Another process holds the write lock for longer than the busy timeout
 * while the feed changes: the daemon says so, keeps running, and stores
 * the change once the lock is gone. */
static void test_busy(void **state)
{
    (void)state;
    char conf[600], db[600], err[256];
    struct limits forever = {.forever = 1};
    write_feed("busy", 2);
    write_config("busy", conf, sizeof conf);
    pid_t pid = start("busy", conf, &forever);
    char log[600];
    snprintf(log, sizeof log, "%s/busy.log", tmpdir);
    assert_true(test_wait_for(log, "feed a: 2 items, 2 new", 20));
    db_path("busy", db, sizeof db);
    struct store *st;
    assert_int_equal(store_open(db, &st, err, sizeof err), 0);
    assert_int_equal(store_begin(st, err, sizeof err), 0); /* BEGIN IMMEDIATE */
    write_feed("busy", 50);
    int locked = test_wait_for(log, "database is locked", 20);
    store_rollback(st);
    store_close(st);
    assert_true(locked);
    int stored = test_wait_for(log, "feed a: 50 items, 48 new", 20);
    int status;
    assert_int_equal(waitpid(pid, &status, WNOHANG), 0); /* still running */
    kill(pid, SIGTERM);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(stored);
    assert_true(ok_exit(status));
    char *out = read_log("busy");
    assert_null(strstr(out, "Sanitizer"));
    free(out);
    assert_int_equal(articles("busy"), 50);
    assert_intact("busy");
}

/* A database file that is not one, or was cut short: refused at start with
 * the reason and the file's name, and left exactly as it was. */
static void corrupt_case(const char *name, const char *expect, void (*spoil)(const char *db))
{
    char conf[600], db[600], *out;
    struct limits none = {0};
    write_feed(name, 2);
    write_config(name, conf, sizeof conf);
    assert_true(ok_exit(run_once(name, conf, &none, &out)));
    free(out);
    db_path(name, db, sizeof db);
    spoil(db);
    char *before = file_bytes(db);
    long len = file_size(db);
    int status = run_once(name, conf, &none, &out);
    assert_refused("a corrupt database", status, out, expect, db, before, len);
}

static void spoil_garbage(const char *db)
{
    FILE *f = fopen(db, "r+");
    assert_non_null(f);
    for (int i = 0; i < 8192; i++)
        fputc((i * 7919 + 13) & 0xff, f);
    fclose(f);
}

static void spoil_truncate(const char *db)
{
    assert_int_equal(truncate(db, file_size(db) / 3), 0);
}

static void test_corrupt(void **state)
{
    (void)state;
    corrupt_case("garbage", "not a database", spoil_garbage);
    corrupt_case("cut", "malformed", spoil_truncate);
}

static int setup(void **state)
{
    (void)state;
    test_mkdtemp(tmpdir, sizeof tmpdir, "pwfaultdb");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    test_rmdir(tmpdir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disk_full),
        cmocka_unit_test(test_read_only),
        cmocka_unit_test(test_busy),
        cmocka_unit_test(test_corrupt),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
