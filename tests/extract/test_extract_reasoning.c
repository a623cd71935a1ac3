/* Removal of thinking text before answer extraction. */
#include <stdlib.h>

#include "reasoning.h"
#include "test_util.h"

static const char *const cases[][2] = {
    {"The answer is 4.", "The answer is 4."},
    {"<think>2+2 is 4</think>The answer is 4.", "The answer is 4."},
    {"<think>\nlong\nthought\n</think>\n\nAnswer: B\n", "Answer: B"},
    {"<think>a</think>x<think>b</think>y", "xy"},
    /* the opening tag was in the prompt (template prefill) */
    {"reasoning without an opening tag</think>Answer: C", "Answer: C"},
    {"first</think>second</think>final", "final"},
    /* cut off while thinking: no answer */
    {"<think>still thinking about it", ""},
    {"Preamble <think>unfinished", "Preamble"},
    /* Gemma 4 thinking channel */
    {"<|channel>thought\nLet me compute.<channel|>The answer is \\boxed{5}.", "The answer is \\boxed{5}."},
    {"<|channel>thought\n<channel|>Answer: D", "Answer: D"},
    {"thinking whose opening marker was in the prompt<channel|>Answer: A", "Answer: A"},
    {"<|channel>thought\nnever closed", ""},
    {"<|channel>x<channel|>a<|channel>y<channel|>b", "ab"},
    /* both kinds */
    {"<think>t</think><|channel>thought\nc<channel|>  done  ", "done"},
    /* markers inside the answer that are not tags stay */
    {"Use <thinking> tags like so", "Use <thinking> tags like so"},
    {"", ""},
    {"   ", ""},
};

int main(void) {
    size_t n = sizeof cases / sizeof cases[0];
    for (size_t i = 0; i < n; i++) {
        char *got = eb_strip_reasoning(cases[i][0]);
        CHECK_STR(got, cases[i][1]);
        free(got);
    }
    CHECK(eb_strip_reasoning(NULL) == NULL);
    printf("%zu reasoning cases\n", n);
    return eb_test_finish();
}
