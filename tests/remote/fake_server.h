/* Starts tests/remote/fake_providers.py on a free loopback port and talks
 * to its control endpoints; drives an engine through a list of requests the
 * way the runner does (submit while capacity allows, then poll). */
#ifndef EB_TEST_FAKE_SERVER_H
#define EB_TEST_FAKE_SERVER_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <sys/types.h>

#include "engine.h"

typedef struct eb_fake {
    pid_t pid;
    int port;
    char base[64];       /* http://127.0.0.1:PORT */
    char openai_base[80];/* http://127.0.0.1:PORT/v1 */
} eb_fake;

/* Sets ANTHROPIC_API_KEY, OPENAI_API_KEY and GEMINI_API_KEY to the keys the
 * server expects, starts it and waits until it listens.  0 or -1. */
int eb_fake_start(eb_fake *f);
void eb_fake_stop(eb_fake *f);
/* GET /__stats (caller frees), NULL on failure. */
cJSON *eb_fake_stats(const eb_fake *f);
long eb_fake_stat(const cJSON *stats, const char *field);
/* POST a JSON body to /__control or /__reset; 0 or -1. */
int eb_fake_post(const eb_fake *f, const char *path, const char *json);

/* The base URL an engine needs for this server. */
const char *eb_fake_base_for(const eb_fake *f, const char *engine);

typedef struct eb_drive_result {
    size_t submitted;      /* requests accepted by submit */
    size_t answered;       /* responses received */
    size_t duplicates;     /* responses for an id already answered */
    size_t unknown_ids;
    size_t submit_errors;
    bool timed_out;
    bool saw_fatal;
} eb_drive_result;

/* Submits reqs (whose ids must be 0..n-1) and collects responses into
 * out[id].  With stop_on_fatal, stops submitting after the first fatal
 * response (as the runner does) and waits for the rest.  deadline_s bounds
 * the whole drive. */
void eb_drive(eb_engine *e, const eb_request *reqs, size_t n, eb_response *out, bool stop_on_fatal,
              double deadline_s, eb_drive_result *res);

#endif
