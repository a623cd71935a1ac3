#include "jsonutil.h"

#include <stdlib.h>
#include <string.h>

const char *eb_json_str(const cJSON *obj, const char *field, eb_jloc loc, eb_err *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, field);
    if (!v) {
        eb_err_set(err, "%s:%ld: missing field \"%s\"", loc.file, loc.line, field);
        return NULL;
    }
    if (!cJSON_IsString(v)) {
        eb_err_set(err, "%s:%ld: field \"%s\" is not a string", loc.file, loc.line, field);
        return NULL;
    }
    return v->valuestring;
}

const char *eb_json_str_opt(const cJSON *obj, const char *field) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, field);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool eb_json_num(const cJSON *obj, const char *field, double *out, eb_jloc loc, eb_err *err) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, field);
    if (cJSON_IsNumber(v)) {
        *out = v->valuedouble;
        return true;
    }
    if (cJSON_IsString(v)) {
        char *end;
        double d = strtod(v->valuestring, &end);
        if (end != v->valuestring && *end == '\0') {
            *out = d;
            return true;
        }
    }
    eb_err_set(err, "%s:%ld: field \"%s\" %s", loc.file, loc.line, field, v ? "is not a number" : "is missing");
    return false;
}

int eb_jsonl_each(const char *file, const char *text, size_t len, eb_jsonl_cb cb, void *ctx, eb_err *err) {
    long line = 0;
    const char *p = text, *end_all = text + len;
    while (p < end_all) {
        const char *nl = memchr(p, '\n', (size_t)(end_all - p));
        line++;
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end_all - p);
        const char *nul = memchr(p, '\0', n);
        if (nul) return eb_err_set(err, "%s:%ld: NUL byte at column %ld", file, line, (long)(nul - p) + 1);
        /* skip blank lines */
        size_t i = 0;
        while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r')) i++;
        if (i < n) {
            const char *end = NULL;
            cJSON *obj = cJSON_ParseWithLengthOpts(p, n, &end, 0);
            if (!obj) {
                long col = end ? (long)(end - p) + 1 : 0;
                return eb_err_set(err, "%s:%ld: invalid JSON near column %ld", file, line, col);
            }
            const char *rest = end ? end : p + n;
            while (rest < p + n && (*rest == ' ' || *rest == '\t' || *rest == '\r')) rest++;
            if (rest < p + n) {
                cJSON_Delete(obj);
                return eb_err_set(err, "%s:%ld: unexpected text after the JSON object at column %ld (one object per line)",
                                  file, line, (long)(rest - p) + 1);
            }
            if (!cJSON_IsObject(obj)) {
                cJSON_Delete(obj);
                return eb_err_set(err, "%s:%ld: expected a JSON object", file, line);
            }
            eb_jloc loc = {file, line, p, n};
            int rc = cb(obj, loc, ctx, err);
            cJSON_Delete(obj);
            if (rc != 0) return -1;
        }
        if (!nl) break;
        p = nl + 1;
    }
    return 0;
}
