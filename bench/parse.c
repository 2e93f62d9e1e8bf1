/*
 * bench/parse: throughput of `presswatch parse`'s code path (feed_parse,
 * feed_to_json, feed_free) over a corpus directory, in one process. Prints
 * MB/s, items/s and peak RSS; when sfeed is on PATH, runs it over the same
 * bytes (concatenated into one stream, so that 2,000 process start-ups do not
 * count against it) and prints the ratio. A benchmark: it asserts nothing.
 *
 *   bench_parse CORPUS_DIR [REPEAT]
 */
#include "common/buf.h"
#include "fetchers/feed.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of this process: the machine is shared, so wall time alone
 * says as much about the neighbours as about the parser. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double rusage_cpu(const struct rusage *ru)
{
    return (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec / 1e6 +
           (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec / 1e6;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted file names of dir; caller frees each and the array. */
static char **list_dir(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **v = NULL;
    size_t cap = 0;
    *n = 0;
    for (struct dirent *de; (de = readdir(d));) {
        if (de->d_name[0] == '.')
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            char **nv = realloc(v, cap * sizeof *nv);
            if (!nv)
                break;
            v = nv;
        }
        if (!(v[*n] = strdup(de->d_name)))
            break;
        (*n)++;
    }
    closedir(d);
    qsort(v, *n, sizeof *v, cmp_str);
    return v;
}

/* Runs `sfeed < path > /dev/null`; returns wall seconds or -1. */
static double run_sfeed(const char *path)
{
    double t0 = now();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int in = open(path, O_RDONLY), out = open("/dev/null", O_WRONLY);
        if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0)
            _exit(127);
        execlp("sfeed", "sfeed", (char *)NULL);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return -1;
    return now() - t0;
}

static int have_sfeed(void)
{
    const char *path = getenv("PATH");
    if (!path)
        return 0;
    char *p = strdup(path), *save = NULL;
    int found = 0;
    for (char *d = p ? strtok_r(p, ":", &save) : NULL; d && !found;
         d = strtok_r(NULL, ":", &save)) {
        char f[4096];
        snprintf(f, sizeof f, "%s/sfeed", d);
        found = access(f, X_OK) == 0;
    }
    free(p);
    return found;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_parse CORPUS_DIR [REPEAT]\n");
        return 2;
    }
    int repeat = argc > 2 ? atoi(argv[2]) : 1;
    size_t nfiles = 0;
    char **files = list_dir(argv[1], &nfiles);
    if (!files || !nfiles) {
        fprintf(stderr, "bench_parse: %s: no feeds (run gen_feeds first)\n", argv[1]);
        return 1;
    }
    char catpath[4096];
    snprintf(catpath, sizeof catpath, "%s.cat.xml", argv[1]);
    FILE *cat = fopen(catpath, "wb");

    size_t bytes = 0, items = 0, refused = 0;
    double secs = 0, cpu = 0;
    struct buf in = BUF_INIT;
    for (int r = 0; r < repeat; r++)
        for (size_t i = 0; i < nfiles; i++) {
            char path[4096], err[256];
            snprintf(path, sizeof path, "%s/%s", argv[1], files[i]);
            buf_reset(&in);
            if (buf_read_file(&in, path, 64u << 20, err, sizeof err) < 0) {
                fprintf(stderr, "bench_parse: %s\n", err);
                return 1;
            }
            if (r == 0 && cat && fwrite(in.data, 1, in.len, cat) != in.len) {
                fclose(cat);
                cat = NULL;
            }
            double t0 = now(), c0 = cpu_now();
            struct feed *f = NULL;
            char *json = NULL;
            if (feed_parse(in.data, in.len, NULL, NULL, &f, err, sizeof err) == 0) {
                items += f->nentries;
                if (feed_to_json(f, &json) < 0)
                    refused++;
            } else {
                refused++;
            }
            free(json);
            feed_free(f);
            secs += now() - t0;
            cpu += cpu_now() - c0;
            bytes += in.len;
        }
    buf_free(&in);
    if (cat && fclose(cat) != 0)
        cat = NULL;

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double mbs = (double)bytes / 1e6 / secs, cmbs = (double)bytes / 1e6 / cpu;
    printf("presswatch parse path: %zu feeds x%d, %.1f MB, %zu items, %zu refused\n", nfiles,
           repeat, (double)bytes / 1e6, items, refused);
    printf("  wall %.2f s  %.1f MB/s  %.0f items/s  peak RSS %.1f MB\n", secs, mbs,
           (double)items / secs, (double)ru.ru_maxrss / 1024.0);
    printf("  cpu  %.2f s  %.1f MB/s  %.0f items/s\n", cpu, cmbs, (double)items / cpu);

    if (cat && have_sfeed()) {
        double s = run_sfeed(catpath);
        double sbytes = (double)bytes / repeat;
        if (s > 0) {
            struct rusage rc;
            getrusage(RUSAGE_CHILDREN, &rc);
            double sc = rusage_cpu(&rc);
            printf("sfeed (one process, concatenated corpus): wall %.2f s  %.1f MB/s  peak RSS "
                   "%.1f MB\n",
                   s, sbytes / 1e6 / s, (double)rc.ru_maxrss / 1024.0);
            printf("  cpu  %.2f s  %.1f MB/s\n", sc, sbytes / 1e6 / sc);
            printf("ratio presswatch/sfeed MB/s: wall %.2f  cpu %.2f\n", mbs / (sbytes / 1e6 / s),
                   cmbs / (sbytes / 1e6 / sc));
        } else {
            printf("sfeed failed on %s\n", catpath);
        }
    } else {
        printf("sfeed not installed (apt-get install sfeed): no ratio\n");
    }
    unlink(catpath);
    for (size_t i = 0; i < nfiles; i++)
        free(files[i]);
    free(files);
    return 0;
}
