/* Prompt construction for the four suites.  Every template and stop list
 * follows a reference harness; docs/SCORING.md names which and why. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "extract/code_block.h"
#include "suite.h"

char *eb_mmlu_format_question(const eb_item *it);

/* simple-evals QUERY_TEMPLATE_MULTICHOICE (zero-shot, chat). */
static char *mmlu_chat_prompt(const eb_item *it) {
    eb_buf b = {0};
    eb_buf_puts(&b,
                "Answer the following multiple choice question. The last line of your response should be of the "
                "following format: 'Answer: $LETTER' (without quotes) where LETTER is one of ABCD. Think step by "
                "step before answering.\n\n");
    eb_buf_printf(&b, "%s\n\nA) %s\nB) %s\nC) %s\nD) %s", it->question, it->choices[0], it->choices[1],
                  it->choices[2], it->choices[3]);
    return eb_buf_take(&b);
}

/* Original Hendrycks 5-shot prompt: header + dev shots + question + "Answer:". */
static char *mmlu_fewshot_prompt(const eb_item *it) {
    char *q = eb_mmlu_format_question(it);
    eb_buf b = {0};
    eb_buf_puts(&b, it->context ? it->context : "");
    eb_buf_puts(&b, q);
    free(q);
    return eb_buf_take(&b);
}

static const char LCB_SYSTEM[] =
    "You are an expert Python programmer. You will be given a question (problem specification) and will generate "
    "a correct Python program that matches the specification and passes all tests.";

static char *lcb_user_prompt(const eb_item *it) {
    eb_buf b = {0};
    eb_buf_printf(&b, "### Question:\n%s\n\n", it->question);
    if (it->starter_code && it->starter_code[0]) {
        eb_buf_printf(&b,
                      "### Format: You will use the following starter code to write the solution to the problem and "
                      "enclose your code within delimiters.\n```python\n%s\n```\n\n",
                      it->starter_code);
    } else {
        eb_buf_puts(&b,
                    "### Format: Read the inputs from stdin solve the problem and write the answer to stdout (do not "
                    "directly test on the sample inputs). Enclose your code within delimiters as follows. Ensure "
                    "that when the python program runs, it reads the inputs, runs the algorithm and writes output to "
                    "STDOUT.\n```python\n# YOUR CODE HERE\n```\n\n");
    }
    eb_buf_puts(&b, "### Answer: (use the provided format with backticks)\n\n");
    return eb_buf_take(&b);
}

static void set_stops(eb_prompt *p, const char *const *stops, size_t n) {
    p->stop = eb_malloc(n * sizeof *p->stop);
    for (size_t i = 0; i < n; i++) p->stop[i] = eb_strdup(stops[i]);
    p->n_stop = n;
}

int eb_suite_build_prompt(const eb_suite *s, const eb_item *it, const eb_suite_options *opt, eb_prompt *p,
                          eb_err *err) {
    memset(p, 0, sizeof *p);
    bool chat = opt->style != EB_PROMPT_COMPLETION;
    p->chat = chat;
    p->add_bos = true;
    if (strcmp(s->name, "mmlu") == 0) {
        bool loglik = opt->mmlu_mode && strcmp(opt->mmlu_mode, "loglik") == 0;
        if (loglik) {
            p->chat = false;
            p->prompt = mmlu_fewshot_prompt(it);
            p->max_tokens = 1;
            static const char *const letters[] = {" A", " B", " C", " D"};
            p->continuations = eb_malloc(4 * sizeof *p->continuations);
            for (int k = 0; k < 4; k++) p->continuations[k] = eb_strdup(letters[k]);
            p->n_continuations = 4;
        } else if (chat) {
            p->prompt = mmlu_chat_prompt(it);
            p->max_tokens = 4096;
        } else {
            static const char *const nl[] = {"\n"};
            p->prompt = mmlu_fewshot_prompt(it);
            p->max_tokens = 5;
            set_stops(p, nl, 1);
        }
    } else if (strcmp(s->name, "humaneval") == 0) {
        if (chat) {
            eb_buf b = {0};
            eb_buf_puts(&b,
                        "Read the following function signature and docstring, and fully implement the function "
                        "described. Your response should only contain the code for this function.\n");
            eb_buf_puts(&b, it->question);
            p->prompt = eb_buf_take(&b);
        } else {
            p->prompt = eb_strdup(it->question);
            set_stops(p, eb_humaneval_stops, EB_HUMANEVAL_N_STOPS);
        }
        p->max_tokens = chat ? 4096 : 1024;
    } else if (strcmp(s->name, "math") == 0) {
        eb_buf b = {0};
        if (chat) {
            eb_buf_printf(&b, "%s\nPlease reason step by step, and put your final answer within \\boxed{}.",
                          it->question);
        } else {
            static const char *const st[] = {"Problem:"};
            eb_buf_printf(&b, "Problem:\n%s\n\nSolution:", it->question);
            set_stops(p, st, 1);
        }
        p->prompt = eb_buf_take(&b);
        p->max_tokens = 4096;
    } else if (strcmp(s->name, "livecodebench") == 0) {
        if (chat) {
            p->system = eb_strdup(LCB_SYSTEM);
        } else {
            static const char *const st[] = {"###"};
            set_stops(p, st, 1);
        }
        p->prompt = lcb_user_prompt(it);
        p->max_tokens = 4096;
    } else {
        return eb_err_set(err, "no prompt template for suite %s", s->name);
    }
    if (opt->max_tokens > 0 && p->n_continuations == 0) p->max_tokens = opt->max_tokens;
    return 0;
}
