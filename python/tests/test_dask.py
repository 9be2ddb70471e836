"""shmkern.dask on a LocalCluster of worker processes: the same bits as one call in one process,
for any chunking and split_every; Dask's own sum and var for comparison."""

import json
import os
import random
import struct
import subprocess

import numpy as np
import pytest

import shmkern

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")
import shmkern.dask  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as c:
        yield c


def chunkings(n, rnd):
    yield n  # one chunk
    yield shmkern.CHUNK_LEN  # shmkern's own grid
    yield 77_777  # not a multiple of it
    for _ in range(3):  # random, uneven
        cuts = sorted(rnd.sample(range(1, n), rnd.randint(2, 30)))
        yield tuple(np.diff([0, *cuts, n]))


def test_same_bits_as_one_call(client, tmp_path):
    rnd = random.Random(11)
    a = np.random.default_rng(11).normal(1e6, 1.0, size=1_000_003)  # shifted: hard for var
    want_sum = shmkern.sum(a, accuracy="exact")
    want = shmkern.exact_moments(a, ddof=1)
    theirs_sum, theirs_var = set(), set()
    for chunks in chunkings(a.size, rnd):
        x = da.from_array(a, chunks=chunks)
        split_every = rnd.choice([2, 3, 5, 8, None])
        got_sum = shmkern.dask.sum(x, split_every=split_every).compute()
        got = shmkern.dask.exact_moments(x, ddof=1, split_every=split_every).compute()
        assert got_sum == want_sum, (chunks, split_every)
        assert got == want, (chunks, split_every)
        theirs_sum.add(float(x.sum(split_every=split_every).compute()))
        theirs_var.add(float(x.var(ddof=1, split_every=split_every).compute()))
    # For the record (the bench table reports it): how many distinct values Dask's own gave.
    print(f"dask's own sum: {len(theirs_sum)} values, var: {len(theirs_var)} values over 6 chunkings")
    # And the Rust library's command on the same data, when the CI built it.
    cli = os.environ.get("SHMKERN_CLI")
    if cli:
        path = tmp_path / "a.f64"
        a.tofile(path)
        out = subprocess.run(
            [cli, "sum", str(path), "--dtype", "f64", "--accuracy", "exact", "--json"],
            check=True, capture_output=True, text=True,
        ).stdout
        assert float(json.loads(out)["sum"]) == want_sum


def bits(v):
    return struct.pack("<d", v) if isinstance(v, float) else v


def test_stats_integers_and_histograms(client):
    """stats (the exact moments with min and max), integer sums and histograms: the same result
    as one call on the whole array, for every chunking; the ±0 and NaN cases of the extremes."""
    rnd = random.Random(5)
    rng = np.random.default_rng(5)
    f = rng.normal(0.0, 3.0, size=300_007)
    f[rng.integers(0, f.size, 50)] = np.nan
    f[rng.integers(0, f.size, 50)] = 0.0
    ints = rng.integers(-(2**62), 2**62, size=300_007, dtype=np.int64)  # the sum leaves int64
    want_stats, one = shmkern.stats(f, ddof=1), shmkern.exact_moments(f, ddof=1)
    want_hist = shmkern.histogram(f, 37, (-5.0, 5.0))
    for chunks in chunkings(f.size, rnd):
        split_every = rnd.choice([2, 3, 5, None])
        x, n = da.from_array(f, chunks=chunks), da.from_array(ints, chunks=chunks)
        got = shmkern.dask.stats(x, ddof=1, split_every=split_every).compute()
        for k, v in one.to_dict().items():
            assert bits(getattr(got, k)) == bits(v), (k, chunks)
        assert bits(got.min) == bits(want_stats.min) and bits(got.max) == bits(want_stats.max)
        assert shmkern.dask.sum(n, split_every=split_every).compute() == int(
            sum(int(v) for v in ints)
        )
        assert shmkern.dask.histogram(x, 37, (-5.0, 5.0), split_every).compute() == want_hist
    # The sign of a zero extreme does not depend on which chunk holds which zero.
    z = np.array([0.0, 1.0, -0.0, np.nan, 2.0, -1.0, 0.0, -1.0])
    for chunks in (1, 2, 3, 8):
        got = shmkern.dask.stats(da.from_array(z, chunks=chunks)).compute()
        assert (bits(got.min), bits(got.max)) == (bits(-1.0), bits(2.0))
        zeros = da.from_array(np.array([0.0, -0.0, np.nan, 0.0]), chunks=chunks)
        got = shmkern.dask.stats(zeros).compute()
        assert (bits(got.min), bits(got.max)) == (bits(-0.0), bits(0.0))
    assert shmkern.dask.stats(da.from_array(np.array([np.nan]), chunks=1)).compute().min is None


def test_bad_input(client):
    with pytest.raises(TypeError, match="float32 or float64"):
        shmkern.dask.stats(da.arange(10, chunks=3))
    with pytest.raises(TypeError, match="integer, float32 or float64"):
        shmkern.dask.sum(da.ones(10, chunks=3, dtype=bool))
    with pytest.raises(ValueError, match="range"):
        shmkern.dask.histogram(da.ones(10, chunks=3), 4)
    with pytest.raises(ValueError, match="exact"):
        shmkern.dask.sum(da.ones(10, chunks=3), accuracy="fast")
