# HumanEval+ differential testing, run inside the sandbox.
#
# stdin: "EB <params_len> <record_len> <blob_len>\n" followed by three parts:
#   params  JSON {"nonce", "mode": "groundtruth"|"check", "which": "base"|"plus",
#                 "code", "entry_point", "time_limits", "task_budget"}
#   record  the HumanEval+ JSON record, verbatim (Python's own json parses it,
#           so big integers and float spellings survive exactly)
#   blob    check mode: zlib-compressed pickle of the expected outputs
#
# Ground-truth mode runs the canonical solution on base_input and plus_input,
# timing each call, and answers with the outputs (pickled, compressed) and the
# times.  Check mode runs a candidate on one input set against the expected
# outputs, stopping at the first failing input, and compares the way the
# HumanEval+ release does: ==, float lists with a tolerance, and the
# polynomial-root oracle for find_zero.
import copy
import io
import json
import math
import os
import pickle
import signal
import sys
import time
import traceback
import zlib


class _Deadline(Exception):
    pass


def _on_alarm(signum, frame):
    raise _Deadline("time limit exceeded")


class _Sink(io.StringIO):
    def read(self, *args, **kwargs):
        raise OSError("stdin is not readable here")

    def readline(self, *args, **kwargs):
        raise OSError("stdin is not readable here")

    def readlines(self, *args, **kwargs):
        raise OSError("stdin is not readable here")

    def readable(self, *args, **kwargs):
        return False


class _Swallowed:
    """Redirects the standard streams for the duration of a call."""

    def __enter__(self):
        self.saved = (sys.stdin, sys.stdout, sys.stderr)
        sink = _Sink()
        sys.stdin = sys.stdout = sys.stderr = sink
        return self

    def __exit__(self, *exc):
        sys.stdin, sys.stdout, sys.stderr = self.saved
        return False


def _brief(value, limit=300):
    try:
        text = repr(value)
    except BaseException:
        text = "<unrepresentable %s>" % type(value).__name__
    if len(text) > limit:
        text = text[: limit // 2] + "..." + text[-limit // 2 :]
    return text


def _last_line(exc):
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return text.splitlines()[-1][:400] if text else type(exc).__name__


def _is_floats(x):
    # A float, or a non-empty list/tuple of floats only.
    if isinstance(x, float):
        return True
    if isinstance(x, (list, tuple)) and x:
        return all(isinstance(i, float) for i in x)
    return False


def _flatten(x):
    """(shape, values) of a numeric scalar or rectangular nested list/tuple.
    Raises for anything numpy would not turn into a numeric array."""
    if isinstance(x, (list, tuple)):
        parts = [_flatten(e) for e in x]
        shapes = {p[0] for p in parts}
        if len(shapes) > 1:
            raise ValueError("ragged")
        inner = parts[0][0] if parts else ()
        return (len(x),) + inner, [v for p in parts for v in p[1]]
    if isinstance(x, (bool, int, float)):
        return (), [float(x)]
    raise TypeError("not numeric: %s" % type(x).__name__)


def _allclose(a, b, rtol, atol):
    # Element-wise |a - b| <= atol + rtol * |b|, NaN never close, infinities
    # close only to themselves; a scalar broadcasts against an array.
    sa, fa = _flatten(a)
    sb, fb = _flatten(b)
    if sa != sb:
        if sa == ():
            fa = fa * len(fb)
        elif sb == ():
            fb = fb * len(fa)
        else:
            return False
    for x, y in zip(fa, fb):
        if math.isnan(x) or math.isnan(y):
            return False
        if math.isinf(x) or math.isinf(y):
            if x != y:
                return False
            continue
        if abs(x - y) > atol + rtol * abs(y):
            return False
    return True


def _poly(xs, x):
    return sum([coeff * math.pow(x, i) for i, coeff in enumerate(xs)])


def _compare(entry_point, inp, out, exp, atol):
    """Returns (ok, why, atol); atol may be raised to 1e-6 once a float
    expected output is seen, and stays so for the following inputs."""
    exact = out == exp
    if entry_point == "find_zero":
        ok = abs(_poly(*inp, out)) <= atol
        return ok, ("" if ok else "|poly(x)| > %g at x=%s" % (atol, _brief(out))), atol
    if atol == 0 and _is_floats(exp):
        atol = 1e-6
    if not exact and atol != 0:
        if type(out) != type(exp):
            return False, "type %s, expected %s" % (type(out).__name__, type(exp).__name__), atol
        if isinstance(exp, (list, tuple)) and len(out) != len(exp):
            return False, "length %d, expected %d" % (len(out), len(exp)), atol
        try:
            ok = _allclose(out, exp, 1e-07, atol)
        except (TypeError, ValueError, OverflowError):
            ok = False
        return ok, ("" if ok else "not within atol %g" % atol), atol
    return bool(exact), "", atol


def _ground_truth(params, record, report_fd):
    env = {}
    with _Swallowed():
        exec(compile(record["prompt"] + record["canonical_solution"], "<canonical>", "exec"), env)
    fn = env[record["entry_point"]]
    header = {}
    blobs = []
    for which in ("base", "plus"):
        outputs, times = [], []
        for inp in record[which + "_input"]:
            args = copy.deepcopy(inp)
            with _Swallowed():
                start = time.time()
                outputs.append(fn(*args))
                times.append(time.time() - start)
        blob = zlib.compress(pickle.dumps(outputs, protocol=4), 1)
        blobs.append(blob)
        header[which + "_len"] = len(blob)
        header[which + "_times"] = times
    line = "\n" + params["nonce"] + " groundtruth " + json.dumps(header) + "\n"
    payload = line.encode() + blobs[0] + blobs[1]
    view = memoryview(payload)
    while view:
        n = os.write(report_fd, view)
        view = view[n:]


def _check(params, record, blob, report):
    which = params["which"]
    inputs = record[which + "_input"]
    entry_point = params["entry_point"]
    limits = params["time_limits"]
    atol = record["atol"]
    expected = pickle.loads(zlib.decompress(blob))
    if len(expected) != len(inputs) or len(limits) != len(inputs):
        report({"verdict": "internal_error", "done": 0, "total": len(inputs),
                "detail": "expected outputs do not match the inputs"})
        return
    # The whole input set shares one budget, as in the release's harness.
    deadline = time.time() + float(params["task_budget"])
    result = {"verdict": "passed"}
    done = 0
    env = {}
    try:
        with _Swallowed():
            exec(compile(params["code"], "<solution>", "exec"), env)
            fn = env[entry_point]
    except MemoryError as exc:
        result = {"verdict": "memory_limit", "index": -1, "detail": _last_line(exc)}
        fn = None
    except BaseException as exc:
        result = {"verdict": "runtime_error", "index": -1, "detail": _last_line(exc)}
        fn = None
    if fn is not None:
        for i, inp in enumerate(inputs):
            remaining = deadline - time.time()
            if remaining <= 0:
                result = {"verdict": "timeout", "index": i, "detail": "input set exceeded its total budget"}
                break
            try:
                signal.setitimer(signal.ITIMER_REAL, min(float(limits[i]), remaining))
                try:
                    with _Swallowed():
                        out = fn(*inp)
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
            except _Deadline:
                result = {"verdict": "timeout", "index": i,
                          "detail": "input %d exceeded %.3gs" % (i, min(float(limits[i]), remaining))}
                break
            except MemoryError as exc:
                result = {"verdict": "memory_limit", "index": i, "detail": _last_line(exc)}
                break
            except BaseException as exc:
                result = {"verdict": "runtime_error", "index": i,
                          "detail": "input %s: %s" % (_brief(inp, 200), _last_line(exc))}
                break
            try:
                ok, why, atol = _compare(entry_point, inp, out, expected[i], atol)
            except BaseException as exc:
                ok, why = False, "comparison raised " + _last_line(exc)
            if not ok:
                result = {"verdict": "failed", "index": i,
                          "detail": "input %s: got %s, expected %s%s" % (
                              _brief(inp, 200), _brief(out), _brief(expected[i]),
                              (" (" + why + ")") if why else "")}
                break
            done += 1
    result["done"] = done
    result["total"] = len(inputs)
    report(result)


def _main():
    data = sys.stdin.buffer.read()
    head, _, rest = data.partition(b"\n")
    tag, plen, rlen, blen = head.split()
    if tag != b"EB":
        raise SystemExit("bad framing")
    plen, rlen, blen = int(plen), int(rlen), int(blen)
    params = json.loads(rest[:plen])
    record = json.loads(rest[plen : plen + rlen])
    blob = rest[plen + rlen : plen + rlen + blen]
    del data, rest
    nonce = params["nonce"]
    report_fd = os.dup(1)

    def report(obj):
        os.write(report_fd, ("\n" + nonce + " result " + json.dumps(obj) + "\n").encode())

    signal.signal(signal.SIGALRM, _on_alarm)
    if params["mode"] == "groundtruth":
        try:
            _ground_truth(params, record, report_fd)
        except BaseException as exc:
            report({"verdict": "internal_error", "detail": "canonical solution: " + _last_line(exc)})
    else:
        _check(params, record, blob, report)
    os._exit(0)


_main()
