/*
 * bench_match: prepares K generated canonical texts (K = 10, 100, 1000) and
 * matches a stream of generated articles against all of them; prints
 * articles/s and peak RSS per K. Figures only, no assertions.
 *
 * Articles mix sentences copied from a random canonical with filler, so
 * that both the hit path and the miss path are exercised. All canonicals
 * are in one match_index; each article is matched against the index, for
 * up to about two CPU seconds per K (articles/s is per CPU second). The
 * first articles are also matched one canonical at a time (match_article)
 * to check that the index finds the same covered canonicals ("agree").
 */
#include "analysis/analysis.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#ifndef AGREE_CHECKS
#define AGREE_CHECKS 20 /* articles also matched one canonical at a time */
#endif

enum { POOL = 50000, WORD_SZ = 32, CANON_SENTS = 12, ARTICLE_SENTS = 10, SENT_WORDS = 14 };

static uint64_t next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A pronounceable Russian-looking pseudo-word (ы and э make the language
 * guess say "ru", as for real Russian news). */
static void make_word(uint64_t *rng, char *w, size_t wsz)
{
    static const char *const syl[] = {"ка", "то", "ри", "не", "со", "ла", "му", "де", "пи", "ва",
                                      "ны", "мэ", "ро", "ст", "ви", "за", "пр", "ле", "ду", "ки",
                                      "бо", "ге", "ты", "жа", "чу", "ши", "ль", "ос", "ен", "ар"};
    size_t n = 2 + next(rng) % 4, o = 0;
    w[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const char *s = syl[next(rng) % (sizeof syl / sizeof syl[0])];
        size_t l = strlen(s);
        if (o + l + 1 >= wsz)
            break;
        memcpy(w + o, s, l + 1);
        o += l;
    }
}

/* Word ranks follow Zipf-Mandelbrot, 1/(rank + 20), as words of real news
 * do: a few words are in every text, most are rare. cdf[i] is the
 * probability of ranks <= i. */
static size_t zipf(const double *cdf, uint64_t *rng)
{
    double u = (double)(next(rng) >> 11) / 9007199254740992.0;
    size_t lo = 0, hi = POOL - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cdf[mid] < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

struct corpus {
    char (*pool)[WORD_SZ];
    double *cdf;
};

static void append_sentence(char *buf, size_t bsz, size_t *len, uint64_t seed,
                            const struct corpus *cp)
{
    static const char *const function_words[] = {"и", "в", "на", "что", "с", "по", "не", "для"};
    uint64_t rng = seed | 1;
    for (int i = 0; i < SENT_WORDS; i++) {
        const char *w =
            next(&rng) % 4 == 0 ? function_words[next(&rng) % 8] : cp->pool[zipf(cp->cdf, &rng)];
        int n = snprintf(buf + *len, bsz - *len, "%s%s", i ? " " : "", w);
        if (n < 0 || (size_t)n >= bsz - *len)
            return;
        *len += (size_t)n;
    }
    int n = snprintf(buf + *len, bsz - *len, ".\n\n");
    if (n > 0 && (size_t)n < bsz - *len)
        *len += (size_t)n;
}

/* CPU time of this thread: the figure is per core, and stays right when
 * other work shares the machine. */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct hits {
    size_t n;
    size_t ids[8];
};

static int on_cover(void *arg, size_t id, const struct match_result *r)
{
    struct hits *h = arg;
    (void)r;
    if (h->n < sizeof h->ids / sizeof h->ids[0])
        h->ids[h->n] = id;
    h->n++;
    return 0;
}

/* Covered canonicals of buf, one at a time; 1 when they are those of h. */
static int agrees(const struct match_index *idx, const char *buf, const struct hits *h)
{
    char err[256];
    size_t n = 0;
    for (size_t i = 0; i < match_index_count(idx); i++) {
        struct match_result r;
        if (match_article(match_index_canon(idx, i), buf, 0.30, &r, err, sizeof err) < 0)
            return 0;
        if (r.covers && (n >= h->n || h->ids[n++] != i)) {
            match_result_clear(&r);
            return 0;
        }
        match_result_clear(&r);
    }
    return n == h->n;
}

static int run(size_t k, const struct corpus *cp)
{
    char err[256], buf[16384], name[32];
    struct match_index *idx = NULL;
    int rc = -1;
    if (match_index_new(&idx, err, sizeof err) < 0) {
        fprintf(stderr, "bench_match: %s\n", err);
        return -1;
    }
    double t0 = now();
    for (size_t i = 0; i < k; i++) {
        size_t len = 0;
        for (int s = 0; s < CANON_SENTS; s++)
            append_sentence(buf, sizeof buf, &len, (uint64_t)(i * 131 + (size_t)s) * 7919 + 1, cp);
        snprintf(name, sizeof name, "canon-%zu", i);
        if (match_index_add(idx, name, buf, NULL, err, sizeof err) < 0) {
            fprintf(stderr, "bench_match: %s\n", err);
            goto out;
        }
    }
    double tadd = now() - t0;
    uint64_t rng = 42;
    size_t articles = 0, covered = 0, checked = 0, agree = 0;
    double tcheck = 0;
    t0 = now();
    while (now() - t0 - tcheck < 2.0 && articles < 200000) {
        size_t len = 0, src = next(&rng) % k;
        for (int s = 0; s < ARTICLE_SENTS; s++) {
            /* Half the articles quote four sentences of one canonical. */
            uint64_t seed = (articles % 2 == 0 && s < 4)
                                ? (uint64_t)(src * 131 + (size_t)s) * 7919 + 1
                                : next(&rng);
            append_sentence(buf, sizeof buf, &len, seed, cp);
        }
        struct hits h = {0};
        if (match_index_article(idx, buf, 0.30, on_cover, &h, err, sizeof err) < 0) {
            fprintf(stderr, "bench_match: %s\n", err);
            goto out;
        }
        covered += h.n;
        if (checked < AGREE_CHECKS) {
            double c0 = now();
            checked++;
            agree += (size_t)agrees(idx, buf, &h);
            tcheck += now() - c0;
        }
        articles++;
    }
    double dt = now() - t0 - tcheck;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("K=%-5zu index_build=%.2fs articles=%-6zu covered=%-6zu articles/s=%.0f "
           "peak_rss=%.1f MiB agree=%zu/%zu\n",
           k, tadd, articles, covered, (double)articles / dt, (double)ru.ru_maxrss / 1024.0, agree,
           checked);
    rc = 0;
out:
    match_index_free(idx);
    return rc;
}

int main(void)
{
#ifndef BENCH_KS
#define BENCH_KS 10, 100, 1000
#endif
    static const size_t ks[] = {BENCH_KS};
    struct corpus cp;
    cp.pool = malloc(POOL * sizeof *cp.pool);
    cp.cdf = malloc(POOL * sizeof *cp.cdf);
    if (!cp.pool || !cp.cdf) {
        free(cp.pool);
        free(cp.cdf);
        return 1;
    }
    uint64_t rng = 7;
    double sum = 0;
    for (size_t i = 0; i < POOL; i++) {
        make_word(&rng, cp.pool[i], sizeof cp.pool[i]);
        sum += 1.0 / ((double)i + 20.0);
        cp.cdf[i] = sum;
    }
    for (size_t i = 0; i < POOL; i++)
        cp.cdf[i] /= sum;
    int status = 0;
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++)
        if (run(ks[i], &cp) < 0)
            status = 1;
    free(cp.pool);
    free(cp.cdf);
    return status;
}
