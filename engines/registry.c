/* The engines compiled into evalbench.  Adding an engine: declare its create
 * function here and add one row to the table. */
#include <string.h>

#include "engine.h"

int eb_oracle_create(const eb_engine_config *cfg, eb_engine **out, eb_err *err);
int eb_replay_create(const eb_engine_config *cfg, eb_engine **out, eb_err *err);
int eb_anthropic_create(const eb_engine_config *cfg, eb_engine **out, eb_err *err);
int eb_openai_create(const eb_engine_config *cfg, eb_engine **out, eb_err *err);
int eb_gemini_create(const eb_engine_config *cfg, eb_engine **out, eb_err *err);
int eb_local_create(const eb_engine_config *cfg, eb_engine **out, eb_err *err);

static const eb_engine_entry engines[] = {
    {"oracle", eb_oracle_create, "answers with the gold answer or canonical solution (pipeline check)"},
    {"replay", eb_replay_create, "reads responses from a JSONL file (--replay FILE)"},
    {"anthropic", eb_anthropic_create, "Anthropic Messages API (ANTHROPIC_API_KEY)"},
    {"openai", eb_openai_create, "OpenAI Chat Completions, or any OpenAI-compatible server with --base-url (OPENAI_API_KEY)"},
    {"gemini", eb_gemini_create, "Google Gemini generateContent (GEMINI_API_KEY)"},
    {"local", eb_local_create, "Gemma 4 on this machine (--model-path DIR [--device cpu])"},
};

const eb_engine_entry *eb_engine_find(const char *name) {
    for (size_t i = 0; i < sizeof engines / sizeof engines[0]; i++)
        if (strcmp(engines[i].name, name) == 0) return &engines[i];
    return NULL;
}

const eb_engine_entry *eb_engine_list(size_t *count) {
    *count = sizeof engines / sizeof engines[0];
    return engines;
}
