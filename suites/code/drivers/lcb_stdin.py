# LiveCodeBench standard-input test, run inside the sandbox (appended to
# lcb_prelude.py; the scorer appends the call to _eb_stdin_main).
#
# The solution is rewritten as the LiveCodeBench grader rewrites it: a
# trailing `if __name__ == '__main__':` block is unwrapped, imports are
# hoisted, everything else becomes the body of wrapped_function(), and the
# prelude's names are available.  It then runs against the process's real
# stdin and stdout (the test input is piped in; the output is captured by the
# sandbox).  SystemExit from the solution counts as a normal end, as there.
# Status goes to a private copy of fd 2 as "<nonce> <word> <detail>".
import ast as _eb_ast
import base64 as _eb_base64
import os as _eb_os
import signal as _eb_signal
import sys
import traceback as _eb_traceback
import types as _eb_types


class _EbDeadline(Exception):
    pass


def _eb_on_alarm(signum, frame):
    raise _EbDeadline("time limit exceeded")


def _eb_unwrap_main_guard(src):
    try:
        tree = _eb_ast.parse(src)
        last = tree.body[-1]
        if isinstance(last, _eb_ast.If) and _eb_ast.unparse(last.test).strip() == "__name__ == '__main__'":
            return _eb_ast.unparse(tree.body[:-1]) + "\n" + _eb_ast.unparse(last.body)
    except Exception:
        pass
    return src


def _eb_wrap_in_function(src):
    try:
        tree = _eb_ast.parse(src)
        imports = [s for s in tree.body if isinstance(s, (_eb_ast.Import, _eb_ast.ImportFrom))]
        others = [s for s in tree.body if not isinstance(s, (_eb_ast.Import, _eb_ast.ImportFrom))]
        func = _eb_ast.FunctionDef(
            name="wrapped_function",
            args=_eb_ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]),
            body=others, decorator_list=[], lineno=-1)
        return LCB_PRELUDE + "\n" + _eb_ast.unparse(imports) + "\n" + _eb_ast.unparse(func)
    except Exception:
        return src


def _eb_last_line(exc):
    text = "".join(_eb_traceback.format_exception_only(type(exc), exc)).strip()
    return text.splitlines()[-1][:400] if text else type(exc).__name__


def _eb_stdin_main(nonce, timeout, code_b64):
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(50000)
    report_fd = _eb_os.dup(2)

    def report(word, detail=""):
        line = "\n%s %s %s\n" % (nonce, word, detail.replace("\n", " "))
        _eb_os.write(report_fd, line.encode("utf-8", "replace"))

    def flush():
        for stream in (sys.stdout, sys.__stdout__):
            try:
                stream.flush()
            except BaseException:
                pass

    code = _eb_base64.b64decode(code_b64).decode("utf-8", "replace")
    code = _eb_wrap_in_function(_eb_unwrap_main_guard(code))
    _eb_signal.signal(_eb_signal.SIGALRM, _eb_on_alarm)
    word, detail = "done", ""
    try:
        module = _eb_types.ModuleType("tmp_sol", "")
        _eb_signal.setitimer(_eb_signal.ITIMER_REAL, timeout)
        try:
            exec(compile(code, "<solution>", "exec"), module.__dict__)
            # The grader instantiates Solution whenever the text mentions
            # "class Solution"; a stdin solution that does fails there too.
            target = module.Solution() if "class Solution" in code else module
            func = getattr(target, "wrapped_function")
        finally:
            _eb_signal.setitimer(_eb_signal.ITIMER_REAL, 0)
        _eb_signal.setitimer(_eb_signal.ITIMER_REAL, timeout)
        try:
            try:
                func()
            except SystemExit:
                pass
        finally:
            _eb_signal.setitimer(_eb_signal.ITIMER_REAL, 0)
    except _EbDeadline:
        word, detail = "timeout", "exceeded %gs" % timeout
    except MemoryError as exc:
        word, detail = "memory_limit", _eb_last_line(exc)
    except BaseException as exc:
        word, detail = "runtime_error", _eb_last_line(exc)
    flush()
    report(word, detail)
    _eb_os._exit(0)
