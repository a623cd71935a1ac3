/* The command line as scripts use it: exit codes and one-line errors that
 * name what is wrong. */
#include "cli_util.h"
#include "test_util.h"

static void expect(const char *args, int code, const char *needle) {
    char *out;
    int rc = run_cli(args, &out);
    CHECK_MSG(rc == code, "evalbench %s: exit %d, expected %d; output: %s", args, rc, code, out);
    CHECK_MSG(strstr(out, needle) != NULL, "evalbench %s: output lacks \"%s\": %s", args, needle, out);
    free(out);
}

int main(void) {
    char args[1024];
    const char *data = eb_test_data_dir();
    expect("--help", 0, "usage: evalbench COMMAND");
    expect("frobnicate", 2, "unknown command \"frobnicate\"");
    expect("run --help", 0, "--concurrency K");
    expect("run --engine oracle --suite mmlu --bogus 1", 2, "unknown option --bogus");
    expect("run --engine oracle --suite mmlu --runs", 2, "--runs needs a value");
    expect("run --engine oracle --suite mmlu --runs three", 2, "--runs expects an integer");
    expect("run --engine oracle --suite mmlu,chess", 2, "unknown suite \"chess\"");
    expect("run --engine oracle --suite mmlu --runs 0", 2, "--runs must be between 1 and 1000");
    expect("run --engine warp --suite mmlu", 2, "unknown engine \"warp\"");
    expect("run --suite mmlu", 2, "--engine is required");
    expect("run --engine oracle --suite mmlu --data /nonexistent/evalbench-data --db /tmp/eb_cli_unused.db", 3,
           "/nonexistent/evalbench-data/mmlu/data/test");
    /* a missing engine option is a usage error (2); an engine that cannot run
     * (no GPU) is a refusal (5, tests/gemma4/test_g4_run.c) */
    expect("run --engine replay --suite math --data /tmp", 2, "--replay FILE");
    expect("run --engine local --suite math --data /tmp", 2, "--model-path DIR");
    expect("run --engine oracle --suite mmlu,,math", 2, "empty suite name");
    expect("run --engine oracle --suite math --temperature nan", 2, "--temperature must be in [0, 5]");
    expect("generate --help", 0, "usage: evalbench generate");
    expect("sandbox-run --help", 0, "usage: evalbench sandbox-run");
    expect("resume abc", 2, "expected a run id");
    snprintf(args, sizeof args, "suites --data %s", data);
    expect(args, 0, "| mmlu | 14042 | 57 |");
    snprintf(args, sizeof args, "suites math --math-set full --data %s", data);
    expect(args, 0, "| math | 5000 | 1 |");
    snprintf(args, sizeof args, "suites livecodebench --data %s", data);
    expect(args, 0, "| livecodebench | 279 |");
    /* A file that is not a results database is refused and left untouched. */
    FILE *f = fopen("/tmp/eb_cli_not_a_db", "w");
    fputs("precious user data\n", f);
    fclose(f);
    snprintf(args, sizeof args, "run --engine oracle --suite math --limit 2 --data %s --db /tmp/eb_cli_not_a_db", data);
    expect(args, 4, "/tmp/eb_cli_not_a_db");
    char buf[64] = {0};
    f = fopen("/tmp/eb_cli_not_a_db", "r");
    CHECK(fgets(buf, sizeof buf, f) != NULL);
    fclose(f);
    CHECK_STR(buf, "precious user data\n");
    remove("/tmp/eb_cli_not_a_db");
    return eb_test_finish();
}
