"""softmax and log_softmax along one axis: a fused, max-shifted primitive forward, and a backward
in differentiable ops (so both are twice differentiable)."""

from __future__ import annotations

from typing import Any

from ..amp import autocast_state as _amp
from ..autograd.function import Function
from ..backend.dtypes import as_dtype
from ..tensor import Tensor
from . import reduce as _reduce
from . import unary as _unary
from ._util import axis_kwargs, normalize_axis


def _forward(ctx: Any, x: Tensor, axis: int | None, primitive: str) -> Tensor:
    """Run the primitive ``primitive`` along ``axis``; None means x is 0-d."""
    ctx.axis = axis
    data = x.data
    run = getattr(x.device.primitives, primitive)
    out = run(data, axis) if axis is not None else run(data.reshape(1), 0).reshape(())
    return Tensor._make(out, x.device)


def _softmax_jacobian_times(y: Tensor, v: Tensor, axis: int | None) -> Tensor:
    """J v for softmax output y: y * (v - sum(v * y)), with v * y computed once."""
    v_times_y = v * y
    return v_times_y - y * _reduce.sum(v_times_y, axis=axis, keepdims=True)


class Softmax(Function):
    @staticmethod
    def forward(ctx, x, axis):
        out = _forward(ctx, x, axis, "softmax_forward")
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        # y * (g - sum(g * y)), with g * y computed once
        return _softmax_jacobian_times(y, grad, ctx.axis), None

    @staticmethod
    def jvp(ctx, tangent, _):
        (y,) = ctx.saved_tensors
        return _softmax_jacobian_times(y, tangent, ctx.axis)  # the Jacobian is symmetric


class LogSoftmax(Function):
    @staticmethod
    def forward(ctx, x, axis):
        out = _forward(ctx, x, axis, "log_softmax_forward")
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        total = _reduce.sum(grad, axis=ctx.axis, keepdims=True)
        return grad - _unary.exp(y) * total, None

    @staticmethod
    def jvp(ctx, tangent, _):
        (y,) = ctx.saved_tensors
        return tangent - _reduce.sum(tangent * _unary.exp(y), axis=ctx.axis, keepdims=True)


def _prepare(x: Any, axis: Any, dim: Any, dtype: Any, op: str) -> tuple[Tensor, int | None]:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    axis, _ = axis_kwargs(axis, dim, False, None, op)
    if axis is None or isinstance(axis, (tuple, list)):
        raise TypeError(f"{op}: expected an int axis (dim), got {axis!r}")
    if dtype is not None:
        x = x.to(as_dtype(dtype, op))
    if x.dtype.kind != "f":
        raise TypeError(
            f"{op}: expected a floating point tensor, got dtype {x.dtype}; pass dtype= to "
            "compute in a floating point type"
        )
    (normalized,) = normalize_axis(axis, x.ndim, op)
    return x, (normalized if x.ndim else None)


def softmax(
    x: Tensor, axis: int | None = None, *, dim: int | None = None, dtype: Any = None
) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis`` (default -1; ``dim=`` accepted). Stable for huge
    logits: the row maximum is subtracted first. ``dtype=`` casts x before computing."""
    if _amp.active:
        (x,) = _amp.cast_inputs("softmax", x)
    if axis is None and dim is None:
        axis = -1
    x, axis = _prepare(x, axis, dim, dtype, "softmax")
    return Softmax.apply(x, axis)


def log_softmax(
    x: Tensor, axis: int | None = None, *, dim: int | None = None, dtype: Any = None
) -> Tensor:
    """x - log(sum(exp(x))) along ``axis`` (default -1; ``dim=`` accepted), computed without
    overflow or log(0) for huge or very negative logits."""
    if _amp.active:
        (x,) = _amp.cast_inputs("log_softmax", x)
    if axis is None and dim is None:
        axis = -1
    x, axis = _prepare(x, axis, dim, dtype, "log_softmax")
    return LogSoftmax.apply(x, axis)
