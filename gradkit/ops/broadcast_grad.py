"""Reduce a gradient of a broadcast result back to the shape (and dtype) of an input."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import reduce as _reduce
from . import shape as _shape


def sum_to_shape(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``grad`` over the axes that broadcasting added or stretched to reach ``shape``."""
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and grad.shape[i + lead] != 1
    )
    if axes:
        grad = _reduce.sum(grad, axis=axes, keepdims=True)
    if grad.shape != shape:
        grad = _shape.reshape(grad, shape)
    return grad


def grad_like(grad: Any, shape: tuple[int, ...], dtype: np.dtype) -> Any:
    """``sum_to_shape`` plus a cast back to the input's dtype when the op promoted it."""
    grad = sum_to_shape(grad, shape)
    if grad.dtype != dtype:
        grad = grad.to(dtype)
    return grad
