#!/usr/bin/env python3
"""Loopback stand-ins for the Anthropic, OpenAI (and OpenAI-compatible) and
Gemini HTTP APIs, for testing evalbench's remote engines.

The server checks requests the way the providers do (authentication headers,
required fields, value ranges, unknown fields) and answers in their response
and error shapes.  Its "model" is deterministic: a prompt containing
REPLY:<text> answers <text> ("\\n" escapes become newlines); any other prompt
answers "Answer: <8 hex digits of sha256(prompt)>."  Tokens are counted as
ceil(bytes/4) of the text.  CACHED:<n> in a prompt reports n cached tokens.

Faults are injected two ways:
  - per prompt: FAULTSEQ:<k1>,<k2>,... makes attempt i answer with fault ki
    ("ok" for a normal answer); FAULT:<k> makes every attempt answer k;
  - by schedule: POST /__control {"fault_rate": 0.3, "max_faulty_attempts": 2,
    "kinds": [...], "seed": 1, "retry_after": 1} makes each of the first
    max_faulty_attempts attempts of every logical request fail with
    probability fault_rate (decided by a hash, so runs are reproducible).
Fault kinds: 429 (rate limit with retry-after), 429reset (only the
rate-limit reset headers or body hint say when), 529 (overloaded), 500, 503,
slow (a late but good answer), stall (half a body, then silence), drop (half
a body, then close), reset (close without answering), truncate (valid HTTP,
cut JSON), malformed (broken JSON), content_type (an HTML page with 200),
and the non-retryable 400, 401, 403, 404, quota.

Batch APIs: Anthropic Message Batches (POST /v1/messages/batches, GET
.../{id}, GET .../{id}/results) and OpenAI Files + Batch (POST /v1/files
multipart, POST /v1/batches, GET /v1/batches/{id}, GET /v1/files/{id}/content);
a batch ends batch_delay_s seconds after creation and its requests are billed
when it is created.

Only complete, successful answers are billed.  GET /__stats returns the
counters (requests, billed, tokens, faults by kind, duplicate bills,
retry-after violations, connections); POST /__reset clears them.

Usage: fake_providers.py [--port 0] [--anthropic-key K] [--openai-key K]
                         [--gemini-key K]
Prints "PORT <n>" on stdout once it accepts connections."""

import argparse
import email.parser
import email.policy
import hashlib
import json
import random
import re
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ANTHROPIC_MODELS = {
    "claude-sonnet-4-5": "claude-sonnet-4-5-20250929",
    "claude-haiku-4-5": "claude-haiku-4-5-20251001",
    "claude-opus-4-1": "claude-opus-4-1-20250805",
}
OPENAI_MODELS = {
    "gpt-4.1": "gpt-4.1-2025-04-14",
    "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
    "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
}
# Served by "vLLM": completions with echo+logprobs work for these.
COMPAT_MODELS = {"gemma-4-31b-it": "gemma-4-31b-it"}
GEMINI_MODELS = {"gemini-2.5-flash": "gemini-2.5-flash", "gemini-2.5-pro": "gemini-2.5-pro"}

RETRYABLE_KINDS = ["429", "529", "500", "503", "slow", "stall", "drop", "reset",
                   "truncate", "malformed", "content_type"]


def ntokens(text):
    return (len(text.encode("utf-8")) + 3) // 4


class BadRequest(Exception):
    """A request the provider would refuse: (status, kind, message)."""

    def __init__(self, status, kind, message):
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message


class State:
    def __init__(self, keys):
        self.keys = keys
        self.lock = threading.Lock()
        self.control = {"fault_rate": 0.0, "max_faulty_attempts": 2, "kinds": RETRYABLE_KINDS,
                        "seed": 1, "retry_after": 1, "slow_s": 0.3, "stall_s": 4.0,
                        "batch_delay_s": 0.3}
        self.reset()

    def reset(self):
        with self.lock:
            self.stats = {"requests": 0, "billed": 0, "billed_input_tokens": 0,
                          "billed_output_tokens": 0, "faults": {}, "status": {},
                          "duplicate_billed": 0, "retry_after_sent": 0,
                          "retry_after_violations": 0, "min_retry_slack_s": None,
                          "connections": 0, "max_concurrent": 0}
            self.attempts = {}
            self.billed_keys = {}
            self.batches = {}
            self.files = {}
            self.stats.update({"batches_created": 0, "batch_requests": 0, "batch_status_checks": 0})
            self.not_before = {}
            self.in_flight = 0

    def snapshot(self):
        with self.lock:
            return json.loads(json.dumps(self.stats))


STATE = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-providers/1"
    # One buffered write per answer (flushed by handle_one_request) and no
    # Nagle: otherwise headers and body go out as two segments and delayed
    # ACKs add 40 ms to every exchange.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def setup(self):
        super().setup()
        with STATE.lock:
            STATE.stats["connections"] += 1

    # ---- plumbing ----------------------------------------------------------
    def send_json(self, status, obj, headers=None):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        with STATE.lock:
            st = STATE.stats["status"]
            st[str(status)] = st.get(str(status), 0) + 1

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        if self.path == "/__stats":
            self.send_json(200, STATE.snapshot())
        elif self.path == "/healthz":
            self.send_json(200, {"ok": True})
        elif self.path.startswith("/v1/messages/batches/"):
            anthropic_batch_get(self)
        elif self.path.startswith("/v1/batches/") or self.path.startswith("/v1/files/"):
            openai_batch_get(self)
        else:
            self.send_json(404, {"error": "no such path"})

    def send_bytes(self, status, body, ctype):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        raw = self.read_body()
        if self.path == "/__control":
            with STATE.lock:
                STATE.control.update(json.loads(raw or b"{}"))
            self.send_json(200, STATE.control)
            return
        if self.path == "/__reset":
            STATE.reset()
            self.send_json(200, {"ok": True})
            return
        with STATE.lock:
            STATE.stats["requests"] += 1
            STATE.in_flight += 1
            STATE.stats["max_concurrent"] = max(STATE.stats["max_concurrent"], STATE.in_flight)
        try:
            self.route(raw)
        finally:
            with STATE.lock:
                STATE.in_flight -= 1

    def route(self, raw):
        path = self.path.split("?", 1)[0]
        if path == "/v1/messages/batches":
            anthropic_batch_create(self, raw)
            return
        if path == "/v1/files":
            openai_file_upload(self, raw)
            return
        if path == "/v1/batches":
            openai_batch_create(self, raw)
            return
        m = re.fullmatch(r"/v1beta/models/([^/:]+):generateContent", path)
        if path == "/v1/messages":
            api = Anthropic(self)
        elif path in ("/v1/chat/completions", "/v1/completions"):
            api = OpenAI(self, path == "/v1/completions")
        elif m:
            api = Gemini(self, m.group(1))
        else:
            self.send_json(404, {"error": {"message": "Not found: " + path}})
            return
        try:
            api.authenticate()
            req = api.parse(raw)
        except BadRequest as e:
            api.error(e.status, e.kind, e.message)
            return
        key = api.logical_key(req)
        fault = self.pick_fault(key, api.prompt_text(req))
        if fault == "slow":
            # Late but good: counted as a fault, answered and billed.
            with STATE.lock:
                f = STATE.stats["faults"]
                f["slow"] = f.get("slow", 0) + 1
            time.sleep(STATE.control["slow_s"])
        elif fault and fault != "ok":
            self.inject(api, key, fault)
            return
        try:
            answer, tin, tout = api.answer(req)
        except BadRequest as e:
            api.error(e.status, e.kind, e.message)
            return
        # Billed when generated, before the answer is on the wire, so the
        # counters are final once a client has read the answer.
        with STATE.lock:
            s = STATE.stats
            s["billed"] += 1
            s["billed_input_tokens"] += tin
            s["billed_output_tokens"] += tout
            n = STATE.billed_keys.get(key, 0) + 1
            STATE.billed_keys[key] = n
            if n > 1:
                s["duplicate_billed"] += 1
        self.send_json(200, answer, api.success_headers())

    # ---- faults ------------------------------------------------------------
    def pick_fault(self, key, prompt):
        now = time.time()
        with STATE.lock:
            attempt = STATE.attempts.get(key, 0)
            STATE.attempts[key] = attempt + 1
            nb = STATE.not_before.pop(key, None)
            if nb is not None:
                slack = now - nb
                s = STATE.stats
                if slack < 0:
                    s["retry_after_violations"] += 1
                if s["min_retry_slack_s"] is None or slack < s["min_retry_slack_s"]:
                    s["min_retry_slack_s"] = slack
            ctl = dict(STATE.control)
        m = re.search(r"FAULTSEQ:([A-Za-z0-9_,]+)", prompt)
        if m:
            seq = m.group(1).split(",")
            return seq[attempt] if attempt < len(seq) else "ok"
        m = re.search(r"FAULT:([A-Za-z0-9_]+)", prompt)
        if m:
            return m.group(1)
        if ctl["fault_rate"] > 0 and attempt < ctl["max_faulty_attempts"]:
            h = hashlib.sha256(f"{ctl['seed']}|{key}|{attempt}".encode()).digest()
            u = int.from_bytes(h[:8], "big") / 2**64
            if u < ctl["fault_rate"]:
                kinds = ctl["kinds"]
                return kinds[int.from_bytes(h[8:12], "big") % len(kinds)]
        return None

    def inject(self, api, key, kind):
        with STATE.lock:
            f = STATE.stats["faults"]
            f[kind] = f.get(kind, 0) + 1
            ctl = dict(STATE.control)
        if kind in ("429", "429reset"):
            # 429reset: only the rate-limit reset headers say when to retry.
            ra = ctl["retry_after"]
            with STATE.lock:
                STATE.stats["retry_after_sent"] += 1
                STATE.not_before[key] = time.time() + ra
            api.rate_limited(ra, kind == "429")
        elif kind in ("529", "500", "503"):
            api.server_error(int(kind))
        elif kind in ("400", "401", "403", "404", "quota"):
            api.fatal_error(kind)
        elif kind in ("stall", "drop"):
            body = json.dumps(api.fake_success_shape()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            if kind == "stall":
                time.sleep(ctl["stall_s"])
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        elif kind == "reset":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        elif kind in ("truncate", "malformed"):
            body = json.dumps(api.fake_success_shape()).encode()
            body = body[: len(body) * 2 // 3] if kind == "truncate" else b'{"id": msg_01, "content": [}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif kind == "content_type":
            body = b"<html><body><h1>Service temporarily unavailable</h1></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            api.server_error(500)


def model_text(prompt):
    m = re.search(r"REPLY:(.*)\Z", prompt, re.S)
    if m:
        return m.group(1).replace("\\n", "\n")
    return "Answer: " + hashlib.sha256(prompt.encode()).hexdigest()[:8] + "."


def generate(prompt, max_tokens, stops):
    """The fake model: returns (text, reason, matched_stop) where reason is
    'end', 'stop' or 'length'."""
    text = model_text(prompt)
    reason, matched = "end", None
    cut = None
    for s in stops:
        i = text.find(s)
        if i >= 0 and (cut is None or i < cut):
            cut, matched = i, s
    if cut is not None:
        text, reason = text[:cut], "stop"
    if max_tokens is not None and ntokens(text) > max_tokens:
        text = text.encode()[: max_tokens * 4].decode("utf-8", "ignore")
        reason, matched = "length", None
    return text, reason, matched


def cached_tokens(prompt, total):
    m = re.search(r"CACHED:(\d+)", prompt)
    return min(int(m.group(1)), total) if m else 0


def check_fields(body, allowed, make_error):
    for k in body:
        if k not in allowed:
            raise make_error(k)


# ---- Anthropic ----------------------------------------------------------------
class Anthropic:
    FIELDS = {"model", "messages", "max_tokens", "system", "temperature", "top_p", "top_k",
              "stop_sequences", "stream", "metadata", "tools", "tool_choice", "thinking", "service_tier"}

    def __init__(self, h):
        self.h = h
        self.request_id = "req_" + uuid.uuid4().hex[:24]

    def authenticate(self):
        key = self.h.headers.get("x-api-key")
        if key is None:
            raise BadRequest(401, "authentication_error", "x-api-key header is required")
        if key != STATE.keys["anthropic"]:
            raise BadRequest(401, "authentication_error", "invalid x-api-key")
        if not self.h.headers.get("anthropic-version"):
            raise BadRequest(400, "invalid_request_error", "anthropic-version: header is required")

    def parse(self, raw):
        if "application/json" not in (self.h.headers.get("Content-Type") or ""):
            raise BadRequest(400, "invalid_request_error", "Content-Type must be application/json")
        try:
            body = json.loads(raw)
        except ValueError:
            raise BadRequest(400, "invalid_request_error", "Request body is not valid JSON")
        return self.validate(body)

    def validate(self, body):
        if not isinstance(body, dict):
            raise BadRequest(400, "invalid_request_error", "Request body must be an object")
        check_fields(body, self.FIELDS,
                     lambda k: BadRequest(400, "invalid_request_error", f"{k}: Extra inputs are not permitted"))
        for f in ("model", "max_tokens", "messages"):
            if f not in body:
                raise BadRequest(400, "invalid_request_error", f"{f}: Field required")
        if not isinstance(body["max_tokens"], int) or body["max_tokens"] < 1:
            raise BadRequest(400, "invalid_request_error", "max_tokens: Input should be greater than or equal to 1")
        t = body.get("temperature", 1.0)
        if not isinstance(t, (int, float)) or not 0 <= t <= 1:
            raise BadRequest(400, "invalid_request_error", "temperature: range: 0..1")
        msgs = body["messages"]
        if not isinstance(msgs, list) or not msgs:
            raise BadRequest(400, "invalid_request_error", "messages: at least one message is required")
        for i, m in enumerate(msgs):
            if not isinstance(m, dict) or m.get("role") not in ("user", "assistant"):
                raise BadRequest(400, "invalid_request_error", f"messages.{i}.role: Input should be 'user' or 'assistant'")
            if not isinstance(m.get("content"), (str, list)):
                raise BadRequest(400, "invalid_request_error", f"messages.{i}.content: Field required")
        if msgs[0]["role"] != "user":
            raise BadRequest(400, "invalid_request_error", "messages: first message must use the \"user\" role")
        stops = body.get("stop_sequences", [])
        if not isinstance(stops, list) or not all(isinstance(s, str) for s in stops):
            raise BadRequest(400, "invalid_request_error", "stop_sequences: Input should be a valid list of strings")
        for s in stops:
            if not s.strip():
                raise BadRequest(400, "invalid_request_error",
                                 "stop_sequences: each stop sequence must contain non-whitespace")
        if "system" in body and not isinstance(body["system"], (str, list)):
            raise BadRequest(400, "invalid_request_error", "system: Input should be a valid string")
        if body["model"] not in ANTHROPIC_MODELS and body["model"] not in ANTHROPIC_MODELS.values():
            raise BadRequest(404, "not_found_error", f"model: {body['model']}")
        return body

    @staticmethod
    def text_of(content):
        if isinstance(content, str):
            return content
        return "".join(b.get("text", "") for b in content if isinstance(b, dict))

    def prompt_text(self, req):
        return self.text_of(req["messages"][-1]["content"])

    def logical_key(self, req):
        return "anthropic|" + json.dumps([req["model"], req.get("system"), req["messages"]], sort_keys=True)

    def answer(self, req):
        prompt = self.prompt_text(req)
        text, reason, matched = generate(prompt, req["max_tokens"], req.get("stop_sequences", []))
        system = req.get("system") or ""
        system = system if isinstance(system, str) else self.text_of(system)
        total_in = ntokens(system) + sum(ntokens(self.text_of(m["content"])) for m in req["messages"])
        cached = cached_tokens(prompt, total_in)
        tout = ntokens(text)
        usage = {"input_tokens": total_in - cached, "output_tokens": tout,
                 "cache_creation_input_tokens": 0, "cache_read_input_tokens": cached}
        model = ANTHROPIC_MODELS.get(req["model"], req["model"])
        return ({"id": "msg_" + uuid.uuid4().hex[:24], "type": "message", "role": "assistant", "model": model,
                 "content": [{"type": "text", "text": text}],
                 "stop_reason": {"end": "end_turn", "stop": "stop_sequence", "length": "max_tokens"}[reason],
                 "stop_sequence": matched, "usage": usage}, total_in, tout)

    def success_headers(self):
        return {"request-id": self.request_id,
                "anthropic-ratelimit-requests-limit": "4000",
                "anthropic-ratelimit-requests-remaining": "3999",
                "anthropic-ratelimit-requests-reset": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}

    def fake_success_shape(self):
        return {"id": "msg_x", "type": "message", "role": "assistant", "model": "claude",
                "content": [{"type": "text", "text": "this answer never arrives whole " * 4}],
                "stop_reason": "end_turn", "stop_sequence": None,
                "usage": {"input_tokens": 10, "output_tokens": 10}}

    def error(self, status, kind, message, headers=None, details=None):
        err = {"type": kind, "message": message}
        if details:
            err["details"] = details
        hdrs = {"request-id": self.request_id}
        hdrs.update(headers or {})
        self.h.send_json(status, {"type": "error", "error": err, "request_id": self.request_id}, hdrs)

    def rate_limited(self, ra, with_retry_after=True):
        at_ms = int((time.time() + ra) * 1000) + 1  # rounded up: never earlier than promised
        reset = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at_ms // 1000)) + f".{at_ms % 1000:03d}Z"
        headers = {"anthropic-ratelimit-requests-reset": reset}
        if with_retry_after:
            headers["retry-after"] = str(ra)
        self.error(429, "rate_limit_error",
                   "Number of request tokens has exceeded your per-minute rate limit", headers)

    def server_error(self, status):
        if status == 529:
            self.error(529, "overloaded_error", "Overloaded")
        else:
            self.error(status, "api_error", "Internal server error")

    def fatal_error(self, kind):
        if kind == "quota":
            self.error(429, "rate_limit_error", "You have reached your specified API usage limits.",
                       details={"error_code": "enforced_spend_limit_reached"})
        elif kind == "401":
            self.error(401, "authentication_error", "invalid x-api-key")
        elif kind == "403":
            self.error(403, "permission_error", "Your API key does not have permission to use the specified resource.")
        elif kind == "404":
            self.error(404, "not_found_error", "model: not found")
        else:
            self.error(400, "invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum")


# ---- OpenAI -------------------------------------------------------------------
class OpenAI:
    CHAT_FIELDS = {"model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "stop",
                   "seed", "n", "logprobs", "top_logprobs", "response_format", "tools", "tool_choice", "stream",
                   "stream_options", "service_tier", "reasoning_effort", "user", "presence_penalty",
                   "frequency_penalty", "logit_bias", "parallel_tool_calls", "store", "metadata"}
    COMPLETION_FIELDS = {"model", "prompt", "max_tokens", "temperature", "top_p", "stop", "seed", "n", "echo",
                         "logprobs", "stream", "suffix", "user", "best_of", "presence_penalty",
                         "frequency_penalty", "logit_bias"}

    def __init__(self, h, completions):
        self.h = h
        self.completions = completions
        self.request_id = "req_" + uuid.uuid4().hex

    def authenticate(self):
        auth = self.h.headers.get("Authorization") or ""
        if not auth.startswith("Bearer "):
            raise BadRequest(401, "missing_api_key",
                             "You didn't provide an API key. You need to provide your API key in an Authorization "
                             "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).")
        key = auth[len("Bearer "):]
        if key != STATE.keys["openai"]:
            shown = key[:3] + "*" * 4 + key[-4:] if len(key) > 8 else key
            raise BadRequest(401, "invalid_api_key", f"Incorrect API key provided: {shown}. You can find your API "
                             "key at https://platform.openai.com/account/api-keys.")

    def parse(self, raw):
        try:
            body = json.loads(raw)
        except ValueError:
            raise BadRequest(400, "invalid_json",
                             "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
                             "using your HTTP library correctly.)")
        return self.validate(body)

    def validate(self, body):
        if not isinstance(body, dict):
            raise BadRequest(400, "invalid_type", "Invalid type for the request body: expected an object.")
        allowed = self.COMPLETION_FIELDS if self.completions else self.CHAT_FIELDS
        check_fields(body, allowed, lambda k: BadRequest(400, "unknown_parameter",
                                                         f"Unrecognized request argument supplied: {k}"))
        if "model" not in body:
            raise BadRequest(400, "missing_required_parameter", "you must provide a model parameter")
        model = body["model"]
        if model not in OPENAI_MODELS and model not in OPENAI_MODELS.values() and model not in COMPAT_MODELS:
            raise BadRequest(404, "model_not_found",
                             f"The model `{model}` does not exist or you do not have access to it.")
        if self.completions and model not in COMPAT_MODELS:
            raise BadRequest(404, "model_not_found",
                             "This is a chat model and not supported in the v1/completions endpoint. "
                             "Did you mean to use v1/chat/completions?")
        t = body.get("temperature", 1)
        if not isinstance(t, (int, float)) or not 0 <= t <= 2:
            raise BadRequest(400, "decimal_above_max_value",
                             f"Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got {t} instead.")
        if "max_tokens" in body and "max_completion_tokens" in body:
            raise BadRequest(400, "invalid_value",
                             "max_tokens and max_completion_tokens cannot both be set")
        stop = body.get("stop")
        if stop is not None:
            if isinstance(stop, str):
                stop = [stop]
            if not isinstance(stop, list) or len(stop) > 4:
                raise BadRequest(400, "array_above_max_length",
                                 "Invalid 'stop': array too long. Expected an array with maximum length 4.")
        body["_stop"] = stop or []
        if "seed" in body and not isinstance(body["seed"], int):
            raise BadRequest(400, "invalid_type", "Invalid type for 'seed': expected an integer.")
        if self.completions:
            p = body.get("prompt")
            if not isinstance(p, (str, list)) or (isinstance(p, list) and not all(isinstance(x, str) for x in p)):
                raise BadRequest(400, "invalid_type", "Invalid type for 'prompt'")
        else:
            msgs = body.get("messages")
            if not isinstance(msgs, list) or not msgs:
                raise BadRequest(400, "empty_array", "Invalid 'messages': empty array. Expected an array with "
                                 "minimum length 1, but got an empty array instead.")
            for i, m in enumerate(msgs):
                if not isinstance(m, dict) or m.get("role") not in ("system", "developer", "user", "assistant", "tool"):
                    raise BadRequest(400, "invalid_value", f"Invalid value for 'messages[{i}].role'")
                if not isinstance(m.get("content"), (str, list)):
                    raise BadRequest(400, "invalid_type", f"Invalid type for 'messages[{i}].content'")
        return body

    def prompt_text(self, req):
        if self.completions:
            p = req["prompt"]
            return p if isinstance(p, str) else "\n".join(p)
        c = req["messages"][-1]["content"]
        return c if isinstance(c, str) else "".join(x.get("text", "") for x in c)

    def logical_key(self, req):
        r = {k: v for k, v in req.items() if k in ("model", "messages", "prompt")}
        return ("openai-cmpl|" if self.completions else "openai|") + json.dumps(r, sort_keys=True)

    def answer(self, req):
        model = OPENAI_MODELS.get(req["model"], req["model"])
        if self.completions:
            return self.answer_completions(req, model)
        msgs = req["messages"]
        prompt = self.prompt_text(req)
        max_t = req.get("max_completion_tokens", req.get("max_tokens"))
        text, reason, _ = generate(prompt, max_t, req["_stop"])
        tin = sum(ntokens(m["content"] if isinstance(m["content"], str) else "") for m in msgs)
        tout = ntokens(text)
        cached = cached_tokens(prompt, tin)
        fp = "fp_" + hashlib.sha256(f"{req.get('seed')}".encode()).hexdigest()[:10]
        return ({"id": "chatcmpl-" + uuid.uuid4().hex[:24], "object": "chat.completion",
                 "created": int(time.time()), "model": model, "system_fingerprint": fp,
                 "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "refusal": None},
                              "logprobs": None, "finish_reason": "length" if reason == "length" else "stop"}],
                 "usage": {"prompt_tokens": tin, "completion_tokens": tout, "total_tokens": tin + tout,
                           "prompt_tokens_details": {"cached_tokens": cached},
                           "completion_tokens_details": {"reasoning_tokens": 0}}}, tin, tout)

    def answer_completions(self, req, model):
        prompts = req["prompt"] if isinstance(req["prompt"], list) else [req["prompt"]]
        max_t = req.get("max_tokens", 16)
        choices, tin, tout = [], 0, 0
        for i, p in enumerate(prompts):
            text, reason, _ = generate(p, max_t, req["_stop"])
            lp = None
            if req.get("echo") and req.get("logprobs") is not None:
                # Whitespace-attached word tokens; logprob -0.25 per character;
                # the first prompt token has none, as in vLLM.
                gen = " x" if max_t and max_t > 0 else ""
                full = p + gen
                toks = re.findall(r"\s*\S+|\s+\Z", full)
                offs, pos = [], 0
                for t in toks:
                    offs.append(pos)
                    pos += len(t)
                lps = [None] + [-0.25 * len(t) for t in toks[1:]]
                lp = {"tokens": toks, "token_logprobs": lps, "text_offset": offs,
                      "top_logprobs": [None] + [{t: -0.25 * len(t)} for t in toks[1:]]}
                text = full
                reason = "length"
                tout += 1 if gen else 0
            else:
                tout += ntokens(text)
            tin += ntokens(p)
            choices.append({"index": i, "text": text, "logprobs": lp,
                            "finish_reason": "length" if reason == "length" else "stop", "stop_reason": None})
        return ({"id": "cmpl-" + uuid.uuid4().hex[:24], "object": "text_completion", "created": int(time.time()),
                 "model": model, "choices": choices,
                 "usage": {"prompt_tokens": tin, "completion_tokens": tout, "total_tokens": tin + tout}}, tin, tout)

    def success_headers(self):
        return {"x-request-id": self.request_id, "openai-processing-ms": "12",
                "x-ratelimit-limit-requests": "10000", "x-ratelimit-remaining-requests": "9999",
                "x-ratelimit-reset-requests": "6ms"}

    def fake_success_shape(self):
        return {"id": "chatcmpl-x", "object": "chat.completion", "created": 0, "model": "gpt",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "never arrives whole " * 5},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}

    def error(self, status, code, message, headers=None, etype=None):
        if etype is None:
            etype = {401: "invalid_request_error", 404: "invalid_request_error", 429: "rate_limit_error"}.get(
                status, "invalid_request_error" if status < 500 else "server_error")
        hdrs = {"x-request-id": self.request_id}
        hdrs.update(headers or {})
        self.h.send_json(status, {"error": {"message": message, "type": etype, "param": None, "code": code}}, hdrs)

    def rate_limited(self, ra, with_retry_after=True):
        headers = {"x-ratelimit-reset-requests": f"{ra}s", "x-ratelimit-remaining-requests": "0"}
        if with_retry_after:
            headers["retry-after"] = str(ra)
        self.error(429, "rate_limit_exceeded", "Rate limit reached for gpt-4.1 in organization org-test on "
                   "requests per min (RPM): Limit 500, Used 500, Requested 1. Please try again in 1s.", headers)

    def server_error(self, status):
        if status in (529, 503):
            self.error(503, None, "The server is overloaded or not ready yet.", etype="server_error")
        else:
            self.error(status, None, "The server had an error while processing your request. Sorry about that!",
                       etype="server_error")

    def fatal_error(self, kind):
        if kind == "quota":
            self.error(429, "insufficient_quota", "You exceeded your current quota, please check your plan and "
                       "billing details.", etype="insufficient_quota")
        elif kind == "401":
            self.error(401, "invalid_api_key", "Incorrect API key provided: sk-te****-key.")
        elif kind == "403":
            self.error(403, "unsupported_country_region_territory", "Country, region, or territory not supported",
                       etype="request_forbidden")
        elif kind == "404":
            self.error(404, "model_not_found", "The model `x` does not exist or you do not have access to it.")
        else:
            self.error(400, "context_length_exceeded", "This model's maximum context length is 128000 tokens.")


# ---- Gemini -------------------------------------------------------------------
class Gemini:
    FIELDS = {"contents", "systemInstruction", "generationConfig", "safetySettings", "tools", "toolConfig",
              "cachedContent", "labels"}
    GEN_FIELDS = {"temperature", "topP", "topK", "maxOutputTokens", "stopSequences", "candidateCount", "seed",
                  "responseMimeType", "responseSchema", "thinkingConfig", "presencePenalty", "frequencyPenalty",
                  "responseLogprobs", "logprobs"}

    def __init__(self, h, model):
        self.h = h
        self.model = model

    def authenticate(self):
        key = self.h.headers.get("x-goog-api-key")
        if key is None:
            raise BadRequest(403, "PERMISSION_DENIED",
                             "Method doesn't allow unregistered callers (callers without established identity). "
                             "Please use API Key or other form of API consumer identity to call this API.")
        if key != STATE.keys["gemini"]:
            raise BadRequest(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.")

    def parse(self, raw):
        try:
            body = json.loads(raw)
        except ValueError as e:
            raise BadRequest(400, "INVALID_ARGUMENT", f"Invalid JSON payload received. {e}")
        for k in body:
            if k not in self.FIELDS:
                raise BadRequest(400, "INVALID_ARGUMENT",
                                 f"Invalid JSON payload received. Unknown name \"{k}\": Cannot find field.")
        gc = body.get("generationConfig", {})
        for k in gc:
            if k not in self.GEN_FIELDS:
                raise BadRequest(400, "INVALID_ARGUMENT", f"Invalid JSON payload received. Unknown name \"{k}\" at "
                                 "'generation_config': Cannot find field.")
        if len(gc.get("stopSequences", [])) > 5:
            raise BadRequest(400, "INVALID_ARGUMENT", "* GenerateContentRequest.generation_config.stop_sequences: "
                             "at most 5 stop sequences are supported")
        t = gc.get("temperature", 1)
        if not 0 <= t <= 2:
            raise BadRequest(400, "INVALID_ARGUMENT", "* GenerateContentRequest.generation_config.temperature: "
                             "temperature must be in [0, 2]")
        contents = body.get("contents")
        if not isinstance(contents, list) or not contents:
            raise BadRequest(400, "INVALID_ARGUMENT", "* GenerateContentRequest.contents: contents is not specified")
        for c in contents:
            if c.get("role", "user") not in ("user", "model") or not isinstance(c.get("parts"), list):
                raise BadRequest(400, "INVALID_ARGUMENT", "Please use a valid role: user, model.")
        if self.model not in GEMINI_MODELS:
            raise BadRequest(404, "NOT_FOUND", f"models/{self.model} is not found for API version v1beta, or is "
                             "not supported for generateContent. Call ListModels to see the list of available models "
                             "and their supported methods.")
        return body

    def prompt_text(self, req):
        return "".join(p.get("text", "") for p in req["contents"][-1]["parts"])

    def logical_key(self, req):
        return "gemini|" + self.model + "|" + json.dumps([req.get("systemInstruction"), req["contents"]],
                                                         sort_keys=True)

    def answer(self, req):
        gc = req.get("generationConfig", {})
        prompt = self.prompt_text(req)
        system = "".join(p.get("text", "") for p in req.get("systemInstruction", {}).get("parts", []))
        tin = ntokens(system) + ntokens(prompt)
        if "SAFETYBLOCK" in prompt:
            return ({"candidates": [{"finishReason": "SAFETY", "index": 0,
                                     "safetyRatings": [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT",
                                                        "probability": "HIGH", "blocked": True}]}],
                     "usageMetadata": {"promptTokenCount": tin, "totalTokenCount": tin},
                     "modelVersion": self.model, "responseId": uuid.uuid4().hex[:22]}, tin, 0)
        text, reason, _ = generate(prompt, gc.get("maxOutputTokens"), gc.get("stopSequences", []))
        thoughts = 7 if "THINK" in prompt else 0
        tout = ntokens(text) + thoughts
        usage = {"promptTokenCount": tin, "candidatesTokenCount": ntokens(text), "totalTokenCount": tin + tout,
                 "promptTokensDetails": [{"modality": "TEXT", "tokenCount": tin}]}
        if thoughts:
            usage["thoughtsTokenCount"] = thoughts
        cached = cached_tokens(prompt, tin)
        if cached:
            usage["cachedContentTokenCount"] = cached
        parts = [{"text": text}]
        if thoughts:
            parts.insert(0, {"text": "thinking about it", "thought": True})
        return ({"candidates": [{"content": {"role": "model", "parts": parts},
                                 "finishReason": "MAX_TOKENS" if reason == "length" else "STOP", "index": 0}],
                 "usageMetadata": usage, "modelVersion": self.model,
                 "responseId": uuid.uuid4().hex[:22]}, tin, tout)

    def success_headers(self):
        return {}

    def fake_success_shape(self):
        return {"candidates": [{"content": {"role": "model", "parts": [{"text": "never arrives whole " * 5}]},
                                "finishReason": "STOP", "index": 0}],
                "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 1, "totalTokenCount": 2},
                "modelVersion": "gemini"}

    def error(self, status, kind, message, details=None):
        err = {"code": status, "message": message, "status": kind}
        if details:
            err["details"] = details
        self.h.send_json(status, {"error": err})

    def rate_limited(self, ra, with_retry_after=True):
        # Gemini sends no retry-after header: the delay is always in the body.
        self.error(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota, please check your plan and billing "
                   "details.", [{"@type": "type.googleapis.com/google.rpc.QuotaFailure",
                                 "violations": [{"quotaMetric": "generativelanguage.googleapis.com/generate_content_"
                                                 "free_tier_requests",
                                                 "quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}]},
                                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{ra}s"}])

    def server_error(self, status):
        if status in (529, 503):
            self.error(503, "UNAVAILABLE", "The model is overloaded. Please try again later.")
        else:
            self.error(500, "INTERNAL", "An internal error has occurred. Please retry or report in "
                       "https://developers.generativeai.google/guide/troubleshooting")

    def fatal_error(self, kind):
        if kind == "quota":
            self.error(429, "RESOURCE_EXHAUSTED", "You exceeded your current quota.",
                       [{"@type": "type.googleapis.com/google.rpc.QuotaFailure",
                         "violations": [{"quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]}])
        elif kind == "401" or kind == "400":
            self.error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
                       [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                         "domain": "googleapis.com"}])
        elif kind == "403":
            self.error(403, "PERMISSION_DENIED", "Permission denied: Consumer has been suspended.")
        else:
            self.error(404, "NOT_FOUND", f"models/{self.model} is not found for API version v1beta")


# ---- batch APIs ---------------------------------------------------------------
def bill(key, tin, tout):
    with STATE.lock:
        s = STATE.stats
        s["billed"] += 1
        s["batch_requests"] += 1
        s["billed_input_tokens"] += tin
        s["billed_output_tokens"] += tout
        n = STATE.billed_keys.get(key, 0) + 1
        STATE.billed_keys[key] = n
        if n > 1:
            s["duplicate_billed"] += 1


def batch_ended(b):
    return time.time() >= b["ends_at"]


def anthropic_batch_object(h, b):
    ended = batch_ended(b)
    counts = {"processing": 0 if ended else len(b["results"]), "succeeded": 0, "errored": 0,
              "canceled": 0, "expired": 0}
    if ended:
        for r in b["results"]:
            counts[r["result"]["type"]] += 1
    host = h.headers.get("Host")
    return {"id": b["id"], "type": "message_batch", "processing_status": "ended" if ended else "in_progress",
            "request_counts": counts, "ended_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) if ended else None,
            "created_at": b["created_at"], "expires_at": b["expires_at"], "cancel_initiated_at": None,
            "archived_at": None,
            "results_url": f"http://{host}/v1/messages/batches/{b['id']}/results" if ended else None}


def anthropic_batch_create(h, raw):
    api = Anthropic(h)
    try:
        api.authenticate()
        body = json.loads(raw)
        reqs = body.get("requests") if isinstance(body, dict) else None
        if not isinstance(reqs, list) or not reqs:
            raise BadRequest(400, "invalid_request_error", "requests: List should have at least 1 item")
        seen = set()
        for i, r in enumerate(reqs):
            cid = r.get("custom_id") if isinstance(r, dict) else None
            if not isinstance(cid, str) or not re.fullmatch(r"[a-zA-Z0-9_-]{1,64}", cid):
                raise BadRequest(400, "invalid_request_error",
                                 f"requests.{i}.custom_id: String should match pattern '^[a-zA-Z0-9_-]{{1,64}}$'")
            if cid in seen:
                raise BadRequest(400, "invalid_request_error", f"Duplicate custom_id: {cid}")
            seen.add(cid)
            if not isinstance(r.get("params"), dict):
                raise BadRequest(400, "invalid_request_error", f"requests.{i}.params: Field required")
    except ValueError:
        api.error(400, "invalid_request_error", "Request body is not valid JSON")
        return
    except BadRequest as e:
        api.error(e.status, e.kind, e.message)
        return
    results = []
    for r in reqs:
        try:
            params = api.validate(r["params"])
            msg, tin, tout = api.answer(params)
            bill(api.logical_key(params), tin, tout)
            results.append({"custom_id": r["custom_id"], "result": {"type": "succeeded", "message": msg}})
        except BadRequest as e:
            results.append({"custom_id": r["custom_id"], "result": {"type": "errored", "error": {
                "type": "error", "error": {"type": e.kind, "message": e.message}}}})
    now = time.time()
    b = {"id": "msgbatch_" + uuid.uuid4().hex[:24], "results": results, "ends_at": now + STATE.control["batch_delay_s"],
         "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
         "expires_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 86400))}
    with STATE.lock:
        STATE.batches[b["id"]] = b
        STATE.stats["batches_created"] += 1
    h.send_json(200, anthropic_batch_object(h, b), {"request-id": api.request_id})


def anthropic_batch_get(h):
    api = Anthropic(h)
    try:
        api.authenticate()
    except BadRequest as e:
        api.error(e.status, e.kind, e.message)
        return
    m = re.fullmatch(r"/v1/messages/batches/([A-Za-z0-9_]+)(/results)?", h.path)
    b = STATE.batches.get(m.group(1)) if m else None
    if not b:
        api.error(404, "not_found_error", "Not found")
        return
    if m.group(2):
        if not batch_ended(b):
            api.error(400, "invalid_request_error", f"Message Batch {b['id']} has not yet ended")
            return
        lines = list(b["results"])
        random.Random(b["id"]).shuffle(lines)  # order is not guaranteed
        h.send_bytes(200, "".join(json.dumps(x) + "\n" for x in lines).encode(), "application/binary")
        return
    with STATE.lock:
        STATE.stats["batch_status_checks"] += 1
    h.send_json(200, anthropic_batch_object(h, b))


def parse_multipart(ctype, raw):
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + ctype.encode() + b"\r\nMIME-Version: 1.0\r\n\r\n" + raw)
    fields = {}
    if not msg.is_multipart():
        return fields
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            fields[name] = part.get_payload(decode=True)
    return fields


def openai_file_upload(h, raw):
    api = OpenAI(h, False)
    try:
        api.authenticate()
        ctype = h.headers.get("Content-Type") or ""
        if not ctype.startswith("multipart/form-data"):
            raise BadRequest(415, "invalid_request_error", "Invalid Content-Type header: expected multipart/form-data")
        fields = parse_multipart(ctype, raw)
        if fields.get("purpose") != b"batch":
            raise BadRequest(400, "invalid_request_error", "'purpose' must be one of 'assistants', 'batch', ...")
        data = fields.get("file")
        if not data:
            raise BadRequest(400, "invalid_request_error", "'file' is a required property")
        lines = []
        for n, line in enumerate(data.decode().splitlines(), 1):
            if not line.strip():
                continue
            obj = json.loads(line)
            if not all(k in obj for k in ("custom_id", "method", "url", "body")) or obj["method"] != "POST":
                raise BadRequest(400, "invalid_request_error", f"line {n}: invalid batch request line")
            lines.append(obj)
    except ValueError:
        api.error(400, "invalid_request_error", "Invalid JSONL in file")
        return
    except BadRequest as e:
        api.error(e.status, e.kind, e.message)
        return
    fid = "file-" + uuid.uuid4().hex[:24]
    with STATE.lock:
        STATE.files[fid] = {"lines": lines, "content": None}
    h.send_json(200, {"id": fid, "object": "file", "bytes": len(data), "created_at": int(time.time()),
                      "filename": "batch.jsonl", "purpose": "batch"}, {"x-request-id": api.request_id})


def openai_batch_object(b):
    ended = batch_ended(b)
    return {"id": b["id"], "object": "batch", "endpoint": b["endpoint"], "errors": None,
            "input_file_id": b["input_file_id"], "completion_window": "24h",
            "status": "completed" if ended else "in_progress",
            "output_file_id": b["output_file_id"] if ended else None,
            "error_file_id": b["error_file_id"] if ended else None,
            "created_at": b["created_at"], "request_counts": {"total": b["total"],
                                                              "completed": b["completed"] if ended else 0,
                                                              "failed": b["failed"] if ended else 0}}


def openai_batch_create(h, raw):
    api = OpenAI(h, False)
    try:
        api.authenticate()
        body = json.loads(raw)
        fid = body.get("input_file_id")
        if fid not in STATE.files:
            raise BadRequest(404, "invalid_request_error", f"No such File object: {fid}")
        if body.get("completion_window") != "24h":
            raise BadRequest(400, "invalid_request_error", "completion_window must be '24h'")
        endpoint = body.get("endpoint")
        if endpoint not in ("/v1/chat/completions", "/v1/completions", "/v1/responses", "/v1/embeddings"):
            raise BadRequest(400, "invalid_request_error", f"Invalid endpoint: {endpoint}")
    except ValueError:
        api.error(400, "invalid_request_error", "invalid JSON")
        return
    except BadRequest as e:
        api.error(e.status, e.kind, e.message)
        return
    out, errs = [], []
    for line in STATE.files[fid]["lines"]:
        one = OpenAI(h, line["url"] == "/v1/completions")
        rid = "req_" + uuid.uuid4().hex
        try:
            if line["url"] != endpoint:
                raise BadRequest(400, "invalid_request_error", "The url of every line must match the batch endpoint")
            req = one.validate(dict(line["body"]))
            ans, tin, tout = one.answer(req)
            bill(one.logical_key(req), tin, tout)
            out.append({"id": "batch_req_" + uuid.uuid4().hex[:20], "custom_id": line["custom_id"],
                        "response": {"status_code": 200, "request_id": rid, "body": ans}, "error": None})
        except BadRequest as e:
            errs.append({"id": "batch_req_" + uuid.uuid4().hex[:20], "custom_id": line["custom_id"],
                         "response": {"status_code": e.status, "request_id": rid,
                                      "body": {"error": {"message": e.message, "type": "invalid_request_error",
                                                         "param": None, "code": e.kind}}}, "error": None})
    random.Random(fid).shuffle(out)
    now = time.time()
    b = {"id": "batch_" + uuid.uuid4().hex[:24], "endpoint": endpoint, "input_file_id": fid,
         "created_at": int(now), "ends_at": now + STATE.control["batch_delay_s"], "total": len(out) + len(errs),
         "completed": len(out), "failed": len(errs), "output_file_id": None, "error_file_id": None}
    with STATE.lock:
        if out:
            b["output_file_id"] = "file-" + uuid.uuid4().hex[:24]
            STATE.files[b["output_file_id"]] = {"lines": None, "content": "".join(json.dumps(x) + "\n" for x in out)}
        if errs:
            b["error_file_id"] = "file-" + uuid.uuid4().hex[:24]
            STATE.files[b["error_file_id"]] = {"lines": None, "content": "".join(json.dumps(x) + "\n" for x in errs)}
        STATE.batches[b["id"]] = b
        STATE.stats["batches_created"] += 1
    h.send_json(200, openai_batch_object(b), {"x-request-id": api.request_id})


def openai_batch_get(h):
    api = OpenAI(h, False)
    try:
        api.authenticate()
    except BadRequest as e:
        api.error(e.status, e.kind, e.message)
        return
    m = re.fullmatch(r"/v1/batches/([A-Za-z0-9_]+)", h.path)
    if m:
        b = STATE.batches.get(m.group(1))
        if not b:
            api.error(404, "invalid_request_error", f"No batch found with id '{m.group(1)}'.")
            return
        with STATE.lock:
            STATE.stats["batch_status_checks"] += 1
        h.send_json(200, openai_batch_object(b))
        return
    m = re.fullmatch(r"/v1/files/([A-Za-z0-9_-]+)/content", h.path)
    f = STATE.files.get(m.group(1)) if m else None
    if not f or f["content"] is None:
        api.error(404, "invalid_request_error", "No such File object")
        return
    h.send_bytes(200, f["content"].encode(), "application/octet-stream")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--anthropic-key", default="test-anthropic-key")
    ap.add_argument("--openai-key", default="test-openai-key")
    ap.add_argument("--gemini-key", default="test-gemini-key")
    args = ap.parse_args()
    global STATE
    STATE = State({"anthropic": args.anthropic_key, "openai": args.openai_key, "gemini": args.gemini_key})
    srv = Server(("127.0.0.1", args.port), Handler)
    print(f"PORT {srv.server_address[1]}", flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
