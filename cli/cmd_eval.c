/*
 * presswatch eval [--threshold X] DIR
 *
 * Runs the matcher over a labelled evaluation set and prints one verdict per
 * case, then precision, recall and F1 overall, for same-language and
 * cross-language cases, and per language, and how often the detected
 * language is the labelled one. DIR/cases.tsv lists the cases:
 * `case<TAB>canonical<TAB>expected<TAB>lang`, paths relative to DIR,
 * expected 1 when the case reports the canonical text, # starts a comment.
 * Exit status 0 when every case ran (whatever the figures), 1 on errors.
 */
#include "cli/cli.h"

#include "analysis/analysis.h"
#include "common/buf.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVAL_FILE_MAX ((size_t)16 * 1024 * 1024)
enum { EVAL_LANGS = 32 };

struct tally {
    char lang[8];
    size_t tp, fp, fn, tn;
};

static struct tally *tally_for(struct tally *t, size_t *n, const char *lang)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(t[i].lang, lang))
            return &t[i];
    if (*n == EVAL_LANGS)
        return &t[EVAL_LANGS - 1]; /* more languages than rows: pooled */
    struct tally *r = &t[(*n)++];
    memset(r, 0, sizeof *r);
    snprintf(r->lang, sizeof r->lang, "%s", lang);
    return r;
}

static void count(struct tally *t, int expect, int got)
{
    if (expect && got)
        t->tp++;
    else if (got)
        t->fp++;
    else if (expect)
        t->fn++;
    else
        t->tn++;
}

static void print_tally(const char *label, const struct tally *t)
{
    double p = (t->tp + t->fp) ? (double)t->tp / (double)(t->tp + t->fp) : 1.0;
    double r = (t->tp + t->fn) ? (double)t->tp / (double)(t->tp + t->fn) : 1.0;
    double f = p + r > 0 ? 2 * p * r / (p + r) : 0.0;
    printf("%-8s cases=%-3zu tp=%-3zu fp=%-3zu fn=%-3zu tn=%-3zu precision=%.3f recall=%.3f "
           "f1=%.3f\n",
           label, t->tp + t->fp + t->fn + t->tn, t->tp, t->fp, t->fn, t->tn, p, r, f);
}

static int read_text(const char *dir, const char *rel, struct buf *b, char *err, size_t errsz)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", dir, rel);
    if (n < 0 || (size_t)n >= sizeof path)
        return pw_err(err, errsz, "%s/%s: path too long", dir, rel);
    buf_reset(b);
    if (buf_read_file(b, path, EVAL_FILE_MAX, err, errsz) < 0)
        return -1;
    for (size_t i = 0; i < b->len; i++)
        if (b->data[i] == '\0')
            b->data[i] = ' ';
    return buf_putc(b, '\0') < 0 ? pw_err(err, errsz, "out of memory") : 0;
}

/* How often the detected language is the labelled one, on the whole
 * text and on its first 300 and 80 bytes (a headline or a teaser). */
struct langid_tally {
    size_t n, whole, first300, first80;
};

static int lang_of_prefix(const char *text, size_t max, const char *want)
{
    char head[301];
    size_t len = strlen(text), n = len < max ? len : max;
    while (n > 0 && n < len && ((unsigned char)text[n] & 0xC0) == 0x80)
        n--; /* not in the middle of a character */
    memcpy(head, text, n);
    head[n] = '\0';
    return !strcmp(text_lang(head), want);
}

/* One case line: matches it and records the verdict. -1 on errors. */
static int eval_case(const char *dir, char *line, double threshold, struct tally *all,
                     struct tally *langs, size_t *nlangs, struct tally *mode,
                     struct langid_tally *lid)
{
    char err[512];
    char *fields[4];
    char *save = NULL;
    struct buf text = BUF_INIT;
    struct match_canon *c = NULL;
    struct match_result r = {0};
    int rc = -1;
    for (int i = 0; i < 4; i++) {
        fields[i] = strtok_r(i ? NULL : line, "\t\r\n", &save);
        if (!fields[i]) {
            fprintf(stderr, "presswatch eval: cases.tsv: a line needs 4 tab-separated fields\n");
            return -1;
        }
    }
    int expect = !strcmp(fields[2], "1");
    char clang[8] = "und";
    if (read_text(dir, fields[1], &text, err, sizeof err) == 0)
        snprintf(clang, sizeof clang, "%s", text_lang(text.data));
    if (!text.data || match_canon_new(text.data, &c, err, sizeof err) < 0 ||
        read_text(dir, fields[0], &text, err, sizeof err) < 0 ||
        match_article(c, text.data, threshold, &r, err, sizeof err) < 0) {
        fprintf(stderr, "presswatch eval: %s: %s\n", fields[0], err);
        goto out;
    }
    int got = r.covers;
    const char *verdict = expect == got ? "ok" : got ? "FALSE-POSITIVE" : "FALSE-NEGATIVE";
    char *list = match_paragraph_list(&r);
    printf("%-15s %-34s lang=%s detected=%s score=%.3f paragraphs=%s\n", verdict, fields[0],
           fields[3], r.lang, r.score, list && *list ? list : "-");
    free(list);
    count(all, expect, got);
    lid->n++;
    lid->whole += !strcmp(r.lang, fields[3]);
    lid->first300 += (size_t)lang_of_prefix(text.data, 300, fields[3]);
    lid->first80 += (size_t)lang_of_prefix(text.data, 80, fields[3]);
    count(tally_for(langs, nlangs, fields[3]), expect, got);
    /* Same-language when the case is written in the canonical's language. */
    count(&mode[strcmp(fields[3], clang) ? 1 : 0], expect, got);
    rc = 0;
out:
    match_result_clear(&r);
    match_canon_free(c);
    buf_free(&text);
    return rc;
}

int cmd_eval(int argc, char **argv)
{
    double threshold = 0.30;
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threshold") && i + 1 < argc) {
            char *end = NULL;
            errno = 0;
            threshold = strtod(argv[++i], &end);
            if (errno || *end || !isfinite(threshold) || threshold < 0 || threshold > 1) {
                fprintf(stderr, "presswatch eval: --threshold: not a number in 0..1\n");
                return 2;
            }
        } else if (!dir && argv[i][0] != '-') {
            dir = argv[i];
        } else {
            fprintf(stderr, "usage: presswatch eval [--threshold X] DIR\n");
            return 2;
        }
    }
    if (!dir) {
        fprintf(stderr, "usage: presswatch eval [--threshold X] DIR\n");
        return 2;
    }
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/cases.tsv", dir);
    if (n < 0 || (size_t)n >= sizeof path) {
        fprintf(stderr, "presswatch eval: %s: path too long\n", dir);
        return 1;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "presswatch eval: %s: %s\n", path, strerror(errno));
        return 1;
    }
    struct tally all = {"all", 0, 0, 0, 0}, langs[EVAL_LANGS], mode[2];
    struct langid_tally lid = {0};
    size_t nlangs = 0;
    memset(mode, 0, sizeof mode);
    snprintf(mode[0].lang, sizeof mode[0].lang, "same");
    snprintf(mode[1].lang, sizeof mode[1].lang, "cross");
    char *line = NULL;
    size_t cap = 0;
    int status = 0;
    while (getline(&line, &cap, f) > 0) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (eval_case(dir, line, threshold, &all, langs, &nlangs, mode, &lid) < 0)
            status = 1;
    }
    free(line);
    fclose(f);
    printf("\n");
    print_tally("all", &all);
    print_tally("same", &mode[0]);
    print_tally("cross", &mode[1]);
    for (size_t i = 0; i < nlangs; i++)
        print_tally(langs[i].lang, &langs[i]);
    if (lid.n)
        printf("\nlangid   cases=%-3zu whole=%.3f first300=%.3f first80=%.3f\n", lid.n,
               (double)lid.whole / (double)lid.n, (double)lid.first300 / (double)lid.n,
               (double)lid.first80 / (double)lid.n);
    return status;
}
