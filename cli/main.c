#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *usage;
};

static const struct command commands[] = {
    {"parse", cmd_parse, "parse FILE|-                      parse one feed, print JSON"},
    {"match", cmd_match, "match --canonical FILE ARTICLE... coverage of a canonical text, JSON"},
    {"eval", cmd_eval, "eval [--threshold X] DIR          precision/recall on a labelled set"},
    {"check-config", cmd_check_config, "check-config FILE                 validate a config"},
    {"articles", cmd_articles, "articles --config FILE [--feed NAME] [--limit N]"},
    {"coverage", cmd_coverage, "coverage --config FILE [--canonical NAME]"},
    {"extract", cmd_extract, "extract FILE|-                    main text of an HTML page"},
    {"status", cmd_status, "status --config FILE                feed health"},
    {"diff", cmd_diff, "diff --config FILE [--html] ARTICLE [FROM TO]  word diff of two versions"},
    {"report", cmd_report, "report --config FILE [--canonical NAME] --out DIR  static HTML report"},
    {"serve", cmd_serve, "serve --config FILE [--listen 127.0.0.1:8787]  the report, live"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: presswatch COMMAND [ARGS]\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  presswatch %s\n", commands[i].usage);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "presswatch: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
