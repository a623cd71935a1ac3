#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "remote_internal.h"

bool eb_wire_cut_at_stop(char *text, char *const *stop, size_t n_stop) {
    char *first = NULL;
    for (size_t i = 0; i < n_stop; i++) {
        if (!stop[i] || !*stop[i]) continue;
        char *hit = strstr(text, stop[i]);
        if (hit && (!first || hit < first)) first = hit;
    }
    if (!first) return false;
    *first = '\0';
    return true;
}

bool eb_wire_has_visible(const char *s) {
    for (; *s; s++)
        if (!isspace((unsigned char)*s)) return true;
    return false;
}

long eb_wire_utf8_chars(const char *s) {
    long n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) n++;
    return n;
}

long eb_wire_long(const cJSON *obj, const char *field) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, field);
    return cJSON_IsNumber(v) ? (long)v->valuedouble : -1;
}

char *eb_wire_strdup_opt(const cJSON *obj, const char *field) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, field);
    return cJSON_IsString(v) && v->valuestring ? eb_strdup(v->valuestring) : NULL;
}

void eb_wire_take_json(eb_buf *body, cJSON *root) {
    char *s = cJSON_PrintUnformatted(root);
    if (!s) {
        /* cJSON only fails on allocation; like eb_malloc, give up loudly. */
        fputs("evalbench: out of memory while serializing a request\n", stderr);
        abort();
    }
    eb_buf_puts(body, s);
    cJSON_free(s);
    cJSON_Delete(root);
}

char *eb_wire_lower(const char *s) {
    char *r = eb_strdup(s);
    for (char *p = r; *p; p++) *p = (char)tolower((unsigned char)*p);
    return r;
}

void eb_wire_url(eb_buf *url, const char *base, const char *path) {
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/') n--;
    eb_buf_append(url, base, n);
    eb_buf_puts(url, path);
}
