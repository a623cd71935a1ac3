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

/* Quoted letters, rejected letters, formulas, and the letter set of items
 * with other numbers of options (MMLU-Pro has 3 to 10). */
typedef struct {
    const char *response;
    int n_options;
    const char *letter;
} sized_case;

static const sized_case sized_cases[] = {
    {"Answer: \"C\"", 4, "C"},
    {"The answer is 'B'.", 4, "B"},
    {"Answer: \xe2\x80\x9c" "D\xe2\x80\x9d", 4, "D"},
    {"\"A\"", 4, "A"},
    {"Reasoning.\n\"B\"\n", 4, "B"},
    /* a letter in a clause that rejects it is not the answer */
    {"I would not choose (B) here.", 4, NULL},
    {"Option (A) is wrong, so I go with (C).", 4, "C"},
    {"Clearly (C) is incorrect.", 4, NULL},
    {"We can rule out (D).", 4, NULL},
    {"I won't pick B.", 4, NULL},
    /* a letter that starts a formula is a variable */
    {"Choose $C \\in \\mathbb{R}$ so that the sum converges.", 4, NULL},
    {"Pick $A = 3$ and $B = 4$.", 4, NULL},
    /* the letter set follows the number of options */
    {"Answer: E", 4, NULL},
    {"Answer: E", 5, "E"},
    {"The answer is (J).", 10, "J"},
    {"The answer is (J).", 9, NULL},
    {"The answer is (I).", 9, "I"},
    {"(G)", 10, "G"},
    {"Answer: C", 3, "C"},
    {"Answer: D", 3, NULL},
    {"Answer: B", 2, "B"},
    {"Answer: A", 1, NULL},
    {"Answer: A", 11, NULL},
};

int main(void) {
    size_t n_sized = sizeof sized_cases / sizeof sized_cases[0];
    for (size_t i = 0; i < n_sized; i++) {
        const sized_case *c = &sized_cases[i];
        char *got = eb_mmlu_extract_letter_n(c->response, c->n_options);
        CHECK_MSG((got == NULL && c->letter == NULL) || (got && c->letter && strcmp(got, c->letter) == 0),
                  "sized case %zu [%s] with %d options: got %s, expected %s", i, c->response, c->n_options,
                  got ? got : "NULL", c->letter ? c->letter : "NULL");
        free(got);
    }
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
    printf("%zu MMLU letter cases, %zu with quotes, rejections and option counts\n", n, n_sized);
    return eb_test_finish();
}
