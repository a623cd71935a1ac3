/* `evalbench sandbox-run`: exit statuses for each kind of outcome, option
 * errors, and the --fast path, with real commands in the real sandbox. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

int cmd_sandbox_run(int argc, char **argv);

static int run(const char *const *args) {
    int n = 0;
    while (args[n]) n++;
    char *argv[32];
    for (int i = 0; i < n; i++) argv[i] = (char *)args[i];
    argv[n] = NULL;
    fflush(stdout);
    return cmd_sandbox_run(n, argv);
}

int main(void) {
    /* the command forwards stdin when it is not a terminal: give it none */
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    close(devnull);

    CHECK_INT(run((const char *[]){"sandbox-run", "--", "/bin/true", NULL}), 0);
    CHECK_INT(run((const char *[]){"sandbox-run", "--", "sh", "-c", "exit 3", NULL}), 3);
    CHECK_INT(run((const char *[]){"sandbox-run", "--", "sh", "-c", "test -e /etc/passwd || test -e /root", NULL}), 1);
    CHECK_INT(run((const char *[]){"sandbox-run", "--", "sh", "-c", "echo x > /usr/lib/evil", NULL}), 2);
    CHECK_INT(run((const char *[]){"sandbox-run", "--time", "0.3", "--", "sleep", "5", NULL}), 124);
    CHECK_INT(run((const char *[]){"sandbox-run", "--output", "1000", "--", "sh", "-c", "yes", NULL}), 1);
    CHECK_INT(run((const char *[]){"sandbox-run", "--", "python3", "-c",
                                    "import ctypes; ctypes.CDLL(None).ptrace(0, 0, 0, 0)", NULL}),
              126);
    CHECK_INT(run((const char *[]){"sandbox-run", "--mem", "64", "--", "python3", "-c", "x = bytearray(200 << 20)",
                                    NULL}),
              1);
    CHECK_INT(run((const char *[]){"sandbox-run", "--fast", "--", "python3", "-c", "import sys; sys.exit(4)", NULL}),
              4);
    CHECK_INT(run((const char *[]){"sandbox-run", "--fast", "--", "python3", "-c",
                                    "import os; os.kill(os.getpid(), 0); print(os.getpid())", NULL}),
              0);
    CHECK_INT(run((const char *[]){"sandbox-run", "--", "no-such-command-here", NULL}), 127);
    CHECK_INT(run((const char *[]){"sandbox-run", "--bogus", "--", "true", NULL}), 2);
    CHECK_INT(run((const char *[]){"sandbox-run", "--time", "abc", "--", "true", NULL}), 2);
    CHECK_INT(run((const char *[]){"sandbox-run", NULL}), 2);
    CHECK_INT(run((const char *[]){"sandbox-run", "--fast", "--", "sh", "-c", "true", NULL}), 2);
    CHECK_INT(run((const char *[]){"sandbox-run", "--info", NULL}), 0);

    /* a Python file given on the command line is copied in */
    char path[] = "/tmp/eb_sandbox_cmd_XXXXXX.py";
    int fd = mkstemps(path, 3);
    CHECK(fd >= 0);
    const char *prog = "import sys\nsys.exit(7)\n";
    CHECK(write(fd, prog, strlen(prog)) == (ssize_t)strlen(prog));
    close(fd);
    CHECK_INT(run((const char *[]){"sandbox-run", "--", "python3", path, NULL}), 7);
    CHECK_INT(run((const char *[]){"sandbox-run", "--fast", "--", "python3", path, NULL}), 7);
    unlink(path);
    return eb_test_finish();
}
