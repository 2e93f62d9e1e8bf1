#include "daemon/conf.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CANONICAL_MAX_BYTES (8u << 20)

enum sect { S_DAEMON, S_ALERTS, S_CANONICAL, S_FEED };
enum ktype {
    T_STR,
    T_PATH,
    T_DURATION,
    T_MSEC,
    T_INT,
    T_BOOL,
    T_SCORE,
    T_SIZE,
    T_SCHEDULE,
    T_CHOICE,
    T_KINDS,
    T_LANGS
};

/* Alert kinds the filters know, in bit order. */
static const char *const alert_kinds[] = {
    "coverage",    "coverage-lost", "coverage-changed", "changed",
    "unpublished", "republished",   "feed-error",       "feed-recovered",
};

unsigned conf_kind_bit(const char *kind)
{
    for (size_t i = 0; kind && i < sizeof alert_kinds / sizeof alert_kinds[0]; i++)
        if (!strcmp(kind, alert_kinds[i]))
            return 1u << i;
    return 0;
}

/* One row per key: where it may appear, its type and bounds, and where it is
 * stored (an offset into struct conf, conf_canonical or conf_feed). */
struct key {
    enum sect sect;
    const char *name;
    enum ktype type;
    long long min, max;
    size_t off;
};

/* The values of T_CHOICE keys; the index of the value given is stored. */
static const struct {
    const char *key, *values;
} choices[] = {
    {"log_level", "error,warning,notice,info,debug"},
    {"syslog_facility", "daemon,user,mail,local0,local1,local2,local3,local4,local5,local6,local7"},
    {"journal", "auto,no,yes"},
};

#define C(f) offsetof(struct conf, f)
static const struct key keys[] = {
    {S_DAEMON, "database", T_PATH, 0, 0, C(database)},
    {S_DAEMON, "interval", T_DURATION, 1, 7LL * 86400, C(interval)},
    {S_DAEMON, "concurrency", T_INT, 1, 1024, C(concurrency)},
    {S_DAEMON, "per_host", T_INT, 1, 64, C(per_host)},
    {S_DAEMON, "host_gap", T_MSEC, 0, 60000, C(host_gap_ms)},
    {S_DAEMON, "interval_min", T_DURATION, 1, 7LL * 86400, C(interval_min)},
    {S_DAEMON, "interval_max", T_DURATION, 1, 7LL * 86400, C(interval_max)},
    {S_DAEMON, "contact", T_STR, 0, 0, C(contact)},
    {S_DAEMON, "ca_file", T_PATH, 0, 0, C(ca_file)},
    {S_DAEMON, "timeout", T_DURATION, 1, 3600, C(timeout)},
    {S_DAEMON, "max_body", T_SIZE, 1024, 1LL << 31, C(max_body)},
    {S_DAEMON, "user_agent", T_STR, 0, 0, C(user_agent)},
    {S_DAEMON, "log_level", T_CHOICE, 0, 0, C(log_level)},
    {S_DAEMON, "fetch_pages", T_BOOL, 0, 1, C(fetch_pages)},
    {S_DAEMON, "revisit", T_SCHEDULE, 1, 90LL * 86400, C(revisit)},
    {S_DAEMON, "node", T_STR, 0, 0, C(node)},
    {S_DAEMON, "lease", T_DURATION, 5, 86400, C(lease)},
    {S_ALERTS, "syslog", T_BOOL, 0, 1, C(syslog)},
    {S_ALERTS, "syslog_ident", T_STR, 0, 0, C(syslog_ident)},
    {S_ALERTS, "min_score", T_SCORE, 0, 1, C(min_score)},
    {S_ALERTS, "feed_error_after", T_INT, 1, 1000, C(feed_error_after)},
    {S_ALERTS, "email_to", T_STR, 0, 0, C(email_to)},
    {S_ALERTS, "email_from", T_STR, 0, 0, C(email_from)},
    {S_ALERTS, "smtp_url", T_STR, 0, 0, C(smtp_url)},
    {S_ALERTS, "smtp_credentials", T_PATH, 0, 0, C(smtp_credentials)},
    {S_ALERTS, "smtp_insecure", T_BOOL, 0, 1, C(smtp_insecure)},
    {S_ALERTS, "syslog_facility", T_CHOICE, 0, 0, C(syslog_facility)},
    {S_ALERTS, "journal", T_CHOICE, 0, 0, C(journal)},
    {S_ALERTS, "email_digest", T_DURATION, 0, 7LL * 86400, C(email_digest)},
    {S_ALERTS, "email_max_per_hour", T_INT, 0, 100000, C(email_max_per_hour)},
    {S_ALERTS, "email_retry", T_DURATION, 1, 86400, C(email_retry)},
    {S_ALERTS, "alert_file", T_PATH, 0, 0, C(alert_file)},
    {S_CANONICAL, "file", T_PATH, 0, 0, offsetof(struct conf_canonical, path)},
    {S_CANONICAL, "min_score", T_SCORE, 0, 1, offsetof(struct conf_canonical, min_score)},
    {S_CANONICAL, "log_kinds", T_KINDS, 0, 0, offsetof(struct conf_canonical, filter.log_kinds)},
    {S_CANONICAL, "email_kinds", T_KINDS, 0, 0,
     offsetof(struct conf_canonical, filter.email_kinds)},
    {S_CANONICAL, "languages", T_LANGS, 0, 0, offsetof(struct conf_canonical, filter.languages)},
    {S_FEED, "log_kinds", T_KINDS, 0, 0, offsetof(struct conf_feed, filter.log_kinds)},
    {S_FEED, "email_kinds", T_KINDS, 0, 0, offsetof(struct conf_feed, filter.email_kinds)},
    {S_FEED, "languages", T_LANGS, 0, 0, offsetof(struct conf_feed, filter.languages)},
    {S_FEED, "min_score", T_SCORE, 0, 1, offsetof(struct conf_feed, filter.min_score)},
    {S_FEED, "url", T_STR, 0, 0, offsetof(struct conf_feed, url)},
    {S_FEED, "interval", T_DURATION, 1, 7LL * 86400, offsetof(struct conf_feed, interval)},
    {S_FEED, "fetch_pages", T_BOOL, 0, 1, offsetof(struct conf_feed, fetch_pages)},
};
#undef C

struct parser {
    struct conf *c;
    const char *file;
    char *dir; /* the config file's folder, for relative paths */
    struct buf *errors;
    int nerrors;
    FILE *fp;
    int line;      /* line number of the line inih is looking at */
    enum sect cur; /* kind of the current section */
    void *cur_obj; /* conf, conf_canonical or conf_feed being filled */
    int cur_ok;    /* the current section header was valid */
    char *line_buf;
    size_t line_cap;
};

static void perr(struct parser *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void perr(struct parser *p, int line, const char *fmt, ...)
{
    va_list ap;
    p->nerrors++;
    buf_printf(p->errors, "%s:%d: ", p->file, line);
    va_start(ap, fmt);
    buf_vprintf(p->errors, fmt, ap);
    va_end(ap);
    buf_putc(p->errors, '\n');
}

/* A unit suffix and what one of it is worth. */
struct unit {
    const char *suffix;
    long long scale;
};

/* A whole number with one of units' suffixes ("" for none): 0 and *out,
 * or -1 for anything else, a negative number or an overflow. */
static int parse_scaled(const char *s, const struct unit *units, long long *out)
{
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)*s))
        return -1;
    long long v = strtoll(s, &end, 10);
    if (errno)
        return -1;
    for (const struct unit *u = units; u->suffix; u++)
        if (!strcmp(end, u->suffix)) {
            if (v > LLONG_MAX / u->scale)
                return -1;
            *out = v * u->scale;
            return 0;
        }
    return -1;
}

int conf_parse_duration(const char *s, long long *seconds)
{
    static const struct unit units[] = {{"", 1},     {"s", 1},     {"m", 60},
                                        {"h", 3600}, {"d", 86400}, {NULL, 0}};
    return parse_scaled(s, units, seconds);
}

static int parse_size(const char *s, long long *out)
{
    static const struct unit units[] = {{"", 1},          {"k", 1LL << 10}, {"K", 1LL << 10},
                                        {"M", 1LL << 20}, {"G", 1LL << 30}, {NULL, 0}};
    return parse_scaled(s, units, out);
}

/* "250ms", "2s", or plain milliseconds. */
static int parse_msec(const char *s, long long *out)
{
    static const struct unit units[] = {{"", 1}, {"ms", 1}, {"s", 1000}, {NULL, 0}};
    return parse_scaled(s, units, out) < 0 || *out > 1000000000LL ? -1 : 0;
}

static char *resolve_path(const char *dir, const char *path)
{
    char *out;
    /* URIs (postgresql://..., sqlite:///...) name no file of ours */
    if (path[0] == '/' || !dir || strstr(path, "://"))
        return strdup(path);
    if (asprintf(&out, "%s/%s", dir, path) < 0)
        return NULL;
    return out;
}

static int read_canonical(struct parser *p, struct conf_canonical *cn)
{
    struct buf b = BUF_INIT;
    char msg[512];
    if (buf_read_file(&b, cn->path, CANONICAL_MAX_BYTES, msg, sizeof msg) < 0) {
        perr(p, cn->line, "canonical '%s': cannot read %s", cn->name, msg);
        buf_free(&b);
        return -1;
    }
    cn->text = buf_detach(&b);
    if (!cn->text)
        return -1;
    return 0;
}

/* "15m, 1h, 1d": the delays between page fetches ("never": none). Only
 * [daemon] revisit has this type; it fills conf->revisit and nrevisit. */
static int parse_schedule(struct parser *p, const struct key *k, const char *value)
{
    struct conf *c = p->c;
    size_t n = 0;
    if (!strcmp(value, "never")) {
        c->nrevisit = 0;
        return 0;
    }
    for (const char *s = value; *s;) {
        char item[32];
        size_t len = strcspn(s, ",");
        const char *b = s;
        s += len + (s[len] == ',');
        while (len && (*b == ' ' || *b == '\t'))
            b++, len--;
        while (len && (b[len - 1] == ' ' || b[len - 1] == '\t'))
            len--;
        long long v;
        if (len == 0 || len >= sizeof item) {
            perr(p, p->line, "%s: empty or overlong entry in '%s'", k->name, value);
            return -1;
        }
        memcpy(item, b, len);
        item[len] = '\0';
        if (conf_parse_duration(item, &v) < 0 || v < k->min || v > k->max) {
            perr(p, p->line, "%s: bad delay '%s' (use e.g. 15m,1h,1d; each 1s to 90d)", k->name,
                 item);
            return -1;
        }
        if (n == CONF_MAX_REVISITS) {
            perr(p, p->line, "%s: more than %d delays", k->name, CONF_MAX_REVISITS);
            return -1;
        }
        c->revisit[n++] = (int)v;
    }
    c->nrevisit = n;
    return 0;
}

/* "all", "none" or a list of alert kinds -> a mask of conf_kind_bit. */
static int parse_kinds(struct parser *p, const struct key *k, const char *value, unsigned *out)
{
    if (!strcmp(value, "all")) {
        *out = ~0u;
        return 0;
    }
    unsigned mask = 0;
    for (const char *c = value; *c && strcmp(value, "none") != 0;) {
        size_t n = strcspn(c, ", ");
        char kind[32];
        if (n == 0 || n >= sizeof kind) {
            c += n ? n : 1;
            continue;
        }
        memcpy(kind, c, n);
        kind[n] = '\0';
        if (!conf_kind_bit(kind)) {
            perr(p, p->line,
                 "%s: unknown alert kind '%s' (use all, none or a list of "
                 "coverage, coverage-lost, coverage-changed, changed, unpublished, "
                 "republished, feed-error, feed-recovered)",
                 k->name, kind);
            return -1;
        }
        mask |= conf_kind_bit(kind);
        c += n;
    }
    *out = mask;
    return 0;
}

/* A list of two-letter language codes, kept as "bg,ru". */
static int parse_langs(struct parser *p, const struct key *k, const char *value, char **out)
{
    struct buf b = BUF_INIT;
    for (const char *c = value; *c;) {
        size_t n = strcspn(c, ", ");
        if (n == 0) {
            c++;
            continue;
        }
        if (n != 2 || !islower((unsigned char)c[0]) || !islower((unsigned char)c[1])) {
            perr(p, p->line, "%s: '%.*s' is not an ISO 639-1 code such as ru or bg", k->name,
                 (int)n, c);
            buf_free(&b);
            return -1;
        }
        if ((b.len && buf_putc(&b, ',') < 0) || buf_append(&b, c, 2) < 0) {
            buf_free(&b);
            return -1;
        }
        c += n;
    }
    free(*out);
    *out = buf_detach(&b);
    return *out ? 0 : -1;
}

static void filter_init(struct conf_filter *f)
{
    f->log_kinds = f->email_kinds = ~0u;
    f->languages = NULL;
    f->min_score = -1;
}

static int set_value(struct parser *p, const struct key *k, const char *value)
{
    char *base = (char *)p->cur_obj;
    void *field = base + k->off;
    long long v = 0;
    switch (k->type) {
    case T_STR:
    case T_PATH: {
        if (!*value) {
            perr(p, p->line, "%s: empty value", k->name);
            return -1;
        }
        char *s = k->type == T_PATH ? resolve_path(p->dir, value) : strdup(value);
        if (!s)
            return -1;
        free(*(char **)field);
        *(char **)field = s;
        return 0;
    }
    case T_DURATION:
        if (p->cur == S_FEED && !strcmp(k->name, "interval") && !strcmp(value, "auto")) {
            ((struct conf_feed *)p->cur_obj)->adaptive = 1;
            return 0;
        }
        if (conf_parse_duration(value, &v) < 0) {
            perr(p, p->line, "%s: bad duration '%s' (use e.g. 90s, 15m, 2h, 1d)", k->name, value);
            return -1;
        }
        break;
    case T_MSEC:
        if (parse_msec(value, &v) < 0) {
            perr(p, p->line, "%s: bad duration '%s' (use e.g. 500ms, 2s)", k->name, value);
            return -1;
        }
        break;
    case T_SCHEDULE:
        return parse_schedule(p, k, value);
    case T_KINDS:
        return parse_kinds(p, k, value, (unsigned *)field);
    case T_LANGS:
        return parse_langs(p, k, value, (char **)field);
    case T_SIZE:
        if (parse_size(value, &v) < 0) {
            perr(p, p->line, "%s: bad size '%s' (use e.g. 512k, 16M)", k->name, value);
            return -1;
        }
        break;
    case T_INT: {
        char *end;
        errno = 0;
        v = strtoll(value, &end, 10);
        if (errno || end == value || *end) {
            perr(p, p->line, "%s: not a whole number: '%s'", k->name, value);
            return -1;
        }
        break;
    }
    case T_BOOL:
        if (!strcasecmp(value, "yes") || !strcasecmp(value, "true") || !strcmp(value, "1") ||
            !strcasecmp(value, "on"))
            v = 1;
        else if (!strcasecmp(value, "no") || !strcasecmp(value, "false") || !strcmp(value, "0") ||
                 !strcasecmp(value, "off"))
            v = 0;
        else {
            perr(p, p->line, "%s: expected yes or no, got '%s'", k->name, value);
            return -1;
        }
        *(int *)field = (int)v;
        return 0;
    case T_CHOICE: {
        size_t len = strlen(value);
        int idx = 0;
        const char *values = "";
        for (size_t i = 0; i < sizeof choices / sizeof choices[0]; i++)
            if (!strcmp(choices[i].key, k->name))
                values = choices[i].values;
        for (const char *c = values; *c; idx++) {
            size_t n = strcspn(c, ",");
            if (n == len && !strncasecmp(c, value, n)) {
                *(int *)field = idx;
                return 0;
            }
            c += n + (c[n] == ',');
        }
        perr(p, p->line, "%s: '%s' is not one of %s", k->name, value, values);
        return -1;
    }
    case T_SCORE: {
        char *end;
        errno = 0;
        double d = strtod(value, &end);
        if (errno || end == value || *end || d < 0 || d > 1) {
            perr(p, p->line, "%s: expected a number from 0 to 1, got '%s'", k->name, value);
            return -1;
        }
        *(double *)field = d;
        return 0;
    }
    }
    if (v < k->min || v > k->max) {
        perr(p, p->line, "%s: %s is out of range (%lld to %lld)", k->name, value, k->min, k->max);
        return -1;
    }
    if (k->type == T_SIZE)
        *(long long *)field = v;
    else
        *(int *)field = (int)v;
    return 0;
}

static int valid_name(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
            return 0;
    return 1;
}

/* Starts a new section: "daemon", "alerts", "canonical NAME" or "feed NAME". */
static void begin_section(struct parser *p, const char *section)
{
    struct conf *c = p->c;
    p->cur_ok = 0;
    p->cur_obj = NULL;
    if (!strcmp(section, "daemon") || !strcmp(section, "alerts")) {
        p->cur = section[0] == 'd' ? S_DAEMON : S_ALERTS;
        p->cur_obj = c;
        p->cur_ok = 1;
        return;
    }
    const char *name = NULL;
    if (!strncmp(section, "canonical ", 10)) {
        p->cur = S_CANONICAL;
        name = section + 10;
    } else if (!strncmp(section, "feed ", 5)) {
        p->cur = S_FEED;
        name = section + 5;
    } else {
        perr(p, p->line, "unknown section [%s]", section);
        return;
    }
    while (*name == ' ') /* NOLINT(clang-analyzer-core.UndefinedBinaryOperatorResult): name points
                            into a NUL-terminated copy */
        name++;
    if (!valid_name(name)) {
        perr(p, p->line, "[%s]: name must be letters, digits, '-', '_' or '.'", section);
        return;
    }
    if (p->cur == S_CANONICAL) {
        for (size_t i = 0; i < c->ncanonicals; i++)
            if (!strcmp(c->canonicals[i].name, name)) {
                perr(p, p->line, "duplicate canonical '%s' (first at line %d)", name,
                     c->canonicals[i].line);
                return;
            }
        struct conf_canonical *n =
            realloc(c->canonicals, (c->ncanonicals + 1) * sizeof *c->canonicals);
        if (!n)
            return;
        c->canonicals = n;
        struct conf_canonical *cn = &n[c->ncanonicals];
        memset(cn, 0, sizeof *cn);
        if (!(cn->name = strdup(name)))
            return;
        cn->line = p->line;
        cn->min_score = -1; /* inherit [alerts] min_score */
        filter_init(&cn->filter);
        c->ncanonicals++;
        p->cur_obj = cn;
    } else {
        for (size_t i = 0; i < c->nfeeds; i++)
            if (!strcmp(c->feeds[i].name, name)) {
                perr(p, p->line, "duplicate feed '%s' (first at line %d)", name, c->feeds[i].line);
                return;
            }
        struct conf_feed *n = realloc(c->feeds, (c->nfeeds + 1) * sizeof *c->feeds);
        if (!n)
            return;
        c->feeds = n;
        struct conf_feed *f = &n[c->nfeeds];
        memset(f, 0, sizeof *f);
        if (!(f->name = strdup(name)))
            return;
        f->line = p->line;
        f->interval = -1; /* inherit [daemon] interval */
        f->fetch_pages = -1;
        filter_init(&f->filter);
        c->nfeeds++;
        p->cur_obj = f;
    }
    p->cur_ok = 1;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    struct parser *p = user;
    if (!*section) {
        perr(p, p->line, "'%s' is outside any section", name);
        return 1;
    }
    if (!p->cur_ok)
        return 1; /* the section header was already reported */
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (keys[i].sect == p->cur && !strcmp(keys[i].name, name)) {
            set_value(p, &keys[i], value);
            return 1;
        }
    perr(p, p->line, "unknown key '%s' in [%s]", name, section);
    return 1;
}

/* inih reader that counts lines, so errors can name them (the packaged inih
 * is built without INI_HANDLER_LINENO). */
static char *reader(char *str, int num, void *stream)
{
    struct parser *p = stream;
    ssize_t n = getline(&p->line_buf, &p->line_cap, p->fp);
    if (n < 0)
        return NULL;
    p->line++;
    if (n >= num) {
        perr(p, p->line, "line longer than %d bytes", num - 2);
        n = num - 1;
    }
    memcpy(str, p->line_buf, (size_t)n);
    str[n] = '\0';
    /* Report every malformed line ourselves (inih only returns the first),
     * and hand inih a blank line instead. */
    const char *s = str + strspn(str, " \t\r\n");
    if (s == str && *s && *s != ';' && *s != '#' && *s != '[' && !strpbrk(s, "=:")) {
        perr(p, p->line, "syntax error (expected [section] or key = value)");
        str[0] = '\0';
    } else if (*s == '[' && !strchr(s, ']')) {
        perr(p, p->line, "syntax error: section header without ']'");
        str[0] = '\0';
    } else if (*s == '[') {
        /* Sections are started here rather than in the handler, so that
         * they carry their own line and an empty one is still seen. */
        const char *end = strchr(s, ']');
        char name[256];
        const char *b = s + 1;
        while (b < end && (*b == ' ' || *b == '\t'))
            b++;
        size_t nlen = (size_t)(end - b);
        while (nlen && (b[nlen - 1] == ' ' || b[nlen - 1] == '\t'))
            nlen--;
        if (nlen >= sizeof name) {
            perr(p, p->line, "section name too long");
            p->cur_ok = 0;
        } else {
            memcpy(name, b, nlen);
            name[nlen] = '\0';
            begin_section(p, name);
        }
    }
    return str;
}

/* "file:feeds/x.xml" names a file relative to the config's folder (for
 * the demo and tests); libcurl wants an absolute file:// URL. */
static int resolve_file_url(struct parser *p, struct conf_feed *f)
{
    char *abs = realpath(p->dir, NULL);
    char *url = NULL;
    if (!abs) {
        perr(p, f->line, "feed '%s': cannot resolve %s: %s", f->name, f->url, strerror(errno));
        return -1;
    }
    if (asprintf(&url, "file://%s/%s", abs, f->url + 5) < 0)
        url = NULL;
    free(abs);
    if (!url)
        return -1;
    free(f->url);
    f->url = url;
    return 0;
}

static void validate(struct parser *p)
{
    struct conf *c = p->c;
    for (size_t i = 0; i < c->nfeeds; i++) {
        struct conf_feed *f = &c->feeds[i];
        if (!f->url) {
            perr(p, f->line, "feed '%s': missing url", f->name);
            continue;
        }
        if (!strncmp(f->url, "file:", 5) && f->url[5] != '/' && resolve_file_url(p, f) < 0)
            continue;
        if (strncmp(f->url, "http://", 7) != 0 && strncmp(f->url, "https://", 8) != 0 &&
            strncmp(f->url, "file://", 7) != 0) {
            perr(p, f->line, "feed '%s': url must be http://, https:// or file://, got '%s'",
                 f->name, f->url);
        }
        if (f->interval < 0)
            f->interval = c->interval;
        if (f->adaptive && f->interval > c->interval_max)
            f->interval = c->interval_max;
        if (f->fetch_pages < 0)
            f->fetch_pages = c->fetch_pages;
    }
    for (size_t i = 0; i < c->ncanonicals; i++) {
        struct conf_canonical *cn = &c->canonicals[i];
        if (cn->min_score < 0)
            cn->min_score = c->min_score;
        if (!cn->path)
            perr(p, cn->line, "canonical '%s': missing file", cn->name);
        else
            read_canonical(p, cn);
    }
    if (c->interval_min > c->interval_max)
        perr(p, 1, "[daemon] interval_min is larger than interval_max");
    /* A poll must end well inside its lease, or another node takes the feed
     * while it is still being fetched. */
    if (c->lease < 2 * c->timeout)
        perr(p, 1, "[daemon] lease (%ds) must be at least twice timeout (%ds)", c->lease,
             c->timeout);
    if (!c->user_agent) {
        int n = c->contact ? asprintf(&c->user_agent, "presswatch/%s (+%s)", PW_VERSION, c->contact)
                           : asprintf(&c->user_agent, "presswatch/%s", PW_VERSION);
        if (n < 0)
            c->user_agent = NULL;
    }
    if (c->email_to && !c->smtp_url)
        perr(p, 1, "[alerts] email_to is set but smtp_url is not");
    if (c->email_to && !c->email_from)
        perr(p, 1, "[alerts] email_to is set but email_from is not");
    if (c->smtp_url && strncasecmp(c->smtp_url, "smtp://", 7) != 0 &&
        strncasecmp(c->smtp_url, "smtps://", 8) != 0)
        perr(p, 1, "[alerts] smtp_url must be smtp:// (STARTTLS) or smtps://, got '%s'",
             c->smtp_url);
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

int conf_load(const char *path, struct conf **out, struct buf *errors)
{
    struct parser p = {0};
    struct conf *c = calloc(1, sizeof *c);
    if (!c)
        goto oom;
    c->interval = 15 * 60;
    c->concurrency = 32;
    c->per_host = 2;
    c->host_gap_ms = 1000;
    c->interval_min = 5 * 60;
    c->interval_max = 24 * 3600;
    c->feed_error_after = 3;
    c->timeout = 60;
    c->lease = 5 * 60;
    c->max_body = 16LL << 20;
    c->fetch_pages = 1;
    static const int revisit[] = {15 * 60, 3600, 3 * 3600, 12 * 3600, 86400, 3 * 86400, 7 * 86400};
    memcpy(c->revisit, revisit, sizeof revisit);
    c->nrevisit = sizeof revisit / sizeof revisit[0];
    c->syslog = 1;
    c->min_score = 0.30;
    c->log_level = 3; /* info */
    c->email_retry = 60;
    if (!(c->path = strdup(path)) || !(c->syslog_ident = strdup("presswatchd")))
        goto oom;
    p.c = c;
    p.file = path;
    p.errors = errors;
    if (!(p.dir = dir_of(path)))
        goto oom;
    p.fp = fopen(path, "r");
    if (!p.fp) {
        buf_printf(errors, "%s: cannot open: %s\n", path, strerror(errno));
        goto fail;
    }
    /* The packaged inih reads lines into a 200-byte stack buffer unless told
     * otherwise; feed URLs can be longer. */
    ini_use_stack = false;
    ini_initial_alloc = ini_max_line = 16384;
    int rc = ini_parse_stream(reader, &p, handler, &p);
    if (rc > 0 && !p.nerrors)
        perr(&p, rc, "syntax error");
    else if (rc < 0)
        goto oom;
    fclose(p.fp);
    p.fp = NULL;
    if (!c->database && !(c->database = resolve_path(p.dir, "presswatch.db")))
        goto oom;
    validate(&p);
    if (p.nerrors)
        goto fail;
    free(p.dir);
    free(p.line_buf);
    *out = c;
    return 0;
oom:
    buf_printf(errors, "%s: out of memory\n", path);
fail:
    if (p.fp)
        fclose(p.fp);
    free(p.dir);
    free(p.line_buf);
    conf_free(c);
    return -1;
}

void conf_free(struct conf *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->ncanonicals; i++) {
        free(c->canonicals[i].name);
        free(c->canonicals[i].path);
        free(c->canonicals[i].text);
        free(c->canonicals[i].filter.languages);
    }
    free(c->canonicals);
    for (size_t i = 0; i < c->nfeeds; i++) {
        free(c->feeds[i].name);
        free(c->feeds[i].url);
        free(c->feeds[i].filter.languages);
    }
    free(c->feeds);
    free(c->path);
    free(c->database);
    free(c->node);
    free(c->user_agent);
    free(c->contact);
    free(c->ca_file);
    free(c->syslog_ident);
    free(c->email_to);
    free(c->email_from);
    free(c->alert_file);
    free(c->smtp_url);
    free(c->smtp_credentials);
    free(c);
}
