/*
 * fuzz_extract: libFuzzer target for the article extractor and the HTML to
 * text converter. Both take untrusted pages straight from the network. The
 * first byte picks an HTTP charset hint, so that the charset override and
 * detection paths are reached too.
 */
#include "fetchers/page.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const hints[] = {NULL,     "utf-8",  "windows-1251", "koi8-r",
                                        "utf-16", "latin1", "bogus"};
    const char *hint = NULL;
    if (size > 0) {
        hint = hints[data[0] % (sizeof hints / sizeof hints[0])];
        data++;
        size--;
    }
    char err[256];
    struct page_article a;
    memset(&a, 0, sizeof a);
    if (page_extract((const char *)data, size, hint, "http://example.org/a/1", &a, err,
                     sizeof err) == 0) {
        if (!a.text)
            abort();                        /* the contract: text is never NULL on success */
        volatile size_t n = strlen(a.text); /* reads it all: ASan checks the bounds */
        (void)n;
    } else if (!err[0]) {
        abort(); /* -1 always says why */
    }
    page_article_free(&a);
    char *text = NULL;
    if (page_html_to_text((const char *)data, size, hint, &text, err, sizeof err) == 0 && !text)
        abort();
    free(text);
    return 0;
}
