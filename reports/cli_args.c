#include "cli_args.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "strutil.h"

int eb_opt_value(int argc, char **argv, int *i, const char *name, const char **val, eb_err *err) {
    const char *a = argv[*i];
    size_t len = strlen(name);
    if (strncmp(a, name, len) != 0) return 0;
    if (a[len] == '=') {
        *val = a + len + 1;
        return 1;
    }
    if (a[len] != '\0') return 0;
    if (*i + 1 >= argc) return eb_err_set(err, "option %s needs a value", name);
    *val = argv[++*i];
    return 1;
}

bool eb_opt_is_help(const char *arg) { return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0; }

int eb_parse_run_id(const char *s, int64_t *id, eb_err *err) {
    long v;
    if (!eb_parse_long(s, &v) || v <= 0) return eb_err_set(err, "invalid run id '%s' (expected a positive integer)", s);
    *id = v;
    return 0;
}

int eb_parse_run_ids(const char *s, int64_t **ids, size_t *n, eb_err *err) {
    char **parts;
    size_t np = eb_split(s, ',', &parts);
    *ids = NULL;
    *n = 0;
    if (np == 0) {
        eb_strv_free(parts, np);
        return eb_err_set(err, "--run needs at least one run id");
    }
    int64_t *out = eb_malloc(sizeof(int64_t) * np);
    for (size_t i = 0; i < np; i++) {
        char *t = eb_trim_dup(parts[i]);
        int rc = eb_parse_run_id(t, &out[i], err);
        free(t);
        if (rc) {
            free(out);
            eb_strv_free(parts, np);
            return -1;
        }
    }
    eb_strv_free(parts, np);
    *ids = out;
    *n = np;
    return 0;
}

int eb_emit(const char *path, const char *text, eb_err *err) {
    size_t len = strlen(text);
    if (!path || strcmp(path, "-") == 0) {
        if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0)
            return eb_err_set(err, "cannot write to standard output");
        return 0;
    }
    return eb_write_file_atomic(path, text, len, err);
}
