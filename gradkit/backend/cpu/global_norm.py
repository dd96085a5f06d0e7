"""The global L2 norm of many arrays (gradient clipping's total norm) in NumPy: the CPU path
and the reference for kernels/global_norm.cu.

The result is a 0-d array: float64 when any input is float64, else float32; float16 inputs
are squared and summed in float32, so a large float16 gradient does not overflow.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def norm_dtype(dtypes: Sequence[np.dtype]) -> np.dtype:
    """float64 if any of ``dtypes`` is float64, else float32."""
    return np.dtype(np.float64 if any(np.dtype(d) == np.float64 for d in dtypes) else np.float32)


def global_l2_norm(arrays: Sequence[np.ndarray]) -> np.ndarray:
    """sqrt(sum over ``arrays`` of sum(a**2)) as a 0-d array (0 for no arrays)."""
    dtype = norm_dtype([a.dtype for a in arrays])
    total = dtype.type(0)
    for array in arrays:
        flat = array.astype(dtype, copy=False).reshape(-1)
        total += np.dot(flat, flat)
    return np.sqrt(np.asarray(total, dtype=dtype))
