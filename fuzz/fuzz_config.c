/*
 * fuzz_config: libFuzzer target for the INI config loader. Each input is
 * written to one file in a private temporary folder and loaded from there.
 * The contract: 0 gives a config with a database path, -1 gives at least
 * one "file:line: message" error.
 */
#include "daemon/conf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64]; /* the harness's one file, made at the first input */
    /* Canonical texts are read at load time: keep the fuzzer away from
     * devices and proc files that never end or block. */
    if (memmem(data, size, "/dev", 4) || memmem(data, size, "/proc", 5) ||
        memmem(data, size, "/sys", 4))
        return 0;
    if (!path[0]) {
        char dir[] = "/tmp/pw-fuzz-config-XXXXXX";
        if (!mkdtemp(dir))
            abort();
        snprintf(path, sizeof path, "%s/fuzz.conf", dir);
    }
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
        abort();
    struct conf *c = NULL;
    struct buf errors = BUF_INIT;
    int rc = conf_load(path, &c, &errors);
    if (rc == 0 && (!c || !c->database))
        abort();
    if (rc < 0 && (c || !errors.data || !strstr(errors.data, "fuzz.conf:")))
        abort();
    conf_free(c);
    buf_free(&errors);
    return 0;
}
