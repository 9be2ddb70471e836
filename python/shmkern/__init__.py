"""shmkern: deterministic, accurate, parallel reductions over numpy arrays and shared memory.

Every function reads any C-contiguous buffer in place (numpy arrays of any shape, ``np.memmap``,
``memoryview``, ``mmap``, ``bytes``, ``array.array``) without copying, releases the GIL while it
computes, and gives the same bits for any ``threads=`` (default: one per core) and as the Rust
library ``shmkern`` on the same data. A Ctrl-C cancels a long call at the next chunk boundary.

    >>> import numpy as np, shmkern
    >>> a = np.arange(1_000_000, dtype=np.float64)
    >>> shmkern.stats(a).mean
    499999.5
    >>> shmkern.sum(a, accuracy="exact") == shmkern.sum(a, threads=1)
    True

Results with several values are records: attributes, ``.to_dict()``, ``.keys()``.
Kernels: ``sum``, ``stats``, ``minmax``, ``moments``, ``exact_moments``, ``norms``, ``dot``,
``covariance``, ``histogram``, ``quantiles``, ``group_stats``, ``describe``; the order-independent
exact partials: ``partial``, ``merge``, ``finish`` (``shmkern.dask`` runs them on Dask).
"""

from ._native import (
    CHUNK_LEN,
    Record,
    covariance,
    dot,
    exact_moments,
    finish,
    group_stats,
    histogram,
    merge,
    minmax,
    moments,
    norms,
    partial,
    quantiles,
    stats,
    sum,
)

__all__ = [
    "CHUNK_LEN",
    "Record",
    "covariance",
    "describe",
    "dot",
    "exact_moments",
    "finish",
    "group_stats",
    "histogram",
    "merge",
    "minmax",
    "moments",
    "norms",
    "partial",
    "quantiles",
    "stats",
    "sum",
]


def describe(data, threads=None):
    """pandas' ``describe()`` of one column, plus skewness and excess kurtosis: a dict with
    ``count``, ``nan_count``, ``mean``, ``std`` (ddof 1, as pandas), ``min``, ``q25``, ``q50``,
    ``q75``, ``max``, ``skewness``, ``kurtosis`` — the keys of ``shmkern describe --json``.
    Quantiles are numpy's default ``linear`` method over the non-NaN values."""
    s = stats(data, ddof=1, threads=threads)
    m = moments(data, ddof=1, threads=threads)
    q25, q50, q75 = quantiles(data, [0.25, 0.5, 0.75], threads=threads)
    return {
        "count": s.count,
        "nan_count": s.nan_count,
        "mean": m.mean,
        "std": m.std,
        "min": s.min,
        "q25": q25,
        "q50": q50,
        "q75": q75,
        "max": s.max,
        "skewness": m.skewness,
        "kurtosis": m.kurtosis,
    }
