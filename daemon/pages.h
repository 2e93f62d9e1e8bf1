/*
 * pages (internal to daemon/): article pages. ingest.c leaves each new item
 * of a feed with fetch_pages in the store's pages table, due at once, its
 * analysis pending. This module fetches what is due through the daemon's
 * curl-multi client (same limits and timeouts as feeds), extracts the main
 * text (page_extract), makes it the article's text, and revisits the page on
 * the configured decaying schedule. A revisit stores a version only when the
 * headline or the text changed after text_normalize (lines that only state a
 * time or date do not count), and every version is analysed again
 * (ingest_analyse). A covering article whose page answers 404/410 or
 * redirects to another story raises `unpublished` once; back, `republished`.
 * A page that cannot be had leaves the article its feed text, and says why
 * in the log, naming the feed and the URL.
 *
 * One transaction per page result. Ownership: pages_new borrows everything
 * in env for its whole life.
 */
#ifndef PW_DAEMON_PAGES_H
#define PW_DAEMON_PAGES_H

#include <stddef.h>

struct conf;
struct event_base;
struct fetch_client;
struct ingest_canon;
struct ingest_ctx;
struct pages;
struct store;

struct pages_env {
    struct event_base *base;
    struct store *store;
    struct fetch_client *fetch;
    int once; /* --once: no timer; the daemon ends the cycle when nothing is busy */
    void *arg;
    /* The running config (reloads replace it). */
    const struct conf *(*conf)(void *arg);
    /* Fills ctx for analysing versions; *ic is scratch that the caller frees. 0 or -1. */
    int (*analysis_ctx)(void *arg, struct ingest_ctx *ctx, struct ingest_canon **ic, char *err,
                        size_t errsz);
    /* Called after each page result was recorded: deliver alerts, and with
     * --once see whether the cycle is over. */
    void (*done)(void *arg);
};

int pages_new(const struct pages_env *env, struct pages **out, char *err, size_t errsz);
/* Call after fetch_client_free (which drops transfers without calling back). Accepts NULL. */
void pages_free(struct pages *p);

/* Starts the fetches that are due (up to the concurrency), and, when not
 * --once, arms the timer for the next one. */
void pages_kick(struct pages *p);

/* Page fetches in flight. */
size_t pages_busy(const struct pages *p);

/* The key two versions are compared by: the normalised paragraphs of text,
 * without short ones that only state a time or date ("Updated 14:05").
 * malloc'd; NULL on OOM. Exposed for tests. */
char *pages_version_key(const char *text);

/* 1 when a redirect from url to final leads to another story: another path
 * (scheme, "www.", query, fragment and a trailing slash aside) whose
 * headline differs from the article's, or the site's front page. */
int pages_other_story(const char *url, const char *final, const char *old_headline,
                      const char *new_headline);

#endif
