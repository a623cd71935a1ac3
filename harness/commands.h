/* The evalbench subcommands.  Each is `int cmd_X(int argc, char **argv)`
 * returning the process exit code (see harness/exitcodes.h); argv[0] is the
 * subcommand name. */
#ifndef EB_COMMANDS_H
#define EB_COMMANDS_H

typedef int (*eb_command_fn)(int argc, char **argv);

typedef struct eb_command {
    const char *name;
    eb_command_fn fn;
    const char *summary;
} eb_command;

const eb_command *eb_command_find(const char *name);
const eb_command *eb_command_list(int *count);

#endif
