#include "run_exec.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "engine.h"
#include "executor.h"
#include "exitcodes.h"
#include "run_summary.h"
#include "runner.h"
#include "sha256.h"
#include "strutil.h"
#include "suite.h"

const char *eb_default_data_dir(const char *flag) {
    if (flag && *flag) return flag;
    const char *env = getenv("EVALBENCH_DATA");
    return env && *env ? env : "data";
}

/* The configuration hash covers what changes the answers or the items:
 * engine, model, parameters, prompt options and the datasets' fingerprints;
 * not paths, concurrency or worker counts. */
static void config_hash(const eb_run_spec *s, const eb_suite *suites, size_t n, char out[65]) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "engine", s->engine);
    cJSON_AddStringToObject(o, "model", s->model ? s->model : "");
    cJSON_AddStringToObject(o, "model_path", s->model_path ? s->model_path : "");
    cJSON_AddStringToObject(o, "base_url", s->base_url ? s->base_url : "");
    cJSON_AddStringToObject(o, "replay", s->replay_file ? s->replay_file : "");
    cJSON_AddStringToObject(o, "quantization", s->quantization ? s->quantization : "");
    cJSON_AddStringToObject(o, "style", s->style ? s->style : "auto");
    cJSON_AddNumberToObject(o, "n_runs", (double)s->n_runs);
    cJSON_AddNumberToObject(o, "temperature", s->temperature);
    cJSON_AddNumberToObject(o, "seed", (double)s->seed);
    cJSON_AddNumberToObject(o, "max_tokens", (double)s->max_tokens);
    cJSON_AddBoolToObject(o, "no_cache", s->no_cache);
    cJSON *fp = cJSON_AddObjectToObject(o, "suites");
    for (size_t i = 0; i < n; i++) cJSON_AddStringToObject(fp, suites[i].name, suites[i].fingerprint);
    char *text = cJSON_PrintUnformatted(o);
    eb_sha256_hex(text, strlen(text), out);
    cJSON_free(text);
    cJSON_Delete(o);
}

static int create_engine(const eb_run_spec *s, eb_engine_config *cfg, eb_engine **engine) {
    const eb_engine_entry *entry = eb_engine_find(s->engine);
    if (!entry) {
        size_t n;
        const eb_engine_entry *all = eb_engine_list(&n);
        fprintf(stderr, "evalbench: unknown engine \"%s\" (available:", s->engine);
        for (size_t i = 0; i < n; i++) fprintf(stderr, " %s", all[i].name);
        fprintf(stderr, ")\n");
        return EB_EXIT_USAGE;
    }
    memset(cfg, 0, sizeof *cfg);
    cfg->engine = s->engine;
    cfg->model = s->model;
    cfg->model_path = s->model_path;
    cfg->device = s->device;
    cfg->base_url = s->base_url;
    cfg->replay_file = s->replay_file;
    cfg->pricing_file = s->pricing_file;
    cfg->quantization = s->quantization;
    cfg->concurrency = (int)s->concurrency;
    cfg->batch = s->batch;
    eb_err err = {{0}};
    if (entry->create(cfg, engine, &err) != 0) {
        fprintf(stderr, "evalbench: %s\n", err.msg);
        return EB_EXIT_ENGINE;
    }
    return EB_EXIT_OK;
}

static int load_suites(const eb_run_spec *s, const eb_suite_options *opt, eb_suite **out, size_t *n_out) {
    char **names;
    size_t n = eb_split(s->suites, ',', &names);
    eb_suite *suites = eb_calloc(n, sizeof *suites);
    for (size_t i = 0; i < n; i++) {
        eb_err err = {{0}};
        if (eb_suite_load(names[i], opt, &suites[i], &err) != 0) {
            fprintf(stderr, "evalbench: %s\n", err.msg);
            for (size_t k = 0; k < i; k++) eb_suite_free(&suites[k]);
            free(suites);
            eb_strv_free(names, n);
            return EB_EXIT_DATA;
        }
    }
    eb_strv_free(names, n);
    *out = suites;
    *n_out = n;
    return EB_EXIT_OK;
}

/* Finds or creates the run row.  Returns an exit code; *skip is set when a
 * finished run with this configuration already exists. */
static int select_run(eb_results_db *db, const eb_run_spec *s, const eb_engine *engine, const char *hash,
                      long resume_id, bool fresh, long *run_id, bool *skip) {
    eb_err err = {{0}};
    eb_run_row row;
    *skip = false;
    if (resume_id > 0) {
        int found = eb_db_get_run(db, resume_id, &row, &err);
        if (found <= 0) {
            fprintf(stderr, "evalbench: %s\n", found < 0 ? err.msg : "no such run");
            return found < 0 ? EB_EXIT_DB : EB_EXIT_USAGE;
        }
        bool same = strcmp(row.config_hash, hash) == 0;
        eb_run_row_clear(&row);
        if (!same) {
            fprintf(stderr,
                    "evalbench: run %ld cannot be resumed: its datasets or settings differ from what is on disk now "
                    "(a dataset file changed?)\n",
                    resume_id);
            return EB_EXIT_DATA;
        }
        *run_id = resume_id;
        return EB_EXIT_OK;
    }
    /* Finding the run and creating it when absent is one write transaction:
     * two processes started with one configuration get one run. */
    if (eb_db_write_begin(db, &err) != 0) {
        fprintf(stderr, "evalbench: %s\n", err.msg);
        return EB_EXIT_DB;
    }
    if (!fresh) {
        int found = eb_db_find_run(db, hash, &row, &err);
        if (found < 0 || (found && eb_db_commit(db, &err) != 0)) {
            fprintf(stderr, "evalbench: %s\n", err.msg);
            if (found > 0) eb_run_row_clear(&row);
            return EB_EXIT_DB;
        }
        if (found) {
            *run_id = row.run_id;
            bool finished = row.status && strcmp(row.status, "finished") == 0;
            fprintf(stderr, "evalbench: %s run %ld (same configuration)%s\n", finished ? "found finished" : "resuming",
                    row.run_id, finished ? "; use --fresh for a new run" : "");
            *skip = finished;
            eb_run_row_clear(&row);
            return EB_EXIT_OK;
        }
    }
    char *params = eb_run_spec_to_json(s);
    if (engine->has_price) {
        cJSON *pj = cJSON_Parse(params);
        cJSON_AddNumberToObject(pj, "price_in_usd_per_mtok", engine->price_in_per_mtok);
        cJSON_AddNumberToObject(pj, "price_out_usd_per_mtok", engine->price_out_per_mtok);
        char *text = cJSON_PrintUnformatted(pj);
        free(params);
        params = eb_strdup(text);
        cJSON_free(text);
        cJSON_Delete(pj);
    }
    eb_run_row nr = {0};
    nr.config_hash = (char *)hash;
    nr.model = engine->model ? engine->model : (char *)"";
    nr.engine = (char *)s->engine;
    nr.engine_version = engine->version;
    nr.quantization = s->quantization ? s->quantization : engine->quantization;
    nr.suites = s->suites;
    nr.n_runs = (int)s->n_runs;
    nr.temperature = s->temperature;
    nr.params_json = params;
    int rc = eb_db_create_run(db, &nr, run_id, &err);
    free(params);
    if (rc != 0) {
        fprintf(stderr, "evalbench: %s\n", err.msg);
        return EB_EXIT_DB;
    }
    fprintf(stderr, "evalbench: started run %ld\n", *run_id);
    return EB_EXIT_OK;
}

int eb_execute_run(eb_run_spec *spec, long resume_run_id, bool fresh) {
    eb_err err = {{0}};
    if (eb_run_spec_validate(spec, &err) != 0) {
        fprintf(stderr, "evalbench: %s\n", err.msg);
        return EB_EXIT_USAGE;
    }
    if (!spec->data_dir) spec->data_dir = eb_strdup(eb_default_data_dir(NULL));
    eb_engine_config ecfg;
    eb_engine *engine = NULL;
    int code = create_engine(spec, &ecfg, &engine);
    if (code != EB_EXIT_OK) return code;

    eb_suite_options sopt = {0};
    sopt.data_dir = spec->data_dir;
    sopt.mmlu_mode = spec->mmlu_mode;
    sopt.math_set = spec->math_set;
    sopt.lcb_release = spec->lcb_release;
    sopt.since = spec->since;
    sopt.until = spec->until;
    sopt.limit = spec->limit;
    sopt.max_tokens = (int)spec->max_tokens;
    bool chat = strcmp(spec->style, "auto") == 0 ? engine->chat_default : strcmp(spec->style, "chat") == 0;
    sopt.style = chat ? EB_PROMPT_CHAT : EB_PROMPT_COMPLETION;
    if (!sopt.mmlu_mode) sopt.mmlu_mode = !chat && engine->supports_loglik ? "loglik" : "generate";
    if (strcmp(sopt.mmlu_mode, "loglik") == 0 && !engine->supports_loglik) {
        fprintf(stderr, "evalbench: --mmlu-mode loglik needs log-probabilities, which the %s engine does not return\n",
                engine->name);
        eb_engine_destroy(engine);
        return EB_EXIT_USAGE;
    }

    eb_suite *suites = NULL;
    size_t n_suites = 0;
    eb_results_db *db = NULL;
    eb_executor *executor = NULL;
    if ((code = load_suites(spec, &sopt, &suites, &n_suites)) != EB_EXIT_OK) goto out;
    char hash[65];
    config_hash(spec, suites, n_suites, hash);
    if (eb_db_open(spec->db_path, &db, &err) != 0) {
        fprintf(stderr, "evalbench: %s\n", err.msg);
        code = EB_EXIT_DB;
        goto out;
    }
    long run_id = 0;
    bool skip = false;
    if ((code = select_run(db, spec, engine, hash, resume_run_id, fresh, &run_id, &skip)) != EB_EXIT_OK) goto out;
    if (skip) {
        eb_print_run_summary(stdout, db, run_id, &err);
        goto out;
    }
    ecfg.db = db;
    ecfg.run_id = run_id;

    bool need_exec = false;
    for (size_t i = 0; i < n_suites; i++) need_exec |= eb_suite_needs_executor(&suites[i]);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int jobs = spec->jobs > 0 ? (int)spec->jobs : (int)(cores > 0 ? cores : 1);
    if (need_exec) {
        eb_executor_options xo = {0};
        xo.jobs = jobs;
        xo.fast_path = 1;
        executor = eb_executor_create(&xo, &err);
        if (!executor) {
            fprintf(stderr, "evalbench: cannot start the code sandbox: %s\n", err.msg);
            code = EB_EXIT_FAILURE;
            goto out;
        }
    }

    eb_runner_config rc = {0};
    rc.db = db;
    rc.run_id = run_id;
    rc.engine = engine;
    rc.suites = suites;
    rc.n_suites = n_suites;
    rc.suite_opt = &sopt;
    rc.n_runs = (int)spec->n_runs;
    rc.temperature = spec->temperature;
    rc.seed = (uint64_t)spec->seed;
    rc.concurrency = (int)spec->concurrency;
    rc.jobs = jobs;
    rc.no_cache = spec->no_cache;
    rc.executor = executor;
    rc.progress = stderr;
    rc.progress_tty = isatty(STDERR_FILENO);
    eb_runner_install_signal_handlers();
    eb_runner_stats st;
    int run_rc = eb_runner_execute(&rc, &st, &err);
    bool complete = run_rc == 0 && st.already_done + st.scored == st.total;
    eb_err serr = {{0}};
    eb_db_set_run_status(db, run_id, complete ? "finished" : st.interrupted ? "interrupted" : "incomplete", complete,
                         &serr);
    fprintf(stderr,
            "evalbench: run %ld: %ld scored now (%ld from the response cache, %ld requests sent), %ld done before, "
            "%ld/%ld complete\n",
            run_id, st.scored, st.from_cache, st.requested, st.already_done, st.already_done + st.scored, st.total);
    if (run_rc != 0) {
        fprintf(stderr, "evalbench: %s\n", err.msg);
        fprintf(stderr, "evalbench: answers so far are stored; `evalbench resume %ld` continues\n", run_id);
        code = EB_EXIT_FAILURE;
    } else if (st.engine_fatal) {
        fprintf(stderr, "evalbench: stopped: %s\n", st.first_error);
        fprintf(stderr, "evalbench: answers so far are stored; `evalbench resume %ld` continues\n", run_id);
        code = EB_EXIT_ENGINE;
    } else if (st.interrupted) {
        fprintf(stderr, "evalbench: interrupted; `evalbench resume %ld` continues\n", run_id);
        code = EB_EXIT_INTERRUPTED;
    } else if (!complete) {
        fprintf(stderr, "evalbench: %ld requests failed (first: %s); `evalbench resume %ld` retries them\n", st.failed,
                st.first_error, run_id);
        code = EB_EXIT_FAILURE;
    }
    eb_print_run_summary(stdout, db, run_id, &serr);
out:
    if (executor) eb_executor_destroy(executor);
    eb_db_close(db);
    for (size_t i = 0; i < n_suites; i++) eb_suite_free(&suites[i]);
    free(suites);
    eb_engine_destroy(engine);
    return code;
}
