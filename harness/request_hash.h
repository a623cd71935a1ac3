/* The response-cache key: sha256 of a canonical JSON rendering of everything
 * that determines an answer (engine, model, rendered prompt, parameters,
 * repetition index).  The same JSON minus the prompt is stored as the
 * response's params_json. */
#ifndef EB_REQUEST_HASH_H
#define EB_REQUEST_HASH_H

#include "engine.h"

/* Fills hash (65 bytes) and returns the params JSON (caller frees). */
char *eb_request_key(const eb_engine *engine, const eb_request *req, char hash[65]);

#endif
