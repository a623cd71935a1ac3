#include "item.h"

#include <stdlib.h>

#include "score.h"

void eb_item_free(eb_item *it) {
    free(it->id);
    free(it->source_file);
    free(it->dataset_sha256);
    free(it->subject);
    free(it->category);
    free(it->question);
    for (int i = 0; i < EB_MAX_CHOICES; i++) free(it->choices[i]);
    free(it->answer);
    free(it->solution);
    free(it->context);
    free(it->entry_point);
    free(it->test);
    free(it->plus_json);
    free(it->starter_code);
    free(it->func_name);
    free(it->contest_date);
    for (size_t i = 0; i < it->n_tests; i++) {
        free(it->tests[i].input);
        free(it->tests[i].output);
    }
    free(it->tests);
}

void eb_score_clear(eb_score *s) {
    free(s->extracted);
    free(s->normalized);
    free(s->verdict);
    free(s->details_json);
    for (size_t i = 0; i < s->n_tests; i++) free(s->tests[i].detail);
    free(s->tests);
    s->extracted = s->normalized = s->verdict = s->details_json = NULL;
    s->tests = NULL;
    s->n_tests = 0;
}
