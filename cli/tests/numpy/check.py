"""`shmkern describe` and `shmkern quantile` against numpy on real files.

Usage: python3 check.py SHMKERN_BINARY WORK_DIR. Writes .npy files with numpy, runs the command on
each with --json, and compares field by field with numpy (and, where numpy is not exact, with an
exact value from `fractions`): histogram edges and counts as np.histogram's (its own range and a given one;
values outside and NaNs, which numpy drops, counted apart); `reduce minmax` positions as
np.nanargmin/nanargmax (and, with --nan propagate, np.argmin/argmax), `reduce norms` and `reduce dot` within 1e-13 of numpy's; quantiles bit for bit with np.nanquantile (f64 data; f32 and integer
data as numpy's quantile of their float64 widening, since shmkern interpolates in f64); count, NaN
count, min and max exactly; mean and std (ddof 1) within 1e-12 relative of numpy's, and never
further from the exact value than numpy's by more than 4·u·mean(|x|) (the mean: its natural error
scale, as values that cancel make ulps of the mean meaningless) or 4 ulps (the std); skewness and
excess kurtosis within 1e-9 of exact population moments (integer power sums about a float near
the mean, with Python's big integers). Prints one line per file; exits 1 on a difference.
"""

import json
import math
import subprocess
import sys
from fractions import Fraction

import numpy as np

BIN, WORK = sys.argv[1], sys.argv[2]
rng = np.random.default_rng(0x5EED)
failures = []


def run(*args):
    out = subprocess.run([BIN, *args, "--json", "--quiet"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def num(v):
    return {"NaN": math.nan, "inf": math.inf, "-inf": -math.inf}.get(v, v) if isinstance(v, str) else v


def check(name, cond, detail):
    if not cond:
        failures.append(f"{name}: {detail}")


def exact_moments(x):
    """The exact mean and central moment sums M2, M3, M4 of the float64 values `x` (no NaN), as
    Fractions: power sums of the integers D = (x − c)·2^s about c = x[0], then the binomial
    expansions about the exact mean."""
    c = Fraction(x[0].item())
    d = [Fraction(v) - c for v in x.tolist()]
    scale = max(f.denominator for f in d)  # a power of two: every D is an integer
    ints = [f.numerator * (scale // f.denominator) for f in d]
    n = len(ints)
    s1, s2, s3, s4 = (sum(v ** k for v in ints) for k in (1, 2, 3, 4))
    e = Fraction(s1, n)
    m2 = s2 - s1 * e
    m3 = s3 - 3 * e * s2 + 2 * n * e ** 3
    m4 = s4 - 4 * e * s3 + 6 * e ** 2 * s2 - 3 * n * e ** 4
    return c + e / scale, m2 / scale ** 2, m3 / scale ** 3, m4 / scale ** 4


def ulp(x):
    return math.ulp(x) if x != 0 else math.ulp(0.0)


def compare(name, data):
    path = f"{WORK}/{name}.npy"
    np.save(path, data)
    d = run("describe", path)
    wide = data.astype(np.float64)
    clean = wide[~np.isnan(wide)]
    n = len(clean)
    check(name, d["count"] == n and d["nan_count"] == len(wide) - n, f"counts {d['count']}, {d['nan_count']}")
    if n == 0:
        return
    # min / max in the data's own type
    want_min = data[~np.isnan(wide)].min().item()
    want_max = data[~np.isnan(wide)].max().item()
    check(name, num(d["min"]) == want_min and num(d["max"]) == want_max, f"min/max {d['min']} {d['max']}")
    # quartiles: bit for bit with numpy on the f64 widening
    q = np.nanquantile(wide, [0.25, 0.5, 0.75])
    got = [num(d["q25"]), num(d["q50"]), num(d["q75"])]
    check(name, got == q.tolist(), f"quartiles {got} vs numpy {q.tolist()}")
    qs = [0.0, 0.001, 0.1, 0.5, 0.9, 0.999, 1.0]
    qd = run("quantile", path, *map(str, qs))["quantiles"]
    got = [num(qd[str(v)]) for v in qs]
    want = np.nanquantile(wide, qs).tolist()
    check(name, got == want, f"quantiles {got} vs numpy {want}")
    for extra, kw in [([], {}), (["--range", "-1.5", "2"], {"range": (-1.5, 2.0)})]:
        h = run("hist", path, "--bins", "17", *extra)
        counts, edges = np.histogram(clean, bins=17, **kw)
        check(name, [num(e) for e in h["edges"]] == edges.tolist(), f"hist edges {h['edges']} vs numpy {edges.tolist()}")
        check(name, h["counts"] == counts.tolist(), f"hist counts {h['counts']} vs numpy {counts.tolist()}")
        lo, hi = edges[0], edges[-1]
        outside = (int((clean < lo).sum()), int((clean > hi).sum()))
        check(name, (h["below"], h["above"], h["nan_count"]) == (*outside, len(wide) - n), f"hist outside {h}")
    # reduce minmax: numpy's nanargmin / nanargmax (first occurrence, NaN skipped)
    mm = run("reduce", "minmax", path)
    check(name, (mm["argmin"], mm["argmax"]) == (int(np.nanargmin(wide)), int(np.nanargmax(wide))),
          f"argmin/argmax {mm['argmin']}, {mm['argmax']}")
    mm = run("reduce", "minmax", path, "--nan", "propagate")
    check(name, (mm["argmin"], mm["argmax"]) == (int(np.argmin(wide)), int(np.argmax(wide))),
          f"argmin/argmax (NaN propagating) {mm['argmin']}, {mm['argmax']}")
    if n == len(wide):
        nr = run("reduce", "norms", path)
        l2 = float(np.linalg.norm(wide))
        check(name, abs(num(nr["l2"]) - l2) <= 1e-13 * l2, f"l2 {nr['l2']} vs numpy {l2}")
        check(name, num(nr["linf"]) == float(np.max(np.abs(wide))), f"linf {nr['linf']}")
        if data.dtype.kind == "f":
            dt = run("reduce", "dot", path, path, "--compensated")
            want = float(np.dot(wide, wide))
            check(name, abs(num(dt["dot"]) - want) <= 1e-13 * abs(want), f"dot {dt['dot']} vs numpy {want}")
            if n <= 20000:
                # The exact dot product, rounded once: Fraction arithmetic, then one rounding.
                de = run("reduce", "dot", path, path, "--exact")
                exact = float(sum(Fraction(float(v)) * Fraction(float(v)) for v in wide))
                check(name, num(de["dot"]) == exact, f"exact dot {de['dot']} vs fractions {exact!r}")
    if n < 2:
        return
    mean, std = num(d["mean"]), num(d["std"])
    np_mean, np_std = float(np.mean(clean)), float(np.std(clean, ddof=1))
    check(name, abs(mean - np_mean) <= 1e-12 * abs(np_mean) + 1e-300, f"mean {mean} vs numpy {np_mean}")
    check(name, abs(std - np_std) <= 1e-12 * np_std, f"std {std} vs numpy {np_std}")
    if n > 300_000:
        print(f"{name}: {n} values, describe and quantiles agree with numpy (no exact check)")
        return
    em, m2, m3, m4 = exact_moments(clean)
    estd = math.sqrt(m2 / (n - 1))  # the exact variance's square root, rounded twice at most
    scale = float(np.mean(np.abs(clean))) * 2.0 ** -53
    for what, ours, theirs, exact, tol in [
        ("mean", mean, np_mean, float(em), 4 * scale),
        ("std", std, np_std, estd, 4 * ulp(estd)),
    ]:
        ours_err, theirs_err = abs(ours - exact), abs(theirs - exact)
        check(name, ours_err <= theirs_err + tol,
              f"{what}: ours {ours} (error {ours_err:.3g}), numpy {theirs} (error {theirs_err:.3g})")
    if m2 > 0:
        skew = float(m3 / n) / float(m2 / n) ** 1.5
        kurt = float(m4 / n / (m2 / n) ** 2) - 3
        check(name, abs(num(d["skewness"]) - skew) <= 1e-9 * (1 + abs(skew)), f"skewness {d['skewness']} vs {skew}")
        check(name, abs(num(d["kurtosis"]) - kurt) <= 1e-9 * (1 + abs(kurt)), f"kurtosis {d['kurtosis']} vs {kurt}")
    print(f"{name}: {n} values, describe and quantiles agree with numpy")


normal = rng.standard_normal(1_000_003)
with_nans = normal.copy()
with_nans[rng.integers(0, len(normal), 5000)] = np.nan
compare("normal", normal)
compare("with_nans", with_nans)
compare("shifted", 1e9 + rng.standard_normal(200_000))
compare("exponential", rng.exponential(2.0, 300_000))
compare("f32", rng.standard_normal(250_000).astype(np.float32))
compare("i64", rng.integers(-(2**62), 2**62, 100_000, dtype=np.int64))
compare("u8", rng.integers(0, 256, 500_000, dtype=np.uint8))
compare("few_values", rng.integers(0, 5, 70_000).astype(np.float64))
compare("wide_range", rng.standard_normal(20_000) * 10.0 ** rng.integers(-30, 30, 20_000))
compare("one", np.array([3.25]))
compare("all_nan", np.array([np.nan, np.nan]))

if failures:
    print("\n".join(failures))
    sys.exit(1)
