#include "retry.h"

#include <ctype.h>
#include <curl/curl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

bool eb_retry_status_retryable(long status) {
    switch (status) {
    case 408: case 409: case 429: case 500: case 502: case 503: case 504: case 529:
        return true;
    default:
        return false;
    }
}

bool eb_retry_curl_retryable(int code) {
    switch ((CURLcode)code) {
    case CURLE_COULDNT_RESOLVE_HOST:   /* DNS hiccups; a typo fails after the last attempt */
    case CURLE_COULDNT_CONNECT:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_PARTIAL_FILE:           /* connection closed mid-body */
    case CURLE_OPERATION_TIMEDOUT:     /* total timeout or stall detector */
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_GOT_NOTHING:            /* empty reply */
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_BAD_CONTENT_ENCODING:   /* truncated compressed body */
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

uint64_t eb_retry_rng_next(uint64_t *rng) {
    uint64_t x = *rng ? *rng : 0x9e3779b97f4a7c15ull;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *rng = x;
    return x;
}

double eb_retry_backoff_ms(int attempt, double base_ms, double cap_ms, uint64_t *rng) {
    if (attempt < 0) attempt = 0;
    if (attempt > 40) attempt = 40; /* 2^40 * base is past any cap */
    double ceiling = fmin(cap_ms, base_ms * ldexp(1.0, attempt));
    double u = (double)(eb_retry_rng_next(rng) >> 11) / (double)(1ull << 53);
    return u * ceiling;
}

double eb_parse_retry_after_ms(const char *value, double now_epoch_s) {
    if (!value) return -1;
    while (isspace((unsigned char)*value)) value++;
    if (isdigit((unsigned char)*value)) {
        char *end;
        double s = strtod(value, &end);
        while (isspace((unsigned char)*end)) end++;
        if (*end || s < 0) return -1;
        return s * 1000.0;
    }
    /* HTTP-date, IMF-fixdate form: "Sun, 06 Nov 1994 08:49:37 GMT". */
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!end) return -1;
    double at = (double)timegm(&tm);
    double ms = (at - now_epoch_s) * 1000.0;
    return ms > 0 ? ms : 0;
}

double eb_parse_duration_ms(const char *value) {
    if (!value) return -1;
    const char *p = value;
    while (isspace((unsigned char)*p)) p++;
    if (!*p) return -1;
    double total = 0;
    while (*p && !isspace((unsigned char)*p)) {
        char *end;
        if (!isdigit((unsigned char)*p) && *p != '.') return -1;
        double v = strtod(p, &end);
        if (end == p) return -1;
        p = end;
        if (strncmp(p, "ms", 2) == 0) { total += v; p += 2; }
        else if (*p == 'h') { total += v * 3600e3; p++; }
        else if (*p == 'm') { total += v * 60e3; p++; }
        else if (*p == 's') { total += v * 1e3; p++; }
        else return -1;
    }
    while (isspace((unsigned char)*p)) p++;
    return *p ? -1 : total;
}

double eb_parse_rfc3339_delay_ms(const char *value, double now_epoch_s) {
    if (!value) return -1;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *p = strptime(value, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p) return -1;
    double frac = 0;
    if (*p == '.') {
        char *end;
        frac = strtod(p, &end);
        p = end;
    }
    double offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p == '-' ? -1 : 1;
        int hh, mm;
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2) return -1;
        offset = sign * (hh * 3600.0 + mm * 60.0);
        p += 6;
    } else {
        return -1;
    }
    if (*p) return -1;
    double at = (double)timegm(&tm) + frac - offset;
    double ms = (at - now_epoch_s) * 1000.0;
    return ms > 0 ? ms : 0;
}
