import numpy as np
import pytest


@pytest.fixture(scope="session")
def rng():
    return np.random.default_rng(20261207)


def same_bits(a, b):
    """Floats (or None) equal bit for bit; NaN equals NaN."""
    if a is None or b is None:
        return a is b
    if isinstance(a, float) or isinstance(b, float):
        return np.float64(a).tobytes() == np.float64(b).tobytes()
    return a == b
