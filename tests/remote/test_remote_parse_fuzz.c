/* The three providers' response and error parsers on damaged bodies: valid
 * answers with fields deleted, retyped or replaced, and random JSON.  They
 * must classify every body (ok, malformed, unsupported) and never crash or
 * leak. */
#include <stdio.h>
#include <stdlib.h>

#include "remote_internal.h"
#include "test_util.h"

static const char *const anthropic_ok =
    "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-x\","
    "\"content\":[{\"type\":\"thinking\",\"thinking\":\"hmm\"},{\"type\":\"text\",\"text\":\"Answer: B\"}],"
    "\"stop_reason\":\"end_turn\",\"stop_sequence\":null,"
    "\"usage\":{\"input_tokens\":12,\"output_tokens\":5,\"cache_read_input_tokens\":2}}";
static const char *const openai_ok =
    "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"gpt-x\",\"system_fingerprint\":\"fp\","
    "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Answer: C\"},"
    "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3,"
    "\"prompt_tokens_details\":{\"cached_tokens\":1}}}";
static const char *const gemini_ok =
    "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Answer: D\"}]},"
    "\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":7,\"candidatesTokenCount\":2,"
    "\"thoughtsTokenCount\":4},\"modelVersion\":\"gemini-x\",\"responseId\":\"r1\"}";
static const char *const error_body =
    "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow down\","
    "\"code\":429,\"status\":\"RESOURCE_EXHAUSTED\",\"details\":[{\"retryDelay\":\"3s\"}]}}";

/* Replaces a random node of the tree by something of another type. */
static cJSON *random_value(unsigned *seed) {
    switch (rand_r(seed) % 7) {
    case 0: return cJSON_CreateNull();
    case 1: return cJSON_CreateNumber((double)(rand_r(seed) % 2000) - 1000);
    case 2: return cJSON_CreateString(rand_r(seed) % 2 ? "" : "\xff\xfe not utf8");
    case 3: return cJSON_CreateArray();
    case 4: return cJSON_CreateObject();
    case 5: return cJSON_CreateBool(rand_r(seed) % 2);
    default: return cJSON_CreateNumber(1e308 * 10);
    }
}

static void mutate(cJSON *node, unsigned *seed, int depth) {
    cJSON *child = node->child;
    int n = 0;
    for (cJSON *c = child; c; c = c->next) n++;
    if (n == 0) return;
    int pick = rand_r(seed) % n;
    cJSON *c = child;
    for (int i = 0; i < pick; i++) c = c->next;
    int action = rand_r(seed) % 4;
    if (action == 0 || depth > 6) {
        cJSON *repl = random_value(seed);
        if (cJSON_IsArray(node)) cJSON_ReplaceItemInArray(node, pick, repl);
        else cJSON_ReplaceItemInObjectCaseSensitive(node, c->string, repl);
    } else if (action == 1) {
        if (cJSON_IsArray(node)) cJSON_DeleteItemFromArray(node, pick);
        else cJSON_DeleteItemFromObjectCaseSensitive(node, c->string);
    } else {
        mutate(c, seed, depth + 1);
    }
}

static void run(const eb_provider *p, const char *body, unsigned *seed, int iterations, int *ok_count) {
    char *stops[] = {"\n\nQ:"};
    eb_remote_req_info info = {stops, 1, false, 0, NULL, 0};
    for (int i = 0; i < iterations; i++) {
        cJSON *root = cJSON_Parse(body);
        int rounds = i == 0 ? 0 : 1 + rand_r(seed) % 4;
        for (int k = 0; k < rounds; k++) mutate(root, seed, 0);
        eb_response r = {0};
        eb_err err = {{0}};
        int rc = p->parse(root, &info, &r, &err);
        CHECK(rc == EB_PARSE_OK || rc == EB_PARSE_MALFORMED || rc == EB_PARSE_UNSUPPORTED);
        if (rc == EB_PARSE_OK) {
            (*ok_count)++;
            if (!r.text) CHECK_MSG(r.text != NULL, "%s: parsed OK without text", p->name);
        }
        if (i == 0) CHECK_MSG(rc == EB_PARSE_OK && r.text, "%s: the valid body must parse", p->name);
        eb_response_clear(&r);
        eb_wire_error we;
        memset(&we, 0, sizeof we);
        p->parse_error(429, root, &we);
        p->parse_error(500, NULL, &we);
        CHECK(memchr(we.message, '\0', sizeof we.message) != NULL);
        cJSON_Delete(root);
    }
    /* Arbitrary JSON values of every shape. */
    const char *const shapes[] = {"null", "[]", "{}", "\"text\"", "3", "[{\"content\":[1,2]}]",
                                  "{\"choices\":{}}", "{\"candidates\":[null]}", "{\"content\":\"x\"}"};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        cJSON *root = cJSON_Parse(shapes[i]);
        eb_response r = {0};
        eb_err err = {{0}};
        int rc = p->parse(root, &info, &r, &err);
        CHECK(rc == EB_PARSE_MALFORMED || rc == EB_PARSE_UNSUPPORTED || (rc == EB_PARSE_OK && r.text));
        eb_response_clear(&r);
        eb_wire_error we;
        memset(&we, 0, sizeof we);
        p->parse_error(400, root, &we);
        cJSON_Delete(root);
    }
}

int main(void) {
    unsigned seed = 2024;
    int ok_a = 0, ok_o = 0, ok_g = 0;
    run(&eb_provider_anthropic, anthropic_ok, &seed, 3000, &ok_a);
    run(&eb_provider_openai, openai_ok, &seed, 3000, &ok_o);
    run(&eb_provider_gemini, gemini_ok, &seed, 3000, &ok_g);
    /* Error bodies through every provider's error reader. */
    const eb_provider *all[] = {&eb_provider_anthropic, &eb_provider_openai, &eb_provider_gemini};
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < 1000; i++) {
            cJSON *root = cJSON_Parse(error_body);
            for (int m = 0; m < 1 + rand_r(&seed) % 3; m++) mutate(root, &seed, 0);
            eb_wire_error we;
            memset(&we, 0, sizeof we);
            all[k]->parse_error(429, root, &we);
            CHECK(memchr(we.type, '\0', sizeof we.type) != NULL);
            cJSON_Delete(root);
        }
    }
    printf("accepted after damage: anthropic %d, openai %d, gemini %d of 3000 each\n", ok_a, ok_o, ok_g);
    /* Some damage leaves a usable answer, most does not: both paths ran. */
    CHECK(ok_a > 1 && ok_a < 3000);
    CHECK(ok_o > 1 && ok_o < 3000);
    CHECK(ok_g > 1 && ok_g < 3000);
    return eb_test_finish();
}
