/* MMLU answer-letter extraction: the shapes chat models actually produce,
 * and responses from which no letter may be taken. */
#include <stdlib.h>

#include "mmlu_letter.h"
#include "test_util.h"

typedef struct {
    const char *response;
    const char *letter; /* NULL: nothing may be extracted */
} letter_case;

static const letter_case cases[] = {
    /* the requested format and its Markdown / LaTeX dress */
    {"Answer: B", "B"},
    {"answer: c", NULL}, /* a lower-case letter is never a choice */
    {"ANSWER: D", "D"},
    {"Let me think step by step.\nThe capital is Paris.\n\nAnswer: A", "A"},
    {"**Answer:** B", "B"},
    {"**Answer: C**", "C"},
    {"Answer: **D**", "D"},
    {"Answer: $\\boxed{B}$", "B"},
    {"$\\boxed{C}$", "C"},
    {"\\boxed{\\text{D}}", "D"},
    {"The final answer is $\\boxed{\\textbf{(A)}}$.", "A"},
    {"Answer: \\(B\\)", "B"},
    {"Answer: $\\text{C}$", "C"},
    {"Answer:\nB", "B"},
    {"Answer : B", "B"},
    {"Answer - C", "C"},
    {"Answer = D", "D"},
    /* sentences */
    {"The answer is B.", "B"},
    {"The answer is (B).", "B"},
    {"the answer is (c) because", NULL},
    {"The correct answer is C, since the others are wrong.", "C"},
    {"The correct answer is: D", "D"},
    {"I think the answer would be A.", "A"},
    {"The answer to this question is B.", "B"},
    {"The correct option is C.", "C"},
    {"The best choice is D) 42.", "D"},
    {"Final answer: (A)", "A"},
    {"So the answer is option B.", "B"},
    {"The answer is [C].", "C"},
    /* the last explicit statement wins */
    {"The answer is A. Wait, that's wrong. The answer is C.", "C"},
    {"Answer: B\n\nOn reflection, Answer: D", "D"},
    {"I first thought \\boxed{A} but the answer is B.", "B"},
    {"The answer is B, so the final result is \\boxed{D}", "D"},
    /* explicit statements beat later bare letters */
    {"The answer is C.\n(A) is wrong and (B) is wrong.", "C"},
    /* bare letters */
    {"B", "B"},
    {"  C  ", "C"},
    {"(D)", "D"},
    {"A.", "A"},
    {"[B]", "B"},
    {"C)", "C"},
    {"Looking at the options...\nThe second is right.\n\nB", "B"},
    {"Reasoning here.\n(C)\n", "C"},
    {"B) Paris is the capital of France.", "B"},
    {"C. Mitochondria", "C"},
    {"(A) 12", "A"},
    {"I pick (B) here.", "B"},
    {"Options (A) and (C) are close; I'd go with (D).", "D"},
    /* verbs and verdicts */
    {"I would choose B.", "B"},
    {"Let's select option (C) here.", "C"},
    {"After weighing them, D is correct.", "D"},
    {"(A) is the best, since it covers all cases.", "A"},
    {"A is wrong. B is the right one.", "B"},
    {"## Final Answer\nThe correct choice is **D**.", "D"},
    {"Answer:\n\n**B) Paris**", "B"},
    {"**Answer: (B) 42**", "B"},
    {"Answer: The correct answer is C", "C"},
    /* nothing to extract */
    {"", NULL},
    {"I don't know.", NULL},
    {"A triangle has three sides.", NULL},
    {"Answer: Both are correct", NULL},
    {"Answer: E", NULL},
    {"The answer is 42.", NULL},
    {"Bob and Carl went to Delaware.", NULL},
    {"answer", NULL},
    {"\\boxed{}", NULL},
    {"Answer: ABC", NULL},
};

int main(void) {
    size_t n = sizeof cases / sizeof cases[0];
    for (size_t i = 0; i < n; i++) {
        char *got = eb_mmlu_extract_letter(cases[i].response);
        if (cases[i].letter) {
            CHECK_MSG(got && strcmp(got, cases[i].letter) == 0, "case %zu [%s]: got %s, expected %s", i,
                      cases[i].response, got ? got : "NULL", cases[i].letter);
        } else {
            CHECK_MSG(got == NULL, "case %zu [%s]: got %s, expected nothing", i, cases[i].response, got);
        }
        free(got);
    }
    CHECK(eb_mmlu_extract_letter(NULL) == NULL);
    printf("%zu MMLU letter cases\n", n);
    return eb_test_finish();
}
