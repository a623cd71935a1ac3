# Names the LiveCodeBench grader makes available to every solution before it
# runs: star imports of common standard modules, the modules themselves, and
# a deep recursion limit.  Solutions that rely on them (a bare `deque`,
# `List[int]` in a signature) work here exactly as they do there.
LCB_PRELUDE = "\n".join(
    ["from %s import *" % m for m in (
        "string", "re", "datetime", "collections", "heapq", "bisect", "copy",
        "math", "random", "statistics", "itertools", "functools", "operator",
        "io", "sys", "json", "builtins", "typing")]
    + ["import %s" % m for m in (
        "string", "re", "datetime", "collections", "heapq", "bisect", "copy",
        "math", "random", "statistics", "itertools", "functools", "operator",
        "io", "sys", "json")]
    + ["sys.setrecursionlimit(50000)", ""])
