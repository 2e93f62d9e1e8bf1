/*
 * fuzz_diff: libFuzzer target for the word diff. The input is two texts
 * separated by the first NUL byte (old, then new; no NUL: the new text is
 * the input reversed in halves), so that both near-identical and unrelated
 * pairs are explored. Checks the invariants the renderers rely on: ops lie
 * inside their texts, in order, and both diffs count the same words.
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
    char *old_text, *new_text;
    if (nul) {
        old_text = fuzz_text(data, (size_t)(nul - data));
        new_text = fuzz_text(nul + 1, size - (size_t)(nul - data) - 1);
    } else {
        size_t h = size / 2;
        old_text = fuzz_text(data, size);
        new_text = malloc(size + 1);
        if (!new_text)
            abort();
        memcpy(new_text, data + h, size - h);
        memcpy(new_text + (size - h), data, h);
        new_text[size] = '\0';
    }
    char err[256];
    struct diff_summary s = {0};
    if (diff_words(old_text, new_text, &s, err, sizeof err) == 0 && s.summary &&
        strlen(s.summary) > 4096)
        abort(); /* "at most ~300 bytes" */
    struct diff_ops ops = {0};
    if (diff_ops_words(old_text, new_text, &ops, err, sizeof err) == 0) {
        size_t olen = strlen(old_text), nlen = strlen(new_text);
        for (size_t i = 0; i < ops.n; i++) {
            const struct diff_op *o = &ops.v[i];
            size_t len = o->kind == DIFF_DEL ? olen : nlen;
            if (o->start > o->end || o->end > o->gap_end || o->gap_end > len)
                abort();
        }
        char *first = diff_first_sentence(old_text, new_text, &ops, 200);
        if (first && strlen(first) > 200 + 16)
            abort();
        free(first);
#ifndef PW_FUZZ_NO_COUNTS /* for runs that look past a known count mismatch */
        if (ops.exact && (ops.words_added != s.words_added || ops.words_removed != s.words_removed))
            abort();
#endif
    }
    diff_ops_clear(&ops);
    diff_summary_clear(&s);
    free(old_text);
    free(new_text);
    return 0;
}
