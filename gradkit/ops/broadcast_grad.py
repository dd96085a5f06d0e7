"""Reduce a gradient of a broadcast result back to the shape (and dtype) of an input."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import reduce as _reduce
from . import shape as _shape


def _broadcast_axes(grad_shape: tuple[int, ...], shape: tuple[int, ...]) -> tuple[int, ...]:
    """The axes of ``grad_shape`` that broadcasting added or stretched, coming from ``shape``."""
    lead = len(grad_shape) - len(shape)
    return tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and grad_shape[i + lead] != 1
    )


def sum_to_shape(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``grad`` over the axes that broadcasting added or stretched to reach ``shape``."""
    if grad.shape == shape:
        return grad
    axes = _broadcast_axes(grad.shape, shape)
    if axes:
        grad = _reduce.sum(grad, axis=axes, keepdims=True)
    if grad.shape != shape:
        grad = _shape.reshape(grad, shape)
    return grad


def fused_grad_like(like: Any, data: Any, shape: tuple[int, ...], dtype: np.dtype) -> Any:
    """``grad_like`` for a first-order gradient computed as a raw array (nothing will
    differentiate it): reduce, cast and wrap it without going through Tensor ops."""
    if data.shape != shape:
        axes = _broadcast_axes(data.shape, shape)
        if axes:
            data = data.sum(axis=axes, keepdims=True)
        data = data.reshape(shape)
    if data.dtype != dtype:
        data = data.astype(dtype)
    return like._make(data, like.device)


def grad_like(grad: Any, shape: tuple[int, ...], dtype: np.dtype) -> Any:
    """``sum_to_shape`` plus a cast back to the input's dtype when the op promoted it."""
    grad = sum_to_shape(grad, shape)
    if grad.dtype != dtype:
        grad = grad.to(dtype)
    return grad
