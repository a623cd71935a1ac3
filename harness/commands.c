/* The table of subcommands.  Adding one: declare it and add a row. */
#include "commands.h"

#include <string.h>

int cmd_run(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_runs(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_suites(int argc, char **argv);
int cmd_data(int argc, char **argv);
int cmd_sandbox_run(int argc, char **argv);
int cmd_generate(int argc, char **argv);

static const eb_command commands[] = {
    {"run", cmd_run, "evaluate a model on one or more suites"},
    {"resume", cmd_resume, "continue an interrupted run"},
    {"runs", cmd_runs, "list the runs stored in the database"},
    {"report", cmd_report, "print the comparison table (markdown, json or csv)"},
    {"compare", cmd_compare, "paired comparison of two runs (McNemar, bootstrap, flipped items)"},
    {"suites", cmd_suites, "show the loaded suites, item counts and dataset hashes"},
    {"data", cmd_data, "download (fetch) or check (verify) the datasets"},
    {"generate", cmd_generate, "run the local Gemma 4 engine on one prompt (quick checks)"},
    {"sandbox-run", cmd_sandbox_run, "run a command in the code sandbox (debugging)"},
};

const eb_command *eb_command_find(const char *name) {
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

const eb_command *eb_command_list(int *count) {
    *count = (int)(sizeof commands / sizeof commands[0]);
    return commands;
}
