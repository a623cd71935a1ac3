/* `evalbench data fetch|verify` argument handling. */
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "exitcodes.h"
#include "manifest.h"
#include "strutil.h"

static const char usage[] =
    "usage: evalbench data fetch  [--data DIR] [--suite LIST] [--mirror URL] [--force]\n"
    "       evalbench data verify [--data DIR] [--suite LIST]\n"
    "\n"
    "fetch   download the official dataset files from their public locations,\n"
    "        check their sha256, unpack them into the data directory, then verify.\n"
    "        Interrupted downloads resume (FILE.part is kept); files that already\n"
    "        check out are skipped unless --force.\n"
    "verify  check every suite present in the data directory: sha256 of each file\n"
    "        against the manifest (or the hash recorded at fetch) and row counts.\n"
    "        Prints a table; exits 3 naming the first bad file.\n"
    "\n"
    "  --data DIR     data directory (default: $EVALBENCH_DATA, else ./data)\n"
    "  --suite LIST   comma-separated: mmlu,humaneval,humaneval_plus,math,\n"
    "                 livecodebench,mmlu_pro (default: all)\n"
    "  --mirror URL   fetch BASE/<path> instead of each upstream URL, where <path>\n"
    "                 is the file's place in our layout (archives: mmlu/data.tar,\n"
    "                 math/MATH.tar); see docs/DATA.md\n"
    "  --force        download again even when the installed files check out\n";

/* Accepts "--name VALUE" and "--name=VALUE". */
static int take_value(int argc, char **argv, int *i, const char *name, const char **val) {
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0) return 0;
    if (argv[*i][n] == '=') {
        *val = argv[*i] + n + 1;
        return 1;
    }
    if (argv[*i][n] != '\0') return 0;
    if (*i + 1 >= argc) return -1;
    *val = argv[++*i];
    return 1;
}

int cmd_data(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? EB_EXIT_USAGE : EB_EXIT_OK;
    }
    const char *action = argv[1];
    int is_fetch = strcmp(action, "fetch") == 0;
    if (!is_fetch && strcmp(action, "verify") != 0) {
        fprintf(stderr, "evalbench data: unknown action '%s' (expected fetch or verify; see --help)\n", action);
        return EB_EXIT_USAGE;
    }
    eb_data_opts o = {.out = stdout};
    const char *data = NULL, *suites = NULL;
    for (int i = 2; i < argc; i++) {
        const char *v = NULL;
        int r;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            return EB_EXIT_OK;
        } else if ((r = take_value(argc, argv, &i, "--data", &v)) != 0) {
            if (r < 0 || !*v) goto missing;
            data = v;
        } else if ((r = take_value(argc, argv, &i, "--suite", &v)) != 0) {
            if (r < 0 || !*v) goto missing;
            suites = v;
        } else if (is_fetch && (r = take_value(argc, argv, &i, "--mirror", &v)) != 0) {
            if (r < 0 || !*v) goto missing;
            if (!eb_starts_with(v, "http://") && !eb_starts_with(v, "https://") && !eb_starts_with(v, "file://")) {
                fprintf(stderr, "evalbench data fetch: --mirror must be an http://, https:// or file:// URL, got '%s'\n", v);
                return EB_EXIT_USAGE;
            }
            o.mirror = v;
        } else if (is_fetch && strcmp(argv[i], "--force") == 0) {
            o.force = 1;
        } else {
            fprintf(stderr, "evalbench data %s: unknown option '%s' (see --help)\n", action, argv[i]);
            return EB_EXIT_USAGE;
        }
        continue;
    missing:
        fprintf(stderr, "evalbench data %s: %s needs a value\n", action, argv[i]);
        return EB_EXIT_USAGE;
    }
    if (!data) data = getenv("EVALBENCH_DATA");
    if (!data || !*data) data = "./data";
    o.data_dir = data;

    char **names = NULL;
    size_t n_names = suites ? eb_split(suites, ',', &names) : 0;
    int rc = EB_EXIT_OK;
    for (size_t i = 0; i < n_names; i++) {
        const char *c = eb_data_suite_canonical(names[i]);
        if (!c) {
            fprintf(stderr,
                    "evalbench data %s: unknown suite '%s' (known: mmlu, humaneval, humaneval_plus, math, "
                    "livecodebench, mmlu_pro)\n",
                    action, names[i]);
            rc = EB_EXIT_USAGE;
            goto done;
        }
        int dup = 0;
        for (size_t k = 0; k < o.n_suites; k++) dup |= strcmp(o.suites[k], c) == 0;
        if (!dup && o.n_suites < EB_DATA_MAX_SUITES) o.suites[o.n_suites++] = c;
    }
    if (suites && o.n_suites == 0) {
        fprintf(stderr, "evalbench data %s: --suite names no suite\n", action);
        rc = EB_EXIT_USAGE;
        goto done;
    }
    eb_err err = {{0}};
    if ((is_fetch ? eb_data_fetch(&o, &err) : eb_data_verify(&o, &err)) != 0) {
        fflush(stdout);
        fprintf(stderr, "evalbench data %s: %s\n", action, err.msg);
        rc = EB_EXIT_DATA;
    }
done:
    eb_strv_free(names, n_names);
    return rc;
}
