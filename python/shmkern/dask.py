"""shmkern's exact kernels on Dask arrays: the same bits whatever the chunking, the merge order
and grouping (``split_every``), the scheduler and the number of worker processes.

Each function builds a ``dask.array.reduction``: every chunk becomes an exact partial
(``shmkern.partial``, bytes), partials are merged in Dask's tree (``shmkern.merge``), and the root
is finished (``shmkern.finish``). The exact partials' merge is associative and commutative bit for
bit, so the result equals ``shmkern.sum(a, accuracy="exact")`` / ``shmkern.exact_moments(a)`` on
the whole array in one process. The functions return lazy dask arrays of shape ``()``; their
``.compute()`` is the result.

    >>> import dask.array as da, shmkern.dask
    >>> x = da.arange(1_000_000, chunks=77_777).astype("f8")
    >>> float(shmkern.dask.sum(x, accuracy="exact").compute())
    499999500000.0
"""

import dask.array as da
import numpy as np

from . import _native

__all__ = ["sum", "stats", "exact_moments"]


def _flat(parts):
    """The partials of a combine step: Dask passes them nested, one list level per axis."""
    if isinstance(parts, dict):
        return [parts["partial"]]
    out = []
    for p in parts:
        out.extend(_flat(p))
    return out


def _chunk(kernel):
    def chunk(x, axis=None, keepdims=True, computing_meta=False):
        if computing_meta:
            return x
        # A chunk Dask made by slicing may be a strided view, and one unpickled on a worker may
        # sit at an unaligned address inside a message: then, and only then, that chunk is copied
        # (shmkern itself never copies; it refuses such buffers).
        x = np.require(x, requirements=("C_CONTIGUOUS", "ALIGNED"))
        return {"partial": _native.partial(x.reshape(-1), kernel)}

    return chunk


def _combine(parts, axis=None, keepdims=True):
    return {"partial": _native.merge(*_flat(parts))}


def _aggregate(ddof):
    def aggregate(parts, axis=None, keepdims=False):
        return _native.finish(_native.merge(*_flat(parts)), ddof)

    return aggregate


def _reduce(x, kernel, ddof, split_every, dtype):
    x = da.asarray(x)
    if x.dtype not in (np.float32, np.float64):
        raise TypeError(f"shmkern.dask: needs float32 or float64 data, got {x.dtype}")
    return da.reduction(
        x,
        chunk=_chunk(kernel),
        combine=_combine,
        aggregate=_aggregate(ddof),
        axis=None,
        keepdims=False,
        dtype=dtype,
        split_every=split_every,
        concatenate=False,
        meta=np.empty((), dtype=dtype),
        name=f"shmkern-{kernel}",
    )


def sum(x, accuracy="exact", split_every=None):
    """The exact sum of a float dask array, rounded once: a lazy float64 scalar. Only
    ``accuracy="exact"`` has partials that merge to the same bits in any order."""
    if accuracy != "exact":
        raise ValueError(
            f'shmkern.dask.sum: accuracy {accuracy!r}: only "exact" gives the same bits under '
            "any Dask chunking and merge order"
        )
    return _reduce(x, "sum_exact", 0, split_every, np.float64)


def exact_moments(x, ddof=0, split_every=None):
    """Count, NaN count, exact sum, and the mean and variance (``ddof``) rounded once, of a float
    dask array: a lazy object scalar whose ``.compute()`` is a ``shmkern.Record`` equal to
    ``shmkern.exact_moments(a, ddof)``."""
    return _reduce(x, "moments_exact", ddof, split_every, object)


def stats(x, ddof=0, split_every=None):
    """The order-independent statistics of a float dask array — count, NaN count, sum, mean,
    variance and std (``ddof``), each exact or rounded once — as :func:`exact_moments`."""
    return exact_moments(x, ddof=ddof, split_every=split_every)
