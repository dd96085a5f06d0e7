"""Softmax and log-softmax along one axis in NumPy: the CPU path and the reference for a kernel.

Both subtract the maximum along the axis first, so exp never overflows (logits of 1e4 are
fine). float16 is computed in float32 and rounded once at the end; other dtypes keep theirs.
"""

from __future__ import annotations

import numpy as np


def softmax_forward(x: np.ndarray, axis: int) -> np.ndarray:
    """exp(x) / sum(exp(x)) along ``axis`` (a non-negative axis of ``x``)."""
    if x.size == 0:
        return x.copy()
    shifted = _shifted(x, axis)
    np.exp(shifted, out=shifted)
    shifted /= shifted.sum(axis=axis, keepdims=True)
    return shifted.astype(x.dtype, copy=False)


def log_softmax_forward(x: np.ndarray, axis: int) -> np.ndarray:
    """x - log(sum(exp(x))) along ``axis`` (a non-negative axis of ``x``)."""
    if x.size == 0:
        return x.copy()
    shifted = _shifted(x, axis)
    shifted -= np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return shifted.astype(x.dtype, copy=False)


def _shifted(x: np.ndarray, axis: int) -> np.ndarray:
    """x minus its maximum along ``axis``: a fresh array in the computing dtype."""
    compute = x.astype(np.float32) if x.dtype == np.float16 else x
    return compute - compute.max(axis=axis, keepdims=True)
