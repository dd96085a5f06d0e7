"""The global L2 norm of many arrays and the clip by it (NumPy): twins of
kernels/multi_tensor_norm.cu, used by clip_grad_norm_ for norm_type=2."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

Array = Any


def multi_tensor_l2norm(arrays: Sequence[Array], max_norm: float) -> tuple[Array, Array]:
    """(norm, coef): the L2 norm of all arrays together, accumulated in float32 for float16
    (else in the arrays' dtype), and min(max_norm / (norm + 1e-6), 1) (NaN for a NaN norm),
    both 0-d arrays of the accumulate dtype."""
    dtype = arrays[0].dtype
    acc = np.dtype(np.float32) if dtype == np.float16 else dtype
    total = np.zeros((), dtype=acc)
    for a in arrays:
        flat = a.reshape(-1).astype(acc, copy=False)
        total += np.dot(flat, flat)
    norm = np.asarray(np.sqrt(total))
    coef = np.asarray(np.minimum(max_norm / (norm + 1e-6), 1.0), dtype=acc)
    return norm, coef


def multi_tensor_scale(
    arrays: Sequence[Array], coef: Array, out: Sequence[Array] | None = None
) -> None:
    """out[i] = arrays[i] * coef (in place when ``out`` is None), the coefficient rounded to
    each array's dtype first."""
    outputs = arrays if out is None else out
    for a, result in zip(arrays, outputs):
        np.multiply(a, coef.astype(a.dtype), out=result)
