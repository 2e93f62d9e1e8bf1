/*
 * cli: the `presswatch` command-line tool. Each subcommand is a function
 * taking the arguments after its name (argv[0] is the subcommand) and
 * returning the process exit status. Errors go to stderr, results to stdout.
 */
#ifndef PW_CLI_CLI_H
#define PW_CLI_CLI_H

int cmd_parse(int argc, char **argv);        /* cli/cmd_parse.c */
int cmd_match(int argc, char **argv);        /* cli/cmd_match.c */
int cmd_eval(int argc, char **argv);         /* cli/cmd_eval.c */
int cmd_check_config(int argc, char **argv); /* cli/cmd_db.c */
int cmd_articles(int argc, char **argv);     /* cli/cmd_db.c */
int cmd_coverage(int argc, char **argv);     /* cli/cmd_db.c */
int cmd_extract(int argc, char **argv);      /* cli/cmd_extract.c */
int cmd_status(int argc, char **argv);       /* cli/cmd_db.c */
int cmd_diff(int argc, char **argv);         /* cli/cmd_diff.c */
int cmd_report(int argc, char **argv);       /* cli/cmd_report.c */
int cmd_serve(int argc, char **argv);        /* cli/cmd_serve.c */

#endif
