/* Code-block extraction for chat responses and stop-sequence truncation
 * for completion-style HumanEval. */
#include <stdlib.h>

#include "code_block.h"
#include "test_util.h"

typedef struct {
    const char *text, *hint, *expected;
} block_case;

static const block_case blocks[] = {
    {"```python\ndef f():\n    return 1\n```", "python", "def f():\n    return 1\n"},
    {"Here:\n```py\nx = 1\n```\nDone.", "python", "x = 1\n"},
    {"```Python3\nprint(1)\n```", "python", "print(1)\n"},
    {"```python3\nprint(2)\n```", "python", "print(2)\n"},
    {"```\nbare = True\n```", "python", "bare = True\n"},
    /* several blocks: the last one in the hinted language */
    {"```python\na = 1\n```\ntext\n```python\nb = 2\n```", "python", "b = 2\n"},
    {"```python\nsolution()\n```\nRun it with:\n```bash\npython x.py\n```", "python", "solution()\n"},
    {"```bash\npip install x\n```\n```\nplain()\n```", "python", "plain()\n"},
    {"```cpp\nint x;\n```\n```rust\nfn a(){}\n```", "python", "fn a(){}\n"},
    {"```cpp\nint x;\n```\n```python\ny = 1\n```", "cpp", "int x;\n"},
    {"```a\n1\n```\n```b\n2\n```", NULL, "2\n"},
    {"```a\n1\n```\n```b\n2\n```", "", "2\n"},
    /* unterminated final fence (cut off by the token limit) */
    {"```python\ndef f():\n    return", "python", "def f():\n    return"},
    {"```python\nfirst\n```\n```python\nsecond\n", "python", "second\n"},
    /* no fence: the text itself */
    {"def f():\n    return 1\n", "python", "def f():\n    return 1"},
    /* no fence: leading blank lines and trailing blanks go, the first line's
     * indentation stays (a bare function body) */
    {"  x = 1  ", "python", "  x = 1"},
    {"\n\n    return a + b\n", "python", "    return a + b"},
    /* a lone fence with nothing after it closes the code before it */
    {"    return a + b\n```\n", "python", "    return a + b"},
    {"def f():\n    return 1\n   ```", "python", "def f():\n    return 1"},
    /* indented fences, longer fences, info strings */
    {"Text\n  ```python\n  y = 2\n  ```", "python", "  y = 2\n"},
    {"````python\nz = 3\n````", "python", "z = 3\n"},
    {"```python {.numberLines}\nw = 4\n```", "python", "w = 4\n"},
    {"```PYTHON\nv = 5\n```", "python", "v = 5\n"},
    /* inline backticks are not fences */
    {"Use `x` and ``y``.\n```python\nok = 1\n```", "python", "ok = 1\n"},
    {"```python\n```", "python", ""},
    {"```", "python", ""},
    {"", "python", ""},
};

typedef struct {
    const char *text, *expected;
} stop_case;

static const stop_case stops[] = {
    {"    return a + b\n", "    return a + b\n"},
    {"    return a + b\n\ndef other():\n    pass\n", "    return a + b\n"},
    {"    return a\n\n\nclass X:\n    pass", "    return a\n\n"},
    {"    return a\n\nif __name__ == '__main__':\n    main()", "    return a\n"},
    {"    return a\nprint(f(1))\n", "    return a"},
    {"    x = 1\n# test\n    return x", "    x = 1"},
    {"    # a comment inside is fine\n    return 0\n", "    # a comment inside is fine\n    return 0\n"},
    {"    if x:\n        return 1\n    return 2\n", "    if x:\n        return 1\n    return 2\n"},
    {"\ndef f(): pass", ""},
    {"    return a\nclass A: pass\ndef b(): pass", "    return a"},
    {"", ""},
};

int main(void) {
    size_t nb = sizeof blocks / sizeof blocks[0];
    for (size_t i = 0; i < nb; i++) {
        char *got = eb_extract_code_block(blocks[i].text, blocks[i].hint);
        CHECK_MSG(got && strcmp(got, blocks[i].expected) == 0, "block case %zu: got [%s] expected [%s]", i,
                  got ? got : "NULL", blocks[i].expected);
        free(got);
    }
    CHECK(eb_extract_code_block(NULL, "python") == NULL);

    size_t ns = sizeof stops / sizeof stops[0];
    for (size_t i = 0; i < ns; i++) {
        char *got = eb_truncate_at_stops(stops[i].text, eb_humaneval_stops, EB_HUMANEVAL_N_STOPS);
        CHECK_MSG(got && strcmp(got, stops[i].expected) == 0, "stop case %zu: got [%s] expected [%s]", i,
                  got ? got : "NULL", stops[i].expected);
        free(got);
    }
    /* custom and degenerate stop lists */
    const char *const custom[] = {"", NULL, "END"};
    char *got = eb_truncate_at_stops("abcENDdef", custom, 3);
    CHECK_STR(got, "abc");
    free(got);
    got = eb_truncate_at_stops("abc", NULL, 0);
    CHECK_STR(got, "abc");
    free(got);
    CHECK(eb_truncate_at_stops(NULL, custom, 3) == NULL);
    printf("%zu block cases, %zu stop cases\n", nb, ns + 2);
    return eb_test_finish();
}
