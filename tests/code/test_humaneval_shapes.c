/* HumanEval answers in the shapes real models give them, scored end to end
 * (`evalbench run --engine replay`, the real sandbox, HumanEval+ tests): the
 * graders' own verdict for HumanEval+'s canonical solutions is "passes", so
 * every shape must score 164/164 on the base and the plus tests.
 *
 *  - completion style (base models: the body that continues the prompt's
 *    `def` line, first line indented);
 *  - a chat answer that is the bare function body, no fence;
 *  - a chat answer whose only fence closes the code ("...\n```").
 *
 * A scorer that trims the response before assembling the program fails all
 * three (Python sees `return` outside a function). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "cli_util.h"
#include "fileio.h"
#include "test_util.h"

typedef struct shape {
    const char *name, *style, *prefix, *suffix;
    bool rstrip;
} shape;

static void write_replay(const char *path, cJSON **items, size_t n, const shape *sh) {
    eb_buf b = {0};
    for (size_t i = 0; i < n; i++) {
        const char *id = cJSON_GetStringValue(cJSON_GetObjectItem(items[i], "task_id"));
        const char *sol = cJSON_GetStringValue(cJSON_GetObjectItem(items[i], "canonical_solution"));
        eb_buf r = {0};
        eb_buf_puts(&r, sh->prefix);
        size_t len = strlen(sol);
        if (sh->rstrip)
            while (len && (sol[len - 1] == '\n' || sol[len - 1] == ' ')) len--;
        eb_buf_append(&r, sol, len);
        eb_buf_puts(&r, sh->suffix);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "suite", "humaneval");
        cJSON_AddStringToObject(o, "item_id", id);
        cJSON_AddStringToObject(o, "response", eb_buf_str(&r));
        char *line = cJSON_PrintUnformatted(o);
        eb_buf_puts(&b, line);
        eb_buf_puts(&b, "\n");
        cJSON_free(line);
        cJSON_Delete(o);
        eb_buf_free(&r);
    }
    eb_err err;
    CHECK(eb_write_file_atomic(path, b.data, b.len, &err) == 0);
    eb_buf_free(&b);
}

int main(void) {
    char path[1024];
    snprintf(path, sizeof path, "%s/humaneval_plus/HumanEvalPlus.jsonl.gz", eb_test_data_dir());
    char *text = NULL;
    size_t len = 0;
    eb_err err = {{0}};
    CHECK_MSG(eb_read_file(path, &text, &len, &err) == 0, "%s", err.msg);
    cJSON *items[200];
    size_t n = 0;
    for (char *line = text; line && *line && n < 200;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        if (*line) items[n++] = cJSON_Parse(line);
        line = nl ? nl + 1 : NULL;
    }
    CHECK_INT(n, 164);
    char dir[] = "/tmp/eb_he_shapes_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    const shape shapes[] = {
        {"completion", "completion", "", "", false},
        {"chat-bare-body", "chat", "\n", "", false},
        {"chat-closing-fence-only", "chat", "", "\n```\n", true},
    };
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        char replay[1200], args[4096];
        snprintf(replay, sizeof replay, "%s/%s.jsonl", dir, shapes[k].name);
        write_replay(replay, items, n, &shapes[k]);
        snprintf(args, sizeof args,
                 "run --engine replay --replay %s --model canonical --suite humaneval --prompt-style %s --runs 1 "
                 "--db %s/%s.db --data %s",
                 replay, shapes[k].style, dir, shapes[k].name, eb_test_data_dir());
        char *out = NULL;
        int st = run_cli(args, &out);
        CHECK_MSG(st == 0, "%s: evalbench exits 0:\n%s", shapes[k].name, out);
        CHECK_MSG(strstr(out, "| humaneval | 0 | 164 | 100.00% | 100.00% | 0 |") != NULL,
                  "%s: every canonical solution passes base and plus tests:\n%s", shapes[k].name, out);
        free(out);
    }
    for (size_t i = 0; i < n; i++) cJSON_Delete(items[i]);
    free(text);
    char rm[600];
    snprintf(rm, sizeof rm, "rm -rf '%s'", dir);
    CHECK(system(rm) == 0);
    return eb_test_finish();
}
