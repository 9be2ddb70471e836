"""numpy's single calls on the kernel suite's data (benches/tables/suite.rs): run by that table as
a child process, before it maps its own copy. Prints one line a call, tab-separated:

    name  median_ns  min_ns  max_ns  result

The data is the suite's `f64_value(i) = (i * 2654435761 mod 2001) * 1e-3 - 1` for i < n (the
same two roundings as the Rust expression), built in pieces to bound the memory.
Usage: python3 numpy_suite.py N REPS
"""

import statistics
import sys
import time

import numpy as np


def data(n):
    x = np.empty(n, dtype=np.float64)
    step = 1 << 24
    for lo in range(0, n, step):
        i = np.arange(lo, min(lo + step, n), dtype=np.uint64)
        x[lo : lo + i.size] = ((i * np.uint64(2654435761)) % np.uint64(2001)).astype(np.float64)
    x *= 1e-3
    x -= 1.0
    return x


def timed(reps, f):
    ns, out = [], None
    for _ in range(reps):
        t = time.perf_counter_ns()
        out = f()
        ns.append(time.perf_counter_ns() - t)
    return statistics.median(ns), min(ns), max(ns), out


def main():
    n, reps = int(sys.argv[1]), int(sys.argv[2])
    x = data(n)
    half = n // 2
    calls = [
        ("np.var", lambda: repr(float(np.var(x)))),
        ("np.argmax", lambda: str(int(np.argmax(x)))),
        ("np.histogram", lambda: ",".join(map(str, np.histogram(x, 100, (-1.0, 1.0))[0]))),
        ("np.quantile", lambda: ",".join(repr(float(q)) for q in np.quantile(x, [0.25, 0.5, 0.75]))),
        ("np.dot", lambda: repr(float(np.dot(x[:half], x[half:])))),
    ]
    try:
        import pandas as pd

        s = pd.Series(x, copy=False)
        calls.append(
            ("pandas describe", lambda: ",".join(repr(float(v)) for v in s.describe()[["25%", "50%", "75%"]]))
        )
    except ImportError:
        print("pandas describe\t-\t-\t-\tpandas is not installed")
    for name, f in calls:
        med, lo, hi, out = timed(reps, f)
        print(f"{name}\t{med}\t{lo}\t{hi}\t{out}", flush=True)
    print(f"numpy\t-\t-\t-\t{np.__version__}", flush=True)


main()
