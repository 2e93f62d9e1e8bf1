/*
 * The "file" channel: one line per alert appended to a file, exactly once
 * across crashes.
 *
 * A line is written and fsync'd before its delivery is marked done, so a
 * crash can only leave lines that the store still calls pending. Every run
 * first reads the file's tail and marks the pending alerts found there,
 * then writes the rest: nothing written is written again, nothing marked
 * is missing. A torn last line (a crash or a full disk mid-write) is cut
 * off before anything is appended, and its alert is written again whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alerts/alerts.h"
#include "store/store.h"

/* Lines written since the last reconcile are all in the tail; this much
 * covers thousands of alerts whose marking failed. */
#define TAIL_BYTES (1 << 20)
#define BATCH 1000

struct pending {
    int64_t id;
    char *line; /* "record alert_id=N\n" */
    int in_file;
};

struct pending_list {
    struct pending *v;
    size_t n, cap;
    int oom;
};

static int collect(const struct store_delivery *d, void *arg)
{
    struct pending_list *l = arg;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        struct pending *v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            l->oom = 1;
            return 1;
        }
        l->v = v;
        l->cap = cap;
    }
    struct buf line = BUF_INIT;
    char num[24];
    snprintf(num, sizeof num, "%" PRId64, d->alert_id);
    /* The id goes last: a record's own values cannot end the line with it. */
    if (buf_puts(&line, d->record) < 0 || alert_kv(&line, "alert_id", num) < 0 ||
        buf_putc(&line, '\n') < 0) {
        buf_free(&line);
        l->oom = 1;
        return 1;
    }
    l->v[l->n++] = (struct pending){d->alert_id, buf_detach(&line), 0};
    return 0;
}

static void pending_free(struct pending_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].line);
    free(l->v);
}

/* The id a complete line [s, e) ends with, or -1. */
static int64_t line_id(const char *s, const char *e)
{
    static const char key[] = " alert_id=";
    const char *d = e;
    while (d > s && d[-1] >= '0' && d[-1] <= '9')
        d--;
    if (d == e || e - d > 18 || (size_t)(d - s) < sizeof key - 1 ||
        memcmp(d - (sizeof key - 1), key, sizeof key - 1) != 0)
        return -1;
    int64_t id = 0;
    for (; d < e; d++)
        id = id * 10 + (*d - '0');
    return id;
}

static void mark_in_file(struct pending_list *l, int64_t id)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].id == id)
            l->v[i].in_file = 1;
}

/* Reads the tail of fd, flags the pending alerts it holds, and cuts off a
 * torn last line. 0 or -1 with err. */
static int reconcile(int fd, const char *path, struct pending_list *l, char *err, size_t errsz)
{
    struct stat sb;
    if (fstat(fd, &sb) < 0)
        return pw_err(err, errsz, "alerts: file %s: %s", path, strerror(errno));
    if (sb.st_size == 0)
        return 0;
    off_t start = sb.st_size > TAIL_BYTES ? sb.st_size - TAIL_BYTES : 0;
    size_t len = (size_t)(sb.st_size - start);
    char *tail = malloc(len);
    if (!tail)
        return pw_err(err, errsz, "alerts: out of memory");
    ssize_t got = pread(fd, tail, len, start);
    if (got != (ssize_t)len) {
        free(tail);
        return pw_err(err, errsz, "alerts: read %s: %s", path,
                      got < 0 ? strerror(errno) : "file changed while read");
    }
    const char *end = tail + len;
    const char *s = memchr(tail, '\n', len);
    /* From the start of the file the first line is whole; mid-file it may
     * be a fragment, which is skipped. */
    s = start == 0 ? tail : s ? s + 1 : end;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        if (!nl)
            break;
        int64_t id = line_id(s, nl);
        if (id >= 0)
            mark_in_file(l, id);
        s = nl + 1;
    }
    /* offsets, not pointers, survive the buffer (gcc -O2 checks that) */
    size_t used = (size_t)(s - tail);
    off_t whole = start + (off_t)used;
    int torn = used < len;
    free(tail);
    if (torn && ftruncate(fd, whole) < 0)
        return pw_err(err, errsz, "alerts: cut a torn line off %s: %s", path, strerror(errno));
    return 0;
}

/* Appends the whole of line; on a short write the file is cut back so that
 * no fragment stays. 0 or -1 with err. */
static int append_line(int fd, const char *path, const char *line, char *err, size_t errsz)
{
    struct stat sb;
    if (fstat(fd, &sb) < 0)
        return pw_err(err, errsz, "alerts: file %s: %s", path, strerror(errno));
    size_t len = strlen(line), done = 0;
    while (done < len) {
        ssize_t n = write(fd, line + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : ENOSPC;
            if (ftruncate(fd, sb.st_size) < 0) {
                /* reconcile() cuts the fragment at the next run */
            }
            return pw_err(err, errsz, "alerts: write %s: %s", path, strerror(e));
        }
        done += (size_t)n;
    }
    return 0;
}

int alerts_deliver_file(struct store *st, const char *path, time_t now, int *delivered, char *err,
                        size_t errsz)
{
    struct pending_list l = {0};
    int fd = -1, rc = -1;
    *delivered = 0;
    /* Every pending delivery, also those resting after a failure: any of
     * them may be in the file already. */
    if (store_delivery_due(st, ALERT_CHANNEL_FILE, (time_t)INT64_MAX, BATCH, collect, &l, err,
                           errsz) < 0)
        goto done;
    if (l.oom) {
        pw_err(err, errsz, "alerts: out of memory");
        goto done;
    }
    if (l.n == 0) {
        rc = 0;
        goto done;
    }
    fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        pw_err(err, errsz, "alerts: open %s: %s", path, strerror(errno));
        goto done;
    }
    if (reconcile(fd, path, &l, err, errsz) < 0)
        goto done;
    int wrote = 0;
    for (size_t i = 0; i < l.n; i++) {
        if (l.v[i].in_file)
            continue;
        if (append_line(fd, path, l.v[i].line, err, errsz) < 0)
            goto mark; /* what was written before still gets marked */
        l.v[i].in_file = 1;
        wrote = 1;
    }
    rc = 0;
mark:
    if (wrote && fsync(fd) < 0) {
        pw_err(err, errsz, "alerts: fsync %s: %s", path, strerror(errno));
        rc = -1;
        goto done; /* not known to be on disk: reconcile decides next time */
    }
    for (size_t i = 0; i < l.n; i++) {
        if (!l.v[i].in_file)
            continue;
        if (store_delivery_done(st, l.v[i].id, ALERT_CHANNEL_FILE, now, err, errsz) < 0) {
            rc = -1;
            goto done;
        }
        (*delivered)++;
    }
done:
    if (fd >= 0)
        close(fd);
    pending_free(&l);
    return rc;
}
