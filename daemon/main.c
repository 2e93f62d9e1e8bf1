/* presswatchd: watches news feeds for coverage of canonical texts. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts/alerts.h"
#include "common/buf.h"
#include "daemon/conf.h"
#include "daemon/daemon.h"
#include "daemon/log.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: presswatchd --config FILE [--once] [--foreground] [--verbose]\n");
}

/* A password others can read is refused now, not at the first alert. */
static int check_credentials(const struct conf *conf, int foreground)
{
    char *user, *password, err[1024];
    if (!conf->email_to || !conf->smtp_credentials)
        return 0;
    if (alert_credentials_load(conf->smtp_credentials, &user, &password, err, sizeof err) < 0) {
        log_warnx("%s: %s", conf->path, err);
        if (!foreground)
            fprintf(stderr, "presswatchd: %s: %s\n", conf->path, err);
        return -1;
    }
    free(user);
    alert_secret_free(password);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'}, {"once", no_argument, NULL, '1'},
        {"foreground", no_argument, NULL, 'f'},   {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
    };
    const char *config = NULL;
    struct daemon_opts opts = {0};
    int verbose = 0, c;
    while ((c = getopt_long(argc, argv, "c:1fvh", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            config = optarg;
            break;
        case '1':
            opts.once = 1;
            break;
        case 'f':
            opts.foreground = 1;
            break;
        case 'v':
            verbose = 1;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!config || optind != argc) {
        usage(stderr);
        return 2;
    }

    struct buf errors = BUF_INIT;
    struct conf *conf;
    if (conf_load(config, &conf, &errors) < 0) {
        fputs(errors.data ? errors.data : "config: unknown error\n", stderr);
        buf_free(&errors);
        return 1;
    }
    buf_free(&errors);
    /* The ident string must outlive openlog(): it is kept in main's frame. */
    char ident[64];
    snprintf(ident, sizeof ident, "%s", conf->syslog_ident);
    log_init(ident, opts.foreground, conf->syslog, log_facility_of(conf->syslog_facility));
    log_set_level(log_priority_of(conf->log_level));
    log_set_verbose(verbose);
    if (check_credentials(conf, opts.foreground) < 0) {
        conf_free(conf);
        return 1;
    }

    struct daemon *d;
    char err[1024];
    if (daemon_new(conf, &opts, &d, err, sizeof err) < 0) {
        log_warnx("%s", err);
        if (!opts.foreground)
            fprintf(stderr, "presswatchd: %s\n", err);
        return 1;
    }
    int rc = daemon_run(d, err, sizeof err);
    if (rc < 0)
        log_warnx("%s", err);
    daemon_free(d);
    return rc < 0 ? 1 : 0;
}
