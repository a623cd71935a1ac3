#include "csv.h"

#include <stdlib.h>

#include "buf.h"

static void push_field(eb_csv_row *row, size_t *cap, eb_buf *field) {
    if (row->n_fields == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        row->fields = eb_realloc(row->fields, *cap * sizeof *row->fields);
    }
    row->fields[row->n_fields++] = eb_buf_take(field);
}

int eb_csv_parse(const char *file, const char *text, size_t len, eb_csv_row **rows_out, size_t *n_out,
                 eb_err *err) {
    eb_csv_row *rows = NULL;
    size_t n = 0, cap = 0;
    long line = 1;
    size_t i = 0;
    eb_buf field = {0};
    while (i < len) {
        eb_csv_row row = {NULL, 0, line};
        size_t fcap = 0;
        for (;;) {
            eb_buf_reset(&field);
            eb_buf_append(&field, "", 0);
            if (i < len && text[i] == '"') {
                long start_line = line;
                i++;
                for (;;) {
                    if (i >= len) {
                        eb_buf_free(&field);
                        for (size_t k = 0; k < row.n_fields; k++) free(row.fields[k]);
                        free(row.fields);
                        eb_csv_free(rows, n);
                        return eb_err_set(err, "%s:%ld: unterminated quoted field", file, start_line);
                    }
                    char c = text[i++];
                    if (c == '"') {
                        if (i < len && text[i] == '"') {
                            eb_buf_putc(&field, '"');
                            i++;
                            continue;
                        }
                        break;
                    }
                    if (c == '\n') line++;
                    eb_buf_putc(&field, c);
                }
                if (i < len && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
                    eb_buf_free(&field);
                    for (size_t k = 0; k < row.n_fields; k++) free(row.fields[k]);
                    free(row.fields);
                    eb_csv_free(rows, n);
                    return eb_err_set(err, "%s:%ld: unexpected character after closing quote", file, line);
                }
            } else {
                while (i < len && text[i] != ',' && text[i] != '\n' && text[i] != '\r') eb_buf_putc(&field, text[i++]);
            }
            push_field(&row, &fcap, &field);
            if (i < len && text[i] == ',') {
                i++;
                continue;
            }
            if (i < len && text[i] == '\r') i++;
            if (i < len && text[i] == '\n') {
                i++;
                line++;
            }
            break;
        }
        /* A blank line yields one empty field: skip it. */
        if (row.n_fields == 1 && row.fields[0][0] == '\0') {
            free(row.fields[0]);
            free(row.fields);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            rows = eb_realloc(rows, cap * sizeof *rows);
        }
        rows[n++] = row;
    }
    eb_buf_free(&field);
    *rows_out = rows;
    *n_out = n;
    return 0;
}

void eb_csv_free(eb_csv_row *rows, size_t n_rows) {
    for (size_t r = 0; r < n_rows; r++) {
        for (size_t k = 0; k < rows[r].n_fields; k++) free(rows[r].fields[k]);
        free(rows[r].fields);
    }
    free(rows);
}
