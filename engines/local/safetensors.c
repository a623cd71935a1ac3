/* safetensors: 8-byte little-endian header length, a JSON header
 * {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}},
 * then the data block that the offsets index. */
#include "safetensors.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

/* Headers of real checkpoints are well under 10 MB; a bigger length is a
 * corrupt file, not something to allocate. */
#define EB_ST_MAX_HEADER (100u << 20)

const char *eb_dtype_name(eb_dtype dt) {
    switch (dt) {
    case EB_DT_F32: return "F32";
    case EB_DT_BF16: return "BF16";
    case EB_DT_F16: return "F16";
    case EB_DT_I64: return "I64";
    case EB_DT_I32: return "I32";
    default: return "unsupported";
    }
}

size_t eb_dtype_size(eb_dtype dt) {
    switch (dt) {
    case EB_DT_F32: case EB_DT_I32: return 4;
    case EB_DT_BF16: case EB_DT_F16: return 2;
    case EB_DT_I64: return 8;
    default: return 0;
    }
}

uint16_t eb_f32_to_bf16(float f) {
    union { float f; uint32_t u; } v = {.f = f};
    if ((v.u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((v.u >> 16) | 0x40);
    uint32_t rounding = 0x7fffu + ((v.u >> 16) & 1u);
    return (uint16_t)((v.u + rounding) >> 16);
}

float eb_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ffu;
    float v;
    if (exp == 0) v = ldexpf((float)man, -24);
    else if (exp == 31) v = man ? NAN : INFINITY;
    else v = ldexpf((float)(man | 0x400u), (int)exp - 25);
    union { float f; uint32_t u; } r = {.f = v};
    r.u |= sign;
    return r.f;
}

/* Element sizes of dtypes the format allows, including ones we cannot run,
 * so their byte ranges can still be checked. */
static int parse_dtype(const char *s, eb_dtype *dt, size_t *size) {
    static const struct { const char *name; eb_dtype dt; size_t size; } table[] = {
        {"F32", EB_DT_F32, 4}, {"BF16", EB_DT_BF16, 2}, {"F16", EB_DT_F16, 2}, {"I64", EB_DT_I64, 8},
        {"I32", EB_DT_I32, 4}, {"F64", EB_DT_OTHER, 8}, {"I16", EB_DT_OTHER, 2}, {"U16", EB_DT_OTHER, 2},
        {"I8", EB_DT_OTHER, 1},  {"U8", EB_DT_OTHER, 1},   {"BOOL", EB_DT_OTHER, 1}, {"U32", EB_DT_OTHER, 4},
        {"U64", EB_DT_OTHER, 8}, {"F8_E4M3", EB_DT_OTHER, 1}, {"F8_E5M2", EB_DT_OTHER, 1},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(s, table[i].name) == 0) {
            *dt = table[i].dt;
            *size = table[i].size;
            return 0;
        }
    return -1;
}

static int json_u64(const cJSON *v, uint64_t *out) {
    if (!cJSON_IsNumber(v)) return -1;
    double d = v->valuedouble;
    if (!(d >= 0) || d > 9007199254740992.0 || d != floor(d)) return -1;
    *out = (uint64_t)d;
    return 0;
}

void eb_st_file_close(eb_st_file *f) {
    if (!f) return;
    for (size_t i = 0; i < f->n_tensors; i++) free(f->tensors[i].name);
    free(f->tensors);
    for (size_t i = 0; i < f->n_copies; i++) free(f->copies[i]);
    free(f->copies);
    if (f->map && f->size) munmap(f->map, f->size);
    free(f->path);
    memset(f, 0, sizeof *f);
}

static int parse_entry(eb_st_file *f, const cJSON *e, const unsigned char *data, uint64_t data_len,
                       eb_st_tensor *t, eb_err *err) {
    const char *name = e->string;
    if (!cJSON_IsObject(e)) return eb_err_set(err, "%s: tensor %s: header entry is not an object", f->path, name);
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(e, "shape");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    if (!cJSON_IsString(dt)) return eb_err_set(err, "%s: tensor %s: missing dtype", f->path, name);
    size_t esize;
    if (parse_dtype(dt->valuestring, &t->dtype, &esize) != 0)
        return eb_err_set(err, "%s: tensor %s: unknown dtype \"%.20s\"", f->path, name, dt->valuestring);
    snprintf(t->dtype_str, sizeof t->dtype_str, "%s", dt->valuestring);
    if (!cJSON_IsArray(shape)) return eb_err_set(err, "%s: tensor %s: missing shape", f->path, name);
    int nd = cJSON_GetArraySize(shape);
    if (nd > EB_ST_MAX_DIMS) return eb_err_set(err, "%s: tensor %s: %d dimensions (at most %d)", f->path, name, nd, EB_ST_MAX_DIMS);
    t->ndim = nd;
    uint64_t numel = 1;
    for (int i = 0; i < nd; i++) {
        uint64_t d;
        if (json_u64(cJSON_GetArrayItem(shape, i), &d) != 0 || d > (1ull << 40))
            return eb_err_set(err, "%s: tensor %s: bad shape dimension %d", f->path, name, i);
        t->shape[i] = (int64_t)d;
        if (d && numel > (1ull << 50) / d) return eb_err_set(err, "%s: tensor %s: shape too large", f->path, name);
        numel *= d;
    }
    t->numel = (int64_t)numel;
    uint64_t b, en;
    if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2 || json_u64(cJSON_GetArrayItem(offs, 0), &b) != 0 ||
        json_u64(cJSON_GetArrayItem(offs, 1), &en) != 0)
        return eb_err_set(err, "%s: tensor %s: bad data_offsets", f->path, name);
    if (b > en)
        return eb_err_set(err, "%s: tensor %s: data_offsets [%llu, %llu] end before they begin", f->path, name,
                          (unsigned long long)b, (unsigned long long)en);
    if (en > data_len)
        return eb_err_set(err, "%s: tensor %s: data_offsets [%llu, %llu] outside the %llu data bytes (truncated file?)",
                          f->path, name, (unsigned long long)b, (unsigned long long)en, (unsigned long long)data_len);
    if (en - b != numel * esize)
        return eb_err_set(err, "%s: tensor %s: %llu bytes for %s x %llu elements (expected %llu)", f->path, name,
                          (unsigned long long)(en - b), t->dtype_str, (unsigned long long)numel,
                          (unsigned long long)(numel * esize));
    t->nbytes = (size_t)(en - b);
    const unsigned char *p = data + b;
    if (esize > 1 && ((uintptr_t)p % esize) != 0) {
        /* The format does not promise alignment; loads of wider types from an
         * odd address are undefined, so such tensors get an aligned copy. */
        void *copy = eb_malloc(t->nbytes ? t->nbytes : 1);
        memcpy(copy, p, t->nbytes);
        f->copies = eb_realloc(f->copies, (f->n_copies + 1) * sizeof *f->copies);
        f->copies[f->n_copies++] = copy;
        p = copy;
    }
    t->data = p;
    t->file = f->path;
    return 0;
}

int eb_st_file_open(const char *path, eb_st_file *out, eb_err *err) {
    memset(out, 0, sizeof *out);
    out->path = eb_strdup(path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        eb_err_set(err, "%s: cannot open: %s", path, strerror(errno));
        goto fail;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        eb_err_set(err, "%s: not a regular file", path);
        goto fail;
    }
    if (st.st_size < 8) {
        close(fd);
        eb_err_set(err, "%s: truncated file (%lld bytes, no header)", path, (long long)st.st_size);
        goto fail;
    }
    out->size = (size_t)st.st_size;
    out->map = mmap(NULL, out->size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (out->map == MAP_FAILED) {
        out->map = NULL;
        eb_err_set(err, "%s: mmap failed: %s", path, strerror(errno));
        goto fail;
    }
    /* Every weight is read on the first forward pass: start reading now. */
    madvise(out->map, out->size, MADV_WILLNEED);
    const unsigned char *base = out->map;
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | base[i];
    if (hlen > EB_ST_MAX_HEADER || hlen > out->size - 8) {
        eb_err_set(err, "%s: header length %llu exceeds the file (%zu bytes): truncated or not safetensors", path,
                   (unsigned long long)hlen, out->size);
        goto fail;
    }
    cJSON *hdr = cJSON_ParseWithLength((const char *)base + 8, (size_t)hlen);
    if (!hdr || !cJSON_IsObject(hdr)) {
        cJSON_Delete(hdr);
        eb_err_set(err, "%s: header is not a JSON object", path);
        goto fail;
    }
    size_t n = 0;
    for (const cJSON *e = hdr->child; e; e = e->next)
        if (strcmp(e->string, "__metadata__") != 0) n++;
    out->tensors = eb_calloc(n ? n : 1, sizeof *out->tensors);
    const unsigned char *data = base + 8 + hlen;
    uint64_t data_len = out->size - 8 - hlen;
    for (const cJSON *e = hdr->child; e; e = e->next) {
        if (strcmp(e->string, "__metadata__") == 0) continue;
        eb_st_tensor *t = &out->tensors[out->n_tensors];
        if (parse_entry(out, e, data, data_len, t, err) != 0) {
            cJSON_Delete(hdr);
            goto fail;
        }
        t->name = eb_strdup(e->string);
        out->n_tensors++;
    }
    cJSON_Delete(hdr);
    return 0;
fail:
    eb_st_file_close(out);
    return -1;
}

/* ---- sets of files --------------------------------------------------- */

static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int set_index(eb_st_set *s, eb_err *err) {
    size_t total = 0;
    for (size_t i = 0; i < s->n_files; i++) total += s->files[i].n_tensors;
    s->n_slots = 16;
    while (s->n_slots < total * 2) s->n_slots *= 2;
    s->slots = eb_calloc(s->n_slots, sizeof *s->slots);
    for (size_t i = 0; i < s->n_files; i++)
        for (size_t j = 0; j < s->files[i].n_tensors; j++) {
            const eb_st_tensor *t = &s->files[i].tensors[j];
            size_t k = hash_str(t->name) & (s->n_slots - 1);
            while (s->slots[k]) {
                if (strcmp(s->slots[k]->name, t->name) == 0)
                    return eb_err_set(err, "%s: tensor %s also appears in %s", t->file, t->name, s->slots[k]->file);
                k = (k + 1) & (s->n_slots - 1);
            }
            s->slots[k] = t;
            s->n_tensors++;
        }
    return 0;
}

const eb_st_tensor *eb_st_find(const eb_st_set *s, const char *name) {
    if (!s->n_slots) return NULL;
    size_t k = hash_str(name) & (s->n_slots - 1);
    while (s->slots[k]) {
        if (strcmp(s->slots[k]->name, name) == 0) return s->slots[k];
        k = (k + 1) & (s->n_slots - 1);
    }
    return NULL;
}

void eb_st_close(eb_st_set *s) {
    if (!s) return;
    for (size_t i = 0; i < s->n_files; i++) eb_st_file_close(&s->files[i]);
    free(s->files);
    free(s->slots);
    memset(s, 0, sizeof *s);
}

int eb_st_open_files(const char *const *paths, size_t n, eb_st_set *out, eb_err *err) {
    memset(out, 0, sizeof *out);
    out->files = eb_calloc(n ? n : 1, sizeof *out->files);
    for (size_t i = 0; i < n; i++) {
        if (eb_st_file_open(paths[i], &out->files[i], err) != 0) {
            eb_st_close(out);
            return -1;
        }
        out->n_files++;
    }
    if (set_index(out, err) != 0) {
        eb_st_close(out);
        return -1;
    }
    return 0;
}

/* Shard names must be plain file names inside the checkpoint directory. */
static int safe_shard_name(const char *s) {
    return *s && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

static int open_index(const char *dir, const char *index_path, eb_st_set *out, eb_err *err) {
    char *text = NULL;
    size_t len = 0;
    if (eb_read_file(index_path, &text, &len, err) != 0) return -1;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    const cJSON *map = root ? cJSON_GetObjectItemCaseSensitive(root, "weight_map") : NULL;
    if (!cJSON_IsObject(map)) {
        cJSON_Delete(root);
        return eb_err_set(err, "%s: not JSON with a \"weight_map\" object", index_path);
    }
    /* The distinct shard names, in first-seen order. */
    char **names = NULL;
    size_t n = 0;
    int rc = -1;
    for (const cJSON *e = map->child; e; e = e->next) {
        if (!cJSON_IsString(e) || !safe_shard_name(e->valuestring)) {
            eb_err_set(err, "%s: weight_map entry %s: bad shard file name", index_path, e->string);
            goto done;
        }
        char *path = eb_path_join(dir, e->valuestring);
        size_t k = 0;
        while (k < n && strcmp(names[k], path) != 0) k++;
        if (k == n) {
            names = eb_realloc(names, (n + 1) * sizeof *names);
            names[n++] = path;
        } else {
            free(path);
        }
    }
    if (n == 0) {
        eb_err_set(err, "%s: weight_map is empty", index_path);
        goto done;
    }
    for (size_t k = 0; k < n; k++)
        if (!eb_file_exists(names[k])) {
            eb_err_set(err, "%s: shard %s is missing", index_path, names[k]);
            goto done;
        }
    if (eb_st_open_files((const char *const *)names, n, out, err) != 0) goto done;
    for (const cJSON *e = map->child; e; e = e->next) {
        const eb_st_tensor *t = eb_st_find(out, e->string);
        char *want = eb_path_join(dir, e->valuestring);
        int bad = !t || strcmp(t->file, want) != 0;
        if (bad)
            eb_err_set(err, "%s: tensor %s is assigned to %s but %s", index_path, e->string, want,
                       t ? "lives in another shard" : "no shard holds it");
        free(want);
        if (bad) {
            eb_st_close(out);
            goto done;
        }
    }
    rc = 0;
done:
    for (size_t k = 0; k < n; k++) free(names[k]);
    free(names);
    cJSON_Delete(root);
    return rc;
}

int eb_st_open_dir(const char *dir, eb_st_set *out, eb_err *err) {
    memset(out, 0, sizeof *out);
    char *index = eb_path_join(dir, "model.safetensors.index.json");
    char *single = eb_path_join(dir, "model.safetensors");
    int rc;
    if (eb_file_exists(index)) {
        rc = open_index(dir, index, out, err);
    } else if (eb_file_exists(single)) {
        const char *p = single;
        rc = eb_st_open_files(&p, 1, out, err);
    } else {
        rc = eb_err_set(err, "%s: no model.safetensors or model.safetensors.index.json", dir);
    }
    free(index);
    free(single);
    return rc;
}
