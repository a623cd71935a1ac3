/* evalbench run: evaluate a model on suites. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_opts.h"
#include "exitcodes.h"
#include "error.h"
#include "run_exec.h"

#define DUP(field, value) \
    if (value) {          \
        free(s.field);    \
        s.field = eb_strdup(value); \
    }

int cmd_run(int argc, char **argv) {
    eb_run_spec s;
    eb_run_spec_defaults(&s);
    const char *model = NULL, *engine = NULL, *model_path = NULL, *device = NULL, *base_url = NULL, *replay = NULL,
               *pricing = NULL, *quant = NULL, *suites = NULL, *data = NULL, *db = NULL, *mmlu_mode = NULL,
               *math_set = NULL, *lcb_release = NULL, *since = NULL, *until = NULL, *style = NULL;
    bool fresh = false;
    eb_opt opts[] = {
        {"model", EB_OPT_STRING, &model, "NAME", "model name (API model id, or a label for local/oracle runs)"},
        {"engine", EB_OPT_STRING, &engine, "ENGINE", "oracle, replay, anthropic, openai, gemini, local"},
        {"suite", EB_OPT_STRING, &suites, "LIST", "comma-separated: mmlu,humaneval,math,livecodebench"},
        {"runs", EB_OPT_INT, &s.n_runs, "N", "repetitions per item (default 3)"},
        {"temperature", EB_OPT_DOUBLE, &s.temperature, "T", "sampling temperature (default 0)"},
        {"seed", EB_OPT_INT, &s.seed, "S", "base seed; repetition k uses S+k (default 1234)"},
        {"max-tokens", EB_OPT_INT, &s.max_tokens, "N", "override the suites' output token limits"},
        {"limit", EB_OPT_INT, &s.limit, "N", "at most N items per suite (MMLU: spread over subjects)"},
        {"concurrency", EB_OPT_INT, &s.concurrency, "K", "requests in flight at most (default 16)"},
        {"jobs", EB_OPT_INT, &s.jobs, "J", "parallel code executions (default: number of cores)"},
        {"db", EB_OPT_STRING, &db, "FILE", "results database (default results/evalbench.db)"},
        {"data", EB_OPT_STRING, &data, "DIR", "dataset directory (default $EVALBENCH_DATA or ./data)"},
        {"prompt-style", EB_OPT_STRING, &style, "STYLE", "auto, chat or completion (default: the engine's)"},
        {"mmlu-mode", EB_OPT_STRING, &mmlu_mode, "MODE", "generate or loglik"},
        {"math-set", EB_OPT_STRING, &math_set, "SET", "math500 (default) or full (5,000 problems)"},
        {"lcb-release", EB_OPT_STRING, &lcb_release, "VER", "LiveCodeBench release: v1..v6 (cumulative)"},
        {"since", EB_OPT_STRING, &since, "DATE", "LiveCodeBench contest_date >= YYYY-MM-DD"},
        {"until", EB_OPT_STRING, &until, "DATE", "LiveCodeBench contest_date <= YYYY-MM-DD"},
        {"model-path", EB_OPT_STRING, &model_path, "DIR", "checkpoint directory (local engine)"},
        {"device", EB_OPT_STRING, &device, "DEV", "cpu or cuda (local engine)"},
        {"base-url", EB_OPT_STRING, &base_url, "URL", "API base URL (OpenAI-compatible servers, test servers)"},
        {"replay", EB_OPT_STRING, &replay, "FILE", "responses JSONL (replay engine)"},
        {"pricing", EB_OPT_STRING, &pricing, "FILE", "price table (USD per million tokens)"},
        {"quant", EB_OPT_STRING, &quant, "NAME", "quantization label (bf16, fp8, int8, 4bit)"},
        {"batch", EB_OPT_FLAG, &s.batch, NULL, "use the provider's batch API (half price, slower)"},
        {"no-cache", EB_OPT_FLAG, &s.no_cache, NULL, "never reuse responses stored by other runs"},
        {"fresh", EB_OPT_FLAG, &fresh, NULL, "start a new run even if one with this configuration exists"},
        {NULL, 0, NULL, NULL, NULL},
    };
    char *pos[1];
    int npos;
    int prc = eb_opts_parse("run", "--engine ENGINE --suite LIST [options]", opts, argc, argv, pos, 0, &npos);
    if (prc) {
        eb_run_spec_free(&s);
        return prc == 1 ? EB_EXIT_OK : EB_EXIT_USAGE;
    }
    DUP(model, model) DUP(engine, engine) DUP(model_path, model_path) DUP(device, device) DUP(base_url, base_url)
    DUP(replay_file, replay) DUP(pricing_file, pricing) DUP(quantization, quant) DUP(suites, suites)
    DUP(data_dir, data) DUP(db_path, db) DUP(mmlu_mode, mmlu_mode) DUP(math_set, math_set)
    DUP(lcb_release, lcb_release) DUP(since, since) DUP(until, until) DUP(style, style)
    if (!s.data_dir) s.data_dir = eb_strdup(eb_default_data_dir(NULL));
    int code = eb_execute_run(&s, 0, fresh);
    eb_run_spec_free(&s);
    return code;
}
