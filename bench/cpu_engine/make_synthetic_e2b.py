#!/usr/bin/env python3
"""Writes a checkpoint of Gemma 4 E2B's real shape with random bf16 weights
(text-only layout, about 9.3 GB) for bench_cpu_engine.  Names and shapes
come from transformers' own Gemma4ForCausalLM built on the meta device, so
nothing of that size is allocated; the data is streamed from a reused random
block (throughput does not depend on the values).
Usage: make_synthetic_e2b.py OUTDIR"""
import json
import os
import struct
import sys

import numpy as np
import torch
from transformers import Gemma4ForCausalLM, Gemma4TextConfig

S, F = "sliding_attention", "full_attention"
E2B = dict(vocab_size=262144, hidden_size=1536, intermediate_size=6144, num_hidden_layers=35,
           num_attention_heads=8, num_key_value_heads=1, head_dim=256, global_head_dim=512,
           layer_types=([S] * 4 + [F]) * 7, sliding_window=512, hidden_size_per_layer_input=256,
           vocab_size_per_layer_input=262144, num_kv_shared_layers=20, use_double_wide_mlp=True,
           attention_k_eq_v=False, final_logit_softcapping=30.0, max_position_embeddings=131072,
           rope_parameters={S: {"rope_type": "default", "rope_theta": 10000.0},
                            F: {"rope_type": "proportional", "partial_rotary_factor": 0.25,
                                "rope_theta": 1e6}})


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    cfg = Gemma4TextConfig(**E2B)
    with torch.device("meta"):
        model = Gemma4ForCausalLM(cfg)
    tensors = [(k, list(v.shape)) for k, v in model.state_dict().items() if k != "lm_head.weight"]
    cfg.dtype = "bfloat16"
    cfg.save_pretrained(out)
    header, off = {}, 0
    for name, shape in tensors:
        n = int(np.prod(shape)) if shape else 1
        header[name] = {"dtype": "BF16", "shape": shape, "data_offsets": [off, off + 2 * n]}
        off += 2 * n
    hjson = json.dumps(header).encode()
    hjson += b" " * ((8 - len(hjson) % 8) % 8)
    rng = np.random.default_rng(0)
    block = (rng.standard_normal(1 << 24, dtype=np.float32) * 0.02).view(np.uint32) >> 16
    block = block.astype(np.uint16)
    ones = np.full(1 << 16, 0x3F80, dtype=np.uint16)  # 1.0 for norms and scalars
    with open(os.path.join(out, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        pos = 0
        for name, shape in tensors:
            n = int(np.prod(shape)) if shape else 1
            src = ones if ("norm" in name or name.endswith("layer_scalar")) and n <= len(ones) else block
            left = n
            while left:
                k = min(left, len(src) - pos % len(src))
                f.write(src[pos % len(src):pos % len(src) + k].tobytes())
                pos += k
                left -= k
    print(f"{out}: {len(tensors)} tensors, {off / 1e9:.2f} GB")


if __name__ == "__main__":
    main()
