/* evalbench: benchmark and evaluation harness for large language models. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "exitcodes.h"

#ifndef EVALBENCH_VERSION
#define EVALBENCH_VERSION "0.0.0"
#endif

static void usage(FILE *out) {
    fprintf(out, "usage: evalbench COMMAND [options]   (evalbench COMMAND --help for details)\n\ncommands:\n");
    int n;
    const eb_command *cmds = eb_command_list(&n);
    for (int i = 0; i < n; i++) fprintf(out, "  %-14s %s\n", cmds[i].name, cmds[i].summary);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return EB_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EB_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("evalbench %s\n", EVALBENCH_VERSION);
        return EB_EXIT_OK;
    }
    const eb_command *c = eb_command_find(argv[1]);
    if (!c) {
        fprintf(stderr, "evalbench: unknown command \"%s\" (see evalbench --help)\n", argv[1]);
        return EB_EXIT_USAGE;
    }
    return c->fn(argc - 1, argv + 1);
}
