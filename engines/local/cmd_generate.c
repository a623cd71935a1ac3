/* `evalbench generate`: one prompt through the local engine's model, for
 * quick checks by users and scripts.
 *
 *   evalbench generate --model-path DIR (--prompt TEXT | --prompt-ids 2,17,...)
 *       [--chat] [--system TEXT] [--no-bos] [--max-tokens N]
 *       [--temperature T --seed S] [--print-ids] [--logits-out FILE.npy]
 *       [--device cpu|cuda|cuda:N] [--quant bf16|fp8|int8|w8a16|w4a16]
 *
 * Prints the completion as it is generated (or, with --print-ids, the
 * generated ids comma-separated).  --logits-out writes the float32 logits of
 * every prompt position as a [prompt_len, vocab] .npy array.  Raw prompts get
 * BOS unless --no-bos; --prompt-ids are used exactly as given. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "g4_quant.h"
#include "local_model.h"
#include "npy.h"
#include "strutil.h"

int cmd_generate(int argc, char **argv);

#define GENERATE_USAGE                                                                                           \
    "usage: evalbench generate --model-path DIR (--prompt TEXT | --prompt-ids 2,17,...) [--chat] [--system TEXT]\n" \
    "       [--no-bos] [--max-tokens N] [--temperature T --seed S] [--print-ids] [--logits-out FILE.npy]\n"        \
    "       [--device cpu|cuda|cuda:N] [--quant bf16|fp8|int8|w8a16|w4a16]\n"

static int help(void) {
    printf("%s\nRuns one prompt through the local Gemma 4 engine and prints the completion (or, with --print-ids,\n"
           "the generated token ids). --logits-out writes the float32 logits of every prompt position as a\n"
           "[prompt_len, vocab] .npy array. --device defaults to the GPU when one is visible. --quant rounds the\n"
           "layer projections to fp8 or int8 (W8A8), or int8 / int4 weights with 16-bit activations, as the\n"
           "model loads (docs/quantization.md).\n",
           GENERATE_USAGE);
    return EB_EXIT_OK;
}

static int usage(const char *msg) {
    fprintf(stderr, "evalbench generate: %s\n" GENERATE_USAGE, msg);
    return EB_EXIT_USAGE;
}

static int parse_ids(const char *s, int32_t **ids, size_t *n) {
    char **parts;
    size_t k = eb_split(s, ',', &parts);
    *ids = malloc((k ? k : 1) * sizeof **ids);
    *n = k;
    int ok = k > 0;
    for (size_t i = 0; i < k; i++) {
        char *t = eb_trim_dup(parts[i]);
        long v;
        if (!eb_parse_long(t, &v) || v > 0x7fffffff) ok = 0;
        else (*ids)[i] = (int32_t)v;
        free(t);
    }
    eb_strv_free(parts, k);
    return ok ? 0 : -1;
}

int cmd_generate(int argc, char **argv) {
    const char *model_path = NULL, *prompt = NULL, *prompt_ids = NULL, *system = NULL, *logits_out = NULL;
    const char *device = NULL, *quant_name = NULL;
    bool chat = false, print_ids = false, no_bos = false;
    long max_tokens = 64, seed = 0;
    double temperature = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return help();
        if (!strcmp(a, "--chat")) chat = true;
        else if (!strcmp(a, "--print-ids")) print_ids = true;
        else if (!strcmp(a, "--no-bos")) no_bos = true;
        else if (!has) return usage("a flag is missing its value (or is unknown)");
        else if (!strcmp(a, "--model-path")) model_path = argv[++i];
        else if (!strcmp(a, "--prompt")) prompt = argv[++i];
        else if (!strcmp(a, "--prompt-ids")) prompt_ids = argv[++i];
        else if (!strcmp(a, "--system")) system = argv[++i];
        else if (!strcmp(a, "--logits-out")) logits_out = argv[++i];
        else if (!strcmp(a, "--device")) device = argv[++i];
        else if (!strcmp(a, "--quant")) quant_name = argv[++i];
        else if (!strcmp(a, "--max-tokens")) {
            if (!eb_parse_long(argv[++i], &max_tokens)) return usage("--max-tokens needs a non-negative integer");
        } else if (!strcmp(a, "--seed")) {
            if (!eb_parse_long(argv[++i], &seed)) return usage("--seed needs a non-negative integer");
        } else if (!strcmp(a, "--temperature")) {
            if (!eb_parse_double(argv[++i], &temperature) || temperature < 0)
                return usage("--temperature needs a number >= 0");
        } else {
            return usage("unknown flag");
        }
    }
    if (!model_path) return usage("--model-path DIR is required");
    if (!prompt == !prompt_ids) return usage("give exactly one of --prompt and --prompt-ids");
    if (prompt_ids && (chat || system)) return usage("--chat and --system apply to --prompt only");

    eb_err err = {0};
    eb_g4_quant quant;
    if (eb_g4_quant_parse(quant_name, &quant, &err) != 0) return usage(err.msg);
    eb_local_model *lm = NULL;
    int orc = eb_local_model_open(model_path, device, (int)quant, &lm, &err);
    if (orc != 0) {
        fprintf(stderr, "evalbench generate: %s\n", err.msg);
        return orc == EB_LOCAL_NO_DEVICE ? EB_EXIT_ENGINE : EB_EXIT_FAILURE;
    }
    int rc = EB_EXIT_FAILURE;
    int32_t *ids = NULL, *out_ids = NULL;
    size_t n = 0;
    int V = lm->m->cfg.vocab;
    float *all = NULL, *last = malloc((size_t)V * sizeof *last);
    eb_g4_seq *s = eb_g4_seq_new(lm->m);
    eb_tok_stream *stream = eb_tok_stream_new(lm->tok, 0);
    eb_buf text = {0};
    if (prompt_ids) {
        if (parse_ids(prompt_ids, &ids, &n) != 0) {
            rc = usage("--prompt-ids needs comma-separated token ids");
            goto done;
        }
    } else if (eb_local_encode_prompt(lm, system, prompt, chat, !no_bos, &ids, &n, &err) != 0) {
        fprintf(stderr, "evalbench generate: %s\n", err.msg);
        goto done;
    }
    if (logits_out) all = malloc(n * (size_t)V * sizeof *all);
    if (eb_local_prefill(lm, s, ids, n, all, last, &err) != 0) {
        fprintf(stderr, "evalbench generate: %s\n", err.msg);
        goto done;
    }
    if (logits_out && eb_npy_write_f32(logits_out, all, n, (size_t)V, &err) != 0) {
        fprintf(stderr, "evalbench generate: %s\n", err.msg);
        goto done;
    }
    eb_sampling sp = {temperature, lm->sampling.top_k, lm->sampling.top_p};
    eb_rng rng;
    eb_rng_seed(&rng, (uint64_t)seed);
    out_ids = malloc(((size_t)max_tokens + 1) * sizeof *out_ids);
    long k = 0;
    while (k < max_tokens) {
        int32_t tok = eb_sample(last, V, &sp, &rng);
        if (eb_local_is_stop(lm, tok)) break;
        out_ids[k++] = tok;
        if (!print_ids) {
            eb_buf_reset(&text);
            if (eb_tok_stream_push(stream, tok, &text, &err) != 0) {
                fprintf(stderr, "evalbench generate: %s\n", err.msg);
                goto done;
            }
            fputs(eb_buf_str(&text), stdout);
            fflush(stdout);
        }
        if (k == max_tokens || s->n_past + 1 > lm->m->max_positions) break;
        eb_g4_chunk c = {.seq = s, .ids = &tok, .n = 1, .logits = last};
        if (eb_g4_forward(lm->m, &c, 1, &err) != 0) {
            fprintf(stderr, "evalbench generate: %s\n", err.msg);
            goto done;
        }
    }
    if (print_ids) {
        for (long i = 0; i < k; i++) printf("%s%d", i ? "," : "", out_ids[i]);
        putchar('\n');
    } else {
        eb_buf_reset(&text);
        if (eb_tok_stream_finish(stream, &text, &err) != 0) {
            fprintf(stderr, "evalbench generate: %s\n", err.msg);
            goto done;
        }
        printf("%s\n", eb_buf_str(&text));
    }
    rc = EB_EXIT_OK;
done:
    eb_buf_free(&text);
    eb_tok_stream_free(stream);
    eb_g4_seq_free(lm->m, s);
    free(ids);
    free(out_ids);
    free(all);
    free(last);
    eb_local_model_free(lm);
    return rc;
}
