/* Alert records and outbox delivery against a real SQLite file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alerts/alerts.h"
#include "store/store.h"

static char tmpdir[] = "/tmp/pwalertXXXXXX";

static void test_kv_quoting(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    assert_int_equal(buf_puts(&b, "coverage"), 0);
    assert_int_equal(alert_kv(&b, "score", "0.71"), 0);
    assert_int_equal(alert_kv(&b, "title", "Say \"no\"\nto \\ this"), 0);
    assert_int_equal(alert_kv(&b, "missing", NULL), 0);
    assert_int_equal(alert_kv(&b, "empty", ""), 0);
    assert_int_equal(alert_kv(&b, "eq", "a=b"), 0);
    assert_string_equal(b.data,
                        "coverage score=0.71 title=\"Say \\\"no\\\" to \\\\ this\" empty=\"\" "
                        "eq=\"a=b\"");
    /* one line, whatever the input */
    assert_null(strchr(b.data, '\n'));
    buf_free(&b);
}

/* Delivers the due alerts with stderr sent to a file; returns that file. */
static char *deliver_to_file(struct store *st, struct alert_log_result *n)
{
    char path[600], err[256];
    snprintf(path, sizeof path, "%s/stderr.txt", tmpdir);
    fflush(stderr);
    int saved = dup(2);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    dup2(fileno(f), 2);
    struct alert_sinks sinks = {.to_stderr = 1};
    int rc = alerts_deliver(st, &sinks, 1000, n, err, sizeof err);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    fclose(f);
    assert_int_equal(rc, 0);
    struct buf b = BUF_INIT;
    assert_int_equal(buf_read_file(&b, path, 1 << 20, err, sizeof err), 0);
    return buf_detach(&b);
}

static void test_deliver_once(void **state)
{
    (void)state;
    char db[600], err[256];
    struct store *st;
    snprintf(db, sizeof db, "%s/alerts.db", tmpdir);
    assert_int_equal(store_open(db, &st, err, sizeof err), 0);
    const char *channels[] = {ALERT_CHANNEL_LOG, "email"};
    int64_t id;
    assert_int_equal(store_alert_add(st, "coverage", "coverage canonical=a score=0.50", 900,
                                     channels, 2, &id, err, sizeof err),
                     0);
    assert_int_equal(store_alert_add(st, "changed", "changed feed=f version=2", 901, channels, 1,
                                     &id, err, sizeof err),
                     0);
    struct alert_log_result n;
    char *out = deliver_to_file(st, &n);
    assert_int_equal(n.delivered, 2);
    assert_int_equal(n.resent, 0);
    assert_string_equal(out, "alert: coverage canonical=a score=0.50\n"
                             "alert: changed feed=f version=2\n");
    free(out);
    /* delivered alerts are not sent again; the email delivery is untouched */
    out = deliver_to_file(st, &n);
    assert_int_equal(n.delivered, 0);
    assert_string_equal(out, "");
    free(out);
    int64_t deliveries;
    assert_int_equal(store_count(st, "deliveries", &deliveries, err, sizeof err), 0);
    assert_int_equal(deliveries, 3);
    /* a delivery left in flight (as a crash between writing and marking
     * leaves it) goes again, and is counted as such */
    assert_int_equal(store_alert_add(st, "changed", "changed feed=g version=3", 902, channels, 1,
                                     &id, err, sizeof err),
                     0);
    assert_int_equal(store_delivery_sending(st, id, ALERT_CHANNEL_LOG, 902, err, sizeof err), 0);
    out = deliver_to_file(st, &n);
    assert_int_equal(n.delivered, 1);
    assert_int_equal(n.resent, 1);
    assert_string_equal(out, "alert: changed feed=g version=3\n");
    free(out);
    store_close(st);
}

int main(void)
{
    if (!mkdtemp(tmpdir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kv_quoting),
        cmocka_unit_test(test_deliver_once),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0 && rc == 0)
        rc = 1;
    return rc;
}
