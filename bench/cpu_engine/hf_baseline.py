#!/usr/bin/env python3
"""transformers on the CPU for the same checkpoint and workload as
bench_cpu_engine: prefill of P random tokens (BOS first), then G greedy
steps with the KV cache.  Runs in the checkpoint's dtype (bf16 checkpoints in
bf16, as transformers loads them by default).
Prints: RESULT <prompt tok/s> <generation tok/s>
Usage: hf_baseline.py DIR P G THREADS"""
import sys
import time

import torch
from transformers import AutoModelForCausalLM


def main():
    path, P, G, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    model = AutoModelForCausalLM.from_pretrained(path, dtype="auto").eval()
    V = model.config.get_text_config().vocab_size
    gen = torch.Generator().manual_seed(1)
    ids = torch.randint(5, V, (1, P), generator=gen)
    ids[0, 0] = 2
    with torch.no_grad():
        model(input_ids=ids[:, :4], use_cache=True)  # warm-up: first-call setup is not throughput
        t0 = time.perf_counter()
        out = model(input_ids=ids, use_cache=True, logits_to_keep=1)
        t1 = time.perf_counter()
        past = out.past_key_values
        tok = out.logits[:, -1].argmax(-1, keepdim=True)
        for _ in range(G):
            out = model(input_ids=tok, past_key_values=past, use_cache=True)
            past = out.past_key_values
            tok = out.logits[:, -1].argmax(-1, keepdim=True)
        t2 = time.perf_counter()
    print(f"RESULT {P / (t1 - t0):.3f} {G / (t2 - t1):.3f}")


if __name__ == "__main__":
    main()
