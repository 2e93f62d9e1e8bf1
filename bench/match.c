/*
 * bench_match: prepares K generated canonical texts (K = 10, 100, 1000) and
 * matches a stream of generated articles against all of them; prints
 * articles/s and peak RSS per K. Figures only, no assertions.
 *
 * Articles mix sentences copied from a random canonical with filler, so
 * that both the hit path and the miss path are exercised. Each article is
 * matched against every canonical (no shared index yet), for up to about
 * two seconds per K.
 */
#include "analysis/analysis.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

enum { POOL = 4000, CANON_SENTS = 12, ARTICLE_SENTS = 10, SENT_WORDS = 14 };

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A pronounceable pseudo-word; Cyrillic for half the pool. */
static void make_word(uint64_t *rng, char *w, size_t wsz, int cyr)
{
    static const char *const lat[] = {"ka", "to", "ri", "ne", "so", "la", "mu", "de", "pi", "va"};
    static const char *const cyrs[] = {"ка", "то", "ри", "не", "со", "ла", "му", "де", "пи", "ва"};
    size_t n = 2 + next(rng) % 3, o = 0;
    w[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const char *syl = (cyr ? cyrs : lat)[next(rng) % 10];
        size_t l = strlen(syl);
        if (o + l + 1 >= wsz)
            break;
        memcpy(w + o, syl, l + 1);
        o += l;
    }
}

static void append_sentence(char *buf, size_t bsz, size_t *len, uint64_t seed,
                            const char pool[][16])
{
    uint64_t rng = seed | 1;
    for (int i = 0; i < SENT_WORDS; i++) {
        const char *w = pool[next(&rng) % POOL];
        int n = snprintf(buf + *len, bsz - *len, "%s%s", i ? " " : "", w);
        if (n < 0 || (size_t)n >= bsz - *len)
            return;
        *len += (size_t)n;
    }
    int n = snprintf(buf + *len, bsz - *len, ".\n\n");
    if (n > 0 && (size_t)n < bsz - *len)
        *len += (size_t)n;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run(size_t k, const char pool[][16])
{
    char err[256], buf[16384];
    struct match_canon **canon = calloc(k, sizeof *canon);
    if (!canon)
        return -1;
    int rc = -1;
    for (size_t i = 0; i < k; i++) {
        size_t len = 0;
        for (int s = 0; s < CANON_SENTS; s++)
            append_sentence(buf, sizeof buf, &len, (uint64_t)(i * 131 + (size_t)s) * 7919 + 1,
                            pool);
        if (match_canon_new(buf, &canon[i], err, sizeof err) < 0) {
            fprintf(stderr, "bench_match: %s\n", err);
            goto out;
        }
    }
    uint64_t rng = 42;
    size_t articles = 0, covered = 0;
    double t0 = now();
    while (now() - t0 < 2.0 && articles < 100000) {
        size_t len = 0, src = next(&rng) % k;
        for (int s = 0; s < ARTICLE_SENTS; s++) {
            /* Half the articles quote four sentences of one canonical. */
            uint64_t seed = (articles % 2 == 0 && s < 4)
                                ? (uint64_t)(src * 131 + (size_t)s) * 7919 + 1
                                : next(&rng);
            append_sentence(buf, sizeof buf, &len, seed, pool);
        }
        for (size_t i = 0; i < k; i++) {
            struct match_result r;
            if (match_article(canon[i], buf, 0.30, &r, err, sizeof err) < 0) {
                fprintf(stderr, "bench_match: %s\n", err);
                goto out;
            }
            covered += (size_t)r.covers;
            match_result_clear(&r);
        }
        articles++;
    }
    double dt = now() - t0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("K=%-5zu articles=%-6zu covered=%-6zu articles/s=%.1f peak_rss=%.1f MiB\n", k, articles,
           covered, (double)articles / dt, (double)ru.ru_maxrss / 1024.0);
    rc = 0;
out:
    for (size_t i = 0; i < k; i++)
        match_canon_free(canon[i]);
    free(canon);
    return rc;
}

int main(void)
{
    static const size_t ks[] = {10, 100, 1000};
    char(*pool)[16] = malloc(POOL * sizeof *pool);
    if (!pool)
        return 1;
    uint64_t rng = 7;
    for (size_t i = 0; i < POOL; i++)
        make_word(&rng, pool[i], sizeof pool[i], (int)(i % 2));
    int status = 0;
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++)
        if (run(ks[i], (const char(*)[16])pool) < 0)
            status = 1;
    free(pool);
    return status;
}
