#!/usr/bin/env python3
"""Builds the tiny random Gemma 4 checkpoints under tests/fixtures/gemma4/ and
the reference outputs the local engine's tests compare against.

Each fixture has the shape of one Gemma 4 variant, shrunk:
  dense     31B-style: sliding + full layers, head dims 16/32, K = V on full
            layers, proportional partial RoPE; bf16 weights, text-only layout
  dense-mm  the same weights in the multimodal layout (vision tower included,
            text tensors under model.language_model.)
  moe       26B-A4B-style: router, top-4 of 16 experts with per-expert scale,
            dense MLP beside the experts; f32 weights, sharded with an index
  ple       E2B-style: per-layer embeddings, KV sharing over the last layers,
            double-wide MLP on the shared layers; bf16 weights

Every norm weight, layer_scalar, router scale and per-expert scale is
randomized: left at one they would hide a missing or misplaced multiply.

The reference runs in float32 with eager attention (the engine computes in
float32 too).  bf16 fixtures store bf16 weights; the float32 reference uses
exactly the same values (bf16 -> f32 is exact) and the bf16-rounded embedding
scale that transformers uses when it runs a bf16 checkpoint.

Outputs per fixture, in reference/<name>.safetensors:
  p<i>.ids     int64 [T]      prompt (BOS first), longer than the sliding window
  p<i>.logits  float32 [T, V] logits at every prompt position
  g<i>.prompt  int64 [T]      prompt of a greedy continuation
  g<i>.tokens  int64 [N]      greedy continuation (argmax, no stop tokens)

Needs: torch, transformers >= 5.5.2, tokenizers, safetensors, numpy.
Usage: python3 scripts/make_fixtures.py [OUTDIR]   (default tests/fixtures/gemma4)
"""
import copy
import json
import os
import shutil
import sys

import torch
from safetensors.torch import save_file
from tokenizers import Tokenizer, models, normalizers, trainers
from transformers import (Gemma4Config, Gemma4ForCausalLM, Gemma4ForConditionalGeneration,
                          Gemma4TextConfig, Gemma4VisionConfig)

VOCAB = 512
ROPE = {
    "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0},
    "full_attention": {"rope_type": "proportional", "partial_rotary_factor": 0.25, "rope_theta": 1e6},
}
S, F = "sliding_attention", "full_attention"

# Gemma 4's special tokens at their real ids; the gaps hold unused tokens.
SPECIALS = {0: "<pad>", 1: "<eos>", 2: "<bos>", 3: "<unk>", 4: "<mask>", 46: "<|tool>", 47: "<tool|>",
            48: "<|tool_call>", 49: "<tool_call|>", 50: "<|tool_response>", 51: "<tool_response|>",
            52: '<|"|>', 98: "<|think|>", 100: "<|channel>", 101: "<channel|>", 105: "<|turn>",
            106: "<turn|>"}
N_SPECIAL = 107

CORPUS = [
    "The quick brown fox jumps over the lazy dog. Question: which of the following is correct?",
    "Answer: A. B. C. D. The answer is (B) because the derivative of x squared is two x.",
    "def add(a, b):\n    \"\"\"Return the sum of a and b.\"\"\"\n    return a + b\n",
    "for i in range(10):\n    if i % 2 == 0:\n        print(i)\n",
    "import math\n\ndef is_prime(n):\n    return n > 1 and all(n % k for k in range(2, int(math.sqrt(n)) + 1))\n",
    "Multiple choice questions about high school mathematics, history, biology and computer science.",
    "user model system Hello, how are you? I am fine, thank you. Write a function that sorts a list.",
]


def make_tokenizer(path):
    """A small BPE tokenizer in the same pipeline shape as Gemma's: ' ' -> '▁'
    normalizer, no pre-tokenizer, byte fallback, specials at Gemma's ids."""
    tok = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    tok.normalizer = normalizers.Replace(" ", "\u2581")
    n_learned = VOCAB - N_SPECIAL - 256
    trainer = trainers.BpeTrainer(vocab_size=n_learned, show_progress=False, special_tokens=[])
    tok.train_from_iterator(CORPUS * 4, trainer=trainer)
    learned = json.loads(tok.to_str())["model"]
    vocab = {}
    for i in range(N_SPECIAL):
        vocab[SPECIALS.get(i, f"<unused{i}>")] = i
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = N_SPECIAL + b
    for piece, _ in sorted(learned["vocab"].items(), key=lambda kv: kv[1]):
        if piece not in vocab and len(vocab) < VOCAB:
            vocab[piece] = len(vocab)
    merges = [m if isinstance(m, list) else m.split(" ") for m in learned["merges"]]
    merges = [m for m in merges if m[0] + m[1] in vocab and m[0] in vocab and m[1] in vocab]
    while len(vocab) < VOCAB:
        vocab[f"<unused{len(vocab)}>"] = len(vocab)
    spec = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": i, "content": SPECIALS.get(i, f"<unused{i}>"), "single_word": False,
                          "lstrip": False, "rstrip": False, "normalized": False, "special": True}
                         for i in range(N_SPECIAL)],
        "normalizer": {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"},
        "pre_tokenizer": None,
        "post_processor": None,
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"}]},
        "model": {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True,
                  "ignore_merges": False, "vocab": vocab, "merges": merges},
    }
    text = json.dumps(spec, ensure_ascii=False)
    Tokenizer.from_str(text)  # must load in the reference library
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def text_config(kind):
    common = dict(vocab_size=VOCAB, max_position_embeddings=8192, final_logit_softcapping=30.0,
                  rope_parameters=ROPE, rms_norm_eps=1e-6, initializer_range=0.25,
                  vocab_size_per_layer_input=VOCAB, bos_token_id=2, eos_token_id=1, pad_token_id=0)
    if kind == "dense":
        return Gemma4TextConfig(hidden_size=96, intermediate_size=160, num_hidden_layers=6,
                                num_attention_heads=4, num_key_value_heads=2, head_dim=16,
                                global_head_dim=32, num_global_key_value_heads=1, attention_k_eq_v=True,
                                layer_types=[S, S, F, S, S, F], sliding_window=8,
                                hidden_size_per_layer_input=0, **common)
    if kind == "moe":
        return Gemma4TextConfig(hidden_size=80, intermediate_size=48, num_hidden_layers=4,
                                num_attention_heads=4, num_key_value_heads=2, head_dim=16,
                                global_head_dim=32, num_global_key_value_heads=1, attention_k_eq_v=True,
                                layer_types=[S, S, S, F], sliding_window=8, hidden_size_per_layer_input=0,
                                enable_moe_block=True, num_experts=16, top_k_experts=4,
                                moe_intermediate_size=24, **common)
    if kind == "ple":
        return Gemma4TextConfig(hidden_size=96, intermediate_size=64, num_hidden_layers=6,
                                num_attention_heads=4, num_key_value_heads=1, head_dim=16,
                                global_head_dim=32, attention_k_eq_v=False,
                                layer_types=[S, S, F, S, S, F], sliding_window=8,
                                hidden_size_per_layer_input=16, num_kv_shared_layers=3,
                                use_double_wide_mlp=True, **common)
    raise ValueError(kind)


def randomize(model, gen):
    """Norm weights, layer scalars, router and expert scales away from one."""
    with torch.no_grad():
        for name, p in list(model.named_parameters()) + list(model.named_buffers()):
            if name.endswith(".weight") and "norm" in name.split(".")[-2]:
                p.copy_(torch.empty_like(p).uniform_(0.4, 1.6, generator=gen))
            elif name.endswith("layer_scalar"):
                p.copy_(torch.empty_like(p).uniform_(0.5, 1.5, generator=gen))
            elif name.endswith("router.scale") or name.endswith("per_expert_scale"):
                p.copy_(torch.empty_like(p).uniform_(0.5, 2.0, generator=gen))


def write_aux(outdir, cfg):
    make_tokenizer(os.path.join(outdir, "tokenizer.json"))
    with open(os.path.join(outdir, "tokenizer_config.json"), "w") as f:
        json.dump({"bos_token": "<bos>", "eos_token": "<eos>", "pad_token": "<pad>", "unk_token": "<unk>",
                   "add_bos_token": False, "tokenizer_class": "GemmaTokenizer"}, f, indent=1)
    with open(os.path.join(outdir, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": 2, "eos_token_id": [1, 106, 50], "pad_token_id": 0}, f, indent=1)


def reference(model, gen, vocab, path):
    tensors = {}
    lengths = [20, 33, 47]
    for i, n in enumerate(lengths):
        ids = torch.randint(5, vocab, (n,), generator=gen)
        ids[0] = 2
        with torch.no_grad():
            logits = model(input_ids=ids[None], use_cache=False).logits[0].float()
        tensors[f"p{i}.ids"] = ids.clone()
        tensors[f"p{i}.logits"] = logits.contiguous()
    min_margin = float("inf")
    for i, n in enumerate([12, 27]):
        ids = torch.randint(5, vocab, (n,), generator=gen)
        ids[0] = 2
        seq = ids.tolist()
        out = []
        for _ in range(14):
            with torch.no_grad():
                logits = model(input_ids=torch.tensor([seq]), use_cache=False).logits[0, -1].float()
            top = torch.topk(logits, 2)
            min_margin = min(min_margin, float(top.values[0] - top.values[1]))
            out.append(int(top.indices[0]))
            seq.append(out[-1])
        tensors[f"g{i}.prompt"] = ids.clone()
        tensors[f"g{i}.tokens"] = torch.tensor(out, dtype=torch.int64)
    save_file(tensors, path)
    return min_margin


def build(kind, outroot, seed):
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    cfg = text_config(kind)
    cfg._attn_implementation = "eager"
    model = Gemma4ForCausalLM(cfg).eval()
    randomize(model, gen)
    bf16 = kind != "moe"
    if bf16:
        # Make every weight exactly representable in bf16, and use the
        # bf16-rounded embedding scale, as a bf16 run of the checkpoint does.
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p.to(torch.bfloat16).float())
            for name, b in model.named_buffers():
                if name.endswith("layer_scalar"):  # saved; RoPE buffers are not and stay float32
                    b.copy_(b.to(torch.bfloat16).float())
    outdir = os.path.join(outroot, kind)
    shutil.rmtree(outdir, ignore_errors=True)
    # A copy: converting in place would also round the model's float32
    # buffers (RoPE frequencies) for the reference run.
    save = copy.deepcopy(model).to(torch.bfloat16) if bf16 else model
    save.save_pretrained(outdir, max_shard_size="700KB" if kind == "moe" else "50MB")
    del save
    if bf16:
        with torch.no_grad():
            emb = model.model.embed_tokens
            emb.embed_scale.fill_(float(torch.tensor(cfg.hidden_size ** 0.5).to(torch.bfloat16)))
    write_aux(outdir, cfg)
    if kind == "dense":
        # The same weights in the multimodal layout.
        vis = Gemma4VisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                 num_attention_heads=2, num_key_value_heads=2, head_dim=16,
                                 position_embedding_size=64)
        mm = Gemma4ForConditionalGeneration(Gemma4Config(text_config=cfg, vision_config=vis,
                                                         audio_config=None)).eval()
        missing = mm.model.language_model.load_state_dict(model.model.state_dict(), strict=True)
        assert not missing.missing_keys and not missing.unexpected_keys
        mmdir = os.path.join(outroot, "dense-mm")
        shutil.rmtree(mmdir, ignore_errors=True)
        mm.to(torch.bfloat16).save_pretrained(mmdir)
        del mm
        write_aux(mmdir, cfg)
    os.makedirs(os.path.join(outroot, "reference"), exist_ok=True)
    margin = reference(model, gen, VOCAB, os.path.join(outroot, "reference", kind + ".safetensors"))
    print(f"{kind}: smallest greedy top-1 margin {margin:.4g}")


def main():
    outroot = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "gemma4")
    os.makedirs(outroot, exist_ok=True)
    for kind, seed in (("dense", 11), ("moe", 12), ("ple", 13)):
        build(kind, outroot, seed)


if __name__ == "__main__":
    main()
