/* LiveCodeBench output comparison (official and tolerant rules) and the
 * pass@k estimator.  The expected verdicts of the official rule were taken
 * from the upstream grader's Python functions run on the same strings. */
#include <math.h>
#include <string.h>

#include "code_compare.h"
#include "code_score.h"
#include "test_util.h"

typedef struct cmp_case {
    const char *got, *expected;
    int strict, tolerant;
} cmp_case;

static const cmp_case cases[] = {
    {"3\n", "3", 1, 1},
    {"  3  \n\n", "3", 1, 1},
    {"1 2\n3", "1 2\n3\n", 1, 1},
    {"1  2", "1 2", 1, 1},
    {"1.0", "1.00", 1, 1},
    {"1e2", "100", 1, 1},
    {"-0", "0", 1, 1},
    {"0.333333", "0.333333333", 0, 1},
    {"Yes", "yes", 0, 0},
    {"a b", "a  b", 0, 1}, /* not decimals: the official rule needs the lines identical */
    {"1\n\n2", "1\n2", 0, 0},
    {"1\r\n2\r\n", "1\n2", 1, 1},
    {"nan", "nan", 1, 1},  /* identical lines match before any number is read */
    {"NaN", "nan", 0, 0},  /* NaN equals nothing */
    {"inf", "Infinity", 1, 1},
    {"-inf", "-Infinity", 1, 1},
    {"inf", "-inf", 0, 0},
    {"1_000", "1000", 1, 1},
    {"3\xe3\x80\x80", "3", 1, 1},  /* U+3000 is whitespace to Python */
    {"1\xc2\xa0" "2", "1 2", 1, 1}, /* U+00A0 separates tokens */
    {"", "", 1, 1},
    {"", "0", 0, 0},
    {"1 2", "1 2 3", 0, 0},
    {"+5", "5", 1, 1},
    {".5", "0.5", 1, 1},
    {"5.", "5", 1, 1},
    {"1e", "1e", 1, 1},
    {"1e", "1E", 0, 0},
    {"\x1c" "3", "3", 1, 1},
    {"12.340", "12.34", 1, 1},
    {"0.000", "0", 1, 1},
    {"00012.3400e2", "1234", 1, 1},
    {"1e-3", "0.001", 1, 1},
    {"abc 1", "abc 1.0", 0, 1},
    {"6.06449510224598", "6.06449510224597979401", 0, 1},
    {"1 2\n3 4", "1 2\n3 5", 0, 0},
    {"x", "x ", 1, 1},
    {"\xe2\x80\x83x\xe2\x80\x83", "x", 1, 1},
    {"1e999999999999999999", "10e999999999999999998", 1, 1},
    {"snan", "SNAN", 0, 0},
    {"1", "1\n\n", 1, 1},
    {"0.1234567", "0.1234568", 0, 1},
    {"1000000.1", "1000000.2", 0, 1},
    {"1.5", "1.6", 0, 0},
    {"abc", "abd", 0, 0},
    {"1\n2", "1", 0, 0},
};

static void test_line_rules(void) {
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const cmp_case *c = &cases[i];
        char why[256] = "";
        int s = eb_lcb_output_matches(c->got, strlen(c->got), c->expected, strlen(c->expected), false, why,
                                      sizeof why);
        int t = eb_lcb_output_matches(c->got, strlen(c->got), c->expected, strlen(c->expected), true, NULL, 0);
        CHECK_MSG(s == c->strict, "case %zu strict: '%s' vs '%s' gave %d", i, c->got, c->expected, s);
        CHECK_MSG(t == c->tolerant, "case %zu tolerant: '%s' vs '%s' gave %d", i, c->got, c->expected, t);
        /* The tolerant rule never rejects what the official one accepts. */
        CHECK(!(s && !t));
        if (!s) CHECK_MSG(why[0] != '\0', "case %zu: no reason given", i);
    }
    char why[256];
    CHECK(!eb_lcb_output_matches("1\n2\n", 4, "1\n3\n", 4, false, why, sizeof why));
    CHECK_STR(why, "line 2: got '2' expected '3'");
    CHECK(!eb_lcb_output_matches("1\n2\n", 4, "1\n", 2, false, why, sizeof why));
    CHECK_STR(why, "output has 2 lines, expected 1");
    /* Binary-safe lengths: a NUL inside the output is an ordinary byte. */
    CHECK(!eb_lcb_output_matches("1\0002", 3, "1", 1, false, NULL, 0));
}

static void test_decimal(void) {
    bool numeric;
    CHECK(eb_lcb_decimal_equal("1.50", 4, "1.5", 3, &numeric) && numeric);
    CHECK(!eb_lcb_decimal_equal("1.5", 3, "x", 1, &numeric) && !numeric);
    CHECK(!eb_lcb_decimal_equal("1e", 2, "1", 1, &numeric) && !numeric);
    CHECK(!eb_lcb_decimal_equal(".", 1, ".", 1, &numeric) && !numeric);
    CHECK(!eb_lcb_decimal_equal("0x10", 4, "16", 2, &numeric) && !numeric);
    CHECK(!eb_lcb_decimal_equal("+-1", 3, "-1", 2, &numeric) && !numeric);
    CHECK(eb_lcb_decimal_equal("_1_", 3, "1", 1, &numeric)); /* Python drops every underscore */
    CHECK(eb_lcb_decimal_equal("-0.0e7", 6, "0", 1, &numeric));
    CHECK(!eb_lcb_decimal_equal("1", 1, "-1", 2, &numeric) && numeric);
    CHECK(!eb_lcb_decimal_equal("nan", 3, "nan", 3, &numeric) && numeric);
    CHECK(eb_lcb_decimal_equal("12345678901234567890123", 23, "1.2345678901234567890123e22", 27, &numeric));
    CHECK(!eb_lcb_decimal_equal("12345678901234567890123", 23, "12345678901234567890124", 23, &numeric));
    CHECK(!eb_lcb_decimal_equal("1e9999999999999999999", 21, "1e9999999999999999999", 21, &numeric) && !numeric);
}

static void test_pass_at_k(void) {
    CHECK_NEAR(eb_pass_at_k(10, 3, 1), 0.3, 1e-12);
    CHECK_NEAR(eb_pass_at_k(10, 3, 5), 0.9166666666666666, 1e-12);
    CHECK_NEAR(eb_pass_at_k(200, 50, 10), 0.9479063705959571, 1e-12);
    CHECK_NEAR(eb_pass_at_k(100, 1, 100), 1.0, 1e-12);
    CHECK_NEAR(eb_pass_at_k(5, 5, 1), 1.0, 0);
    CHECK_NEAR(eb_pass_at_k(10, 0, 3), 0.0, 0);
    CHECK_NEAR(eb_pass_at_k(20, 19, 2), 1.0, 0);
    CHECK_NEAR(eb_pass_at_k(1, 0, 1), 0.0, 0);
    /* Large n where the binomials themselves would overflow a double. */
    double v = eb_pass_at_k(2000, 1000, 100);
    CHECK(v > 0.999999 && v <= 1.0);
    CHECK_NEAR(eb_pass_at_k(100000, 1, 1), 1e-5, 1e-15);
    CHECK(isnan(eb_pass_at_k(5, 1, 6)));
    CHECK(isnan(eb_pass_at_k(5, 6, 1)));
    CHECK(isnan(eb_pass_at_k(5, 1, 0)));
    CHECK(isnan(eb_pass_at_k(0, 0, 1)));
}

int main(void) {
    test_line_rules();
    test_decimal();
    test_pass_at_k();
    return eb_test_finish();
}
