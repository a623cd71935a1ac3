/* A minimal test framework: CHECK macros that count and report failures,
 * and a closing "N passed, N failed" line.  Each test binary is one ctest. */
#ifndef EB_TEST_UTIL_H
#define EB_TEST_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int eb_test_passed, eb_test_failed;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (cond) {                                                                  \
            eb_test_passed++;                                                        \
        } else {                                                                     \
            eb_test_failed++;                                                        \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)

#define CHECK_MSG(cond, ...)                                                \
    do {                                                                    \
        if (cond) {                                                         \
            eb_test_passed++;                                               \
        } else {                                                            \
            eb_test_failed++;                                               \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                   \
            fputc('\n', stderr);                                            \
        }                                                                   \
    } while (0)

#define CHECK_STR(a, b)                                                                       \
    do {                                                                                      \
        const char *eb_a_ = (a), *eb_b_ = (b);                                                \
        if (eb_a_ && eb_b_ && strcmp(eb_a_, eb_b_) == 0) {                                    \
            eb_test_passed++;                                                                 \
        } else {                                                                              \
            eb_test_failed++;                                                                 \
            fprintf(stderr, "%s:%d: CHECK_STR failed: %s == %s\n  got:      \"%s\"\n  expected: \"%s\"\n", \
                    __FILE__, __LINE__, #a, #b, eb_a_ ? eb_a_ : "(null)", eb_b_ ? eb_b_ : "(null)"); \
        }                                                                                     \
    } while (0)

#define CHECK_INT(a, b)                                                                              \
    do {                                                                                             \
        long long eb_a_ = (long long)(a), eb_b_ = (long long)(b);                                    \
        if (eb_a_ == eb_b_) {                                                                        \
            eb_test_passed++;                                                                        \
        } else {                                                                                     \
            eb_test_failed++;                                                                        \
            fprintf(stderr, "%s:%d: CHECK_INT failed: %s == %s (%lld vs %lld)\n", __FILE__, __LINE__, #a, #b, \
                    eb_a_, eb_b_);                                                                   \
        }                                                                                            \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                                         \
    do {                                                                                              \
        double eb_a_ = (a), eb_b_ = (b);                                                              \
        if (fabs(eb_a_ - eb_b_) <= (tol)) {                                                           \
            eb_test_passed++;                                                                         \
        } else {                                                                                      \
            eb_test_failed++;                                                                         \
            fprintf(stderr, "%s:%d: CHECK_NEAR failed: %s ~ %s (%.9g vs %.9g)\n", __FILE__, __LINE__, #a, #b, \
                    eb_a_, eb_b_);                                                                    \
        }                                                                                             \
    } while (0)

/* The real datasets (../shared/data or $EVALBENCH_DATA); a missing directory
 * is a failure, never a skip. */
static inline const char *eb_test_data_dir(void) {
    const char *env = getenv("EVALBENCH_DATA");
    return env && *env ? env : EVALBENCH_TEST_DATA;
}

static inline int eb_test_finish(void) {
    printf("%d passed, %d failed\n", eb_test_passed, eb_test_failed);
    return eb_test_failed == 0 && eb_test_passed > 0 ? 0 : 1;
}

#endif
