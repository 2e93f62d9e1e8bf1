/* What the text-pair fuzz targets share: one header, so each target stays
 * one translation unit that fuzz/run.sh builds as it is. */
#ifndef PW_FUZZ_TEXT_H
#define PW_FUZZ_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A NUL-terminated copy of p[0..n); aborts when out of memory. */
static inline char *fuzz_text(const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

#endif
