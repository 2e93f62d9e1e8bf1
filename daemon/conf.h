/*
 * conf: the INI configuration (libinih), table-driven: every key has a type,
 * bounds and a default; unknown keys are errors. All errors of a file are
 * collected, each as "file:line: what is wrong", before failing.
 *
 * Ownership: conf_load returns a struct conf that the caller frees with
 * conf_free; every string in it belongs to it.
 */
#ifndef PW_DAEMON_CONF_H
#define PW_DAEMON_CONF_H

#include <stddef.h>

#include "common/buf.h"

#define CONF_MAX_REVISITS 16

/* Which alerts a feed or a canonical text lets through, per channel. */
struct conf_filter {
    unsigned log_kinds; /* a bit per alert kind (conf_kind_bit); all by default */
    unsigned email_kinds;
    char *languages;  /* ","-separated ISO 639-1 codes coverage alerts must be in; NULL: any */
    double min_score; /* coverage alerts below it are not sent; -1: no bound */
};

/* The bit of an alert kind ("coverage", "changed", ...) in conf_filter's
 * masks, or 0 for a kind the filters do not know (always let through). */
unsigned conf_kind_bit(const char *kind);

struct conf_canonical {
    char *name;
    char *path;       /* resolved against the config file's folder */
    char *text;       /* the file's contents, read at load time */
    double min_score; /* this text's alert threshold ([alerts] min_score unless set) */
    struct conf_filter filter;
    int line;
};

struct conf_feed {
    char *name;
    char *url;
    int interval;    /* seconds */
    int adaptive;    /* interval = auto: learnt between interval_min and interval_max */
    int fetch_pages; /* fetch each new item's page (http/https links) and revisit it */
    struct conf_filter filter;
    int line;
};

struct conf {
    char *path;     /* the config file as given */
    char *database; /* resolved */
    char *node;     /* this daemon's name among nodes sharing a server database; NULL: host-pid */
    int lease;      /* seconds a node holds a claimed feed (server databases) */
    int interval;   /* default poll interval, seconds */
    int concurrency;
    int per_host;
    int host_gap_ms;  /* minimum gap between two requests to one host */
    int timeout;      /* seconds per transfer */
    int interval_min; /* bounds of adaptive intervals and of server hints */
    int interval_max;
    long long max_body;
    char *user_agent; /* the full User-Agent, built from contact unless set */
    char *contact;    /* a URL or address for server operators, sent in the User-Agent */
    char *ca_file;    /* CA bundle for TLS; NULL: the system's */
    int log_level;    /* 0 error, 1 warning, 2 notice, 3 info, 4 debug */
    int fetch_pages;  /* what feeds without their own fetch_pages do (default yes) */
    int revisit[CONF_MAX_REVISITS]; /* seconds from one page fetch to the next */
    size_t nrevisit;                /* then never again; 0: no revisits */

    int syslog;
    char *syslog_ident;
    double min_score;
    int feed_error_after; /* consecutive failures before a feed-error alert */
    int syslog_facility;  /* index into daemon, user, mail, local0..local7 */
    int journal;          /* 0 auto (journald when its socket is there), 1 no, 2 yes */
    char *email_to;       /* recipients, comma-separated; NULL: no email channel */
    char *email_from;
    char *smtp_url;         /* smtp:// (STARTTLS required) or smtps:// */
    char *smtp_credentials; /* user:password file; must not be group/world-readable */
    int smtp_insecure;      /* smtp:// may go on without STARTTLS */
    int email_digest;       /* seconds; 0: one message per alert */
    int email_max_per_hour; /* 0: no limit */
    int email_retry;        /* first retry delay, seconds (doubles per attempt) */
    char *alert_file;       /* alerts appended one per line, exactly once; NULL: none */

    struct conf_canonical *canonicals;
    size_t ncanonicals;
    struct conf_feed *feeds;
    size_t nfeeds;
};

/* Loads and validates path. Returns 0 and *out, or -1 with every problem
 * appended to errors, one "file:line: message" per line. */
int conf_load(const char *path, struct conf **out, struct buf *errors);
void conf_free(struct conf *c); /* accepts NULL */

/* "90", "90s", "15m", "2h", "1d" -> seconds. 0 or -1. */
int conf_parse_duration(const char *s, long long *seconds);

#endif
