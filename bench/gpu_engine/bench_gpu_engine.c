/* GPU throughput of the local engine at the real sizes of Gemma 4 (E2B, E4B,
 * 26B-A4B, 31B), full depth, bf16: batch-1 and batched greedy decode, and
 * prefill, through the same eb_g4_forward the harness uses.
 *
 *   bench_gpu_engine [--configs DIR] [--workdir DIR] [--variants e2b,31b]
 *                    [--batches 1,32,128] [--prompt 128] [--gen 64]
 *                    [--prefill 16x1024] [--json FILE] [--make-only]
 *                    [--quant fp8|int8|w8a16|w4a16]  (quantized on load)
 *
 * The checkpoints go to --workdir (default /tmp: page cache can be
 * reclaimed, tmpfs pages read through a mapping cannot).
 * A 31B checkpoint (61 GB) does not fit beside anything on the device
 * machine's disk, so each model is a sparse safetensors file: its small
 * tensors (norm weights, layer scalars, expert scales) hold random values
 * near one, its matrices are holes, and after loading (which times the
 * loader on the full 61 GB) every matrix is filled on the GPU with
 * reproducible uniform values of the scale of trained weights.  Timing on
 * zeros would flatter the tensor cores.
 *
 * The baseline, transformers on the same shapes, is measured in the same
 * device call by scripts/gpu_fidelity.py --bench (scripts/gpu_check.sh runs
 * both and prints them side by side). */
#include <fcntl.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fileio.h"
#include "g4_cuda.h"
#include "g4_model.h"
#include "g4_quant.h"
#include "rng.h"
#include "strutil.h"
#include "timeutil.h"

/* HBM ceiling used for the roofline column: a device-to-device copy on an
 * H200 (bytes read + written), measured on this card type (docs/PERFORMANCE.md). */
#define HBM_BYTES_PER_S 4.24e12

static void write_u16(FILE *f, float v) {
    uint32_t u;
    memcpy(&u, &v, 4);
    uint16_t h = (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
    fwrite(&h, 2, 1, f);
}

/* The sparse checkpoint for config.json in dir. */
static int make_checkpoint(const char *dir, eb_err *err) {
    eb_g4_config c;
    if (eb_g4_config_load(dir, &c, err) != 0) return -1;
    eb_g4_spec *specs = NULL;
    size_t n = eb_g4_specs(&c, "model.", NULL, &specs);
    eb_buf h = {0};
    eb_buf_printf(&h, "{");
    int64_t off = 0;
    for (size_t i = 0; i < n; i++) {
        if (specs[i].optional) continue;
        int64_t numel = 1;
        eb_buf_printf(&h, "%s\"%s\":{\"dtype\":\"BF16\",\"shape\":[", off ? "," : "", specs[i].name);
        for (int d = 0; d < specs[i].ndim; d++) {
            eb_buf_printf(&h, "%s%lld", d ? "," : "", (long long)specs[i].shape[d]);
            numel *= specs[i].shape[d];
        }
        eb_buf_printf(&h, "],\"data_offsets\":[%lld,%lld]}", (long long)off, (long long)(off + 2 * numel));
        off += 2 * numel;
    }
    eb_buf_printf(&h, "}");
    while (h.len % 8) eb_buf_printf(&h, " ");
    char *path = eb_path_join(dir, "model.safetensors");
    FILE *f = fopen(path, "wb");
    int rc = 0;
    if (!f) rc = eb_err_set(err, "%s: cannot create", path);
    if (rc == 0) {
        uint64_t hl = h.len;
        fwrite(&hl, 8, 1, f);
        fwrite(h.data, 1, h.len, f);
        long base = ftell(f);
        eb_rng rng;
        eb_rng_seed(&rng, 7);
        int64_t pos = 0;
        for (size_t i = 0; i < n; i++) {
            if (specs[i].optional) continue;
            int64_t numel = 1;
            for (int d = 0; d < specs[i].ndim; d++) numel *= specs[i].shape[d];
            if (specs[i].ndim == 1) {
                fseek(f, base + (long)pos, SEEK_SET);
                for (int64_t k = 0; k < numel; k++) write_u16(f, 1.0f + 0.1f * (float)(eb_rng_uniform(&rng) - 0.5));
            }
            pos += 2 * numel;
        }
        if (fflush(f) != 0 || ftruncate(fileno(f), base + (long)pos) != 0) rc = eb_err_set(err, "%s: write failed", path);
        fclose(f);
    }
    free(path);
    eb_buf_free(&h);
    free(specs);
    eb_g4_config_free(&c);
    return rc;
}

typedef struct row {
    const char *variant;
    double load_s, load_gb, weights_gb, active_gb;
    int n_batches;
    int batch[8];
    double decode_tps[8];
    double prefill_tps;
} row;

/* Decoding B sequences of P-token prompts for G greedy steps. */
static double time_decode(eb_g4_model *m, int B, int P, int G, eb_err *err) {
    int V = m->cfg.vocab;
    eb_rng rng;
    eb_rng_seed(&rng, (uint64_t)B);
    int32_t *ids = malloc((size_t)B * P * sizeof *ids), *next = malloc((size_t)B * sizeof *next);
    for (int i = 0; i < B * P; i++) ids[i] = i % P == 0 ? 2 : 107 + (int32_t)(eb_rng_uniform(&rng) * (V - 107));
    eb_g4_seq **s = malloc((size_t)B * sizeof *s);
    eb_g4_chunk *ch = malloc((size_t)B * sizeof *ch);
    for (int b = 0; b < B; b++) {
        s[b] = eb_g4_seq_new(m);
        ch[b] = (eb_g4_chunk){.seq = s[b], .ids = ids + (size_t)b * P, .n = P, .logits_from = P - 1, .argmax = &next[b]};
    }
    int rc = eb_g4_forward(m, ch, B, err);
    /* one untimed step: the memory pool grows to its working size */
    for (int b = 0; b < B; b++) ch[b] = (eb_g4_chunk){.seq = s[b], .ids = &next[b], .n = 1, .argmax = &next[b]};
    if (rc == 0) rc = eb_g4_forward(m, ch, B, err);
    double t0 = eb_now_ms();
    for (int g = 0; rc == 0 && g < G; g++) rc = eb_g4_forward(m, ch, B, err);
    double dt = (eb_now_ms() - t0) / 1000.0;
    for (int b = 0; b < B; b++) eb_g4_seq_free(m, s[b]);
    free(s);
    free(ch);
    free(ids);
    free(next);
    return rc == 0 ? (double)B * G / dt : -1;
}

static double time_prefill(eb_g4_model *m, int B, int T, eb_err *err) {
    int V = m->cfg.vocab;
    eb_rng rng;
    eb_rng_seed(&rng, 99);
    int32_t *ids = malloc((size_t)B * T * sizeof *ids), *out = malloc((size_t)B * sizeof *out);
    for (int i = 0; i < B * T; i++) ids[i] = i % T == 0 ? 2 : 107 + (int32_t)(eb_rng_uniform(&rng) * (V - 107));
    eb_g4_seq **s = malloc((size_t)B * sizeof *s);
    eb_g4_chunk *ch = malloc((size_t)B * sizeof *ch);
    double best = -1;
    int rc = 0;
    for (int rep = 0; rc == 0 && rep < 3; rep++) { /* first is the warm-up */
        for (int b = 0; b < B; b++) {
            s[b] = eb_g4_seq_new(m);
            ch[b] = (eb_g4_chunk){.seq = s[b], .ids = ids + (size_t)b * T, .n = T, .logits_from = T - 1, .argmax = &out[b]};
        }
        double t0 = eb_now_ms();
        rc = eb_g4_forward(m, ch, B, err);
        double tps = (double)B * T / ((eb_now_ms() - t0) / 1000.0);
        if (rep > 0 && tps > best) best = tps;
        for (int b = 0; b < B; b++) eb_g4_seq_free(m, s[b]);
    }
    free(s);
    free(ch);
    free(ids);
    free(out);
    return rc == 0 ? best : -1;
}

/* Bytes of weights one decoded token reads: everything but the experts a
 * token does not visit, and the per-layer embedding table, of which it reads
 * one row. */
static double active_bytes(const eb_g4_model *m) {
    const eb_g4_config *c = &m->cfg;
    double total = 2.0 * (double)eb_g4_param_count(c, false);
    if (m->w.quant) {
        /* the quantized projections read 1 (or half a) byte per weight */
        double per = m->w.quant == EB_G4_Q_W4A16 ? 0.5 : 1.0, q = 0;
        for (int i = 0; i < m->w.n_layers; i++) {
            const eb_g4_layer_weights *lw = &m->w.layers[i];
            const eb_g4_tensor *t[] = {&lw->q_proj, &lw->k_proj, &lw->v_proj, &lw->o_proj, &lw->gate_proj,
                                       &lw->up_proj, &lw->down_proj, &lw->ple_gate, &lw->ple_proj};
            for (size_t k = 0; k < sizeof t / sizeof t[0]; k++)
                if (t[k]->quant) q += (double)t[k]->shape[0] * (double)t[k]->shape[1];
            if (lw->experts_gate_up.quant)
                q += (double)c->top_k * 3.0 * c->moe_intermediate * c->hidden;
        }
        total -= (2.0 - per) * q;
    }
    if (c->ple_dim) total -= 2.0 * (double)c->ple_vocab * c->n_layers * c->ple_dim;
    if (c->moe)
        total -= 2.0 * c->n_layers * (double)(c->n_experts - c->top_k) * 3.0 * c->moe_intermediate * c->hidden;
    return total;
}

static int parse_list(const char *s, int *out, int max) {
    char **parts;
    size_t k = eb_split(s, ',', &parts);
    int n = 0;
    for (size_t i = 0; i < k && n < max; i++) {
        long v;
        if (eb_parse_long(parts[i], &v) && v > 0) out[n++] = (int)v;
    }
    eb_strv_free(parts, k);
    return n;
}

int main(int argc, char **argv) {
    const char *configs = "bench/gpu_engine/configs", *workdir = "/tmp/evalbench-bench", *json = NULL;
    const char *quant_name = NULL;
    const char *variants = "e2b,e4b,26b-a4b,31b", *batches = "1,32,128", *prefill = "16x1024";
    int P = 128, G = 64;
    bool make_only = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--make-only")) {
            make_only = true;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "bench_gpu_engine: %s needs a value\n", a);
            return 2;
        }
        if (!strcmp(a, "--configs")) configs = argv[++i];
        else if (!strcmp(a, "--workdir")) workdir = argv[++i];
        else if (!strcmp(a, "--variants")) variants = argv[++i];
        else if (!strcmp(a, "--batches")) batches = argv[++i];
        else if (!strcmp(a, "--prompt")) P = atoi(argv[++i]);
        else if (!strcmp(a, "--gen")) G = atoi(argv[++i]);
        else if (!strcmp(a, "--prefill")) prefill = argv[++i];
        else if (!strcmp(a, "--json")) json = argv[++i];
        else if (!strcmp(a, "--quant")) quant_name = argv[++i];
        else {
            fprintf(stderr, "bench_gpu_engine: unknown option %s\n", a);
            return 2;
        }
    }
    int pB = 16, pT = 1024;
    if (sscanf(prefill, "%dx%d", &pB, &pT) != 2 || pB < 1 || pT < 1) {
        fprintf(stderr, "bench_gpu_engine: --prefill BxT\n");
        return 2;
    }
    eb_g4_quant quant;
    {
        eb_err qerr = {0};
        if (eb_g4_quant_parse(quant_name, &quant, &qerr) != 0) {
            fprintf(stderr, "bench_gpu_engine: %s\n", qerr.msg);
            return 2;
        }
    }
    if (!make_only && eb_g4_cuda_device_count() == 0) {
        fprintf(stderr, "bench_gpu_engine: no CUDA GPU is visible\n");
        return 5;
    }
    char **names;
    size_t nv = eb_split(variants, ',', &names);
    row *rows = calloc(nv, sizeof *rows);
    mkdir(workdir, 0755);
    int status = 0;
    for (size_t vi = 0; vi < nv; vi++) {
        row *r = &rows[vi];
        r->variant = names[vi];
        r->n_batches = parse_list(batches, r->batch, 8);
        eb_err err = {0};
        char *dir = eb_path_join(workdir, names[vi]);
        mkdir(dir, 0755);
        eb_buf src = {0}, dst = {0};
        eb_buf_printf(&src, "%s/%s.json", configs, names[vi]);
        eb_buf_printf(&dst, "%s/config.json", dir);
        char *text = NULL;
        size_t len = 0;
        int rc = eb_read_file(eb_buf_str(&src), &text, &len, &err);
        if (rc == 0) rc = eb_write_file_atomic(eb_buf_str(&dst), text, len, &err);
        free(text);
        eb_buf_free(&src);
        eb_buf_free(&dst);
        if (rc == 0) rc = make_checkpoint(dir, &err);
        eb_g4_model *m = NULL;
        if (make_only) {
            /* write and bind the checkpoint (no forward pass) on the CPU */
            eb_g4_backend *cb = eb_g4_cpu_backend_create(1);
            if (rc == 0 && eb_g4_model_load(dir, cb, &m, &err) == 0) {
                printf("%s: %s/model.safetensors binds: %.2f GB of bf16 weights\n", names[vi], dir,
                       2.0 * (double)eb_g4_param_count(&m->cfg, false) / 1e9);
                eb_g4_model_free(m);
            } else {
                fprintf(stderr, "bench_gpu_engine: %s: %s\n", names[vi], err.msg);
                eb_g4_backend_destroy(cb);
                status = 1;
            }
            free(dir);
            continue;
        }
        eb_g4_backend *be = rc == 0 ? eb_g4_cuda_backend_create(0, &err) : NULL;
        double t0 = eb_now_ms();
        if (be && eb_g4_model_load_quant(dir, be, (int)quant, &m, &err) != 0) {
            eb_g4_backend_destroy(be);
            m = NULL;
        }
        r->load_s = (eb_now_ms() - t0) / 1000.0;
        /* the mapping keeps the data while the model lives; the name goes now */
        char *st = eb_path_join(dir, "model.safetensors");
        unlink(st);
        free(st);
        if (m && eb_g4_cuda_randomize_matrices(m->be, 1234, 0.035f, &err) != 0) {
            eb_g4_model_free(m);
            m = NULL;
        }
        if (!m) {
            fprintf(stderr, "bench_gpu_engine: %s: %s\n", names[vi], err.msg);
            status = 1;
            free(dir);
            continue;
        }
        r->weights_gb = 2.0 * (double)eb_g4_param_count(&m->cfg, false) / 1e9;
        r->load_gb = r->weights_gb;
        r->active_gb = active_bytes(m) / 1e9;
        for (int b = 0; b < r->n_batches; b++) {
            r->decode_tps[b] = time_decode(m, r->batch[b], P, G, &err);
            if (r->decode_tps[b] < 0) fprintf(stderr, "bench_gpu_engine: %s batch %d: %s\n", names[vi], r->batch[b], err.msg);
            printf("%s: decode batch %d: %.1f tok/s\n", names[vi], r->batch[b], r->decode_tps[b]);
            fflush(stdout);
        }
        r->prefill_tps = time_prefill(m, pB, pT, &err);
        if (r->prefill_tps < 0) fprintf(stderr, "bench_gpu_engine: %s prefill: %s\n", names[vi], err.msg);
        printf("%s: prefill %dx%d: %.0f tok/s; load %.1f s\n", names[vi], pB, pT, r->prefill_tps, r->load_s);
        fflush(stdout);
        eb_g4_model_free(m);
        free(dir);
    }
    if (make_only) {
        eb_strv_free(names, nv);
        free(rows);
        return status;
    }
    printf("\n%s weights\n| model | weights GB | load s | read/token GB |", eb_g4_quant_name(quant));
    for (int b = 0; b < rows[0].n_batches; b++) printf(" decode b=%d tok/s |", rows[0].batch[b]);
    printf(" b=1 %% of HBM roofline | prefill %dx%d tok/s |\n|---|---:|---:|---:|", pB, pT);
    for (int b = 0; b < rows[0].n_batches; b++) printf("---:|");
    printf("---:|---:|\n");
    for (size_t vi = 0; vi < nv; vi++) {
        row *r = &rows[vi];
        printf("| %s | %.1f | %.1f | %.2f |", r->variant, r->weights_gb, r->load_s, r->active_gb);
        for (int b = 0; b < r->n_batches; b++) printf(" %.1f |", r->decode_tps[b]);
        double roof = r->active_gb > 0 ? HBM_BYTES_PER_S / (r->active_gb * 1e9) : 0;
        printf(" %.0f%% (ceiling %.0f tok/s) | %.0f |\n", r->n_batches && r->batch[0] == 1 && roof > 0 ? 100.0 * r->decode_tps[0] / roof : 0,
               roof, r->prefill_tps);
    }
    if (json) {
        FILE *f = fopen(json, "w");
        if (f) {
            fprintf(f, "[");
            for (size_t vi = 0; vi < nv; vi++) {
                row *r = &rows[vi];
                fprintf(f, "%s{\"variant\":\"%s\",\"weights_gb\":%.3f,\"load_s\":%.2f,\"prefill_tps\":%.1f,\"decode\":{",
                        vi ? "," : "", r->variant, r->weights_gb, r->load_s, r->prefill_tps);
                for (int b = 0; b < r->n_batches; b++) fprintf(f, "%s\"%d\":%.2f", b ? "," : "", r->batch[b], r->decode_tps[b]);
                fprintf(f, "}}");
            }
            fprintf(f, "]\n");
            fclose(f);
        }
    }
    eb_strv_free(names, nv);
    free(rows);
    return status;
}
