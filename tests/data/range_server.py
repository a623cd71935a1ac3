#!/usr/bin/env python3
"""A loopback HTTP server for the `evalbench data fetch` tests.

Serves files from --root with HTTP Range support (206 / 416), which
python3 -m http.server lacks.  The first path segment picks a behaviour, so
one server covers every test through different --mirror base URLs:

  /plain/<path>      the file as is
  /corrupt/<path>    the file with one byte changed (sha256 mismatch)
  /cut<N>/<path>     the first request for this URL sends full headers,
                     then only N bytes, then drops the connection
  /norange/<path>    ignores Range and always answers 200 with everything

Two archives are built at start-up from the root, mimicking the upstream
releases: mmlu/data.tar (GNU format: data/{dev,val,test}/*.csv plus members
that fetch must skip) and math/MATH.tar (pax format:
MATH/test/<subject>/<n>.json, one file per problem of math_test_5000.jsonl,
plus a train member).  Every request is appended to --log as
"METHOD PATH RANGE STATUS".  The chosen port is written to --port-file.
"""
import argparse
import io
import json
import os
import re
import sys
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SUBJECT_DIRS = {
    "Algebra": "algebra",
    "Counting & Probability": "counting_and_probability",
    "Geometry": "geometry",
    "Intermediate Algebra": "intermediate_algebra",
    "Number Theory": "number_theory",
    "Prealgebra": "prealgebra",
    "Precalculus": "precalculus",
}


def add_bytes(tar, name, data, mtime=1_600_000_000):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = mtime
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def build_mmlu_tar(root):
    buf = io.BytesIO()
    base = os.path.join(root, "mmlu", "data")
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for split in ("dev", "val", "test"):
            d = tarfile.TarInfo(f"data/{split}")
            d.type = tarfile.DIRTYPE
            d.mode = 0o755
            tar.addfile(d)
            for name in sorted(os.listdir(os.path.join(base, split))):
                with open(os.path.join(base, split, name), "rb") as f:
                    add_bytes(tar, f"data/{split}/{name}", f.read())
        # Members the subset must leave alone.
        add_bytes(tar, "data/auxiliary_train/aux_law_90s.csv", b"q,a,b,c,d,A\n")
        add_bytes(tar, "data/README.txt", b"readme\n")
        add_bytes(tar, "data/test/._abstract_algebra_test.csv", b"\x00\x05\x16\x07macos")
        # A member name longer than 100 bytes needs the GNU long-name record.
        add_bytes(tar, "data/auxiliary_train/" + "x" * 120 + ".csv", b"long\n")
    return buf.getvalue()


def build_math_tar(root):
    buf = io.BytesIO()
    rows = []
    with open(os.path.join(root, "math", "math_test_5000.jsonl"), encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for row in rows:
            rec = {k: row[k] for k in ("problem", "level", "type", "solution")}
            name = f"MATH/test/{SUBJECT_DIRS[row['type']]}/{row['idx']}.json"
            add_bytes(tar, name, json.dumps(rec, indent=4).encode("utf-8"))
        add_bytes(tar, "MATH/train/algebra/1.json", b'{"problem": "train", "level": "Level 1", '
                  b'"type": "Algebra", "solution": "\\\\boxed{1}"}')
    return buf.getvalue()


class State:
    def __init__(self, root, log):
        self.root = os.path.realpath(root)
        self.virtual = {}
        self.cut_done = set()
        self.lock = threading.Lock()
        self.log = log


STATE = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def note(self, status):
        if STATE.log:
            with STATE.lock, open(STATE.log, "a") as f:
                f.write(f"{self.command} {self.path} {self.headers.get('Range', '-')} {status}\n")

    def fail(self, status):
        self.note(status)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def content(self, rel):
        if rel in STATE.virtual:
            return STATE.virtual[rel]
        full = os.path.realpath(os.path.join(STATE.root, rel))
        if not full.startswith(STATE.root + os.sep) or not os.path.isfile(full):
            return None
        with open(full, "rb") as f:
            return f.read()

    def do_HEAD(self):
        self.serve(head=True)

    def do_GET(self):
        self.serve(head=False)

    def serve(self, head):
        m = re.match(r"^/(plain|corrupt|norange|cut(\d+))/(.+)$", self.path)
        if not m or ".." in m.group(3).split("/"):
            return self.fail(404)
        mode, cut, rel = m.group(1), m.group(2), m.group(3)
        data = self.content(rel)
        if data is None:
            return self.fail(404)
        if mode == "corrupt":
            b = bytearray(data)
            b[len(b) // 2] ^= 0x01
            data = bytes(b)
        size = len(data)
        start, end, status = 0, size - 1, 200
        rng = self.headers.get("Range")
        if rng and mode != "norange":
            rm = re.match(r"^bytes=(\d+)-(\d*)$", rng.strip())
            if not rm:
                return self.fail(416)
            start = int(rm.group(1))
            if rm.group(2):
                end = min(int(rm.group(2)), size - 1)
            if start >= size or start > end:
                self.note(416)
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = 206
        body = data[start:end + 1]
        self.note(status)
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(len(body)))
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        if head:
            return
        if cut is not None:
            with STATE.lock:
                first = self.path not in STATE.cut_done
                STATE.cut_done.add(self.path)
            if first:
                self.wfile.write(body[: int(cut)])
                self.wfile.flush()
                self.close_connection = True
                try:
                    import socket
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
        self.wfile.write(body)


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # Clients that hang up early (the tests cut transfers on purpose)
        # are normal here; anything else is still reported.
        if not isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError)):
            super().handle_error(request, client_address)


def main():
    global STATE
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    args = ap.parse_args()
    STATE = State(args.root, args.log)
    STATE.virtual["mmlu/data.tar"] = build_mmlu_tar(args.root)
    STATE.virtual["math/MATH.tar"] = build_math_tar(args.root)
    server = QuietServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, args.port_file)
    # Exit with the test that started us, even if it dies without stopping us.
    parent = os.getppid()

    def watch_parent():
        while os.getppid() == parent:
            threading.Event().wait(0.5)
        os._exit(0)

    threading.Thread(target=watch_parent, daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
