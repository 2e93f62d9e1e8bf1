/*
 * Alert records parsed back, journald fields, and email rendering: RFC 2047
 * subjects, quoted-printable parts, escaping, Message-ID and Date; the
 * credentials file check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "alerts/alerts.h"

static char tmpdir[] = "/tmp/pwmailXXXXXX";

static const char cov_record[] =
    "coverage canonical=mib-statement score=0.71 paragraphs=3,4,5 lang=bg feed=example-bg"
    " url=https://example.bg/a?x=1&y=2 title=\"МВнР: позиция <b>\\\"важно\\\"</b>\"";
static const char chg_record[] = "changed feed=f version=2 added=3 removed=1 url=https://e.org/b"
                                 " title=Plain diff=\"-\\\"old <i>w</i>\\\" +\\\"new w\\\"\"";

static const struct alert_email_opts opts = {.to = "desk@example.org",
                                             .from = "presswatch@example.org",
                                             .smtp_url = "smtp://127.0.0.1:25",
                                             .id_salt = "/var/lib/presswatch/presswatch.db"};

static void test_fields(void **state)
{
    (void)state;
    struct alert_fields f;
    assert_int_equal(alert_fields_parse(cov_record, &f), 0);
    assert_string_equal(f.kind, "coverage");
    assert_int_equal(f.n, 7);
    assert_string_equal(alert_fields_get(&f, "score"), "0.71");
    assert_string_equal(alert_fields_get(&f, "url"), "https://example.bg/a?x=1&y=2");
    assert_string_equal(alert_fields_get(&f, "title"), "МВнР: позиция <b>\"важно\"</b>");
    assert_null(alert_fields_get(&f, "missing"));
    alert_fields_free(&f);
    /* what alert_kv writes, alert_fields_parse reads back */
    struct buf b = BUF_INIT;
    assert_int_equal(buf_puts(&b, "k"), 0);
    assert_int_equal(alert_kv(&b, "t", "a \"b\" \\ c=d"), 0);
    assert_int_equal(alert_fields_parse(b.data, &f), 0);
    assert_string_equal(alert_fields_get(&f, "t"), "a \"b\" \\ c=d");
    alert_fields_free(&f);
    buf_free(&b);
}

static void test_journal_fields(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    assert_int_equal(alert_journal_fields("coverage", cov_record, "presswatchd", LOG_LOCAL3, &b),
                     0);
    assert_non_null(strstr(b.data, "\nPRESSWATCH_KIND=coverage\n"));
    assert_non_null(strstr(b.data, "\nPRESSWATCH_CANONICAL=mib-statement\n"));
    assert_non_null(strstr(b.data, "\nPRESSWATCH_URL=https://example.bg/a?x=1&y=2\n"));
    assert_non_null(strstr(b.data, "\nPRESSWATCH_SCORE=0.71\n"));
    assert_non_null(strstr(b.data, "\nPRIORITY=5\n")); /* notice */
    assert_non_null(strstr(b.data, "\nSYSLOG_FACILITY=19\n"));
    assert_non_null(strstr(b.data, "\nSYSLOG_IDENTIFIER=presswatchd\n"));
    assert_true(!strncmp(b.data, "MESSAGE=coverage canonical=mib-statement ", 41));
    if (getenv("PW_SHOW"))
        printf("%s\n", b.data);
    buf_free(&b);
    assert_int_equal(alert_severity("feed-error"), LOG_WARNING);
    assert_int_equal(alert_severity("feed-recovered"), LOG_INFO);
    assert_int_equal(alert_severity("changed"), LOG_NOTICE);
}

/* Decodes one RFC 2047 B word sequence (test-side, independent of ours). */
static int b64v(char c)
{
    const char *t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = strchr(t, c);
    return p && c ? (int)(p - t) : -1;
}

static void decode_2047(const char *s, struct buf *out)
{
    while ((s = strstr(s, "=?UTF-8?B?"))) {
        s += 10;
        const char *end = strstr(s, "?=");
        assert_non_null(end);
        unsigned v = 0;
        int bits = 0;
        for (; s < end; s++) {
            int x = b64v(*s);
            if (x < 0)
                continue;
            v = (v << 6) | (unsigned)x;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                buf_putc(out, (char)((v >> bits) & 0xff));
            }
        }
    }
}

static void decode_qp(const char *s, const char *end, struct buf *out)
{
    for (; s < end; s++) {
        if (*s == '=' && s[1] == '\r' && s[2] == '\n') {
            s += 2;
        } else if (*s == '=') {
            char hex[3] = {s[1], s[2], 0};
            buf_putc(out, (char)strtol(hex, NULL, 16));
            s += 2;
        } else if (*s != '\r') {
            buf_putc(out, *s);
        }
    }
}

static void test_rfc2047(void **state)
{
    (void)state;
    struct buf b = BUF_INIT, d = BUF_INIT;
    assert_int_equal(alert_rfc2047(&b, "plain ascii", 9), 0);
    assert_string_equal(b.data, "plain ascii");
    buf_reset(&b);
    /* long ASCII is folded at spaces, and unfolds to the same text */
    assert_int_equal(alert_rfc2047(&b,
                                   "[presswatch] coverage of harbour: Eastern breakwater to "
                                   "close to large ships from March",
                                   9),
                     0);
    assert_string_equal(b.data, "[presswatch] coverage of harbour: Eastern breakwater to close to"
                                "\r\n large ships from March");
    buf_reset(&b);
    /* long Cyrillic: several words, folded, none over 75 bytes, none splitting a character */
    const char *text = "Министерството на външните работи отговори на въпроси за позицията си";
    assert_int_equal(alert_rfc2047(&b, text, 9), 0);
    assert_non_null(strstr(b.data, "\r\n =?UTF-8?B?"));
    size_t col = 9;
    for (const char *p = b.data; *p; p++) {
        col = *p == '\n' ? 0 : col + 1;
        assert_true(col <= 76);
    }
    for (const char *w = b.data; (w = strstr(w, "=?UTF-8?B?")); w++) {
        struct buf one = BUF_INIT;
        const char *e = strstr(w, "?=");
        assert_true(e - w + 2 <= 75);
        char word[128];
        snprintf(word, sizeof word, "%.*s", (int)(e - w + 2), w);
        decode_2047(word, &one);
        /* each word decodes to whole characters: it never ends mid-sequence */
        unsigned char last = (unsigned char)one.data[one.len - 1];
        assert_true(last < 0x80 || (last & 0xc0) == 0x80);
        assert_true((unsigned char)one.data[0] < 0x80 ||
                    ((unsigned char)one.data[0] & 0xc0) == 0xc0);
        buf_free(&one);
    }
    decode_2047(b.data, &d);
    assert_string_equal(d.data, text);
    buf_free(&b);
    buf_free(&d);
}

/* The body of the part with the given Content-Type, decoded. */
static void part(const char *msg, const char *type, struct buf *out)
{
    const char *p = strstr(msg, type);
    assert_non_null(p);
    p = strstr(p, "\r\n\r\n");
    assert_non_null(p);
    p += 4;
    const char *end = strstr(p, "\r\n--=_presswatch_");
    assert_non_null(end);
    decode_qp(p, end, out);
}

static void test_render_one(void **state)
{
    (void)state;
    struct alert_mail_item it = {.id = 42, .kind = "coverage", .record = cov_record};
    struct buf m = BUF_INIT, subj = BUF_INIT, text = BUF_INIT, html = BUF_INIT;
    char err[256];
    assert_int_equal(alert_mail_render(&it, 1, &opts, 1770000000, &m, err, sizeof err), 0);
    if (getenv("PW_SHOW"))
        printf("%s\n", m.data);
    assert_true(!strncmp(m.data, "From: presswatch@example.org\r\nTo: desk@example.org\r\n", 52));
    assert_non_null(strstr(m.data, "\r\nDate: Mon, 02 Feb 2026 02:40:00 +0000\r\n"));
    assert_non_null(strstr(m.data, "\r\nMessage-ID: <presswatch.alert-42."));
    assert_non_null(strstr(m.data, "@example.org>\r\n"));
    assert_non_null(strstr(m.data, "\r\nMIME-Version: 1.0\r\n"));
    assert_non_null(strstr(m.data, "Content-Type: multipart/alternative; boundary="));
    /* headers are 7-bit; the subject decodes to the UTF-8 title */
    const char *hend = strstr(m.data, "\r\n\r\n");
    for (const char *p = m.data; p < hend; p++)
        assert_true((unsigned char)*p < 0x80);
    const char *s = strstr(m.data, "Subject: ");
    decode_2047(s, &subj);
    assert_string_equal(subj.data,
                        "[presswatch] coverage of mib-statement: МВнР: позиция <b>\"важно\"</b>");
    /* every line within 78 characters + CRLF, and CRLF only */
    size_t col = 0;
    for (const char *p = m.data; *p; p++) {
        if (*p == '\n')
            assert_true(p > m.data && p[-1] == '\r');
        col = *p == '\n' ? 0 : col + 1;
        assert_true(col <= 78);
    }
    part(m.data, "Content-Type: text/plain", &text);
    assert_non_null(strstr(text.data, "Title: МВнР: позиция <b>\"важно\"</b>\n"));
    assert_non_null(strstr(text.data, "Score: 0.71\n"));
    assert_non_null(strstr(text.data, "Link: https://example.bg/a?x=1&y=2\n"));
    part(m.data, "Content-Type: text/html", &html);
    /* the title's markup is shown, never interpreted */
    assert_non_null(strstr(html.data, "МВнР: позиция &lt;b&gt;&quot;важно&quot;&lt;/b&gt;"));
    assert_null(strstr(html.data, "<b>"));
    assert_non_null(strstr(html.data, "<a href=\"https://example.bg/a?x=1&amp;y=2\">"));
    assert_non_null(
        strstr(html.data, "<th align=\"left\" valign=\"top\">Paragraphs</th><td>3,4,5"));
    buf_free(&m);
    buf_free(&subj);
    buf_free(&text);
    buf_free(&html);
}

static void test_render_digest(void **state)
{
    (void)state;
    struct alert_mail_item it[3] = {
        {.id = 7, .kind = "coverage", .record = cov_record},
        {.id = 8, .kind = "changed", .record = chg_record},
        {.id = 9,
         .kind = "feed-error",
         .record = "feed-error feed=x url=javascript:alert(1) failures=3 error=\"HTTP 500\""}};
    struct buf m = BUF_INIT, html = BUF_INIT, subj = BUF_INIT;
    char err[256];
    assert_int_equal(alert_mail_render(it, 3, &opts, 1770000000, &m, err, sizeof err), 0);
    assert_non_null(strstr(m.data, "Message-ID: <presswatch.digest-7-9-3."));
    assert_non_null(strstr(m.data, "X-Presswatch-Alerts: 7 8 9\r\n"));
    decode_2047(strstr(m.data, "Subject: "), &subj);
    if (!subj.len)
        buf_puts(&subj, strstr(m.data, "Subject: ") + 9);
    assert_non_null(strstr(subj.data, "digest: 3 alerts (1 coverage, 1 changed, 1 feed-error)"));
    part(m.data, "Content-Type: text/html", &html);
    /* the diff is marked up; its words stay escaped */
    assert_non_null(
        strstr(html.data, "<del style=\"background:#fdd\">old &lt;i&gt;w&lt;/i&gt;</del>"));
    assert_non_null(strstr(html.data, "<ins style=\"background:#dfd\">new w</ins>"));
    /* only web links become links */
    assert_null(strstr(html.data, "href=\"javascript"));
    /* the same alerts give the same Message-ID whenever they are sent */
    struct buf again = BUF_INIT;
    assert_int_equal(alert_mail_render(it, 3, &opts, 1770009999, &again, err, sizeof err), 0);
    const char *a = strstr(m.data, "Message-ID:"), *b = strstr(again.data, "Message-ID:");
    assert_int_equal(strcspn(a, "\r"), strcspn(b, "\r"));
    assert_memory_equal(a, b, strcspn(a, "\r"));
    buf_free(&again);
    buf_free(&m);
    buf_free(&html);
    buf_free(&subj);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    assert_int_equal(chmod(path, mode), 0);
}

static void test_credentials(void **state)
{
    (void)state;
    char path[600], err[512];
    char *user, *password;
    snprintf(path, sizeof path, "%s/smtp.secret", tmpdir);
    write_file(path, "desk:s3cr:et\n", 0600);
    assert_int_equal(alert_credentials_load(path, &user, &password, err, sizeof err), 0);
    assert_string_equal(user, "desk");
    assert_string_equal(password, "s3cr:et");
    free(user);
    alert_secret_free(password);
    /* readable by others: refused, and the message says why and what to do */
    write_file(path, "desk:secret\n", 0644);
    assert_int_equal(alert_credentials_load(path, &user, &password, err, sizeof err), -1);
    assert_null(user);
    assert_non_null(strstr(err, "mode 0644"));
    assert_non_null(strstr(err, "the group and others"));
    assert_non_null(strstr(err, "chmod 600"));
    write_file(path, "desk:secret\n", 0640);
    assert_int_equal(alert_credentials_load(path, &user, &password, err, sizeof err), -1);
    assert_non_null(strstr(err, "the group"));
    write_file(path, "no colon here\n", 0600);
    assert_int_equal(alert_credentials_load(path, &user, &password, err, sizeof err), -1);
    assert_non_null(strstr(err, "user:password"));
}

int main(void)
{
    if (!mkdtemp(tmpdir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields),        cmocka_unit_test(test_journal_fields),
        cmocka_unit_test(test_rfc2047),       cmocka_unit_test(test_render_one),
        cmocka_unit_test(test_render_digest), cmocka_unit_test(test_credentials),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0 && rc == 0)
        rc = 1;
    return rc;
}
