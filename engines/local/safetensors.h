/* Memory-mapped safetensors checkpoints: one file, or a directory with
 * model.safetensors or sharded model-0000N-of-0000M.safetensors files and
 * their model.safetensors.index.json.
 *
 * Every header is checked before anything points into the data: offsets in
 * range and consistent with dtype x shape, names unique, JSON well formed.
 * A file that lies about itself is an error naming the file and tensor. */
#ifndef EB_SAFETENSORS_H
#define EB_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define EB_ST_MAX_DIMS 8

typedef enum eb_dtype {
    EB_DT_F32,
    EB_DT_BF16,
    EB_DT_F16,
    EB_DT_I64,
    EB_DT_I32,
    EB_DT_OTHER, /* a dtype the file may contain but the engine cannot compute with */
} eb_dtype;

const char *eb_dtype_name(eb_dtype dt);
size_t eb_dtype_size(eb_dtype dt); /* 0 for EB_DT_OTHER */

typedef struct eb_st_tensor {
    char *name;
    eb_dtype dtype;
    char dtype_str[16];   /* as written in the header, for messages */
    int ndim;
    int64_t shape[EB_ST_MAX_DIMS];
    int64_t numel;
    const void *data;     /* into the mapping, or an aligned copy when the file's offset is unaligned */
    size_t nbytes;
    const char *file;     /* borrowed: the path of the file it came from */
} eb_st_tensor;

typedef struct eb_st_file {
    char *path;
    void *map;
    size_t size;
    eb_st_tensor *tensors;
    size_t n_tensors;
    void **copies;        /* aligned copies of unaligned tensors */
    size_t n_copies;
} eb_st_file;

/* A set of files seen as one name -> tensor table. */
typedef struct eb_st_set {
    eb_st_file *files;
    size_t n_files;
    const eb_st_tensor **slots; /* open-addressing hash table of all tensors */
    size_t n_slots;
    size_t n_tensors;
} eb_st_set;

/* Maps and validates one file. */
int eb_st_file_open(const char *path, eb_st_file *out, eb_err *err);
void eb_st_file_close(eb_st_file *f);

/* Opens a checkpoint directory: model.safetensors.index.json when present
 * (every shard it names must exist and hold the tensors the index assigns to
 * it), else model.safetensors. */
int eb_st_open_dir(const char *dir, eb_st_set *out, eb_err *err);
/* Opens explicit files as one set (duplicated names across files are errors). */
int eb_st_open_files(const char *const *paths, size_t n, eb_st_set *out, eb_err *err);
const eb_st_tensor *eb_st_find(const eb_st_set *s, const char *name);
void eb_st_close(eb_st_set *s);

/* bf16 <-> f32 (round to nearest even; NaN stays NaN). */
static inline float eb_bf16_to_f32(uint16_t h) {
    union { uint32_t u; float f; } v = {.u = (uint32_t)h << 16};
    return v.f;
}
uint16_t eb_f32_to_bf16(float f);
float eb_f16_to_f32(uint16_t h);

#endif
