"""The global L2 norm of many arrays and the clipping coefficient it gives (gradient
clipping), in NumPy: the CPU path and the twin of kernels/global_norm.cu.

Scaling the arrays by the coefficient is amp.multi_tensor_scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

Array = Any


def norm_dtype(dtypes: Sequence[Any]) -> np.dtype:
    """The accumulate (and result) dtype: float64 if any input is float64, else float32
    (float16 is squared and summed in float32, so large float16 values do not overflow)."""
    return np.dtype(np.float64 if any(np.dtype(d) == np.float64 for d in dtypes) else np.float32)


def multi_tensor_l2norm(arrays: Sequence[Array], max_norm: float) -> tuple[Array, Array]:
    """(norm, coef) as 0-d arrays of the accumulate dtype: the L2 norm of all ``arrays``
    together (0 for none) and min(max_norm / (norm + 1e-6), 1) (NaN for a NaN norm)."""
    acc = norm_dtype([a.dtype for a in arrays])
    total = np.zeros((), dtype=acc)
    for a in arrays:
        flat = a.reshape(-1).astype(acc, copy=False)
        total += np.dot(flat, flat)
    norm = np.asarray(np.sqrt(total))
    coef = np.asarray(np.minimum(acc.type(max_norm) / (norm + acc.type(1e-6)), acc.type(1)))
    return norm, coef
