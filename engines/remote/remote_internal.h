/* What the transport (remote_engine.c) and the wire formats (anthropic.c,
 * openai.c, gemini.c) share.  A provider turns an eb_request into URL and
 * body, and a response body into an eb_response or a classified error; the
 * transport owns everything about HTTP, retries and concurrency. */
#ifndef EB_REMOTE_INTERNAL_H
#define EB_REMOTE_INTERNAL_H

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdbool.h>

#include "buf.h"
#include "engine.h"

/* The parts of a request that answering it needs after submit() returned
 * (the eb_request's strings are only valid during submit). */
typedef struct eb_remote_req_info {
    char **stop;            /* all stop sequences, applied again locally */
    size_t n_stop;
    bool loglik;
    long context_chars;     /* prompt length in code points (loglik) */
    long *continuation_chars;
    size_t n_continuations;
} eb_remote_req_info;

/* A provider's reading of a non-2xx answer. */
typedef struct eb_wire_error {
    char type[96];          /* provider error type/status/code */
    char message[600];
    bool no_retry;          /* a 429 that waiting cannot fix (quota, spend limit) */
    double retry_hint_ms;   /* from the body (Gemini RetryInfo); -1 none */
} eb_wire_error;

enum { EB_PARSE_OK = 0, EB_PARSE_MALFORMED = -1, EB_PARSE_UNSUPPORTED = -2 };

typedef struct eb_provider {
    const char *name;
    const char *key_env;
    const char *default_base_url;
    bool supports_loglik;
    /* Constant headers (authentication, API version); key may be NULL. */
    struct curl_slist *(*headers)(const char *key);
    /* URL and JSON body of one request; -1 with err when it cannot be sent. */
    int (*build)(const char *base_url, const char *model, const eb_request *req, eb_buf *url, eb_buf *body,
                 eb_err *err);
    /* Fills text/finish/usage/model_version/ids of a 2xx body.  Returns
     * EB_PARSE_OK, EB_PARSE_MALFORMED (retry) or EB_PARSE_UNSUPPORTED (the
     * server cannot do this; err says why). */
    int (*parse)(const cJSON *root, const eb_remote_req_info *info, eb_response *out, eb_err *err);
    /* Reads an error body (NULL when it was not JSON). */
    void (*parse_error)(long status, const cJSON *root, eb_wire_error *we);
} eb_provider;

extern const eb_provider eb_provider_anthropic;
extern const eb_provider eb_provider_openai;
extern const eb_provider eb_provider_gemini;

/* Shared wire utilities (wire_util.c). */
/* Cuts text at the earliest stop sequence; true when one was found. */
bool eb_wire_cut_at_stop(char *text, char *const *stop, size_t n_stop);
/* Whether s has any non-whitespace character (Anthropic rejects stop
 * sequences made of whitespace only). */
bool eb_wire_has_visible(const char *s);
/* Number of UTF-8 code points (servers count text offsets in characters). */
long eb_wire_utf8_chars(const char *s);
/* Integer field or -1. */
long eb_wire_long(const cJSON *obj, const char *field);
/* Copy of a string field, or NULL. */
char *eb_wire_strdup_opt(const cJSON *obj, const char *field);
/* Serializes and frees root into body. */
void eb_wire_take_json(eb_buf *body, cJSON *root);
/* Lower-cased copy. */
char *eb_wire_lower(const char *s);
/* Base URL without a trailing '/'. */
void eb_wire_url(eb_buf *url, const char *base, const char *path);

#endif
