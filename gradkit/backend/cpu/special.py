"""Special functions that NumPy does not provide, vectorised over arrays."""

from __future__ import annotations

import math

import numpy as np

try:  # SciPy's erf is vectorised C; it is optional, so fall back to the standard library's.
    from scipy.special import erf as _scipy_erf
except ImportError:  # pragma: no cover - depends on the environment
    _scipy_erf = None

_math_erf = np.frompyfunc(math.erf, 1, 1)


def erf(x: np.ndarray) -> np.ndarray:
    """The error function of a floating array, returned in the array's dtype."""
    if _scipy_erf is not None:
        return _scipy_erf(x).astype(x.dtype, copy=False)
    # math.erf works in double precision; rounding its result once keeps float32 exact to 1 ulp.
    return _math_erf(x).astype(x.dtype)
