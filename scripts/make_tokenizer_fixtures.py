#!/usr/bin/env python3
"""Builds the tokenizer test fixtures under tests/fixtures/tokenizers/.

Six small tokenizers are trained with the Hugging Face `tokenizers` library
(pip install tokenizers; transformers for the Gemma one) on text from the
benchmark datasets, each in the
shape of a real model family's tokenizer.json:

  gemma_like      built by transformers' GemmaTokenizer class (the one the
                  Gemma 4 converter uses): BPE + byte_fallback + fuse_unk,
                  normalizer Replace(" ", "▁"), Split(" ") pre-tokenizer (a
                  no-op after the normalizer), decoder Replace/ByteFallback/
                  Fuse, special and added tokens
  gpt2_like       ByteLevel pre-tokenizer (GPT-2 regex through PCRE2) and
                  decoder, an lstrip special token, a single_word added token
  llama3_like     Split(regex, Isolated) + ByteLevel(use_regex=false),
                  ignore_merges, TemplateProcessing with a BOS
  llama2_like     normalizer Prepend("▁") + Replace, byte_fallback, decoder
                  with Strip, TemplateProcessing, a normalized added token
  metaspace_like  Metaspace pre-tokenizer (prepend_scheme "first", split),
                  no byte fallback (fused <unk>), Metaspace decoder
  variety_like    the remaining supported components: Strip and regex
                  Replace normalizers, every Split behaviour and invert,
                  Digits, Whitespace, continuing_subword_prefix and
                  end_of_word_suffix, BertProcessing, an rstrip token

Then the library encodes a corpus (the four suites' prompts and code from
the datasets, Unicode, emoji, whitespace runs, special-token markup, random
strings, invalid UTF-8) and decodes the ids back; corpus.jsonl.gz records the
texts with every tokenizer's ids and decodings, and decode_cases.jsonl.gz
records decodings of random id sequences.

Invalid UTF-8: the library only accepts str, so raw bytes are given to it as
bytes.decode("utf-8", errors="replace") (one U+FFFD per maximal invalid
subpart); the C encoder applies the same rule to raw bytes.  Entries that are
not valid UTF-8, or that contain NUL, are stored as "hex".

Usage: scripts/make_tokenizer_fixtures.py [DATA_DIR] [OUT_DIR]
"""
import csv
import glob
import gzip
import json
import os
import random
import sys

from tokenizers import (AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors,
                        trainers)
import tokenizers

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "shared", "data")
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", "tests", "fixtures", "tokenizers")

GEMMA_SPECIALS = ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>", "<|turn>", "<turn|>", "<|tool_response>",
                  "<tool_response|>", "<|think|>", "<|channel>", "<channel|>", '<|"|>', "<|tool_call>", "<tool_call|>",
                  "<|image|>"]
LLAMA3_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                r"|\s*[\r\n]+|\s+(?!\S)|\s+")


# ---------------------------------------------------------------- data
def read_jsonl(path):
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def mmlu_rows(split, subject):
    with open(os.path.join(DATA, "mmlu", "data", split, f"{subject}_{split}.csv"), newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def mmlu_item(row, with_answer):
    q = row[0] + "".join(f"\n{l}. {c}" for l, c in zip("ABCD", row[1:5])) + "\nAnswer:"
    return q + (f" {row[5]}\n\n" if with_answer else "")


def mmlu_prompt(subject, test_row):
    head = f"The following are multiple choice questions (with answers) about {subject.replace('_', ' ')}.\n\n"
    return head + "".join(mmlu_item(r, True) for r in mmlu_rows("dev", subject)) + mmlu_item(test_row, False)


def subjects():
    return sorted(os.path.basename(p)[:-8] for p in glob.glob(os.path.join(DATA, "mmlu", "data", "dev", "*_dev.csv")))


def training_text():
    """Text to learn merges from (kept apart from most corpus items)."""
    out = []
    for s in subjects():
        for r in mmlu_rows("test", s)[40:70]:
            out.append(mmlu_item(r, True))
    he = read_jsonl(os.path.join(DATA, "humaneval", "HumanEval.jsonl.gz"))
    out += [h["prompt"] + h["canonical_solution"] for h in he[80:]]
    out += [m["problem"] + "\n" + m["solution"] for m in read_jsonl(os.path.join(DATA, "math", "math_test_5000.jsonl"))[:800]]
    lcb = read_jsonl(os.path.join(DATA, "livecodebench", "qwq_livecodebench_v5_2408_2502_prompts.jsonl"))
    out += [x["prompt"] for x in lcb[100:180]]
    out += [p["question"] for p in read_jsonl(os.path.join(DATA, "mmlu_pro", "mmlu_pro_test.jsonl"))[:1500]]
    return out


def chat(user, system=None, large=False, thinking=False):
    s = "<bos>"
    if system is not None or thinking:
        s += "<|turn>system\n" + ("<|think|>" if thinking else "") + (system or "").strip() + "<turn|>\n"
    s += "<|turn>user\n" + user.strip() + "<turn|>\n<|turn>model\n"
    if large and not thinking:
        s += "<|channel>thought\n<channel|>"
    return s


def corpus():
    """(name, bytes) pairs."""
    items = []
    subj = subjects()
    for s in subj:
        items.append((f"mmlu5shot/{s}", mmlu_prompt(s, mmlu_rows("test", s)[0])))
    he = read_jsonl(os.path.join(DATA, "humaneval", "HumanEval.jsonl.gz"))
    for h in he[:80:2]:
        items.append((f"humaneval/{h['task_id']}", h["prompt"]))
    for h in he[1:80:8]:
        items.append((f"humaneval_solution/{h['task_id']}", h["prompt"] + h["canonical_solution"]))
    hep = read_jsonl(os.path.join(DATA, "humaneval_plus", "HumanEvalPlus.jsonl.gz"))
    for h in hep[100:164:16]:
        items.append((f"humaneval_plus/{h['task_id']}", h["prompt"] + h["canonical_solution"]))
    math = read_jsonl(os.path.join(DATA, "math", "math500_test.jsonl"))
    for i, m in enumerate(math[:60]):
        items.append((f"math500/{i}", m["problem"] + ("\n\n" + m["solution"] if i % 4 == 0 else "")))
    lcb = read_jsonl(os.path.join(DATA, "livecodebench", "qwq_livecodebench_v5_2408_2502_prompts.jsonl"))
    for x in lcb[:24]:
        items.append((f"livecodebench/{x['question_id']}", x["prompt"]))
    pro = read_jsonl(os.path.join(DATA, "mmlu_pro", "mmlu_pro_test.jsonl"))
    for p in pro[5000:5020]:
        opts = "".join(f"\n{chr(65 + i)}. {o}" for i, o in enumerate(p["options"]))
        items.append((f"mmlu_pro/{p['question_id']}", "Question: " + p["question"] + opts + "\nAnswer:"))
    # Chat-formatted prompts: markers must come out as single special ids.
    items.append(("chat/small", chat("What is 2+2?")))
    items.append(("chat/large_system", chat("  Solve $x^2=4$.\n", system="You are a careful mathematician.", large=True)))
    items.append(("chat/thinking", chat(he[3]["prompt"], thinking=True)))
    items.append(("chat/response", "<|channel>thought\nLet me think about it.<channel|>The answer is B.<turn|>"))
    items.append(("chat/markup_near_miss", "<|turn <turn| <|turn|> <bos <bos><bos> < bos> <eos>x<eos><|tool_response"))

    u = [
        "Hello, world!", "", " ", "  ", "\n", "\t", "a", " a", "a ", "  leading and trailing  ",
        "Ünïcödé façade naïve café résumé Ångström", "Ελληνικά κείμενα και Кириллица текст",
        "中文文本测试，包含标点符号。日本語のテキストとカタカナ。한국어 텍스트입니다.",
        "العربية نص تجريبي مع أرقام ١٢٣", "हिन्दी पाठ और संयुक्ताक्षर क्षत्रज्ञ", "ไทย ภาษาไทย",
        "emoji: 😀😃😄 👍🏽 👨‍👩‍👧‍👦 🇺🇳🇫🇷 ❤️ 🏳️‍🌈 🤖🧠", "math: ∀x∈ℝ, ∃y: x²+y²≥0 ⇒ √(x²) = |x| ∑∫∂",
        "combining: e\u0301 a\u0308 n\u0303 Z\u0351\u0352\u0353", "zero width: a\u200bb\u200cc\u200dd\ufeffe",
        "spaces:    four, \t\ttabs, \u00a0nbsp, \u3000ideographic, \u2003em", "crlf\r\nline\r\n\r\n\rend",
        "    indented code\n        deeper\n\ttabbed\n", "\n\n\n\n\n\n", " " * 37, "\t" * 9 + "x",
        "digits 1234567890 3.14159 1e-10 0x1F 007 1,000,000", "a" * 3000, "ab" * 1500, "é" * 700, "😀" * 300,
        "mixed' quotes 's 't 're 've 'm 'll 'd 'S 'T 'RE", "punct!!! ??? ... --- ___ *** ### @@@ $$$ %%%",
        "url https://example.com/path?q=1&r=2#frag and email someone@example.org",
        "<0x41> <0xFF> <0x> literal byte-token lookalikes", "▁ already ▁▁ metaspace ▁▁▁ chars",
        "Ġ Ċ ĉ byte-level lookalikes", "control \x01\x02\x03\x07\x08\x0b\x0c\x1b[31mred\x1b[0m\x7f",
        "private use \ue000\uf8ff and noncharacters \ufdd0\uffff and plane 2 \U00020000\U0002a6d6",
        "music 𝄞 and math 𝔸𝔹ℂ and old italic 𐌀𐌁",
        "hello_world hello_worldly xhello_world hello_world_ (hello_world)", "a <mask> b  <mask>c", "x <r>   y<r>z", "\u2018quoted\u2019, a-b--c: d;; e... f!? 12,345.67",
    ]
    for i, s in enumerate(u):
        items.append((f"unicode/{i}", s))
    items = [(n, s.encode("utf-8")) for n, s in items]
    items.append(("nul/embedded", b"before\x00after\x00"))
    bad = [b"\xff", b"\xfe\xff", b"abc\x80def", b"\xc3", b"\xc3(", b"\xe2\x82", b"\xe2\x82(\xe2\x82\xac",
           b"\xf0\x9f\x98", b"\xf0\x9f\x98\x80\xf0\x9f", b"\xed\xa0\x80 surrogate", b"\xc0\xaf overlong",
           b"\xe0\x80\xaf", b"\xf4\x90\x80\x80 above max", b"\xf8\x88\x80\x80\x80", b"mid \x80\x80\x80 run",
           b"tail \xe4\xbd", "ok ünï".encode() + b"\xa0\xa1" + "ök".encode()]
    for i, b in enumerate(bad):
        items.append((f"invalid_utf8/{i}", b))
    rnd = random.Random(1234)
    pool = (list("abcdefghijklmnopqrstuvwxyzABCDEFXYZ0123456789") + list(" \n\t.,;:!?'\"()[]{}<>|_-+=*/\\") +
            list("éüñçßøåæ€£¥©®™°±µ¶•…") + list("中文日本語한국어") + ["😀", "👍🏽", "👨‍👩‍👧", "🇫🇷"] +
            ["▁", "Ġ", "\u0301", "\u200d", "\u00a0", "\r\n", "    "] + GEMMA_SPECIALS[:8] + ["<|begin_of_text|>",
                                                                                       "<|endoftext|>", "<s>", "</s>"])
    for i in range(120):
        n = rnd.randint(1, 120)
        items.append((f"random/{i}", "".join(rnd.choice(pool) for _ in range(n)).encode("utf-8")))
    for i in range(60):
        n = rnd.randint(1, 60)
        items.append((f"random_bytes/{i}", bytes(rnd.randrange(256) for _ in range(n))))
    return items


# ---------------------------------------------------------------- tokenizers
def words_regex():
    # Training-only split: runs of ▁ attach to the following word (so
    # indentation merges are learned), newlines stay apart.
    return pre_tokenizers.Split(Regex(r"▁*[^▁\n]+|▁+|\n+"), "isolated")


def renumber(tok, specials, add_bytes):
    """Puts `specials` first, then the 256 byte tokens, then the trained
    vocabulary, as Gemma's file is laid out."""
    d = json.loads(tok.to_str())
    vocab = d["model"]["vocab"]
    order = sorted(vocab, key=vocab.get)
    new = {}
    for s in specials:
        new[s] = len(new)
    if add_bytes:
        for b in range(256):
            new[f"<0x{b:02X}>"] = len(new)
    for t in order:
        if t not in new:
            new[t] = len(new)
    d["model"]["vocab"] = new
    for a in d["added_tokens"]:
        a["id"] = new[a["content"]]
    return d


def train(texts, model, vocab_size, specials, normalizer=None, pre=None, alphabet=None, limit_alphabet=None):
    tok = Tokenizer(model)
    if normalizer is not None:
        tok.normalizer = normalizer
    if pre is not None:
        tok.pre_tokenizer = pre
    kw = {}
    if alphabet is not None:
        kw["initial_alphabet"] = alphabet
    if limit_alphabet is not None:
        kw["limit_alphabet"] = limit_alphabet
    tr = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[AddedToken(s, special=True, normalized=False)
                                                                    for s in specials], show_progress=False, **kw)
    tok.train_from_iterator(texts, tr)
    return tok


def build_all(texts):
    toks = {}

    # Gemma 4's pipeline.
    t = train(texts, models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True), 3600, GEMMA_SPECIALS,
              normalizer=normalizers.Replace(" ", "▁"), pre=words_regex(), limit_alphabet=160)
    d = renumber(t, GEMMA_SPECIALS, True)
    # The pipeline is assembled by transformers' own GemmaTokenizer class,
    # which the Gemma 4 converter uses, so the file has exactly its shape.
    from transformers.models.gemma.tokenization_gemma import GemmaTokenizer
    gt = GemmaTokenizer(vocab=d["model"]["vocab"], merges=[tuple(m) for m in d["model"]["merges"]],
                        add_bos_token=False)
    tk = Tokenizer.from_str(gt.backend_tokenizer.to_str())
    tk.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in GEMMA_SPECIALS])
    tk.add_tokens([AddedToken("<start_of_image>", special=False, normalized=False)])
    toks["gemma_like"] = tk

    # GPT-2.
    t = train(texts, models.BPE(), 3000, ["<|endoftext|>"], pre=pre_tokenizers.ByteLevel(add_prefix_space=False),
              alphabet=pre_tokenizers.ByteLevel.alphabet())
    t.decoder = decoders.ByteLevel()
    t.post_processor = processors.ByteLevel(trim_offsets=False)
    t.add_special_tokens([AddedToken("<mask>", lstrip=True, special=True, normalized=False)])
    t.add_tokens([AddedToken("hello_world", single_word=True, normalized=False)])
    toks["gpt2_like"] = t

    # Llama 3.
    pre = pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(LLAMA3_REGEX), "isolated"),
                                   pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    t = train(texts, models.BPE(ignore_merges=True), 3000, ["<|begin_of_text|>", "<|end_of_text|>"], pre=pre,
              alphabet=pre_tokenizers.ByteLevel.alphabet())
    t.decoder = decoders.ByteLevel()
    t.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<|begin_of_text|> $A", special_tokens=[("<|begin_of_text|>", 0)])])
    toks["llama3_like"] = t

    # Llama 2 as converted by newer transformers (legacy prefix space).
    specials = ["<unk>", "<s>", "</s>"]
    t = train(texts, models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True), 3000, specials,
              normalizer=normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")]),
              pre=words_regex(), limit_alphabet=120)
    d = renumber(t, specials, True)
    d["pre_tokenizer"] = None
    tk = Tokenizer.from_str(json.dumps(d))
    tk.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                    decoders.Strip(" ", 1, 0)])
    tk.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    tk.add_tokens([AddedToken("    ", normalized=True)])  # matched as ▁▁▁▁ after normalization
    toks["llama2_like"] = tk

    # Metaspace pre-tokenizer, no byte fallback.
    t = train(texts, models.BPE(unk_token="<unk>", fuse_unk=True), 2500, ["<unk>", "<s>", "</s>"],
              pre=pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=True), limit_alphabet=100)
    t.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="first")
    toks["metaspace_like"] = t

    # Everything else the loader accepts: Strip and regex Replace
    # normalizers; every split behaviour, invert, Digits, Whitespace (\w);
    # subword prefix and word suffix; BertProcessing; an rstrip token.
    pre = pre_tokenizers.Sequence([
        pre_tokenizers.Split(",", "merged_with_previous"),
        pre_tokenizers.Split(Regex(r"[.!?]"), "merged_with_next"),
        pre_tokenizers.Split(Regex(r"[^\-]+"), "merged_with_previous", invert=True),
        pre_tokenizers.Split(Regex(r"[:;]"), "contiguous"),
        pre_tokenizers.Split(Regex(r"\s{4,}"), "removed"),
        pre_tokenizers.Digits(individual_digits=False),
        pre_tokenizers.Whitespace()])
    norm = normalizers.Sequence([normalizers.Strip(), normalizers.Replace(Regex("[\u2018\u2019]"), "'")])
    t = Tokenizer(models.BPE(unk_token="[UNK]", continuing_subword_prefix="##", end_of_word_suffix="</w>"))
    t.normalizer = norm
    t.pre_tokenizer = pre
    tr = trainers.BpeTrainer(vocab_size=2500, special_tokens=["[UNK]", "[CLS]", "[SEP]"], limit_alphabet=120,
                             continuing_subword_prefix="##", end_of_word_suffix="</w>", show_progress=False)
    t.train_from_iterator(texts, tr)
    t.decoder = decoders.Sequence([decoders.Replace("##", ""), decoders.Replace("</w>", " "), decoders.Fuse()])
    t.post_processor = processors.BertProcessing(("[SEP]", t.token_to_id("[SEP]")), ("[CLS]", t.token_to_id("[CLS]")))
    t.add_special_tokens([AddedToken("<r>", rstrip=True, special=True, normalized=False)])
    toks["variety_like"] = t
    return toks


def decode_cases(tok, rnd):
    n = tok.get_vocab_size(with_added_tokens=True)
    vocab = tok.get_vocab(with_added_tokens=True)
    byte_ids = [v for k, v in vocab.items() if len(k) == 6 and k.startswith("<0x")]
    cases = []
    for i in range(80):
        k = rnd.randint(0, 24)
        ids = []
        for _ in range(k):
            r = rnd.random()
            if byte_ids and r < 0.4:
                ids.append(rnd.choice(byte_ids))
            elif r < 0.5:
                ids.append(rnd.randrange(min(n, 20)))
            else:
                ids.append(rnd.randrange(n))
        cases.append({"ids": ids, "dec": tok.decode(ids, skip_special_tokens=False),
                      "dec_skip": tok.decode(ids, skip_special_tokens=True)})
    return cases


def main():
    os.makedirs(OUT, exist_ok=True)
    toks = build_all(training_text())
    names = sorted(toks)
    for name in names:
        with open(os.path.join(OUT, f"{name}.json"), "w", encoding="utf-8") as f:
            f.write(toks[name].to_str())
        # Reload from the written file so the expected ids come from exactly it.
        toks[name] = Tokenizer.from_file(os.path.join(OUT, f"{name}.json"))

    n_tokens = {n: 0 for n in names}
    with gzip.open(os.path.join(OUT, "corpus.jsonl.gz"), "wt", encoding="utf-8", compresslevel=9) as f:
        for cname, raw in corpus():
            text = raw.decode("utf-8", errors="replace")
            rec = {"name": cname}
            if raw.decode("utf-8", errors="replace").encode() == raw and b"\x00" not in raw:
                rec["text"] = text
            else:
                rec["hex"] = raw.hex()
                rec["lossy"] = text
            ids, dec, dec_skip, with_special = {}, {}, {}, {}
            for n in names:
                enc = toks[n].encode(text, add_special_tokens=False).ids
                ids[n] = enc
                n_tokens[n] += len(enc)
                full = toks[n].encode(text, add_special_tokens=True).ids
                if full != enc:
                    with_special[n] = full
                d = toks[n].decode(enc, skip_special_tokens=False)
                if d != text:
                    dec[n] = d
                ds = toks[n].decode(enc, skip_special_tokens=True)
                if ds != d:
                    dec_skip[n] = ds
            rec["ids"] = ids
            if with_special:
                rec["ids_add_special"] = with_special
            if dec:
                rec["dec"] = dec
            if dec_skip:
                rec["dec_skip"] = dec_skip
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")

    rnd = random.Random(99)
    with gzip.open(os.path.join(OUT, "decode_cases.jsonl.gz"), "wt", encoding="utf-8", compresslevel=9) as f:
        for n in names:
            f.write(json.dumps({"tokenizer": n, "cases": decode_cases(toks[n], rnd)}, ensure_ascii=False) + "\n")

    with open(os.path.join(OUT, "README.md"), "w", encoding="utf-8") as f:
        f.write("# Tokenizer fixtures\n\nMade by `scripts/make_tokenizer_fixtures.py` with tokenizers "
                f"{tokenizers.__version__}; do not edit by hand. Training is not bit-reproducible (the trainer "
                "breaks ties between equally frequent pairs in hash order), so regenerate all files together; the C "
                "tests compare against whatever the committed files say.\n\n")
        f.write("| tokenizer | vocab (with added) | corpus tokens |\n|---|---|---|\n")
        for n in names:
            f.write(f"| {n} | {toks[n].get_vocab_size(True)} | {n_tokens[n]} |\n")
    print("wrote", OUT, {n: n_tokens[n] for n in names})


if __name__ == "__main__":
    main()
