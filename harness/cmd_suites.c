/* evalbench suites: what is loaded from the data directory. */
#include <stdio.h>
#include <string.h>

#include "cli_opts.h"
#include "exitcodes.h"
#include "run_exec.h"
#include "suite.h"

int cmd_suites(int argc, char **argv) {
    const char *data = NULL, *math_set = NULL, *lcb_release = NULL, *since = NULL, *until = NULL;
    bool files = false;
    eb_opt opts[] = {
        {"data", EB_OPT_STRING, &data, "DIR", "dataset directory (default $EVALBENCH_DATA or ./data)"},
        {"math-set", EB_OPT_STRING, &math_set, "SET", "math500 or full"},
        {"lcb-release", EB_OPT_STRING, &lcb_release, "VER", "LiveCodeBench release v1..v6"},
        {"since", EB_OPT_STRING, &since, "DATE", "LiveCodeBench contest_date >= YYYY-MM-DD"},
        {"until", EB_OPT_STRING, &until, "DATE", "LiveCodeBench contest_date <= YYYY-MM-DD"},
        {"files", EB_OPT_FLAG, &files, NULL, "list every dataset file with its sha256"},
        {NULL, 0, NULL, NULL, NULL},
    };
    char *pos[4];
    int npos;
    int prc = eb_opts_parse("suites", "[SUITE...] [options]", opts, argc, argv, pos, 4, &npos);
    if (prc) return prc == 1 ? EB_EXIT_OK : EB_EXIT_USAGE;
    eb_suite_options o = {0};
    o.data_dir = eb_default_data_dir(data);
    o.math_set = math_set;
    o.lcb_release = lcb_release;
    o.since = since;
    o.until = until;
    o.style = EB_PROMPT_CHAT;
    printf("data directory: %s\n\n| suite | items | files | fingerprint | options |\n|---|---:|---:|---|---|\n", o.data_dir);
    int code = EB_EXIT_OK;
    size_t n = npos ? (size_t)npos : eb_n_suite_names;
    for (size_t i = 0; i < n; i++) {
        const char *name = npos ? pos[i] : eb_suite_names[i];
        eb_suite s;
        eb_err err = {{0}};
        if (eb_suite_load(name, &o, &s, &err) != 0) {
            printf("| %s | - | - | - | not loaded |\n", name);
            fprintf(stderr, "evalbench suites: %s\n", err.msg);
            code = EB_EXIT_DATA;
            continue;
        }
        printf("| %s | %zu | %zu | %.16s | %s |\n", name, s.n_items, s.n_files, s.fingerprint, s.options_desc);
        if (files)
            for (size_t f = 0; f < s.n_files; f++)
                printf("|   %s | %zu | | %s | |\n", s.files[f].path, s.files[f].n_items, s.files[f].sha256);
        eb_suite_free(&s);
    }
    return code;
}
