/*
 * db_args: the options shared by the commands that read the daemon's
 * database (--config FILE or --database DB, --feed, --canonical, --limit),
 * and opening that database without creating one.
 */
#ifndef PW_CLI_DB_ARGS_H
#define PW_CLI_DB_ARGS_H

#include <stddef.h>
#include <time.h>

struct store;

#define DB_ARGS_MAX_POS 4

struct db_args {
    const char *config;
    const char *database;
    const char *feed;
    const char *canonical;
    int limit;
    char *pos[DB_ARGS_MAX_POS]; /* positional arguments, pointing into argv */
    int npos;
};

/* Parses argv (argv[0] is the command) into a, allowing at most maxpos
 * positional arguments, and opens the store named by --database or by the
 * config's database key. Prints usage or the reason to stderr and returns
 * -1; else 0 and *st (close with store_close). */
int db_open(int argc, char **argv, const char *usage, int maxpos, struct db_args *a,
            struct store **st);

/* "2026-03-12 14:05" (UTC), or "-" for 0. */
void db_fmt_time(time_t t, char *out, size_t n);

#endif
