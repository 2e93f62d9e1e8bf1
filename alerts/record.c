/* Parsing a key=value alert record back into fields (the inverse of alert_kv). */
#include <stdlib.h>
#include <string.h>

#include "alerts/alerts.h"

/* Copies one token from *p into *dst (unquoting "..." with \ escapes) up to
 * a space, or to stop when stop is not NUL and the token is unquoted. */
static char *token(const char **p, char **dst, char stop)
{
    const char *s = *p;
    char *start = *dst, *o = *dst;
    if (*s == '"') {
        for (s++; *s && *s != '"'; s++) {
            if (*s == '\\' && s[1])
                s++;
            *o++ = *s;
        }
        if (*s == '"')
            s++;
    } else {
        while (*s && *s != ' ' && (!stop || *s != stop))
            *o++ = *s++;
    }
    *o++ = '\0';
    *dst = o;
    *p = s;
    return start;
}

int alert_fields_parse(const char *record, struct alert_fields *out)
{
    memset(out, 0, sizeof *out);
    size_t len = strlen(record), cap = 1;
    for (const char *s = record; *s; s++)
        cap += *s == '=';
    /* Unquoting only shrinks, and there are fewer tokens (NULs) than bytes. */
    out->mem = malloc(2 * len + 2);
    out->v = calloc(cap, sizeof *out->v);
    if (!out->mem || !out->v) {
        alert_fields_free(out);
        return -1;
    }
    const char *p = record;
    char *dst = out->mem;
    out->kind = token(&p, &dst, '\0');
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *key = token(&p, &dst, '=');
        if (*p != '=') /* a bare word: not ours, skip it */
            continue;
        p++;
        const char *value = token(&p, &dst, '\0');
        if (out->n < cap)
            out->v[out->n++] = (struct alert_field){key, value};
    }
    return 0;
}

void alert_fields_free(struct alert_fields *f)
{
    free(f->mem);
    free(f->v);
    memset(f, 0, sizeof *f);
}

const char *alert_fields_get(const struct alert_fields *f, const char *key)
{
    for (size_t i = 0; i < f->n; i++)
        if (!strcmp(f->v[i].key, key))
            return f->v[i].value;
    return NULL;
}
