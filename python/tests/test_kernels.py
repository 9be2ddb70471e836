"""Every kernel against numpy (or an exact value), the same bits on 1..4 threads, every dtype."""

import math
from fractions import Fraction

import numpy as np
import pytest

import shmkern
from conftest import same_bits

THREADS = [1, 2, 3, 4]
FLOATS = [np.float64, np.float32]
INTS = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]


def data(rng, dtype, n=200_003):
    if np.issubdtype(dtype, np.floating):
        a = rng.normal(1e3, 10.0, size=n).astype(dtype)
        a[::997] = np.nan
        return a
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=n, dtype=dtype, endpoint=True)


@pytest.mark.parametrize("dtype", FLOATS + INTS)
def test_same_bits_for_every_thread_count(rng, dtype):
    a = data(rng, dtype)
    kernels = [
        lambda t: shmkern.sum(a, threads=t),
        lambda t: shmkern.stats(a, threads=t),
        lambda t: shmkern.minmax(a, nan="propagate", threads=t),
        lambda t: shmkern.moments(a, threads=t),
        lambda t: shmkern.norms(a, threads=t),
        lambda t: shmkern.histogram(a, 17, threads=t),
        lambda t: shmkern.quantiles(a, [0, 0.1, 0.5, 0.99, 1], threads=t),
    ]
    if np.issubdtype(dtype, np.floating):
        kernels += [
            lambda t: shmkern.sum(a, accuracy="compensated", threads=t),
            lambda t: shmkern.sum(a, accuracy="exact", threads=t),
            lambda t: shmkern.exact_moments(a, threads=t),
            lambda t: shmkern.dot(a, a[::-1].copy(), threads=t),
        ]
    for k in kernels:
        first = k(1)
        for t in THREADS[1:]:
            got = k(t)
            assert repr(got) == repr(first), (t, got, first)
    assert shmkern.stats(a) == shmkern.stats(a, threads=1)


@pytest.mark.parametrize("dtype", INTS)
def test_integer_sums_are_exact(rng, dtype):
    a = data(rng, dtype)
    assert shmkern.sum(a) == sum(int(v) for v in a)
    s = shmkern.stats(a)
    assert s.sum == sum(int(v) for v in a)
    assert (s.min, s.max) == (int(a.min()), int(a.max()))


@pytest.mark.parametrize("dtype", FLOATS)
def test_against_numpy(rng, dtype):
    a = data(rng, dtype)
    clean = a[~np.isnan(a)].astype(np.float64)
    exact = math.fsum(clean)
    # A sum propagates NaN, as numpy's; over the rest the exact sum is math.fsum's value, the fast
    # and compensated ones within their bounds.
    assert math.isnan(shmkern.sum(a)) and math.isnan(shmkern.sum(a, accuracy="exact"))
    c = a[~np.isnan(a)]
    assert shmkern.sum(c, accuracy="exact") == exact
    assert abs(shmkern.sum(c, accuracy="compensated") - exact) <= 4 * np.finfo(float).eps * abs(exact)
    assert abs(shmkern.sum(c) - exact) <= 1e-11 * np.abs(clean).sum()
    s = shmkern.stats(a, ddof=1)
    assert s.count == clean.size and s.nan_count == np.isnan(a).sum()  # count: non-NaN values
    assert s.min == np.nanmin(a) and s.max == np.nanmax(a)
    assert s.mean == pytest.approx(np.nanmean(clean), rel=1e-13)
    assert s.variance == pytest.approx(np.nanvar(clean, ddof=1), rel=1e-10)
    e = shmkern.minmax(a, nan="skip")
    assert (e.argmin, e.argmax) == (np.nanargmin(a), np.nanargmax(a))
    p = shmkern.minmax(a, nan="propagate")
    assert p.argmax == np.argmax(a) and math.isnan(p.max)
    m = shmkern.moments(clean)
    assert m.variance == pytest.approx(clean.var(), rel=1e-12)
    d = clean - clean.mean()
    assert m.skewness == pytest.approx((d**3).mean() / (d**2).mean() ** 1.5, rel=1e-6, abs=1e-9)
    n = shmkern.norms(clean)
    assert n.l1 == pytest.approx(np.abs(clean).sum(), rel=1e-13)
    assert n.l2 == pytest.approx(np.linalg.norm(clean), rel=1e-13)
    assert n.linf == np.abs(clean).max()
    qs = [0, 0.01, 0.25, 0.5, 0.75, 0.999, 1]
    assert shmkern.quantiles(a, qs) == list(np.nanquantile(a.astype(np.float64), qs))
    h = shmkern.histogram(clean, 13)
    counts, edges = np.histogram(clean, 13)
    assert h.counts == list(counts) and h.edges == list(edges)
    h = shmkern.histogram(a, 7, range=(990.0, 1010.0))
    counts, edges = np.histogram(a[~np.isnan(a)], 7, range=(990.0, 1010.0))
    assert h.counts == list(counts) and h.edges == list(edges)
    assert h.nan_count == np.isnan(a).sum()
    assert h.below == (clean < 990).sum() and h.above == (clean > 1010).sum()


def test_exact_moments_are_rounded_once(rng):
    a = rng.normal(1e9, 1.0, size=100_001)  # shifted data: the hard case for a variance
    fr = [Fraction(float(v)) for v in a]
    n = len(fr)
    mean = sum(fr) / n
    var = sum((v - mean) ** 2 for v in fr) / (n - 1)
    p = shmkern.exact_moments(a, ddof=1)
    assert p.sum == float(sum(fr)) and p.mean == float(mean) and p.variance == float(var)
    assert shmkern.stats(a, ddof=1).variance == pytest.approx(float(var), rel=1e-9)


def test_dot_and_covariance(rng):
    a, b = rng.normal(size=100_000), rng.normal(size=100_000)
    exact = float(sum(Fraction(float(x)) * Fraction(float(y)) for x, y in zip(a, b)))
    assert shmkern.dot(a, b, accuracy="exact") == exact
    assert shmkern.dot(a, b) == pytest.approx(a @ b, rel=1e-12)
    c = shmkern.covariance(a, b)
    assert c.covariance == pytest.approx(np.cov(a, b)[0, 1], rel=1e-10)
    assert c.correlation == pytest.approx(np.corrcoef(a, b)[0, 1], rel=1e-10)
    assert c.count == a.size


def test_group_stats(rng):
    v = rng.normal(size=50_000)
    k = rng.integers(0, 10, size=v.size).astype(np.int32)
    groups = shmkern.group_stats(k, v, 12, ddof=1)
    assert len(groups) == 12
    for g in range(10):
        s = groups[g]
        assert s.count == (k == g).sum()
        assert s.mean == pytest.approx(v[k == g].mean(), rel=1e-12)
        assert s.variance == pytest.approx(v[k == g].var(ddof=1), rel=1e-10)
    assert groups[11].count == 0 and groups[11].mean is None
    assert [repr(g) for g in shmkern.group_stats(k, v, 12, threads=1)] == [
        repr(g) for g in shmkern.group_stats(k, v, 12, ddof=0, threads=3)
    ]


def test_describe_matches_pandas_keys(rng):
    a = rng.normal(size=10_001)
    d = shmkern.describe(a)
    assert list(d) == [
        "count", "nan_count", "mean", "std", "min", "q25", "q50", "q75", "max", "skewness", "kurtosis"
    ]
    assert d["q50"] == np.quantile(a, 0.5) and d["std"] == pytest.approx(a.std(ddof=1), rel=1e-12)


def test_empty_and_special_values():
    e = np.array([], dtype=np.float64)
    assert shmkern.sum(e) == 0.0 and shmkern.sum(e, accuracy="exact") == 0.0
    s = shmkern.stats(e)
    assert s.count == 0 and s.mean is None and s.min is None and s.variance is None
    assert shmkern.quantiles(e, [0.5]) == [None]
    inf = np.array([1.0, np.inf, 2.0])
    assert shmkern.sum(inf) == np.inf and shmkern.stats(inf).max == np.inf
    big = np.array([1e200, -1e200] * 4)
    assert shmkern.stats(big).variance == np.inf  # overflow gives +inf, never NaN


def test_records():
    s = shmkern.stats(np.arange(10.0), ddof=1)
    assert s.keys() == ["count", "nan_count", "sum", "min", "max", "mean", "variance", "std"]
    assert s.to_dict()["mean"] == 4.5 and s.kernel == "Stats"
    assert "mean=4.5" in repr(s)
    with pytest.raises(AttributeError, match="no field"):
        s.median
    import pickle

    assert pickle.loads(pickle.dumps(s)) == s
