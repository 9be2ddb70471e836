"""shmkern's kernels whose partials merge to the same bits in any order, on Dask arrays: the
same result whatever the chunking, the merge order and grouping (``split_every``), the scheduler
and the number of worker processes.

Each function builds a ``dask.array.reduction``: every chunk becomes a partial, partials are
merged in Dask's tree, and the root is finished. Every merge here is exact, associative and
commutative bit for bit:

- ``sum`` of floats and ``stats``' moments: the exact partials as bytes (``shmkern.partial``,
  ``merge``, ``finish``), equal to ``shmkern.sum(a, accuracy="exact")`` and
  ``shmkern.exact_moments(a)`` on the whole array;
- ``sum`` of integers: Python ints (exact, any size);
- ``stats``' ``min`` and ``max``: values under the order ``-0.0 < +0.0``, NaNs skipped, as
  ``shmkern.stats`` gives them;
- ``histogram``: exact counts, added.

The functions return lazy dask arrays of shape ``()``; their ``.compute()`` is the result.

    >>> import dask.array as da, shmkern.dask
    >>> x = da.arange(1_000_000, chunks=77_777).astype("f8")
    >>> float(shmkern.dask.sum(x, accuracy="exact").compute())
    499999500000.0
"""

import builtins
import math

import dask.array as da
import numpy as np

import shmkern

from . import _native

__all__ = ["sum", "stats", "exact_moments", "histogram"]


def _dicts(parts):
    """The partials of a merge step: Dask passes them nested, one list level per axis."""
    if isinstance(parts, dict):
        return [parts]
    out = []
    for p in parts:
        out.extend(_dicts(p))
    return out


def _reduce(x, name, chunk, merge, finish, split_every, dtype):
    def on_chunk(a, axis=None, keepdims=True, computing_meta=False):
        if computing_meta:
            return a
        # A chunk Dask made by slicing may be a strided view, and one unpickled on a worker may
        # sit at an unaligned address inside a message: then, and only then, that chunk is copied
        # (shmkern itself never copies; it refuses such buffers).
        return chunk(np.require(a, requirements=("C_CONTIGUOUS", "ALIGNED")).reshape(-1))

    def combine(parts, axis=None, keepdims=True):
        return merge(_dicts(parts))

    def aggregate(parts, axis=None, keepdims=False):
        return finish(merge(_dicts(parts)))

    return da.reduction(
        x,
        chunk=on_chunk,
        combine=combine,
        aggregate=aggregate,
        axis=None,
        keepdims=False,
        dtype=dtype,
        split_every=split_every,
        concatenate=False,
        meta=np.empty((), dtype=dtype),
        name=f"shmkern-{name}",
    )


def _floats(x, what):
    x = da.asarray(x)
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(f"shmkern.dask.{what}: needs float32 or float64 data, got {x.dtype}")
    return x


def _order(v):
    """The total order of the extremes: by value, and -0.0 below +0.0 (IEEE 754 minimum)."""
    return (v, math.copysign(1.0, v))


def _extreme(values, pick):
    values = [v for v in values if v is not None]
    return pick(values, key=_order) if values else None


def _merge_exact(ds):
    return {"partial": _native.merge(*(d["partial"] for d in ds))}


def sum(x, accuracy="exact", split_every=None):
    """The sum of a dask array: for floats the exact sum rounded once (a lazy float64 scalar;
    only ``accuracy="exact"`` has partials that merge to the same bits in any order), for
    integers the exact sum as a Python int (a lazy object scalar)."""
    x = da.asarray(x)
    if x.dtype.kind not in "iuf" or x.dtype == np.float16:
        raise TypeError(
            f"shmkern.dask.sum: needs integer, float32 or float64 data, got {x.dtype}"
        )
    if x.dtype.kind in "iu":
        return _reduce(
            x,
            "sum-int",
            lambda a: {"int": shmkern.sum(a)},
            lambda ds: {"int": builtins.sum(d["int"] for d in ds)},
            lambda d: d["int"],
            split_every,
            object,
        )
    x = _floats(x, "sum")
    if accuracy != "exact":
        raise ValueError(
            f'shmkern.dask.sum: accuracy {accuracy!r}: only "exact" gives the same bits under '
            "any Dask chunking and merge order"
        )
    return _reduce(
        x,
        "sum-exact",
        lambda a: {"partial": _native.partial(a, "sum_exact")},
        _merge_exact,
        lambda d: _native.finish(d["partial"], 0),
        split_every,
        np.float64,
    )


def exact_moments(x, ddof=0, split_every=None):
    """Count, NaN count, exact sum, and the mean and variance (``ddof``) rounded once, of a float
    dask array: a lazy object scalar whose ``.compute()`` is a ``shmkern.Record`` equal to
    ``shmkern.exact_moments(a, ddof)``."""
    x = _floats(x, "exact_moments")
    return _reduce(
        x,
        "moments-exact",
        lambda a: {"partial": _native.partial(a, "moments_exact")},
        _merge_exact,
        lambda d: _native.finish(d["partial"], ddof),
        split_every,
        object,
    )


def stats(x, ddof=0, split_every=None):
    """The order-independent statistics of a float dask array: count, NaN count, sum, mean,
    variance and std (``ddof``) of :func:`exact_moments`, each exact or rounded once, and ``min``
    and ``max`` (NaNs skipped; None without a value) as ``shmkern.stats`` gives them: a lazy object
    scalar whose ``.compute()`` is a ``shmkern.Record``."""
    x = _floats(x, "stats")

    def chunk(a):
        e = shmkern.minmax(a)
        return {"partial": _native.partial(a, "moments_exact"), "min": e.min, "max": e.max}

    def merge(ds):
        return {
            **_merge_exact(ds),
            "min": _extreme((d["min"] for d in ds), min),
            "max": _extreme((d["max"] for d in ds), max),
        }

    def finish(d):
        fields = _native.finish(d["partial"], ddof).to_dict()
        fields.update(min=d["min"], max=d["max"])
        return shmkern.Record("Stats", fields)

    return _reduce(x, "stats", chunk, merge, finish, split_every, object)


def histogram(x, bins=10, range=None, split_every=None):
    """Exact counts of ``bins`` uniform bins over ``range`` (numpy's edges and closed last bin),
    with the values below and above the range and the NaNs counted apart, of a dask array: a lazy
    object scalar whose ``.compute()`` is the ``shmkern.Record`` that ``shmkern.histogram(a,
    bins, range)`` gives on the whole array. ``range`` is required: the data's own extremes would
    take a second pass (``stats(x)`` gives them)."""
    x = da.asarray(x)
    if range is None:
        raise ValueError(
            "shmkern.dask.histogram: needs range=(lo, hi) (the data's own min and max would take "
            "a second pass over it: shmkern.dask.stats(x) gives them)"
        )
    counted = ("below", "above", "nan_count")

    def chunk(a):
        return shmkern.histogram(a, bins, range).to_dict()

    def merge(ds):
        out = {k: builtins.sum(d[k] for d in ds) for k in counted}
        out["counts"] = [builtins.sum(c) for c in zip(*(d["counts"] for d in ds))]
        out["edges"] = ds[0]["edges"]
        return out

    def finish(d):
        return shmkern.Record("Histogram", {k: d[k] for k in ("counts", "edges", *counted)})

    return _reduce(x, "histogram", chunk, merge, finish, split_every, object)
