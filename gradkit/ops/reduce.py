"""Reductions over axes (NumPy's axis/keepdims; PyTorch's dim/keepdim accepted too)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor
from . import shape as _shape
from ._util import axis_kwargs, normalize_axis


def _restore_reduced_axes(grad: Tensor, in_shape: tuple, axes: Any, keepdims: bool) -> Tensor:
    """Give a reduced gradient back the axes it lost, so it broadcasts against the input."""
    if not keepdims and axes is not None and grad.ndim != len(in_shape):
        kept = list(grad.shape)
        for a in axes:
            kept.insert(a, 1)
        grad = _shape.reshape(grad, tuple(kept))
    elif not keepdims and axes is None and len(in_shape) != grad.ndim:
        grad = _shape.reshape(grad, (1,) * len(in_shape))
    return grad


class Sum(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdims, dtype):
        ctx.in_shape = x.data.shape
        ctx.axes = axes
        ctx.keepdims = keepdims
        data = x.data
        if dtype is None and data.dtype.kind in "biu":
            dtype = np.int64  # like PyTorch: integer sums never overflow a small int type
        out = data.sum(axis=axes, keepdims=keepdims, dtype=dtype)
        return Tensor._make(x.device.xp.asarray(out), x.device)

    @staticmethod
    def backward(ctx, grad):
        grad = _restore_reduced_axes(grad, ctx.in_shape, ctx.axes, ctx.keepdims)
        return _shape.broadcast_to(grad, ctx.in_shape), None, None, None


class Mean(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdims):
        if x.data.dtype.kind != "f":
            raise TypeError(f"mean: expected a floating point tensor, got dtype {x.dtype}")
        ctx.in_shape = x.data.shape
        ctx.axes = axes
        ctx.keepdims = keepdims
        data = x.data
        count = data.size if axes is None else int(np.prod([data.shape[a] for a in axes]))
        ctx.count = count
        out = data.mean(axis=axes, keepdims=keepdims)
        return Tensor._make(x.device.xp.asarray(out, dtype=data.dtype), x.device)

    @staticmethod
    def backward(ctx, grad):
        grad = _restore_reduced_axes(grad, ctx.in_shape, ctx.axes, ctx.keepdims)
        return _shape.broadcast_to(grad / ctx.count, ctx.in_shape), None, None


def sum(x: Tensor, axis: Any = None, keepdims: bool = False, *, dim: Any = None,  # noqa: A001
        keepdim: Any = None, dtype: Any = None) -> Tensor:
    axis, keepdims = axis_kwargs(axis, dim, keepdims, keepdim, "sum")
    return Sum.apply(x, normalize_axis(axis, x.ndim, "sum"), keepdims, dtype)


def mean(x: Tensor, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
         keepdim: Any = None) -> Tensor:
    axis, keepdims = axis_kwargs(axis, dim, keepdims, keepdim, "mean")
    return Mean.apply(x, normalize_axis(axis, x.ndim, "mean"), keepdims)
