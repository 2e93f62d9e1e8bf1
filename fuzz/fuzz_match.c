/*
 * fuzz_match: libFuzzer target for coverage matching. The input is a
 * canonical text and an article separated by the first NUL byte (no NUL:
 * the input is both, so that verbatim reuse is explored too). Checks what
 * the daemon stores: a score in 0..1, paragraphs inside the canonical text
 * and ascending, and JSON that can be built.
 */
#include "analysis/analysis.h"
#include "fuzz/fuzz_text.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t clen = nul ? (size_t)(nul - data) : size;
    char *canon = fuzz_text(data, clen);
    char *article = nul ? fuzz_text(nul + 1, size - clen - 1) : fuzz_text(data, size);
    char err[256];
    struct match_canon *c = NULL;
    if (match_canon_new(canon, &c, err, sizeof err) == 0) {
        struct match_result r;
        memset(&r, 0, sizeof r);
        if (match_article(c, article, 0.3, &r, err, sizeof err) == 0) {
            size_t np = match_canon_paragraphs(c);
            if (!(r.score >= 0.0 && r.score <= 1.0))
                abort();
            for (size_t i = 0; i < r.nparagraphs; i++)
                if (r.paragraphs[i] < 1 || (size_t)r.paragraphs[i] > np ||
                    (i && r.paragraphs[i] <= r.paragraphs[i - 1]))
                    abort();
            char *json = NULL;
            if (match_result_json(&r, "a.txt", &json) < 0)
                abort();
            free(json);
            char *list = match_paragraph_list(&r);
            free(list);
        }
        match_result_clear(&r);
        match_canon_free(c);
    }
    free(canon);
    free(article);
    return 0;
}
