#include "cli_opts.h"

#include <stdio.h>
#include <string.h>

#include "strutil.h"

void eb_opts_print_help(const char *command, const char *usage, const eb_opt *opts) {
    printf("usage: evalbench %s %s\n\noptions:\n", command, usage);
    for (const eb_opt *o = opts; o->name; o++) {
        char left[64];
        if (o->kind == EB_OPT_FLAG) snprintf(left, sizeof left, "--%s", o->name);
        else snprintf(left, sizeof left, "--%s %s", o->name, o->metavar ? o->metavar : "VALUE");
        printf("  %-28s %s\n", left, o->help);
    }
    printf("  %-28s %s\n", "--help", "show this help");
}

static int set_value(const char *command, const eb_opt *o, const char *value) {
    switch (o->kind) {
    case EB_OPT_STRING: *(const char **)o->target = value; return 0;
    case EB_OPT_INT: {
        long v;
        if (!eb_parse_long(value, &v)) {
            fprintf(stderr, "evalbench %s: --%s expects an integer, got \"%s\"\n", command, o->name, value);
            return 2;
        }
        *(long *)o->target = v;
        return 0;
    }
    case EB_OPT_DOUBLE: {
        double v;
        if (!eb_parse_double(value, &v)) {
            fprintf(stderr, "evalbench %s: --%s expects a number, got \"%s\"\n", command, o->name, value);
            return 2;
        }
        *(double *)o->target = v;
        return 0;
    }
    case EB_OPT_FLAG: *(bool *)o->target = true; return 0;
    }
    return 2;
}

int eb_opts_parse(const char *command, const char *usage, const eb_opt *opts, int argc, char **argv,
                  char **positional, int max_positional, int *n_positional) {
    *n_positional = 0;
    bool only_positional = false;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (only_positional || a[0] != '-' || a[1] == '\0') {
            if (*n_positional >= max_positional) {
                fprintf(stderr, "evalbench %s: unexpected argument \"%s\" (see evalbench %s --help)\n", command, a,
                        command);
                return 2;
            }
            positional[(*n_positional)++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_positional = true;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            eb_opts_print_help(command, usage, opts);
            return 1;
        }
        if (a[1] != '-') {
            fprintf(stderr, "evalbench %s: unknown option %s (see evalbench %s --help)\n", command, a, command);
            return 2;
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
        const eb_opt *o = opts;
        for (; o->name; o++)
            if (strlen(o->name) == name_len && strncmp(o->name, name, name_len) == 0) break;
        if (!o->name) {
            fprintf(stderr, "evalbench %s: unknown option --%.*s (see evalbench %s --help)\n", command, (int)name_len,
                    name, command);
            return 2;
        }
        if (o->kind == EB_OPT_FLAG) {
            if (eq) {
                fprintf(stderr, "evalbench %s: --%s takes no value\n", command, o->name);
                return 2;
            }
            *(bool *)o->target = true;
            continue;
        }
        const char *value = eq ? eq + 1 : NULL;
        if (!value) {
            if (i + 1 >= argc) {
                fprintf(stderr, "evalbench %s: --%s needs a value (%s)\n", command, o->name,
                        o->metavar ? o->metavar : "VALUE");
                return 2;
            }
            value = argv[++i];
        }
        int rc = set_value(command, o, value);
        if (rc) return rc;
    }
    return 0;
}
