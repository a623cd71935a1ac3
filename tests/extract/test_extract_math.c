/* MATH answer extraction, normalization and equivalence, including the
 * hard shapes (intervals, sets, matrices, units, mixed numbers, big
 * numbers, expressions) and answers that must NOT be equivalent. */
#include <stdlib.h>

#include "math_answer.h"
#include "math_equiv.h"
#include "math_normalize.h"
#include "test_util.h"

static const char *const boxed_cases[][2] = {
    {"so $\\boxed{5}$.", "5"},
    {"\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"},
    {"first \\boxed{1} then \\boxed{2}", "2"},
    {"\\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}", "\\left( 3, \\frac{\\pi}{2} \\right)"},
    {"nested \\boxed{\\{1,2\\}} end", "\\{1,2\\}"},
    {"\\boxed{a{b{c}}d}", "a{b{c}}d"},
    {"$\\boxed 5$", "5"},
    {"The answer is \\boxed 42\nnext line", "42"},
    {"\\fbox{7}", "7"},
    {"\\boxed{1} and later \\fbox{8}", "8"},
    {"\\fbox{8} and later \\boxed{9}", "9"},
    {"\\boxed {3}", "3"},
    {"\\boxed{}", ""},
    {"\\boxed{\\text{(C)}}", "\\text{(C)}"},
    {"\\boxed{x}\\boxedtext{y}", "x"},
    {"\\boxed{\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}}", "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}"},
};

static const char *const no_boxed[] = {
    "no box here", "\\boxed{unclosed", "\\boxed{1} then \\boxed{cut off", "\\boxed", "\\boxed$", "", "\\fbox{",
};

static const char *const answer_cases[][2] = {
    {"We get $\\boxed{12}$.", "12"},
    {"Final Answer: The final answer is $\\frac{3}{4}$. I hope it is correct.", "$\\frac{3}{4}$"},
    {"Thus the final answer is 7.", "7"},
    {"The answer is $x = 3$.\n", "$x = 3$"},
    {"blah\nAnswer: 19\n", "19"},
    {"Answer: 1\nAnswer: 2", "2"},
    {"The final answer is 10. Some answer is 11", "10"},
    {"\\boxed{4} but the answer is 5", "4"},
    /* the last inline math, when nothing else marks the answer */
    {"We get $x = 3$, so the sum is $7$.", "7"},
    {"Thus $$\\frac{1}{2}$$", "\\frac{1}{2}"},
    {"It costs \\$5 in total, $5$", "5"},
    /* Math-Verify reads inline and display math after "Answer" */
    {"Answer $ 9 $", "9"},
    {"Answer $$ 9 $$", "9"},
};

static const char *const normalize_cases[][2] = {
    {"  5  ", "5"},
    {"\\boxed{5}", "5"},
    {"$5$", "5"},
    {"\\$36", "36"},
    {"\\$32,\\!348", "32348"},
    {"11,\\! 111,\\! 111,\\! 100", "11111111100"},
    {"10{,}000", "10000"},
    {"1,000,000", "1000000"},
    {"1,-2", "1,-2"},
    {"3, 5, 7", "3,5,7"},
    {"\\dfrac{33}{100}", "\\frac{33}{100}"},
    {"\\cfrac{1}{2}", "\\frac{1}{2}"},
    {"0.5 \\approx 0.5", "0.5"},
    {"3, 4, \\text{ and } 5", "3,4,5"},
    {"3, 4, and 5", "3,4,5"},
    {"12 and 13", "12,13"},
    {"2 = 5", "2=5"},
    {"2 = x", "2"},
    {"(x, y) = (1, 2)", "(1,2)"},
    {"\\tfrac12", "\\frac{1}{2}"},
    {"\\frac12", "\\frac{1}{2}"},
    {"\\frac 59", "\\frac{5}{9}"},
    {"\\frac9{19}", "\\frac{9}{19}"},
    {"\\frac{270}7\\text{ degrees}", "\\frac{270}{7}"},
    {"\\frac{\\frac12}{3}", "\\frac{\\frac{1}{2}}{3}"},
    {"\\sqrt2", "\\sqrt{2}"},
    {"11\\sqrt2", "11\\sqrt{2}"},
    {"\\sqrt 53", "\\sqrt{5}3"},
    {"30^\\circ", "30"},
    {"120^{\\circ}", "120"},
    {"\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})"},
    {"\\left[ \\frac{\\pi^2}{8}, \\frac{5 \\pi^2}{4} \\right]", "[\\frac{\\pi^2}{8},\\frac{5\\pi^2}{4}]"},
    {"864 \\mbox{ inches}^2", "864"},
    {"15\\mbox{ cm}^2", "15"},
    {"5.4 \\text{ cents}", "5.4"},
    {"\\text{Navin}", "Navin"},
    {"\\text{(C)}", "(C)"},
    {"(\\text{E})", "(E)"},
    {"8\\text{ meals}", "8"},
    {"50\\%", "50"},
    {"x = 5", "5"},
    {"y = 2x + 3", "2x+3"},
    {"f(x) = x^2", "x^2"},
    {"x_1 = 4", "4"},
    {"x \\in [-2,7]", "[-2,7]"},
    {"5x - 7y + 11z + 4 = 0", "5x-7y+11z+4=0"},
    {".35625", "0.35625"},
    {"-.5", "-0.5"},
    {"5.0", "5"},
    {"12.500", "12.500"},
    {"3.00", "3"},
    {"4210_{5}", "4210_5"},
    {"x^{2}", "x^2"},
    {"3/4", "\\frac{3}{4}"},
    {"-3/4", "-\\frac{3}{4}"},
    {"5.", "5"},
    {"{7}", "7"},
    {"1, 2, 3, \\ldots", "1,2,3,"},
    {"2 \\text{ and } 3", "2,3"},
    {"\\begin{pmatrix} 1 \\\\ 3 \\end{pmatrix}", "\\begin{pmatrix}1\\\\3\\end{pmatrix}"},
    {"5 cents", "5"},
    {"18 square feet", "18"},
    {"\\displaystyle\\frac{1}{2}", "\\frac{1}{2}"},
    {"", ""},
};

static const char *const equivalent[][2] = {
    /* verdicts of Math-Verify's own regression tests (huggingface/Math-Verify
     * tests/test_all.py) for the rules changed here: \cfrac is \frac, a
     * variable prefix is dropped, a list written with "and" is the list */
    {"\\cfrac{1}{3}", "1/3"},
    {"k = \\frac{1}{3}", "1/3"},
    {"12\\text{ and }13", "12 and 13"},
    {"12\\text{ and }13", "12, 13"},
    {"x=2", "m=2"},
    /* numbers, fractions, decimals */
    {"0.5", "\\frac{1}{2}"},
    {".5", "1/2"},
    {"\\frac{3}{2}", "1.5"},
    {"\\frac{6}{4}", "\\frac{3}{2}"},
    {"-\\frac{3}{8}", "\\frac{-3}{8}"},
    {"-\\frac{3}{8}", "-0.375"},
    {"2.50", "2.5"},
    {"\\$18.90", "18.9"},
    {"10", "10.0"},
    {"\\frac{20000}{\\pi}", "20000/\\pi"},
    /* percentages and units are dropped, as in the anchors */
    {"50\\%", "50"},
    {"50\\%", "0.5"},
    {"12.5\\%", "\\frac{1}{8}"},
    {"5.4 \\text{ cents}", "5.4"},
    {"864 \\mbox{ inches}^2", "864"},
    {"\\frac{270}7\\text{ degrees}", "\\frac{270}{7}"},
    {"90^\\circ", "90"},
    {"\\$32,\\!348", "32348"},
    {"58,500", "58500"},
    {"10,\\!080", "10080"},
    /* big numbers, exactly */
    {"1000000000000000000000", "10^{21}"},
    {"123456789012345678901234567890", "123456789012345678901234567890"},
    {"2^{64}", "18446744073709551616"},
    {"\\frac{10^{20}}{10^{18}}", "100"},
    /* mixed numbers */
    {"1\\frac{4}{5}", "\\frac{9}{5}"},
    {"137 \\frac{1}{2}", "137.5"},
    {"-2\\frac{1}{2}", "-\\frac{5}{2}"},
    /* radicals, pi, expressions */
    {"\\frac{\\sqrt{3}}{3}", "\\frac{1}{\\sqrt{3}}"},
    {"\\sqrt{2}/2", "\\frac{\\sqrt2}{2}"},
    {"2\\sqrt{5}", "\\sqrt{20}"},
    {"11\\sqrt2", "11 \\sqrt{2}"},
    {"8 \\pi", "8\\pi"},
    {"288 \\pi", "\\pi \\cdot 288"},
    {"18+2\\pi", "2\\pi+18"},
    {"\\frac{3\\sqrt{3}}{4}", "\\frac{3}{4}\\sqrt{3}"},
    {"\\sqrt[3]{8}", "2"},
    {"\\sqrt[3]{-27}", "-3"},
    {"6+9i", "9i+6"},
    {"6 - 5i", "6-5i"},
    {"\\frac{1}{i}", "-i"},
    {"\\cot x", "\\frac{\\cos x}{\\sin x}"},
    {"8n^2 + 4n + 1", "4n + 1 + 8n^2"},
    {"(a+5)(b+2)", "ab + 2a + 5b + 10"},
    {"x^5 - x^4 + x^3 - x^2 + x - 1", "(x-1)(x^4+x^2+1)"},
    {"\\frac{11+9a}{20}", "\\frac{11}{20} + \\frac{9a}{20}"},
    {"p - q", "-q + p"},
    {"3R^2", "3 R^2"},
    {"2^{10}", "1024"},
    {"x^{-1}", "\\frac{1}{x}"},
    {"|{-3}|", "3"},
    {"\\sin^2 x + \\cos^2 x", "1"},
    {"\\theta + 1", "1 + \\theta"},
    {"\\frac{1}{2}x", "\\frac{x}{2}"},
    {"x^2+2x+1", "(x+1)^2"},
    {"1.2\\times10^{5}", "120000"},
    {"\\sqrt{2}", "2^{1/2}"},
    {"-\\frac{\\pi}{6}", "\\frac{-\\pi}{6}"},
    {"\\log 8", "3\\log 2"},
    {"x^10", "x^{10}"},
    /* equations and prefixes */
    {"x = 5", "5"},
    {"y = 2x + 3", "2x+3"},
    {"x \\in [-2,7]", "[-2,7]"},
    /* tuples, intervals, sets, lists */
    {"\\left( 3, \\frac{\\pi}{2} \\right)", "(3, \\pi/2)"},
    {"(1,-16,-4,43)", "(1, -16, -4, 43)"},
    {"(3,4]", "\\left(3, 4\\right]"},
    {"(-\\infty, 0]", "(-\\infty,0]"},
    {"(2,12) \\cup (12,102)", "(12,102)\\cup(2,12)"},
    {"(-\\infty, 2) \\cup (3, \\infty)", "(-\\infty,2)\\cup(3,\\infty)"},
    {"1,-2", "-2, 1"},
    {"3, 5, 7", "7, 3, 5"},
    {"\\{1\\pm\\sqrt{5},-2\\}", "-2, 1+\\sqrt5, 1-\\sqrt5"},
    {"1 \\pm \\sqrt{19}", "1 - \\sqrt{19}, 1 + \\sqrt{19}"},
    {"3 \\pm 2 \\sqrt{2}", "3+2\\sqrt2, 3-2\\sqrt2"},
    {"\\{1,2\\}", "\\{2,1\\}"},
    {"\\left( \\frac{3}{2}, -13 \\right)", "(1.5,-13)"},
    /* matrices and vectors */
    {"\\begin{pmatrix} 1/5 \\\\ -18/5 \\end{pmatrix}", "\\begin{pmatrix} \\frac{1}{5} \\\\ -\\frac{18}{5} \\end{pmatrix}"},
    {"\\begin{pmatrix} -1 & 0 \\\\ 0 & -1 \\end{pmatrix}", "\\begin{pmatrix}-1&0\\\\0&-1\\end{pmatrix}"},
    {"\\begin{pmatrix} 16/49 \\\\ 48/49 \\\\ 24/49 \\end{pmatrix}", "\\begin{bmatrix} 16/49 \\\\ 48/49 \\\\ 24/49 \\end{bmatrix}"},
    /* words and choices */
    {"\\text{even}", "even"},
    {"\\text{East}", "east"},
    {"\\text{(C)}", "C"},
    {"(E)", "\\text{E}"},
    {"(\\text{E})", "\\text{(E)}"},
    {"2516_8", "2516_{8}"},
    {"\\text{ellipse}", "an ellipse"},
    /* equations agree up to a constant factor */
    {"5x - 7y + 11z + 4 = 0", "-5x + 7y - 11z - 4 = 0"},
    {"5x - 7y + 11z + 4 = 0", "10x - 14y + 22z = -8"},
    {"x^2 + y^2 = 4", "y^2 = 4 - x^2"},
    /* items of lists and tuples are normalized one by one */
    {"1,-2", "x = 1, x = -2"},
    {"(2, 3)", "(\\text{2}, 3.0)"},
    /* a column vector written as a tuple */
    {"\\begin{pmatrix} -7 \\\\ 16 \\\\ 5 \\end{pmatrix}", "(-7, 16, 5)"},
    {"4210_{5}", "4210_5"},
};

static const char *const not_equivalent[][2] = {
    /* Math-Verify: a number is not a variable equation of another value */
    {"2", "x=3"},
    /* a number on the left of '=' is not a variable to drop */
    {"2 = 5", "5"},
    {"0.333", "\\frac{1}{3}"},
    {"3.14", "\\pi"},
    {"2", "3"},
    {"-2", "2"},
    {"\\frac{1}{2}", "\\frac{1}{3}"},
    {"0.0000672", "0.0000673"},
    {"1000000000000000000001", "10^{21}"},
    {"123456789012345678901234567890", "123456789012345678901234567891"},
    {"10^{100}", "10^{100}+1"},
    {"2\\sqrt{5}", "\\sqrt{21}"},
    {"x^2", "|x|^2 + 1"},
    {"\\sqrt{x^2}", "x"},
    {"(3,4]", "(3,4)"},
    {"[3,4]", "(3,4)"},
    {"(1,2)", "(2,1)"},
    {"(1,2)", "1,2"},
    {"1,2", "1,2,3"},
    {"1,2,2", "1,1,2"},
    {"\\{1,2\\}", "\\{1,3\\}"},
    {"(2,12) \\cup (12,102)", "(2,102)"},
    {"1 \\pm \\sqrt{19}", "1 + \\sqrt{19}"},
    {"\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\begin{pmatrix} 1 & 2 \\end{pmatrix}"},
    {"\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\begin{pmatrix} 2 \\\\ 1 \\end{pmatrix}"},
    {"6+9i", "6-9i"},
    {"x+1", "y+1"},
    {"8n^2 + 4n + 1", "8n^2 + 4n"},
    {"(a+5)(b+2)", "(a+2)(b+5)"},
    {"\\text{even}", "\\text{odd}"},
    {"\\text{(C)}", "D"},
    {"2516_8", "2516_9"},
    {"2516_8", "2516"},
    {"\\infty", "-\\infty"},
    {"5x - 7y + 11z + 4 = 0", "5x - 7y + 11z - 4 = 0"},
    {"1\\frac{4}{5}", "\\frac{4}{5}"},
    {"50\\%", "5"},
    {"50", "0.5"},
    {"\\frac{1}{0}", "\\frac{2}{0}"},
    {"", "0"},
    {"word", "words"},
    {"\\frac{\\pi}{6}", "-\\pi/6"},
    {"\\sqrt{5}", "2.236"},
    {"x^2+2x+1", "(x-1)^2"},
    {"\\sqrt 53", "\\sqrt{53}"},
    {"5x - 7y + 11z + 4 = 0", "5x - 7y + 11z = 0"},
    {"x^2 + y^2 = 4", "x^2 + y^2 = 0"},
    {"x + y = 1", "x + y = 1, x = 2"},
    {"\\begin{pmatrix} -7 \\\\ 16 \\\\ 5 \\end{pmatrix}", "(-7, 5, 16)"},
    {"\\begin{pmatrix} -7 & 16 \\end{pmatrix}", "(-7, 16)"},
    {"\\begin{pmatrix} -7 \\\\ 16 \\end{pmatrix}", "[-7, 16]"},
    {"a b", "b"},
};

int main(void) {
    size_t n_boxed = sizeof boxed_cases / sizeof boxed_cases[0];
    for (size_t i = 0; i < n_boxed; i++) {
        char *got = eb_math_last_boxed(boxed_cases[i][0]);
        CHECK_MSG(got && strcmp(got, boxed_cases[i][1]) == 0, "boxed [%s]: got [%s] expected [%s]",
                  boxed_cases[i][0], got ? got : "NULL", boxed_cases[i][1]);
        free(got);
    }
    size_t n_none = sizeof no_boxed / sizeof no_boxed[0];
    for (size_t i = 0; i < n_none; i++) {
        char *got = eb_math_last_boxed(no_boxed[i]);
        CHECK_MSG(got == NULL, "boxed [%s]: got [%s] expected NULL", no_boxed[i], got);
        free(got);
    }
    CHECK(eb_math_last_boxed(NULL) == NULL);

    size_t n_answer = sizeof answer_cases / sizeof answer_cases[0];
    for (size_t i = 0; i < n_answer; i++) {
        char *got = eb_math_extract_answer(answer_cases[i][0]);
        CHECK_MSG(got && strcmp(got, answer_cases[i][1]) == 0, "answer [%s]: got [%s] expected [%s]",
                  answer_cases[i][0], got ? got : "NULL", answer_cases[i][1]);
        free(got);
    }
    {
        /* which rule found it is reported, for the extraction audit */
        const char *how = NULL;
        char *a1 = eb_math_extract_answer_how("so $x=2$ and the answer is $\\boxed{7}$", &how);
        CHECK(a1 && strcmp(a1, "7") == 0 && how && strcmp(how, "boxed") == 0);
        free(a1);
        a1 = eb_math_extract_answer_how("We get $x = 3$, so the sum is $7$.", &how);
        CHECK(a1 && strcmp(a1, "7") == 0 && how && strcmp(how, "last $...$") == 0);
        free(a1);
        a1 = eb_math_extract_answer_how("The answer is 12.", &how);
        CHECK(a1 && strcmp(a1, "12") == 0 && how && strcmp(how, "answer is") == 0);
        free(a1);
        a1 = eb_math_extract_answer_how("I do not know.", &how);
        CHECK(a1 == NULL && how == NULL);
    }
    char *none = eb_math_extract_answer("I could not solve it.");
    CHECK(none == NULL);
    free(none);
    CHECK(eb_math_extract_answer(NULL) == NULL);

    size_t n_norm = sizeof normalize_cases / sizeof normalize_cases[0];
    for (size_t i = 0; i < n_norm; i++) {
        char *got = eb_math_normalize(normalize_cases[i][0]);
        CHECK_MSG(got && strcmp(got, normalize_cases[i][1]) == 0, "normalize [%s]: got [%s] expected [%s]",
                  normalize_cases[i][0], got ? got : "NULL", normalize_cases[i][1]);
        /* normalizing twice changes nothing, and the result stays equivalent */
        char *again = got ? eb_math_normalize(got) : NULL;
        CHECK_MSG(again && got && strcmp(again, got) == 0, "normalize not idempotent on [%s]: [%s] -> [%s]",
                  normalize_cases[i][0], got, again);
        free(again);
        free(got);
    }
    CHECK(eb_math_normalize(NULL) == NULL);

    size_t n_eq = sizeof equivalent / sizeof equivalent[0];
    for (size_t i = 0; i < n_eq; i++) {
        CHECK_MSG(eb_math_equiv(equivalent[i][0], equivalent[i][1]), "[%s] should equal [%s]", equivalent[i][0],
                  equivalent[i][1]);
        CHECK_MSG(eb_math_equiv(equivalent[i][1], equivalent[i][0]), "[%s] should equal [%s] (swapped)",
                  equivalent[i][1], equivalent[i][0]);
        CHECK_MSG(eb_math_equiv(equivalent[i][0], equivalent[i][0]), "[%s] should equal itself", equivalent[i][0]);
    }
    size_t n_ne = sizeof not_equivalent / sizeof not_equivalent[0];
    for (size_t i = 0; i < n_ne; i++) {
        CHECK_MSG(!eb_math_equiv(not_equivalent[i][0], not_equivalent[i][1]), "[%s] should differ from [%s]",
                  not_equivalent[i][0], not_equivalent[i][1]);
        CHECK_MSG(!eb_math_equiv(not_equivalent[i][1], not_equivalent[i][0]), "[%s] should differ from [%s]",
                  not_equivalent[i][1], not_equivalent[i][0]);
    }
    CHECK(!eb_math_equiv(NULL, "1"));
    CHECK(!eb_math_equiv("1", NULL));
    CHECK(!eb_math_equiv(NULL, NULL));
    printf("%zu boxed, %zu answer, %zu normalize, %zu equivalent, %zu not-equivalent cases\n", n_boxed + n_none,
           n_answer + 1, n_norm, n_eq, n_ne);
    return eb_test_finish();
}
