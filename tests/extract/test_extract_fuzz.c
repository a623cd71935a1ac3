/* Robustness: 100,000 random and mutated strings through every function of
 * eb_extract.  Nothing may crash (this test is run under ASan+UBSan in the
 * sanitizer build), every call must return in bounded time, and a few
 * invariants must hold on any input:
 *   - eb_math_equiv(s, s) is true (an answer always matches itself);
 *   - a returned MMLU letter is one of A-D;
 *   - truncation at stops returns a prefix of its input;
 *   - stripping reasoning, extraction and normalization never return NULL
 *     for non-NULL input where the API promises a string.
 * The generator is seeded, so a failure reproduces; EB_FUZZ_SEED picks
 * another seed for longer hunts outside CI. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "code_block.h"
#include "error.h"
#include "math_answer.h"
#include "math_equiv.h"
#include "math_normalize.h"
#include "mmlu_letter.h"
#include "reasoning.h"
#include "test_util.h"

static uint64_t rng_state = 0x5eed2026ull;

static uint64_t rnd(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static size_t below(size_t n) {
    return n ? (size_t)(rnd() % n) : 0;
}

static const char *const seeds[] = {
    "\\boxed{\\frac{1}{2}}",
    "The answer is $\\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}$.",
    "\\begin{pmatrix} 1/5 \\\\ -18/5 \\end{pmatrix}",
    "(-\\infty, 2) \\cup (3, \\infty)",
    "\\{1\\pm\\sqrt{5},-2\\}",
    "\\$32,\\!348",
    "864 \\mbox{ inches}^2",
    "x^5 - x^4 + x^3 - x^2 + x - 1",
    "1\\frac{4}{5}",
    "\\sqrt[3]{-27}",
    "<think>hmm</think>Answer: **B**",
    "<|channel>thought\nx<channel|>The answer is (C).",
    "```python\ndef f():\n    return 1\n```\ntext\n```py\nx\n",
    "    return a\n\ndef g():\n",
    "Final Answer: The final answer is $5$. I hope it is correct.",
    "2^{10} \\cdot 3 \\times 4 \\div 5",
    "\\sin^2 x + \\cos^2 x",
    "|x| + |{-3}|",
    "10,\\!080",
    "\\text{(C)}",
};

static const char *const tokens[] = {
    "\\frac", "\\dfrac", "\\sqrt", "\\boxed", "\\boxed ", "\\fbox", "\\text{", "\\mbox{", "\\left", "\\right",
    "\\{", "\\}", "{", "}", "(", ")", "[", "]", "^", "_", "\\pm", "\\mp", "\\cup", "\\infty", "\\pi", "\\cdot",
    "\\times", "\\div", "\\sin", "\\cot", "\\log", "\\\\", "&", "\\begin{pmatrix}", "\\end{pmatrix}", "=", "\\in",
    ",", ".", "-", "+", "/", "*", "|", "%", "\\%", "$", "\\$", "\\!", "\\,", "\\ ", " ", "\n", "0", "1", "9",
    "12345678901234567890", "x", "i", "e", "abc", "^\\circ", "^{\\circ}", "\\text{ cm}", "{,}", "Answer:",
    "answer is", "(A)", "B)", "**", "\\boxed{C}", "<think>", "</think>", "<|channel>", "<channel|>", "```",
    "```python\n", "\ndef", "\nclass", "\\theta", "\\alpha", "\\sqrt[", "\\frac12", "\xff", "\xc2\xb0", "~",
};

#define N_TOKENS (sizeof tokens / sizeof tokens[0])
#define N_SEEDS (sizeof seeds / sizeof seeds[0])

/* A string built from random tokens, random bytes, or a mutated seed. */
static char *generate(void) {
    eb_buf b = {0};
    eb_buf_append(&b, "", 0);
    switch (below(4)) {
    case 0: { /* tokens */
        size_t n = 1 + below(40);
        for (size_t k = 0; k < n; k++) eb_buf_puts(&b, tokens[below(N_TOKENS)]);
        break;
    }
    case 1: { /* raw bytes (never NUL) */
        size_t n = below(120);
        for (size_t k = 0; k < n; k++) eb_buf_putc(&b, (char)(1 + below(255)));
        break;
    }
    default: { /* a seed with insertions, deletions and splices */
        eb_buf_puts(&b, seeds[below(N_SEEDS)]);
        size_t edits = 1 + below(6);
        for (size_t k = 0; k < edits; k++) {
            size_t at = below(b.len + 1);
            eb_buf tmp = {0};
            eb_buf_append(&tmp, b.data, at);
            switch (below(3)) {
            case 0: eb_buf_puts(&tmp, tokens[below(N_TOKENS)]); eb_buf_puts(&tmp, b.data + at); break;
            case 1: eb_buf_puts(&tmp, b.data + at + (at < b.len ? 1 + below(b.len - at) : 0)); break;
            default: eb_buf_puts(&tmp, seeds[below(N_SEEDS)]); eb_buf_puts(&tmp, b.data + at); break;
            }
            eb_buf_free(&b);
            b = tmp;
            eb_buf_append(&b, "", 0);
        }
        break;
    }
    }
    return eb_buf_take(&b);
}

static char *repeat(const char *unit, size_t times, const char *tail) {
    eb_buf b = {0};
    for (size_t k = 0; k < times; k++) eb_buf_puts(&b, unit);
    if (tail) eb_buf_puts(&b, tail);
    return eb_buf_take(&b);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A set of 64 sets whose items all match except the last, listed in
 * opposite orders: the worst case for unordered matching. */
static char *set_of_sets(bool reversed) {
    eb_buf b = {0};
    eb_buf_puts(&b, "\\{");
    for (int k = 0; k < 64; k++) {
        int i = reversed ? 63 - k : k;
        if (i == 63) i = reversed ? 1000 : 2000;
        eb_buf_puts(&b, "\\{");
        for (int pad = 0; pad < 8; pad++) eb_buf_printf(&b, "\\sqrt{%d}+x^{%d},", pad + 2, pad);
        eb_buf_printf(&b, "%d\\}%s", i + 1, k < 63 ? "," : "");
    }
    eb_buf_puts(&b, "\\}");
    return eb_buf_take(&b);
}

static double slowest;
static int self_mismatch, bad_letter, bad_prefix, null_result;

static void exercise(const char *s) {
    double t0 = now();
    char *r;
    if (!(r = eb_strip_reasoning(s))) null_result++;
    free(r);
    r = eb_mmlu_extract_letter(s);
    if (r && !(strlen(r) == 1 && r[0] >= 'A' && r[0] <= 'D')) bad_letter++;
    free(r);
    r = eb_mmlu_extract_letter_n(s, 10);
    if (r && !(strlen(r) == 1 && r[0] >= 'A' && r[0] <= 'J')) bad_letter++;
    free(r);
    free(eb_math_last_boxed(s));
    free(eb_math_extract_answer(s));
    if (!(r = eb_math_normalize(s))) null_result++;
    free(r);
    if (!eb_math_equiv(s, s)) {
        if (self_mismatch++ < 5) fprintf(stderr, "not equivalent to itself: [%s]\n", s);
    }
    (void)eb_math_equiv(s, seeds[below(N_SEEDS)]);
    if (!(r = eb_extract_code_block(s, "python"))) null_result++;
    free(r);
    r = eb_truncate_at_stops(s, eb_humaneval_stops, EB_HUMANEVAL_N_STOPS);
    if (!r || strncmp(r, s, strlen(r)) != 0) bad_prefix++;
    free(r);
    double dt = now() - t0;
    if (dt > slowest) slowest = dt;
}

int main(void) {
    const char *seed = getenv("EB_FUZZ_SEED");
    if (seed && *seed) rng_state = strtoull(seed, NULL, 10) | 1;
    /* adversarial shapes first */
    char *adversarial[] = {
        repeat("{", 20000, NULL),
        repeat("{", 5000, "1"),
        repeat("\\frac{", 3000, "1"),
        repeat("\\frac{1}{", 1500, "}"),
        repeat("(", 5000, "1"),
        repeat("\\sqrt{", 3000, "2"),
        repeat("x^{", 3000, "2"),
        repeat("2^", 3000, "2"),
        repeat("9", 5000, NULL),
        repeat("\\boxed{", 5000, NULL),
        repeat("\\boxed{1}", 2000, NULL),
        repeat("1,", 5000, "1"),
        repeat("\\{", 3000, NULL),
        repeat("\\text{", 3000, "a"),
        repeat("\\pm", 3000, NULL),
        repeat("(1,2)\\cup", 500, "(3,4)"),
        repeat("<think>", 3000, NULL),
        repeat("</think>", 3000, "x"),
        repeat("```\n", 3000, NULL),
        repeat("Answer: ", 3000, "B"),
        repeat("a", 100000, NULL),
        eb_strdup("9^{9^{9^{9^{9}}}}"),
        eb_strdup("10^{100000}"),
        eb_strdup("(10^{100000})^{-1}"),
        eb_strdup("\\frac{1}{0}"),
        eb_strdup("0^{-1}"),
        eb_strdup("\\sqrt[0]{2}"),
        eb_strdup("99999999999999999999999999999999999999999999999999.5"),
        eb_strdup("\\begin{pmatrix}\\end{pmatrix}"),
        eb_strdup("\\begin{pmatrix}"),
        eb_strdup(""),
    };
    size_t n_adv = sizeof adversarial / sizeof adversarial[0];
    for (size_t k = 0; k < n_adv; k++) {
        exercise(adversarial[k]);
        free(adversarial[k]);
    }
    char *sa = set_of_sets(false), *sb = set_of_sets(true);
    double t_sets = now();
    CHECK(!eb_math_equiv(sa, sb));
    t_sets = now() - t_sets;
    CHECK_MSG(t_sets < 5.0, "set of sets took %.3f s", t_sets);
    if (t_sets > slowest) slowest = t_sets;
    free(sa);
    free(sb);
    double slowest_adversarial = slowest;

    const int n = 100000;
    double t0 = now();
    for (int k = 0; k < n; k++) {
        char *s = generate();
        exercise(s);
        free(s);
    }
    double total = now() - t0;
    printf("%zu adversarial + %d random inputs in %.1f s; slowest single input %.3f s (adversarial %.3f s)\n",
           n_adv + 1, n, total, slowest, slowest_adversarial);
    CHECK_INT(self_mismatch, 0);
    CHECK_INT(bad_letter, 0);
    CHECK_INT(bad_prefix, 0);
    CHECK_INT(null_result, 0);
    /* generous bounds that still catch quadratic blow-ups and hangs */
    CHECK_MSG(slowest < 5.0, "slowest input took %.3f s", slowest);
    return eb_test_finish();
}
