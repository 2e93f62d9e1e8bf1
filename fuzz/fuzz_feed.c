/*
 * fuzz_feed: libFuzzer target for the feed parser. Every input must either be
 * rejected with a message or give a feed that serialises to JSON; sanitizers
 * catch the rest. The first byte picks an HTTP charset hint so that the
 * charset code paths that only fetched feeds reach get fuzzed too. The fast
 * path (feed_xml.c) is checked against the slow one: same feed, or abort.
 */
#include "fetchers/feed.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const hints[] = {NULL, "utf-8", "windows-1251", "koi8-r", "utf-16", "bogus"};
    const char *hint = NULL;
    if (size > 0 && data[0] == '\x01') {
        hint = hints[size % (sizeof hints / sizeof hints[0])];
        data++;
        size--;
    }
    struct feed *f = NULL;
    char err[256];
    if (feed_parse((const char *)data, size, "http://example.org/feed/", hint, &f, err,
                   sizeof err) < 0) {
        if (f || !err[0])
            abort(); /* the contract: -1 means no feed and a message */
        return 0;
    }
    char *json = NULL;
    if (feed_to_json(f, &json) < 0)
        abort();
    struct feed *g = NULL;
    char *json2 = NULL;
    if (feed_parse_ex((const char *)data, size, "http://example.org/feed/", hint, 0, &g, err,
                      sizeof err) < 0 ||
        feed_to_json(g, &json2) < 0 || strcmp(json, json2) != 0 ||
        strcmp(f->bozo_msg ? f->bozo_msg : "", g->bozo_msg ? g->bozo_msg : "") != 0)
        abort(); /* the fast path built a different tree than libxml2 */
    free(json2);
    feed_free(g);
    free(json);
    feed_free(f);
    return 0;
}
