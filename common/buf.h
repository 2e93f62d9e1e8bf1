/*
 * buf: a growable byte buffer, always NUL-terminated, plus the few string
 * helpers every module needs (JSON escaping, printf-append).
 *
 * Ownership: a struct buf is embedded by its user; buf_free() releases the
 * bytes and leaves an empty buffer that may be reused. buf_detach() hands the
 * bytes to the caller, who frees them with free().
 */
#ifndef PW_COMMON_BUF_H
#define PW_COMMON_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data; /* NULL until the first append; NUL-terminated after */
    size_t len;
    size_t cap;
};

#define BUF_INIT                                                                                   \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* Each returns 0, or -1 when memory ran out (the buffer is then unchanged). */
int buf_grow(struct buf *b, size_t extra);
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Appends s as a JSON string literal with quotes, or `null` when s is NULL.
 * Invalid UTF-8 bytes become U+FFFD so the output is always valid JSON. */
int buf_json_str(struct buf *b, const char *s);
void buf_reset(struct buf *b); /* len = 0, keeps the memory */
void buf_free(struct buf *b);
char *buf_detach(struct buf *b); /* caller frees; returns "" copy when empty, NULL on OOM */

/* Reads a whole file ("-" is standard input) into b, appending. Returns 0 or
 * -1 with a message naming the path in err. Stops with an error past max bytes. */
int buf_read_file(struct buf *b, const char *path, size_t max, char *err, size_t errsz);

/* snprintf into err that never fails; returns -1 so callers can `return pw_err(...)`. */
int pw_err(char *err, size_t errsz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
