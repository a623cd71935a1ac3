/* MMLU loader: data/{dev,test}/<subject>_<split>.csv in the original
 * Hendrycks layout (no header; question, A, B, C, D, answer letter). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "csv.h"
#include "fileio.h"
#include "strutil.h"
#include "suite.h"

#define MMLU_DIR "mmlu/data"

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* "high_school_us_history" -> " high school us history" (the original
 * format_subject keeps a leading space, hence the two spaces after "about"). */
static char *format_subject(const char *subject) {
    eb_buf b = {0};
    char **parts;
    size_t n = eb_split(subject, '_', &parts);
    for (size_t i = 0; i < n; i++) {
        eb_buf_putc(&b, ' ');
        eb_buf_puts(&b, parts[i]);
    }
    eb_strv_free(parts, n);
    return eb_buf_take(&b);
}

static void format_example(eb_buf *b, char *const *f, bool with_answer) {
    eb_buf_puts(b, f[0]);
    static const char letters[] = "ABCD";
    for (int k = 0; k < 4; k++) eb_buf_printf(b, "\n%c. %s", letters[k], f[k + 1]);
    eb_buf_puts(b, "\nAnswer:");
    if (with_answer) eb_buf_printf(b, " %s\n\n", f[5]);
}

static int read_rows(const char *data_dir, const char *rel, eb_csv_row **rows, size_t *n, eb_err *err) {
    char *path = eb_path_join(data_dir, rel);
    char *text;
    size_t len;
    int rc = eb_read_file(path, &text, &len, err);
    if (rc == 0) {
        rc = eb_csv_parse(path, text, len, rows, n, err);
        free(text);
    }
    if (rc == 0) {
        for (size_t r = 0; r < *n; r++) {
            eb_csv_row *row = &(*rows)[r];
            const char *a = row->n_fields == 6 ? row->fields[5] : "";
            if (row->n_fields != 6) {
                rc = eb_err_set(err, "%s:%ld: expected 6 columns (question, A, B, C, D, answer), found %zu", path,
                                row->line, row->n_fields);
                break;
            }
            if (strlen(a) != 1 || a[0] < 'A' || a[0] > 'D') {
                rc = eb_err_set(err, "%s:%ld: answer column is \"%s\", expected one of A, B, C, D", path, row->line, a);
                break;
            }
        }
        if (rc != 0) eb_csv_free(*rows, *n);
    }
    free(path);
    return rc;
}

/* The few-shot prefix for loglik mode: original header + first five dev rows. */
static int build_context(const eb_suite_options *opt, eb_suite *s, const char *subject, char **out, eb_err *err) {
    char rel[512];
    snprintf(rel, sizeof rel, MMLU_DIR "/dev/%s_dev.csv", subject);
    eb_csv_row *rows;
    size_t n;
    if (read_rows(opt->data_dir, rel, &rows, &n, err) != 0) return -1;
    if (n < 5) {
        eb_csv_free(rows, n);
        return eb_err_set(err, "%s/%s: needs 5 dev rows for 5-shot prompts, found %zu", opt->data_dir, rel, n);
    }
    int fi = eb_suite_add_file(s, opt->data_dir, rel, err);
    if (fi < 0) {
        eb_csv_free(rows, n);
        return -1;
    }
    char *fs = format_subject(subject);
    eb_buf b = {0};
    eb_buf_printf(&b, "The following are multiple choice questions (with answers) about %s.\n\n", fs);
    free(fs);
    for (size_t r = 0; r < 5; r++) format_example(&b, rows[r].fields, true);
    eb_csv_free(rows, n);
    *out = eb_buf_take(&b);
    return 0;
}

int eb_mmlu_load(const eb_suite_options *opt, eb_suite *s, eb_err *err) {
    bool loglik = opt->mmlu_mode && strcmp(opt->mmlu_mode, "loglik") == 0;
    if (opt->mmlu_mode && !loglik && strcmp(opt->mmlu_mode, "generate") != 0)
        return eb_err_set(err, "--mmlu-mode: \"%s\" is not generate or loglik", opt->mmlu_mode);
    /* Base-model prompts (loglik, or generation in completion style) are 5-shot. */
    bool fewshot = loglik || opt->style == EB_PROMPT_COMPLETION;
    s->options_desc = eb_strdup(loglik ? "mode=loglik,shots=5" : fewshot ? "mode=generate,shots=5" : "mode=generate,shots=0");

    char *test_dir = eb_path_join(opt->data_dir, MMLU_DIR "/test");
    DIR *d = opendir(test_dir);
    if (!d) {
        eb_err_set(err, "MMLU test directory %s not found (run `evalbench data fetch --suite mmlu` or pass --data)",
                   test_dir);
        free(test_dir);
        return -1;
    }
    char **names = NULL;
    size_t n_names = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!eb_ends_with(e->d_name, "_test.csv")) continue;
        names = eb_realloc(names, (n_names + 1) * sizeof *names);
        names[n_names++] = eb_strndup(e->d_name, strlen(e->d_name) - strlen("_test.csv"));
    }
    closedir(d);
    free(test_dir);
    qsort(names, n_names, sizeof *names, cmp_str);

    size_t cap = 0;
    int rc = 0;
    for (size_t si = 0; si < n_names && rc == 0; si++) {
        const char *subject = names[si];
        char rel[512];
        snprintf(rel, sizeof rel, MMLU_DIR "/test/%s_test.csv", subject);
        eb_csv_row *rows;
        size_t n;
        if ((rc = read_rows(opt->data_dir, rel, &rows, &n, err)) != 0) break;
        int fi = eb_suite_add_file(s, opt->data_dir, rel, err);
        char *context = NULL;
        if (fi < 0 || (fewshot && build_context(opt, s, subject, &context, err) != 0)) {
            eb_csv_free(rows, n);
            rc = -1;
            break;
        }
        s->files[fi].n_items = n;
        const char *category = eb_mmlu_category(subject);
        for (size_t r = 0; r < n; r++) {
            eb_item *it = eb_suite_push_item(s, &cap);
            char id[600];
            snprintf(id, sizeof id, "%s/%zu", subject, r);
            it->id = eb_strdup(id);
            it->source_file = eb_strdup(rel);
            it->dataset_sha256 = eb_strdup(s->files[fi].sha256);
            it->subject = eb_strdup(subject);
            it->category = eb_strdup(category ? category : "other");
            it->question = rows[r].fields[0];
            for (int k = 0; k < 4; k++) it->choices[k] = rows[r].fields[k + 1];
            it->n_choices = 4;
            it->answer = rows[r].fields[5];
            it->context = context ? eb_strdup(context) : NULL;
            free(rows[r].fields);
            rows[r].fields = NULL;
            rows[r].n_fields = 0;
        }
        free(context);
        eb_csv_free(rows, n);
    }
    eb_strv_free(names, n_names);
    if (rc == 0 && s->n_items == 0)
        return eb_err_set(err, "no *_test.csv files in %s/" MMLU_DIR "/test", opt->data_dir);
    return rc;
}

/* Exposed for prompts.c: one question in the original format. */
char *eb_mmlu_format_question(const eb_item *it) {
    char *f[6] = {it->question, it->choices[0], it->choices[1], it->choices[2], it->choices[3], it->answer};
    eb_buf b = {0};
    format_example(&b, f, false);
    return eb_buf_take(&b);
}
