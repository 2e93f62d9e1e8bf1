/*
 * bench_report [N]: fills a database through the store API with N (default
 * 10,000) articles covering one canonical text (real matcher results, one
 * article in ten edited into a second version, 40 feeds, three days), then
 * times `presswatch report` writing the whole static site. Prints figures
 * only. The target is under 2 s for 10,000 articles.
 */
#include "analysis/analysis.h"
#include "common/buf.h"
#include "store/store.h"

#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *const canon_sents[] = {
    "The Harbour Authority has decided to close the eastern breakwater to all vessels over "
    "forty metres from the first of March.",
    "Divers found deep cracks in its concrete foundations during the winter inspection.",
    "Ferries to the islands will move to the western pier for the duration of the works.",
    "Timetables will not change, but passengers should allow fifteen more minutes.",
    "The repair programme will cost an estimated 12 million euros and is expected to last "
    "eighteen months.",
    "The Authority will finance it from its own reserves and will not raise harbour fees.",
    "Fishing boats under forty metres may continue to use the inner berths.",
    "The Authority thanks the harbour pilots, the coast guard and the port workers.",
};
#define NSENT (sizeof canon_sents / sizeof canon_sents[0])

static const char *const filler[] = {
    "Opposition councillors asked why the cracks were not found earlier.",
    "The mayor said the city would support local businesses during the works.",
    "Residents of the old town complained about the noise of the previous repairs.",
    "A spokesman for the ferry company declined to comment on the new schedule.",
    "Tourism officials expect the busy summer season to be affected.",
    "The port workers' union called for more investment in maintenance.",
};

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* An article: some canonical sentences (one in eight negated), filler. */
static void make_text(uint64_t *rng, struct buf *b, int edit)
{
    buf_reset(b);
    for (size_t i = 0; i < NSENT; i++) {
        if (next(rng) % 3 == 0)
            continue;
        const char *s = canon_sents[i];
        if (next(rng) % 8 == 0 && strstr(s, " will "))
            buf_printf(b, "%.*s will not %s ", (int)(strstr(s, " will ") - s), s,
                       strstr(s, " will ") + 6);
        else
            buf_printf(b, "%s ", s);
        if (i % 3 == 2)
            buf_printf(b, "%s\n\n", filler[next(rng) % 6]);
    }
    if (edit)
        buf_printf(b, "Update: %s\n", filler[next(rng) % 6]);
}

static int fill(const char *db, int n)
{
    struct store *st;
    struct match_canon *mc;
    struct buf canon = BUF_INIT, text = BUF_INIT;
    char err[512];
    int64_t cid, feeds[40];
    uint64_t rng = 0x9e3779b97f4a7c15u;
    for (size_t i = 0; i < NSENT; i++)
        buf_printf(&canon, "%s%s", canon_sents[i], i % 2 ? "\n\n" : " ");
    if (store_open(db, &st, err, sizeof err) < 0 ||
        match_canon_new(canon.data, &mc, err, sizeof err) < 0 ||
        store_canonical_sync(st, "harbour-statement", "h.txt", canon.data, &cid, err, sizeof err) <
            0)
        goto fail;
    for (int f = 0; f < 40; f++) {
        char name[32], url[64];
        snprintf(name, sizeof name, "outlet-%02d", f);
        snprintf(url, sizeof url, "https://outlet%02d.example/rss", f);
        if (store_feed_sync(st, name, url, &feeds[f], err, sizeof err) < 0)
            goto fail;
    }
    time_t t0 = 1790000000;
    if (store_begin(st, err, sizeof err) < 0)
        goto fail;
    for (int i = 0; i < n; i++) {
        char guid[32], title[96], link[96];
        int versions = i % 10 == 0 ? 2 : 1;
        snprintf(guid, sizeof guid, "g%d", i);
        snprintf(title, sizeof title, "Breakwater closure, report %d <b>&</b>", i);
        snprintf(link, sizeof link, "https://outlet.example/a/%d", i);
        time_t when = t0 + (time_t)(next(&rng) % (3 * 86400));
        for (int v = 0; v < versions; v++) {
            uint64_t keep = rng;
            make_text(&rng, &text, v);
            if (v == 0)
                rng = keep ^ 0x5bd1e995u; /* the edit keeps most of the text */
            struct store_item it = {
                .guid = guid, .link = link, .title = title, .text = text.data, .published = when};
            struct store_upsert up = {0};
            struct match_result r;
            char *json = NULL, *paras = NULL;
            int first;
            if (store_upsert_item(st, feeds[i % 40], &it, when + v * 3600, &up, err, sizeof err) <
                    0 ||
                match_article(mc, text.data, 0.1, &r, err, sizeof err) < 0)
                goto fail;
            free(up.prev_text);
            int bad = match_result_json(&r, NULL, &json) < 0 ||
                      !(paras = match_paragraph_list(&r)) ||
                      store_match_add(st, up.version_id, cid, r.score, r.lang, paras, json, err,
                                      sizeof err) < 0 ||
                      store_coverage_mark(st, up.article_id, cid, up.version_id, r.score,
                                          when + v * 3600, &first, err, sizeof err) < 0;
            match_result_clear(&r);
            free(json);
            free(paras);
            if (bad)
                goto fail;
        }
    }
    if (store_commit(st, err, sizeof err) < 0)
        goto fail;
    match_canon_free(mc);
    store_close(st);
    buf_free(&canon);
    buf_free(&text);
    return 0;
fail:
    fprintf(stderr, "bench_report: %s\n", err);
    return -1;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 10000;
    char dir[] = "/tmp/pw-bench-report-XXXXXX", db[128], out[128], exe[4096], cmd[4400];
    if (n < 1 || !mkdtemp(dir))
        return 1;
    snprintf(db, sizeof db, "%s/pw.db", dir);
    snprintf(out, sizeof out, "%s/site", dir);
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0)
        return 1;
    exe[len] = '\0';
    double t0 = now_s();
    if (fill(db, n) < 0)
        return 1;
    printf("bench_report: %d articles stored in %.1f s\n", n, now_s() - t0);
    fflush(stdout);
    char *bin = dirname(exe);
    t0 = now_s();
    pid_t pid = fork();
    if (pid == 0) {
        execl(strcat(bin, "/presswatch"), "presswatch", "report", "--database", db, "--out", out,
              (char *)NULL);
        _exit(127);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
        return 1;
    printf("bench_report: whole static report of %d articles: %.2f s (target < 2 s)\n", n,
           now_s() - t0);
    snprintf(cmd, sizeof cmd, "du -sh %s", out);
    int rc = system(cmd);
    if (getenv("PW_BENCH_KEEP")) { /* to profile: presswatch report --database DB */
        printf("bench_report: kept %s\n", db);
        return rc ? 1 : 0;
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return rc || system(cmd) ? 1 : 0;
}
