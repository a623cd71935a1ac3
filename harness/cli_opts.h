/* A small long-option parser shared by the subcommands: --name VALUE,
 * --name=VALUE and boolean --flag; unknown options and missing values are
 * one-line errors naming the option. */
#ifndef EB_CLI_OPTS_H
#define EB_CLI_OPTS_H

#include <stdbool.h>

typedef enum { EB_OPT_STRING, EB_OPT_INT, EB_OPT_DOUBLE, EB_OPT_FLAG } eb_opt_kind;

typedef struct eb_opt {
    const char *name;      /* without the leading dashes */
    eb_opt_kind kind;
    void *target;          /* const char **, long *, double *, bool * */
    const char *metavar;
    const char *help;
} eb_opt;

/* Parses argv[1..]; positional arguments are collected into positional
 * (up to max_positional).  Returns 0, 1 when --help was given (usage
 * printed), or 2 on a usage error (message printed). */
int eb_opts_parse(const char *command, const char *usage, const eb_opt *opts, int argc, char **argv,
                  char **positional, int max_positional, int *n_positional);
void eb_opts_print_help(const char *command, const char *usage, const eb_opt *opts);

#endif
