#include "pricing.h"

#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "strutil.h"

typedef struct eb_price_row {
    char *model;
    eb_price price;
    bool known;  /* false when input or output is "-" */
} eb_price_row;

struct eb_pricing {
    eb_price_row *rows;
    size_t n;
};

static int parse_price(const char *path, long line, const char *field, const char *s, double *out,
                       bool *unknown, eb_err *err) {
    char *t = eb_trim_dup(s);
    int rc = 0;
    if (strcmp(t, "-") == 0) {
        *unknown = true;
        *out = -1;
    } else if (!eb_parse_double(t, out) || *out < 0) {
        rc = eb_err_set(err, "%s:%ld: field %s: expected a price in USD per million tokens or '-', got '%s'",
                        path, line, field, t);
    }
    free(t);
    return rc;
}

static int parse_line(eb_pricing *p, const char *path, long lineno, char *line, eb_err *err) {
    char *hash = strchr(line, '#');
    if (hash) *hash = '\0';
    char *trimmed = eb_trim_dup(line);
    bool blank = *trimmed == '\0';
    free(trimmed);
    if (blank) return 0;

    char *fields[5] = {0};
    int nf = 0;
    char *save = NULL;
    for (char *f = strtok_r(line, "\t", &save); f && nf < 5; f = strtok_r(NULL, "\t", &save)) fields[nf++] = f;
    if (nf < 4)
        return eb_err_set(err, "%s:%ld: expected 4 tab-separated fields (model, input, output, cached), got %d",
                          path, lineno, nf);
    eb_price_row row = {0};
    bool unknown_in = false, unknown_out = false, unknown_cached = false;
    if (parse_price(path, lineno, "input", fields[1], &row.price.input, &unknown_in, err) ||
        parse_price(path, lineno, "output", fields[2], &row.price.output, &unknown_out, err) ||
        parse_price(path, lineno, "cached", fields[3], &row.price.cached, &unknown_cached, err))
        return -1;
    if (unknown_cached) row.price.cached = row.price.input;
    row.known = !unknown_in && !unknown_out;
    row.model = eb_trim_dup(fields[0]);
    if (!*row.model) {
        free(row.model);
        return eb_err_set(err, "%s:%ld: field model: empty", path, lineno);
    }
    p->rows = eb_realloc(p->rows, (p->n + 1) * sizeof *p->rows);
    p->rows[p->n++] = row;
    return 0;
}

int eb_pricing_parse(const char *name, const char *text, size_t len, eb_pricing **out, eb_err *err) {
    char *data = eb_strndup(text, len);
    eb_pricing *p = eb_calloc(1, sizeof *p);
    long lineno = 0;
    /* strtok would merge empty lines and lose the numbering; walk by hand. */
    char *line = data;
    while (line) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        lineno++;
        size_t l = strlen(line);
        if (l && line[l - 1] == '\r') line[l - 1] = '\0';
        if (parse_line(p, name, lineno, line, err)) {
            free(data);
            eb_pricing_free(p);
            return -1;
        }
        line = nl ? nl + 1 : NULL;
    }
    free(data);
    *out = p;
    return 0;
}

int eb_pricing_load(const char *path, eb_pricing **out, eb_err *err) {
    char *data;
    size_t len;
    if (eb_read_file(path, &data, &len, err)) return eb_err_prefix(err, "pricing table: ");
    int rc = eb_pricing_parse(path, data, len, out, err);
    free(data);
    return rc;
}

extern const char eb_remote_default_pricing[];
extern const size_t eb_remote_default_pricing_len;

int eb_pricing_load_default(eb_pricing **out, eb_err *err) {
    return eb_pricing_parse("pricing.tsv (built in)", eb_remote_default_pricing, eb_remote_default_pricing_len, out,
                            err);
}

void eb_pricing_free(eb_pricing *p) {
    if (!p) return;
    for (size_t i = 0; i < p->n; i++) free(p->rows[i].model);
    free(p->rows);
    free(p);
}

static const eb_price_row *find(const eb_pricing *p, const char *model) {
    const eb_price_row *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < p->n; i++) {
        const char *m = p->rows[i].model;
        size_t l = strlen(m);
        if (strcmp(m, model) == 0) return &p->rows[i];
        if (strncmp(m, model, l) == 0 && strchr("-@:", model[l]) && l > best_len) {
            best = &p->rows[i];
            best_len = l;
        }
    }
    return best;
}

bool eb_pricing_lookup(const eb_pricing *p, const char *model, eb_price *out) {
    if (!p || !model) return false;
    const eb_price_row *row = find(p, model);
    const char *slash = strrchr(model, '/');
    if (!row && slash) row = find(p, slash + 1);
    if (!row || !row->known) return false;
    *out = row->price;
    return true;
}

double eb_price_cost(const eb_price *price, long tokens_in, long tokens_cached, long tokens_out) {
    if (tokens_in < 0 || tokens_out < 0) return -1;
    long cached = tokens_cached > 0 ? tokens_cached : 0;
    if (cached > tokens_in) cached = tokens_in;
    return ((double)(tokens_in - cached) * price->input + (double)cached * price->cached +
            (double)tokens_out * price->output) / 1e6;
}
