/* Row counting: see rowcount.h.  Files are streamed through zlib's gz
 * reader, which also reads uncompressed files, so multi-hundred-megabyte
 * LiveCodeBench releases need no more memory than a buffer. */
#include "rowcount.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fileio.h"

static int count_jsonl(const char *path, long *rows, eb_err *err) {
    gzFile g = gzopen(path, "rb");
    if (!g) return eb_err_set(err, "%s: cannot open: %s", path, strerror(errno));
    gzbuffer(g, 1 << 17);
    char buf[1 << 16];
    long n = 0, line = 1;
    int in_line = 0;      /* saw non-space text on this line */
    char first = 0, last = 0;
    int rc = 0;
    for (;;) {
        int got = gzread(g, buf, sizeof buf);
        if (got < 0) {
            int zerr;
            const char *msg = gzerror(g, &zerr);
            rc = eb_err_set(err, "%s: read error near line %ld: %s", path, line, msg);
            break;
        }
        if (got == 0) {
            int zerr;
            const char *msg = gzerror(g, &zerr);
            /* zlib prefixes the path; we already name it */
            if (strncmp(msg, path, strlen(path)) == 0 && msg[strlen(path)] == ':') msg += strlen(path) + 2;
            if (zerr != Z_OK) rc = eb_err_set(err, "%s: damaged gzip data near line %ld: %s", path, line, msg);
            break;
        }
        for (int i = 0; i < got; i++) {
            char c = buf[i];
            if (c == '\n') {
                if (in_line) {
                    if (first != '{' || last != '}') {
                        rc = eb_err_set(err, "%s:%ld: line is not a JSON object", path, line);
                        goto done;
                    }
                    n++;
                }
                in_line = 0;
                line++;
            } else if (c != ' ' && c != '\t' && c != '\r') {
                if (!in_line) first = c;
                in_line = 1;
                last = c;
            }
        }
    }
    if (rc == 0 && in_line) { /* last line without a newline */
        if (first != '{' || last != '}')
            rc = eb_err_set(err, "%s:%ld: line is not a JSON object (truncated file?)", path, line);
        else
            n++;
    }
done:
    gzclose(g);
    if (rc == 0) *rows = n;
    return rc;
}

static int count_json_array(const char *path, long *rows, eb_err *err) {
    char *data;
    size_t len;
    if (eb_read_file(path, &data, &len, err) != 0) return -1;
    cJSON *j = cJSON_ParseWithLength(data, len);
    free(data);
    if (!j || !cJSON_IsArray(j)) {
        cJSON_Delete(j);
        return eb_err_set(err, "%s: not a JSON array (damaged or truncated)", path);
    }
    *rows = cJSON_GetArraySize(j);
    cJSON_Delete(j);
    return 0;
}

/* CSV records as Python's csv module writes them: fields separated by
 * commas, quoted fields may hold commas, newlines and doubled quotes. */
static int count_csv6(const char *path, long *rows, eb_err *err) {
    char *data;
    size_t len;
    if (eb_read_file(path, &data, &len, err) != 0) return -1;
    long n = 0, line = 1, rec_line = 1;
    size_t i = 0;
    int rc = 0;
    while (i < len) {
        /* one record */
        int fields = 0;
        const char *last_field = NULL;
        size_t last_len = 0;
        rec_line = line;
        for (;;) {
            /* one field */
            size_t start = i;
            int quoted = 0;
            if (i < len && data[i] == '"') {
                quoted = 1;
                i++;
                start = i;
                for (;;) {
                    if (i >= len) {
                        rc = eb_err_set(err, "%s:%ld: unterminated quoted field (truncated file?)", path, rec_line);
                        goto done;
                    }
                    if (data[i] == '"') {
                        if (i + 1 < len && data[i + 1] == '"') {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    if (data[i] == '\n') line++;
                    i++;
                }
                last_len = i - start;
                i++; /* closing quote */
            } else {
                while (i < len && data[i] != ',' && data[i] != '\n' && data[i] != '\r') i++;
                last_len = i - start;
            }
            last_field = data + start;
            fields++;
            if (i < len && data[i] == ',') {
                i++;
                continue;
            }
            if (i < len && data[i] == '\r') i++;
            if (i < len && data[i] == '\n') {
                i++;
                line++;
            } else if (i < len) {
                rc = eb_err_set(err, "%s:%ld: stray character after %sfield %d", path, rec_line,
                                quoted ? "quoted " : "", fields);
                goto done;
            }
            break;
        }
        if (fields != 6) {
            rc = eb_err_set(err, "%s:%ld: record has %d fields, expected 6 (question, A, B, C, D, answer)", path,
                            rec_line, fields);
            goto done;
        }
        if (last_len != 1 || last_field[0] < 'A' || last_field[0] > 'D') {
            rc = eb_err_set(err, "%s:%ld: answer field is '%.*s', expected a letter A-D", path, rec_line,
                            (int)(last_len > 20 ? 20 : last_len), last_field);
            goto done;
        }
        n++;
    }
done:
    free(data);
    if (rc == 0) *rows = n;
    return rc;
}

int eb_count_rows(const char *path, eb_row_format fmt, long *rows, eb_err *err) {
    switch (fmt) {
    case EB_ROWS_CSV6: return count_csv6(path, rows, err);
    case EB_ROWS_JSONL: return count_jsonl(path, rows, err);
    case EB_ROWS_JSON_ARRAY: return count_json_array(path, rows, err);
    }
    return eb_err_set(err, "%s: unknown row format", path);
}
