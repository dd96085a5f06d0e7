"""Shape manipulation: reshape, broadcasting, axis permutations (views where NumPy makes them)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor


def _view_of(x: Tensor, data: Any) -> Tensor:
    """A result that may share memory with x shares its version counter too, so an in-place
    change through either is seen by the other's saved-tensor checks."""
    out = Tensor._make(data, x.device)
    if data.base is not None or data is x.data:
        out._vc = x._vc
    return out


def shape_arg(shape: tuple, op: str) -> tuple[int, ...]:
    """Accept f(2, 3), f((2, 3)) and f([2, 3])."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    try:
        return tuple(int(s) for s in shape)
    except TypeError:
        raise TypeError(f"{op}: expected a shape of ints, got {shape!r}") from None


class Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.data.shape
        try:
            data = x.data.reshape(shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {tuple(x.shape)} "
                f"({x.data.size} elements) into shape {tuple(shape)}"
            ) from None
        return _view_of(x, data)

    @staticmethod
    def backward(ctx, grad):
        return reshape(grad, ctx.in_shape), None


class BroadcastTo(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.data.shape
        try:
            data = x.device.xp.broadcast_to(x.data, shape)
        except ValueError:
            raise ValueError(
                f"broadcast_to: cannot broadcast shape {tuple(x.shape)} to {tuple(shape)}"
            ) from None
        return _view_of(x, data)

    @staticmethod
    def backward(ctx, grad):
        from .broadcast_grad import sum_to_shape

        return sum_to_shape(grad, ctx.in_shape), None


class Permute(Function):
    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return _view_of(x, x.data.transpose(axes))

    @staticmethod
    def backward(ctx, grad):
        return permute(grad, tuple(np.argsort(ctx.axes).tolist())), None


def reshape(x: Tensor, *shape: Any) -> Tensor:
    shape = shape_arg(shape, "reshape")
    if shape == x.data.shape:
        return x
    return Reshape.apply(x, shape)


def broadcast_to(x: Tensor, shape: Any) -> Tensor:
    shape = tuple(int(s) for s in shape)
    if shape == x.data.shape:
        return x
    return BroadcastTo.apply(x, shape)


def permute(x: Tensor, *axes: Any) -> Tensor:
    axes = shape_arg(axes, "permute")
    n = x.data.ndim
    if sorted(a % n if n else a for a in axes) != list(range(n)) or len(axes) != n:
        raise ValueError(
            f"permute: expected a permutation of {n} axes for shape {tuple(x.shape)}, got {axes}"
        )
    axes = tuple(a % n for a in axes)
    return Permute.apply(x, axes)


def swapaxes(x: Tensor, axis1: int, axis2: int) -> Tensor:
    n = x.data.ndim
    for a in (axis1, axis2):
        if not -n <= a < n:
            raise IndexError(f"swapaxes: axis {a} is out of range for {n} dimensions")
    axes = list(range(n))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return Permute.apply(x, tuple(axes))

