"""Zero-copy over every buffer kind, the GIL released, Ctrl-C, errors as exceptions."""

import array
import mmap
import os
import signal
import subprocess
import sys
import threading
import time
import _thread

import numpy as np
import pytest

import shmkern


def rss_anon_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("RssAnon:"):
                return int(line.split()[1])
    pytest.skip("no RssAnon in /proc/self/status")


def test_a_1_gib_memmap_is_read_in_place(tmp_path):
    n = (1 << 30) // 8
    path = tmp_path / "big.f64"
    with open(path, "wb") as f:
        f.truncate(n * 8)  # sparse: zeros that cost no disk
    m = np.memmap(path, dtype=np.float64, mode="r+", shape=(n,))
    m[0], m[n // 2], m[-1] = 1.5, 2.25, -0.75
    m.flush()
    ro = np.memmap(path, dtype=np.float64, mode="r", shape=(n,))
    before = rss_anon_kib()
    s = shmkern.stats(ro)
    total = shmkern.sum(ro, accuracy="exact")
    grown = rss_anon_kib() - before
    assert (s.count, s.sum, s.min, s.max, total) == (n, 3.0, -0.75, 2.25, 3.0)
    # A copy would add 1 GiB (1,048,576 KiB) of anonymous memory; the pool's first use adds
    # a few MiB of thread stacks at most.
    assert grown < 64 * 1024, f"RssAnon grew by {grown} KiB"


def test_every_buffer_kind():
    values = [1.0, 2.5, -4.0, 8.0]
    a = np.array(values)
    want = shmkern.stats(a)
    assert shmkern.stats(memoryview(a.tobytes()).cast("d")) == want
    assert shmkern.stats(array.array("d", values)) == want
    assert shmkern.stats(a.reshape(2, 2)) == want  # any C-contiguous shape, read flat
    with mmap.mmap(-1, a.nbytes) as mm:
        mm[:] = a.tobytes()
        assert shmkern.stats(np.frombuffer(mm, dtype=np.float64)) == want
        assert shmkern.sum(mm) == sum(a.tobytes())  # an mmap is bytes: uint8
    assert shmkern.sum(b"\x01\x02\x03") == 6
    # The call reads the memory as it is now: no copy was taken earlier.
    b = np.zeros(5)
    assert shmkern.sum(b) == 0.0
    b[3] = 7.0
    assert shmkern.sum(b) == 7.0


@pytest.mark.parametrize(
    "bad, error, match",
    [
        ([1.0, 2.0], TypeError, "buffer protocol"),
        ("text", TypeError, "buffer protocol"),
        (np.arange(10.0)[::2], ValueError, "not C-contiguous"),
        (np.arange(12.0).reshape(3, 4).T, ValueError, "not C-contiguous"),
        (np.zeros(3, dtype=np.float16), TypeError, "float16"),
        (np.zeros(3, dtype=bool), TypeError, "booleans"),
        (np.zeros(3, dtype=np.complex128), TypeError, "unsupported element type"),
        (np.zeros(3, dtype=">f8"), TypeError, "big-endian"),
        (np.frombuffer(b"\0" * 17, dtype=np.uint8)[1:].view(np.float64), ValueError, "address"),
    ],
)
def test_bad_input_is_an_exception(bad, error, match):
    with pytest.raises(error, match=match):
        shmkern.sum(bad)


def test_bad_arguments():
    a = np.arange(10.0)
    with pytest.raises(ValueError, match="accuracy"):
        shmkern.sum(a, accuracy="precise")
    with pytest.raises(ValueError, match="threads"):
        shmkern.sum(a, threads=0)
    with pytest.raises(ValueError, match="nan"):
        shmkern.minmax(a, nan="ignore")
    with pytest.raises(TypeError, match="float32 or float64"):
        shmkern.dot(np.arange(3), np.arange(3))
    with pytest.raises(TypeError, match="one element type"):
        shmkern.dot(a, a.astype(np.float32))
    with pytest.raises(ValueError):
        shmkern.dot(a, a[:5].copy())  # unequal lengths
    with pytest.raises(ValueError):
        shmkern.quantiles(a, [1.5])
    with pytest.raises(ValueError):
        shmkern.histogram(a, 0)
    with pytest.raises(ValueError):
        shmkern.group_stats(np.array([0, 5], dtype=np.int32), np.zeros(2), 3)  # key 5 ≥ 3
    with pytest.raises(TypeError, match="integers"):
        shmkern.group_stats(np.zeros(2), np.zeros(2), 3)
    with pytest.raises(TypeError, match="float32 or float64"):
        shmkern.exact_moments(np.arange(3))


# 64 Mi values (512 MiB): exact moments on one thread run long enough (a few hundred ms) for the
# checks below, which never compare times.
LONG = 1 << 26


@pytest.fixture(scope="module")
def long_input():
    return np.random.default_rng(7).normal(size=LONG)


def test_the_gil_is_released(long_input):
    stamps, stop = [], threading.Event()

    def ticker():
        while not stop.is_set():
            stamps.append(time.monotonic())
            time.sleep(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    try:
        time.sleep(0.01)
        start = time.monotonic()
        shmkern.exact_moments(long_input, threads=1)
        end = time.monotonic()
    finally:
        stop.set()
        t.join()
    # A Python thread can record a stamp only while it holds the GIL: had the call kept the GIL,
    # no stamp could fall strictly inside it.
    inside = [s for s in stamps if start < s < end]
    assert len(inside) >= 3, (len(inside), end - start)


def test_ctrl_c_cancels_a_long_call(long_input):
    # The interrupt comes 50 ms in, and calls repeat until it arrives, so the test does not rest
    # on how long one call takes. It must surface from inside a call, which stopped at a chunk
    # boundary (the note on the exception says so); one that lands between two calls (no note)
    # is tried again. A call that ignored interrupts would let every one land between calls.
    # Python's own SIGINT handler, whatever the process inherited: a shell starts a background
    # job with SIGINT ignored, and then Python installs none and interrupt_main does nothing.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _interrupt_a_long_call(long_input)
    finally:
        signal.signal(signal.SIGINT, previous)
    # The pool is fine afterwards.
    assert shmkern.sum(np.ones(10)) == 10.0


def _interrupt_a_long_call(long_input):
    for _ in range(5):
        timer = threading.Timer(0.05, _thread.interrupt_main)
        timer.start()
        try:
            with pytest.raises(KeyboardInterrupt) as info:
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    shmkern.exact_moments(long_input, threads=1)
        finally:
            timer.cancel()
        notes = getattr(info.value, "__notes__", [])
        if sys.version_info < (3, 11) or any("cancelled" in n for n in notes):
            break
    else:
        pytest.fail("five interrupts in a row surfaced between calls, none inside one")


def test_a_forked_child_gets_its_own_pool():
    """A child forked after shmkern has run computes correct results (on a pool of its own: the
    parent's workers do not exist in it; its calls would otherwise run on its calling thread)."""
    shmkern.sum(np.ones(1 << 20))  # this process's pool exists
    code = (
        "import os, sys, numpy as np, shmkern\n"
        "shmkern.sum(np.ones(1 << 20))\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    ok = all(shmkern.stats(np.ones(1 << 22)).count == 1 << 22 for _ in range(5))\n"
        "    os._exit(0 if ok else 3)\n"
        "_, status = os.waitpid(pid, 0)\n"
        "sys.exit(os.waitstatus_to_exitcode(status))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], timeout=60)
    assert r.returncode == 0
