"""The exact partials: any split of the rows, merged in any order and grouping, gives the bits of
the single call."""

import random

import numpy as np
import pytest

import shmkern


def random_merge(parts, rnd):
    """Merges the partials in a random order and a random grouping."""
    parts = list(parts)
    rnd.shuffle(parts)
    while len(parts) > 1:
        k = rnd.randint(2, min(4, len(parts)))
        i = rnd.randrange(len(parts) - k + 1)
        parts[i : i + k] = [shmkern.merge(*parts[i : i + k])]
    return parts[0]


def random_split(a, rnd, pieces):
    cuts = sorted(rnd.sample(range(1, len(a)), pieces - 1))
    return np.split(a, cuts)


@pytest.mark.parametrize("seed", range(6))
def test_any_partition_any_order(seed):
    rnd = random.Random(seed)
    rng = np.random.default_rng(seed)
    dtype = [np.float64, np.float32][seed % 2]
    a = (rng.normal(size=rnd.randint(1_000, 300_000)) * 10.0 ** rng.integers(-3, 12)).astype(dtype)
    want_sum = shmkern.sum(a, accuracy="exact")
    want_moments = shmkern.exact_moments(a, ddof=1)
    for _ in range(3):
        pieces = random_split(a, rnd, rnd.randint(2, 40))
        sums = [shmkern.partial(p, "sum_exact", threads=rnd.randint(1, 3)) for p in pieces]
        assert shmkern.finish(random_merge(sums, rnd)) == want_sum
        moms = [shmkern.partial(p, "moments_exact") for p in pieces]
        assert shmkern.finish(random_merge(moms, rnd), ddof=1) == want_moments
    # Merging is exact, so its bytes do not depend on the order either.
    p = [shmkern.partial(x) for x in random_split(a, rnd, 5)]
    assert shmkern.merge(*p) == shmkern.merge(*reversed(p))


def test_float32_and_float64_partials_merge():
    a = np.arange(1000, dtype=np.float32)
    b = np.arange(1000, 3000, dtype=np.float64)
    whole = np.concatenate([a.astype(np.float64), b])
    merged = shmkern.merge(shmkern.partial(a), shmkern.partial(b))
    assert shmkern.finish(merged) == shmkern.sum(whole, accuracy="exact")


def test_bad_partials_are_errors():
    p = shmkern.partial(np.ones(10))
    m = shmkern.partial(np.ones(10), "moments_exact")
    with pytest.raises(ValueError, match="different kernels"):
        shmkern.merge(p, m)
    with pytest.raises(ValueError, match="not a shmkern partial"):
        shmkern.finish(b"\0" * 100)
    damaged = bytearray(p)
    damaged[40] ^= 1
    with pytest.raises(ValueError, match="checksum"):
        shmkern.finish(bytes(damaged))
    with pytest.raises(ValueError):
        shmkern.finish(p[:-3])
    with pytest.raises(ValueError, match="no order-independent partial"):
        shmkern.partial(np.ones(3), "sum")
    with pytest.raises(TypeError):
        shmkern.merge()
    with pytest.raises(TypeError, match="float32 or float64"):
        shmkern.partial(np.ones(3, dtype=np.int64))
