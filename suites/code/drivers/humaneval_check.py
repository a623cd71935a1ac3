# HumanEval base check, run inside the sandbox.
#
# stdin: one line of JSON parameters ({"nonce", "timeout"}), then the program
# text (solution + test + check call).  The program is exec'd in a fresh
# namespace with the standard streams swallowed and one wall-clock timer
# around the whole program, which is how the reference harness runs it.  The
# verdict is written as one line "<nonce> <json>" to a private copy of fd 1,
# so nothing the program prints can be mistaken for it.
import io
import json
import os
import signal
import sys
import traceback


class _Deadline(Exception):
    """Raised by the timer; an Exception subclass like the reference's."""


def _on_alarm(signum, frame):
    raise _Deadline("timed out")


class _Sink(io.StringIO):
    """Accepts writes, refuses reads (the program gets no stdin)."""

    def read(self, *args, **kwargs):
        raise OSError("stdin is not readable here")

    def readline(self, *args, **kwargs):
        raise OSError("stdin is not readable here")

    def readlines(self, *args, **kwargs):
        raise OSError("stdin is not readable here")

    def readable(self, *args, **kwargs):
        return False


def _last_line(exc):
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    return text.splitlines()[-1][:400] if text else type(exc).__name__


def _main():
    raw = sys.stdin.buffer.read()
    head, _, program = raw.partition(b"\n")
    params = json.loads(head)
    nonce = params["nonce"]
    report_fd = os.dup(1)

    def report(obj):
        os.write(report_fd, ("\n" + nonce + " " + json.dumps(obj) + "\n").encode())

    source = program.decode("utf-8", "replace")
    signal.signal(signal.SIGALRM, _on_alarm)
    saved = (sys.stdin, sys.stdout, sys.stderr)
    sink = _Sink()
    result = {"verdict": "passed"}
    try:
        sys.stdin = sys.stdout = sys.stderr = sink
        signal.setitimer(signal.ITIMER_REAL, float(params["timeout"]))
        try:
            exec(compile(source, "<program>", "exec"), {})
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    except _Deadline:
        result = {"verdict": "timeout", "detail": "timed out after %gs" % params["timeout"]}
    except AssertionError as exc:
        result = {"verdict": "failed", "detail": _last_line(exc)}
    except MemoryError as exc:
        result = {"verdict": "memory_limit", "detail": _last_line(exc)}
    except BaseException as exc:
        result = {"verdict": "runtime_error", "detail": _last_line(exc)}
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
    report(result)
    # Skip interpreter shutdown: threads or atexit hooks left by the program
    # must not turn a finished check into a timeout.
    os._exit(0)


_main()
