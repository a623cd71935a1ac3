/* Running the evalbench binary from tests and capturing what it prints. */
#ifndef EB_CLI_UTIL_H
#define EB_CLI_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "buf.h"

#define EVALBENCH_BIN EVALBENCH_BINARY_DIR "/harness/evalbench"

/* Runs `evalbench ARGS` through the shell; stdout+stderr into *out. */
static inline int run_cli(const char *args, char **out) {
    eb_buf cmd = {0};
    eb_buf_printf(&cmd, "%s %s 2>&1", EVALBENCH_BIN, args);
    FILE *p = popen(eb_buf_str(&cmd), "r");
    eb_buf_free(&cmd);
    eb_buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, p)) > 0) eb_buf_append(&b, chunk, n);
    int status = pclose(p);
    *out = eb_buf_take(&b);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#endif
