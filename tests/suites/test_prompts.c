/* Prompt templates: the exact strings the reference harnesses use. */
#include "suite.h"
#include "test_util.h"

int main(void) {
    eb_suite_options o = {0};
    o.data_dir = eb_test_data_dir();
    o.style = EB_PROMPT_CHAT;
    o.limit = 3;
    eb_err err = {{0}};
    eb_suite s;
    eb_prompt p;

    CHECK_MSG(eb_suite_load("mmlu", &o, &s, &err) == 0, "%s", err.msg);
    CHECK(eb_suite_build_prompt(&s, &s.items[0], &o, &p, &err) == 0);
    CHECK(p.chat);
    const char *mc = "Answer the following multiple choice question. The last line of your response should be "
                     "of the following format: 'Answer: $LETTER'";
    CHECK(strncmp(p.prompt, mc, strlen(mc)) == 0);
    CHECK(strstr(p.prompt, "\n\nA) ") != NULL && strstr(p.prompt, "\nD) ") != NULL);
    CHECK_INT(p.n_continuations, 0);
    eb_prompt_free(&p);
    eb_suite_free(&s);

    o.mmlu_mode = "loglik";
    CHECK_MSG(eb_suite_load("mmlu", &o, &s, &err) == 0, "%s", err.msg);
    CHECK(eb_suite_build_prompt(&s, &s.items[0], &o, &p, &err) == 0);
    CHECK(!p.chat);
    CHECK_INT(p.n_continuations, 4);
    CHECK_STR(p.continuations[1], " B");
    size_t len = strlen(p.prompt);
    CHECK(len > 8 && strcmp(p.prompt + len - 8, "\nAnswer:") == 0);
    CHECK(strstr(p.prompt, "\nA. ") != NULL);
    eb_prompt_free(&p);
    eb_suite_free(&s);
    o.mmlu_mode = NULL;

    CHECK_MSG(eb_suite_load("humaneval", &o, &s, &err) == 0, "%s", err.msg);
    o.style = EB_PROMPT_COMPLETION;
    CHECK(eb_suite_build_prompt(&s, &s.items[0], &o, &p, &err) == 0);
    CHECK_STR(p.prompt, s.items[0].question);
    CHECK_INT(p.n_stop, 5);
    CHECK_STR(p.stop[0], "\nclass");
    eb_prompt_free(&p);
    o.style = EB_PROMPT_CHAT;
    CHECK(eb_suite_build_prompt(&s, &s.items[0], &o, &p, &err) == 0);
    CHECK(strstr(p.prompt, s.items[0].question) != NULL);
    const char *he = "Read the following function signature and docstring";
    CHECK(strncmp(p.prompt, he, strlen(he)) == 0);
    eb_prompt_free(&p);
    eb_suite_free(&s);

    CHECK_MSG(eb_suite_load("math", &o, &s, &err) == 0, "%s", err.msg);
    CHECK(eb_suite_build_prompt(&s, &s.items[0], &o, &p, &err) == 0);
    CHECK(strstr(p.prompt, "put your final answer within \\boxed{}") != NULL);
    eb_prompt_free(&p);
    o.max_tokens = 77;
    CHECK(eb_suite_build_prompt(&s, &s.items[0], &o, &p, &err) == 0);
    CHECK_INT(p.max_tokens, 77);
    eb_prompt_free(&p);
    o.max_tokens = 0;
    eb_suite_free(&s);

    CHECK_MSG(eb_suite_load("livecodebench", &o, &s, &err) == 0, "%s", err.msg);
    CHECK(eb_suite_build_prompt(&s, &s.items[0], &o, &p, &err) == 0);
    CHECK(p.system && strstr(p.system, "You are an expert Python programmer.") == p.system);
    CHECK(strstr(p.prompt, "### Question:\n") == p.prompt);
    CHECK(strstr(p.prompt, "# YOUR CODE HERE") != NULL); /* abc365_b is a stdin problem */
    CHECK(strstr(p.prompt, "### Answer: (use the provided format with backticks)") != NULL);
    eb_prompt_free(&p);
    eb_suite_free(&s);
    return eb_test_finish();
}
