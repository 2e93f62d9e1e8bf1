/*
 * The "file" alert channel under faults: a crash between writing a line and
 * marking its delivery (simulated by writing the line first), a torn last
 * line, a full file system (RLIMIT_FSIZE in a child) and a store that
 * refuses the mark. Each must end with every alert in the file exactly
 * once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alerts/alerts.h"
#include "common/buf.h"
#include "store/store.h"

static char tmpdir[] = "/tmp/pwfaultsXXXXXX";

static const char *const channels[] = {ALERT_CHANNEL_FILE};

/* A fresh store at NAME.db with n pending file alerts; ids in ids[]. */
static struct store *fresh(const char *name, int n, int64_t *ids, char *file, size_t filesz)
{
    char db[600], err[256];
    struct store *st;
    snprintf(db, sizeof db, "%s/%s.db", tmpdir, name);
    snprintf(file, filesz, "%s/%s.alerts", tmpdir, name);
    assert_int_equal(store_open(db, &st, err, sizeof err), 0);
    for (int i = 0; i < n; i++) {
        char rec[128];
        snprintf(rec, sizeof rec, "coverage canonical=c score=0.9%d url=http://x/%d title=\"t %d\"",
                 i, i, i);
        assert_int_equal(
            store_alert_add(st, "coverage", rec, 1000 + i, channels, 1, &ids[i], err, sizeof err),
            0);
    }
    return st;
}

static char *slurp(const char *path)
{
    struct buf b = BUF_INIT;
    char err[256];
    if (buf_read_file(&b, path, 1 << 22, err, sizeof err) < 0)
        return strdup("");
    return b.data ? buf_detach(&b) : strdup("");
}

/* How many lines of text end with " alert_id=ID". */
static int lines_with(const char *text, int64_t id)
{
    char tail[64];
    int n = 0;
    snprintf(tail, sizeof tail, " alert_id=%lld\n", (long long)id);
    for (const char *p = strstr(text, tail); p; p = strstr(p + 1, tail))
        n++;
    return n;
}

static int64_t backlog(struct store *st)
{
    int64_t n = -1;
    char err[256];
    assert_int_equal(store_delivery_backlog(st, ALERT_CHANNEL_FILE, &n, err, sizeof err), 0);
    return n;
}

static void test_once(void **state)
{
    (void)state;
    int64_t ids[3];
    char file[600], err[256];
    int n;
    struct store *st = fresh("once", 3, ids, file, sizeof file);
    assert_int_equal(alerts_deliver_file(st, file, 2000, &n, err, sizeof err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(alerts_deliver_file(st, file, 2001, &n, err, sizeof err), 0);
    assert_int_equal(n, 0);
    char *text = slurp(file);
    for (int i = 0; i < 3; i++)
        assert_int_equal(lines_with(text, ids[i]), 1);
    /* the record comes first, as the log channel writes it */
    assert_true(!strncmp(text, "coverage canonical=c ", 21));
    free(text);
    assert_int_equal(backlog(st), 0);
    store_close(st);
}

/* Killed after write+fsync, before the mark: the next run only marks. */
static void test_crash_before_mark(void **state)
{
    (void)state;
    int64_t ids[3];
    char file[600], err[256];
    int n;
    struct store *st = fresh("crash", 3, ids, file, sizeof file);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fprintf(f, "coverage canonical=c score=0.90 url=http://x/0 title=\"t 0\" alert_id=%lld\n",
            (long long)ids[0]);
    /* a value that merely mentions an id is not the line's id */
    fprintf(f, "changed title=\"x alert_id=%lld\" alert_id=999\n", (long long)ids[1]);
    fclose(f);
    assert_int_equal(alerts_deliver_file(st, file, 2000, &n, err, sizeof err), 0);
    assert_int_equal(n, 3);
    char *text = slurp(file);
    for (int i = 0; i < 3; i++)
        assert_int_equal(lines_with(text, ids[i]), 1);
    free(text);
    assert_int_equal(backlog(st), 0);
    store_close(st);
}

/* A line cut short by a crash mid-write is cut off and written again whole. */
static void test_torn_line(void **state)
{
    (void)state;
    int64_t ids[2];
    char file[600], err[256];
    int n;
    struct store *st = fresh("torn", 2, ids, file, sizeof file);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fprintf(f, "coverage canonical=c score=0.90 url=http://x/0 title=\"t 0\" alert_id=%lld\n",
            (long long)ids[0]);
    fprintf(f, "coverage canonical=c score=0.91 url=http://x/1 title=\"t 1\" alert_i");
    fclose(f);
    assert_int_equal(alerts_deliver_file(st, file, 2000, &n, err, sizeof err), 0);
    assert_int_equal(n, 2);
    char *text = slurp(file);
    assert_int_equal(lines_with(text, ids[0]), 1);
    assert_int_equal(lines_with(text, ids[1]), 1);
    assert_null(strstr(text, "alert_icoverage"));
    assert_int_equal(text[strlen(text) - 1], '\n');
    free(text);
    store_close(st);
}

/* The file may not grow (a full disk): the delivery fails with a reason,
 * no fragment stays, and once there is room every alert is there once. */
static void test_disk_full(void **state)
{
    (void)state;
    int64_t ids[40];
    char file[600], err[256];
    int n;
    struct store *st = fresh("full", 40, ids, file, sizeof file);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* EFBIG instead of SIGXFSZ once the file reaches 1 KiB */
        struct rlimit rl = {1024, 1024};
        signal(SIGXFSZ, SIG_IGN);
        if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
            _exit(3);
        /* its own connection: one must not be used across fork() */
        char db[600];
        struct store *mine;
        snprintf(db, sizeof db, "%s/full.db", tmpdir);
        if (store_open(db, &mine, err, sizeof err) < 0)
            _exit(5);
        int rc = alerts_deliver_file(mine, file, 2000, &n, err, sizeof err);
        store_close(mine);
        /* the file stops growing; the marks may fail too (the limit
         * holds for the database's files as well) */
        _exit(rc == -1 && (strstr(err, "File too large") || strstr(err, "I/O")) ? 0 : 4);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    char *text = slurp(file);
    size_t len = strlen(text);
    assert_true(len > 0 && len <= 1024);
    assert_int_equal(text[len - 1], '\n'); /* no fragment */
    free(text);
    /* what the child wrote is only marked now, the rest written */
    assert_int_equal(alerts_deliver_file(st, file, 2001, &n, err, sizeof err), 0);
    text = slurp(file);
    for (int i = 0; i < 40; i++)
        assert_int_equal(lines_with(text, ids[i]), 1);
    free(text);
    assert_int_equal(backlog(st), 0);
    store_close(st);
}

/* The store refuses the mark (another writer holds the lock and the busy
 * timeout ran out): written lines are not written again next time. */
static void test_mark_fails(void **state)
{
    (void)state;
    int64_t ids[3];
    char file[600], err[256], db[600];
    int n;
    struct store *st = fresh("nomark", 3, ids, file, sizeof file);
    snprintf(db, sizeof db, "%s/nomark.db", tmpdir);
    struct store *other;
    assert_int_equal(store_open(db, &other, err, sizeof err), 0);
    assert_int_equal(store_begin(other, err, sizeof err), 0); /* BEGIN IMMEDIATE */
    assert_int_equal(alerts_deliver_file(st, file, 2000, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "locked"));
    store_rollback(other);
    store_close(other);
    assert_int_equal(backlog(st), 3);
    assert_int_equal(alerts_deliver_file(st, file, 2001, &n, err, sizeof err), 0);
    assert_int_equal(n, 3);
    char *text = slurp(file);
    for (int i = 0; i < 3; i++)
        assert_int_equal(lines_with(text, ids[i]), 1);
    free(text);
    store_close(st);
}

/* An alert file that cannot be opened: a reason, nothing marked. */
static void test_unwritable(void **state)
{
    (void)state;
    int64_t ids[1];
    char file[600], err[256], bad[700];
    int n;
    struct store *st = fresh("unwritable", 1, ids, file, sizeof file);
    snprintf(bad, sizeof bad, "%s/no/such/dir/alerts", tmpdir);
    assert_int_equal(alerts_deliver_file(st, bad, 2000, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "No such file"));
    assert_int_equal(backlog(st), 1);
    store_close(st);
}

int main(void)
{
    if (!mkdtemp(tmpdir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_once),       cmocka_unit_test(test_crash_before_mark),
        cmocka_unit_test(test_torn_line),  cmocka_unit_test(test_disk_full),
        cmocka_unit_test(test_mark_fails), cmocka_unit_test(test_unwritable),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0 && rc == 0)
        rc = 1;
    return rc;
}
