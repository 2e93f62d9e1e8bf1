#include "alerts/alerts.h"

#include <string.h>

int alert_kv(struct buf *b, const char *key, const char *value)
{
    if (!value)
        return 0;
    if (b->len && buf_putc(b, ' ') < 0)
        return -1;
    if (buf_puts(b, key) < 0 || buf_putc(b, '=') < 0)
        return -1;
    int quote = *value == '\0';
    for (const unsigned char *p = (const unsigned char *)value; *p && !quote; p++)
        quote = *p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f;
    if (!quote)
        return buf_puts(b, value);
    if (buf_putc(b, '"') < 0)
        return -1;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        int rc;
        if (*p == '"' || *p == '\\') {
            char esc[2] = {'\\', (char)*p};
            rc = buf_append(b, esc, 2);
        } else if (*p < ' ' || *p == 0x7f) {
            rc = buf_putc(b, ' ');
        } else {
            rc = buf_putc(b, (char)*p);
        }
        if (rc < 0)
            return -1;
    }
    return buf_putc(b, '"');
}
