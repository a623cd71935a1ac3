/* Scoring dispatch: strip reasoning, extract the answer the way the suite's
 * reference harness does, and decide correctness (executing code for the
 * code suites). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "code/code_score.h"
#include "extract/code_block.h"
#include "extract/math_answer.h"
#include "extract/math_equiv.h"
#include "extract/math_normalize.h"
#include "extract/mmlu_letter.h"
#include "extract/reasoning.h"
#include "suite.h"

static void set_verdict(eb_score *out, const char *v) { out->verdict = eb_strdup(v); }

static int score_mmlu(const eb_item *it, const char *text, const double *lp, size_t n_lp, eb_score *out) {
    if (n_lp > 0) {
        /* loglik: the argmax over the four letters' log-probabilities. */
        size_t best = 0;
        for (size_t k = 1; k < n_lp && k < 4; k++)
            if (lp[k] > lp[best]) best = k;
        char letter[2] = {(char)('A' + best), 0};
        out->extracted = eb_strdup(letter);
        eb_buf d = {0};
        eb_buf_printf(&d, "{\"logprobs\":[");
        for (size_t k = 0; k < n_lp; k++) eb_buf_printf(&d, "%s%.6f", k ? "," : "", isfinite(lp[k]) ? lp[k] : -1e30);
        eb_buf_puts(&d, "]}");
        out->details_json = eb_buf_take(&d);
    } else {
        out->extracted = eb_mmlu_extract_letter_n(text, it->n_choices ? (int)it->n_choices : 4);
    }
    if (!out->extracted) {
        out->correct = 0;
        set_verdict(out, "no_answer");
        return 0;
    }
    out->normalized = eb_strdup(out->extracted);
    out->correct = strcmp(out->extracted, it->answer) == 0;
    set_verdict(out, out->correct ? "correct" : "wrong");
    return 0;
}

static int score_math(const eb_item *it, const char *text, eb_score *out) {
    const char *how = NULL;
    out->extracted = eb_math_extract_answer_how(text, &how);
    if (how && strcmp(how, "boxed") != 0) {
        /* a fallback found the answer: recorded for the extraction audit */
        eb_buf d = {0};
        eb_buf_printf(&d, "{\"extraction\":\"%s\"}", how);
        out->details_json = eb_buf_take(&d);
    }
    if (!out->extracted) {
        out->correct = 0;
        set_verdict(out, "no_answer");
        return 0;
    }
    out->normalized = eb_math_normalize(out->extracted);
    out->correct = eb_math_equiv(out->extracted, it->answer);
    set_verdict(out, out->correct ? "correct" : "wrong");
    return 0;
}

/* Chat answers: the code block, placed after the prompt so that the prompt's
 * imports and helper functions stay defined and a full redefinition of the
 * entry point replaces the stub.  Completion answers: prompt + completion cut
 * at the stop sequences. */
static char *humaneval_solution(const eb_item *it, const eb_suite_options *opt, const char *text) {
    eb_buf b = {0};
    eb_buf_puts(&b, it->question);
    if (opt->style == EB_PROMPT_COMPLETION) {
        char *cut = eb_truncate_at_stops(text, eb_humaneval_stops, EB_HUMANEVAL_N_STOPS);
        eb_buf_puts(&b, cut);
        free(cut);
    } else {
        char *code = eb_extract_code_block(text, "python");
        if (code) {
            eb_buf_puts(&b, "\n");
            eb_buf_puts(&b, code);
            eb_buf_puts(&b, "\n");
        }
        free(code);
    }
    return eb_buf_take(&b);
}

static int count_fence_lines(const char *text) {
    int n = 0;
    for (const char *line = text; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        if (memmem(line, len, "```", 3)) n++;
        line = nl ? nl + 1 : NULL;
    }
    return n;
}

int eb_suite_score(const eb_suite *s, const eb_item *it, const eb_suite_options *opt, const char *raw,
                   const double *logprobs, size_t n_logprobs, struct eb_executor *ex, eb_score *out, eb_err *err) {
    memset(out, 0, sizeof *out);
    out->correct_plus = -1;
    char *text = eb_strip_reasoning(raw ? raw : "");
    if (!text) text = eb_strdup("");
    /* code keeps its indentation: no trim before the program is assembled */
    char *code_text = eb_remove_reasoning(raw ? raw : "");
    if (!code_text) code_text = eb_strdup("");
    int rc = 0;
    if (strcmp(s->name, "mmlu") == 0) {
        rc = score_mmlu(it, text, logprobs, n_logprobs, out);
    } else if (strcmp(s->name, "math") == 0) {
        rc = score_math(it, text, out);
    } else if (strcmp(s->name, "humaneval") == 0) {
        if (!ex) {
            rc = eb_err_set(err, "HumanEval scoring needs the code sandbox");
        } else {
            char *solution = humaneval_solution(it, opt, code_text);
            rc = eb_score_humaneval(it, solution, ex, out, err);
            if (!out->extracted) out->extracted = solution;
            else free(solution);
        }
    } else if (strcmp(s->name, "livecodebench") == 0) {
        if (!ex) {
            rc = eb_err_set(err, "LiveCodeBench scoring needs the code sandbox");
        } else {
            /* Upstream LiveCodeBench gives up (empty program) when the response
             * has fewer than two fence lines; so do we. */
            char *code = opt->style == EB_PROMPT_COMPLETION ? eb_strdup(code_text)
                         : count_fence_lines(code_text) >= 2 ? eb_extract_code_block(code_text, "python")
                                                             : NULL;
            if (!code || !code[0]) {
                out->correct = 0;
                out->extracted = code ? code : eb_strdup("");
                set_verdict(out, "no_answer");
            } else {
                rc = eb_score_livecodebench(it, code, ex, out, err);
                if (!out->extracted) out->extracted = code;
                else free(code);
            }
        }
    } else {
        rc = eb_err_set(err, "no scorer for suite %s", s->name);
    }
    free(text);
    free(code_text);
    if (rc == 0 && !out->verdict) set_verdict(out, out->correct ? "correct" : "wrong");
    return rc;
}
