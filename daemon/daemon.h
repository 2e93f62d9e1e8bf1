/*
 * daemon: the presswatchd context and its event loop. One libevent base runs
 * the fetches (curl multi), a timer per feed, signal handling (SIGTERM/SIGINT
 * stop, SIGHUP reload) and alert delivery.
 *
 * Ownership: daemon_new takes ownership of conf (freed by daemon_free, or
 * replaced on reload).
 */
#ifndef PW_DAEMON_DAEMON_H
#define PW_DAEMON_DAEMON_H

#include <stddef.h>

struct conf;
struct daemon;

struct daemon_opts {
    int once;       /* run one full cycle, then return */
    int foreground; /* alerts also go to stderr */
};

/* Opens the store, mirrors the config into it and prepares the canonical
 * texts. 0 or -1 with err. */
int daemon_new(struct conf *conf, const struct daemon_opts *opts, struct daemon **out, char *err,
               size_t errsz);
void daemon_free(struct daemon *d); /* accepts NULL */

/* Runs the loop until a stop signal (or the end of the cycle with once).
 * 0, or -1 with err on a fatal error. */
int daemon_run(struct daemon *d, char *err, size_t errsz);

/* Loads the config file again and swaps it in only when valid; otherwise
 * the running one stays and the errors are logged. 0 or -1. */
int daemon_reload(struct daemon *d);

#endif
