"""The Python table of docs/performance.md: shmkern's calls against numpy doing the same, at
1,000 elements, 1 Mi and 1 GiB of float64, and Dask with and without shmkern on one cluster.

    python3 python/benches/table.py           # after pip install ./python; about 2 minutes, 3 GiB

Each time is the median of several runs (more for small inputs) in this one process; compare the
ratios, measured side by side, rather than the absolute times.
"""

import datetime
import os
import platform
import statistics
import subprocess
import time

import numpy as np

import shmkern


def median_time(f, repeat):
    f()  # warm: pool started, pages touched
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def numpy_stats(a):
    return a.sum(), a.min(), a.max(), a.mean(), a.var(ddof=1)


def fmt(seconds):
    return f"{seconds * 1e6:,.1f} µs" if seconds < 1e-3 else f"{seconds * 1e3:,.1f} ms"


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    print(f"machine: {cpu_name()}, {os.cpu_count()} cores; commit {commit}; "
          f"{datetime.date.today()}; numpy {np.__version__}, Python {platform.python_version()}")
    print()
    print("| elements | call | shmkern | numpy | numpy ÷ shmkern |")
    print("|---:|---|---:|---:|---:|")
    rng = np.random.default_rng(1)
    for n, label, repeat in [(1000, "1,000", 2001), (1 << 20, "1 Mi", 101), (1 << 27, "1 GiB", 5)]:
        a = rng.normal(size=n)
        rows = [
            ("sum", lambda: shmkern.sum(a), lambda: np.sum(a)),
            ("stats (5 numpy calls)", lambda: shmkern.stats(a, ddof=1), lambda: numpy_stats(a)),
            ("exact sum (vs np.sum)", lambda: shmkern.sum(a, accuracy="exact"),
             lambda: np.sum(a)),
        ]
        for name, ours, theirs in rows:
            s, t = median_time(ours, repeat), median_time(theirs, repeat)
            print(f"| {label} | {name} | {fmt(s)} | {fmt(t)} | ×{t / s:.2f} |")
        del a
    dask_table()


def dask_table():
    try:
        import dask.array as da
        import distributed
    except ImportError:
        print("\n(dask or distributed not installed: no Dask table)")
        return
    import shmkern.dask

    print()
    print("| Dask, 1 GiB float64 in 16 chunks, 2 worker processes | time | result bits |")
    print("|---|---:|---|")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster):
        x = da.random.default_rng(5).normal(1e6, 1.0, size=1 << 27, chunks=1 << 23).persist()
        distributed.wait(x)
        rows = [
            ("`x.sum()` (Dask)", lambda se: x.sum(split_every=se)),
            ("`shmkern.dask.sum(x)` (exact)", lambda se: shmkern.dask.sum(x, split_every=se)),
            ("`x.var(ddof=1)` (Dask)", lambda se: x.var(ddof=1, split_every=se)),
            ("`shmkern.dask.stats(x, ddof=1)` (exact)",
             lambda se: shmkern.dask.stats(x, ddof=1, split_every=se)),
        ]
        for name, make in rows:
            t = median_time(lambda: make(None).compute(), 5)
            values = set()
            for se in (2, 3, 4, 8, 16):
                v = make(se).compute()
                values.add(repr(v.variance if hasattr(v, "variance") else float(v)))
            bits = "the same for split_every 2–16" if len(values) == 1 else \
                f"{len(values)} different values for split_every 2–16"
            print(f"| {name} | {fmt(t)} | {bits} |")


if __name__ == "__main__":
    main()
