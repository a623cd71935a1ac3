# LiveCodeBench functional (LeetCode-style) tests, run inside the sandbox
# (appended to lcb_prelude.py).
#
# stdin: JSON {"nonce", "timeout", "func_name", "code", "tests": [{"input",
# "output"}]}.  As in the LiveCodeBench grader, the prelude is prepended, the
# code is exec'd as module "tmp_sol", Solution() is instantiated once when the
# text mentions "class Solution", and each test calls the method with one
# positional argument per JSON line of its input; a tuple result counts as a
# list and the verdict is `result == expected` (no tolerance).  A separate
# float-tolerant verdict is reported beside it.  Tests run in order in one
# process; the run stops at the first test that fails both ways.
import io as _eb_io
import json as _eb_json
import math as _eb_math
import os as _eb_os
import signal as _eb_signal
import sys
import time as _eb_time
import traceback as _eb_traceback
import types as _eb_types


class _EbDeadline(Exception):
    pass


def _eb_on_alarm(signum, frame):
    raise _EbDeadline("time limit exceeded")


class _EbDiscard(_eb_io.TextIOBase):
    """Where the solution's prints go: dropped, so they cost no memory."""

    def writable(self):
        return True

    def write(self, s):
        return len(s)


def _eb_last_line(exc):
    text = "".join(_eb_traceback.format_exception_only(type(exc), exc)).strip()
    return text.splitlines()[-1][:400] if text else type(exc).__name__


def _eb_brief(value, limit=300):
    try:
        text = repr(value)
    except BaseException:
        text = "<unrepresentable>"
    if len(text) > limit:
        text = text[: limit // 2] + "..." + text[-limit // 2 :]
    return text


def _eb_close(a, b):
    # Float-tolerant equality: numbers within 1e-6 (absolute or relative),
    # containers element-wise, everything else by ==.
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        try:
            return _eb_math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)
        except OverflowError:
            return a == b
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_eb_close(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_eb_close(a[k], b[k]) for k in a)
    return a == b


def _eb_functional_main():
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(50000)
    params = _eb_json.loads(sys.stdin.buffer.read())
    nonce = params["nonce"]
    timeout = float(params["timeout"])
    report_fd = _eb_os.dup(1)

    def report(obj):
        _eb_os.write(report_fd, ("\n" + nonce + " " + _eb_json.dumps(obj) + "\n").encode())

    _eb_signal.signal(_eb_signal.SIGALRM, _eb_on_alarm)
    saved = (sys.stdin, sys.stdout, sys.stderr)
    sink = _EbDiscard()
    code = LCB_PRELUDE + "\n\n" + params["code"]
    try:
        sys.stdout = sys.stderr = sink
        module = _eb_types.ModuleType("tmp_sol", "")
        _eb_signal.setitimer(_eb_signal.ITIMER_REAL, timeout)
        try:
            exec(compile(code, "<solution>", "exec"), module.__dict__)
            target = module.Solution() if "class Solution" in code else module
        finally:
            _eb_signal.setitimer(_eb_signal.ITIMER_REAL, 0)
        method = getattr(target, params["func_name"], None)
        if method is None:
            raise AttributeError("no method %r" % params["func_name"])
    except BaseException as exc:
        sys.stdin, sys.stdout, sys.stderr = saved
        word = "timeout" if isinstance(exc, _EbDeadline) else \
            "memory_limit" if isinstance(exc, MemoryError) else "runtime_error"
        report({"setup": word, "detail": _eb_last_line(exc)})
        _eb_os._exit(0)

    for i, test in enumerate(params["tests"]):
        try:
            args = [_eb_json.loads(line) for line in test["input"].split("\n")]
            expected = _eb_json.loads(test["output"])
        except BaseException as exc:
            report({"i": i, "verdict": "internal_error", "detail": "test data: " + _eb_last_line(exc)})
            break
        wall0, cpu0 = _eb_time.perf_counter(), _eb_time.process_time()
        try:
            _eb_signal.setitimer(_eb_signal.ITIMER_REAL, timeout)
            try:
                got = method(*args)
            finally:
                _eb_signal.setitimer(_eb_signal.ITIMER_REAL, 0)
            wall_ms = (_eb_time.perf_counter() - wall0) * 1e3
            cpu_ms = (_eb_time.process_time() - cpu0) * 1e3
            if isinstance(got, tuple):
                got = list(got)
            exact = bool(got == expected)
        except BaseException as exc:
            wall_ms = (_eb_time.perf_counter() - wall0) * 1e3
            cpu_ms = (_eb_time.process_time() - cpu0) * 1e3
            word = "timeout" if isinstance(exc, _EbDeadline) else \
                "memory_limit" if isinstance(exc, MemoryError) else "runtime_error"
            report({"i": i, "verdict": word, "tolerant": False, "wall_ms": wall_ms,
                    "cpu_ms": cpu_ms, "detail": _eb_last_line(exc)})
            break
        try:
            tolerant = exact or _eb_close(got, expected)
        except BaseException:
            tolerant = False
        entry = {"i": i, "verdict": "passed" if exact else "failed", "tolerant": tolerant,
                 "wall_ms": wall_ms, "cpu_ms": cpu_ms}
        if not exact:
            entry["detail"] = "got %s, expected %s" % (_eb_brief(got), _eb_brief(expected))
        report(entry)
        if not tolerant:
            break
    report({"end": True})
    _eb_os._exit(0)


_eb_functional_main()
