#!/usr/bin/env python3
"""Writes LiveCodeBench-style private_test_cases vectors into DIR, made the
way the official release makes them:
    base64(zlib.compress(pickle.dumps(json.dumps(tests), protocol=p)))
for every protocol 0..5 and several test lists (ASCII, non-ASCII text with
ensure_ascii off, backslashes and newlines, an empty list, and one large
enough to need BINUNICODE/FRAME).  For each vector NAME: NAME.b64 (the
field value) and NAME.json (the expected text).  Also NAME.bad files with
pickles of other types, which the decoder must refuse, and their expected
opcode name in NAME.opcode."""
import base64
import json
import os
import pickle
import pickletools
import sys
import zlib

out = sys.argv[1]
os.makedirs(out, exist_ok=True)

tests_ascii = [{"input": "3\n1 2 3\n", "output": "6\n", "testtype": "stdin"},
               {"input": "[1, 2]\n3", "output": "true", "testtype": "functional"}]
tests_unicode = [{"input": "héllo wörld ¡ÿ\n", "output": "Ωmega — ✓ 😀 名前", "testtype": "stdin"}]
tests_escapes = [{"input": "a\\b\\\\c\n\r\t\"q\"\x1a", "output": "\\u0041 literal", "testtype": "stdin"}]
big = [{"input": " ".join(str(i) for i in range(k * 50, k * 50 + 50)) + "\n", "output": str(k) + "\n",
        "testtype": "stdin"} for k in range(3000)]

cases = {
    "ascii": json.dumps(tests_ascii),
    "unicode_raw": json.dumps(tests_unicode, ensure_ascii=False),
    "unicode_escaped": json.dumps(tests_unicode),
    "escapes": json.dumps(tests_escapes, ensure_ascii=False),
    "empty": json.dumps([]),
    "big": json.dumps(big),
}


def pack(obj, proto):
    return base64.b64encode(zlib.compress(pickle.dumps(obj, protocol=proto))).decode("ascii")


for name, text in cases.items():
    for p in range(6):
        stem = os.path.join(out, f"{name}_p{p}")
        with open(stem + ".b64", "w") as f:
            f.write(pack(text, p))
        with open(stem + ".json", "w", encoding="utf-8", newline="") as f:
            f.write(text)

# Other pickled types: the decoder must name the first opcode it refuses.
ALLOWED = {"PROTO", "FRAME", "BINUNICODE", "SHORT_BINUNICODE", "BINUNICODE8", "UNICODE", "MEMOIZE",
           "BINPUT", "LONG_BINPUT", "PUT", "STOP"}
bad = {
    "list_p4": (tests_ascii, 4),
    "list_p0": (["a"], 0),
    "bytes_p3": (b"[1]", 3),
    "int_p2": (7, 2),
    "tuple_p5": (("a",), 5),
    "none_p1": (None, 1),
    "dict_p2": ({"a": "b"}, 2),
}
for name, (obj, p) in bad.items():
    opcode = next(op.name for op, _, _ in pickletools.genops(pickle.dumps(obj, protocol=p))
                  if op.name not in ALLOWED)
    with open(os.path.join(out, name + ".bad"), "w") as f:
        f.write(pack(obj, p))
    with open(os.path.join(out, name + ".opcode"), "w") as f:
        f.write(opcode)
