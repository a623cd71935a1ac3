#include "engine.h"

#include <stdlib.h>

void eb_response_clear(eb_response *r) {
    free(r->text);
    free(r->finish_reason);
    free(r->model_version);
    free(r->provider_request_id);
    free(r->system_fingerprint);
    free(r->logprobs);
    free(r->error);
    r->text = r->finish_reason = r->model_version = r->provider_request_id = NULL;
    r->system_fingerprint = r->error = NULL;
    r->logprobs = NULL;
    r->n_logprobs = 0;
}
