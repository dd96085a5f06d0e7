"""batch_norm, layer_norm and group_norm: one Function that normalises over a set of axes and
applies a broadcast affine, on the normalize primitives.

First-order gradients come from the fused primitive; under create_graph the same formulas are
written in differentiable ops (recomputed from x), so higher derivatives are exact.
"""

from __future__ import annotations

import math
from typing import Any

from ...amp import autocast_state as _amp
from ...autograd.function import Function
from ...autograd.grad_mode import no_grad
from ...ops import reduce as _reduce
from ...ops import shape as _shape
from ...ops import unary as _unary
from ...ops._util import records
from ...ops.broadcast_grad import sum_to_shape
from ...tensor import Tensor
from ._args import check_floating, check_same_dtype_device, check_tensor


class _Normalize(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias; statistics over ``axes``; weight and
    bias (optional) have x's rank and broadcast against it. ``stats_out``, a list or None,
    receives the batch (mean, biased var) for running statistics."""

    @staticmethod
    def forward(ctx, x, weight, bias, axes, eps, stats_out):
        prims = x.device.primitives
        xhat, mean, var, invstd = prims.normalize_forward(x.data, axes, eps)
        y = prims.affine_forward(
            xhat, None if weight is None else weight.data, None if bias is None else bias.data
        )
        ctx.axes, ctx.eps = axes, eps
        ctx.xhat, ctx.invstd = xhat, invstd
        if stats_out is not None:
            stats_out.append((mean, var))
        ctx.save_for_backward(x, weight, bias)
        return Tensor._make(y, x.device)

    @staticmethod
    def backward(ctx, grad):
        x, weight, bias = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        if records(grad, x, weight, bias):
            return _normalize_grads_recorded(ctx, grad, x, weight, bias) + (None, None, None)
        prims = x.device.primitives
        g = grad.data
        grad_x = grad_w = grad_b = None
        if need_x:
            grad_xhat = g * weight.data if weight is not None else g
            grad_x = Tensor._make(
                prims.normalize_backward(grad_xhat, ctx.xhat, ctx.invstd, ctx.axes), x.device
            )
        if need_w:
            grad_w = Tensor._make(prims.reduce_to(g * ctx.xhat, weight.shape), x.device)
        if need_b:
            grad_b = Tensor._make(prims.reduce_to(g, bias.shape), x.device)
        return grad_x, grad_w, grad_b, None, None, None

    @staticmethod
    def jvp(ctx, tangent_x, tangent_w, tangent_b, _axes, _eps, _stats_out):
        x, weight, bias = ctx.saved_tensors
        axes = ctx.axes
        if records(x, weight, bias):  # xhat and invstd as functions of x, for higher orders
            centered = x - _reduce.mean(x, axis=axes, keepdims=True)
            var = _reduce.mean(centered * centered, axis=axes, keepdims=True)
            invstd = _unary.rsqrt(var + ctx.eps)
            xhat = centered * invstd
        else:
            xhat = Tensor._make(ctx.xhat, x.device)
            invstd = Tensor._make(ctx.invstd, x.device)
        total = None
        if tangent_x is not None:
            # d xhat = invstd * (dx - mean(dx) - xhat * mean(dx * xhat))
            d_xhat = invstd * (
                tangent_x
                - _reduce.mean(tangent_x, axis=axes, keepdims=True)
                - xhat * _reduce.mean(tangent_x * xhat, axis=axes, keepdims=True)
            )
            total = d_xhat * weight if weight is not None else d_xhat
        if tangent_w is not None:
            term = xhat * tangent_w
            total = term if total is None else total + term
        if tangent_b is not None:
            total = tangent_b if total is None else total + tangent_b
        return total


def _normalize_grads_recorded(ctx: Any, grad: Tensor, x: Tensor, weight: Any, bias: Any) -> tuple:
    """The same gradients in differentiable ops, as functions of x, weight and grad."""
    need_x, need_w, need_b = ctx.needs_input_grad[:3]
    axes = ctx.axes
    centered = x - _reduce.mean(x, axis=axes, keepdims=True)
    var = _reduce.mean(centered * centered, axis=axes, keepdims=True)
    invstd = _unary.rsqrt(var + ctx.eps)
    xhat = centered * invstd
    grad_x = grad_w = grad_b = None
    if need_x:
        gx = grad * weight if weight is not None else grad
        grad_x = invstd * (
            gx
            - _reduce.mean(gx, axis=axes, keepdims=True)
            - xhat * _reduce.mean(gx * xhat, axis=axes, keepdims=True)
        )
    if need_w:
        grad_w = sum_to_shape(grad * xhat, tuple(weight.shape))
    if need_b:
        grad_b = sum_to_shape(grad, tuple(bias.shape))
    return grad_x, grad_w, grad_b


def _param_view(param: Any, shape: tuple[int, ...]) -> Any:
    return None if param is None else _shape.reshape(param, shape)


def _check_param(param: Any, expected: tuple, name: str, op: str) -> None:
    if param is not None and tuple(param.shape) != expected:
        raise ValueError(f"{op}: expected {name} of shape {expected}, got {tuple(param.shape)}")


def batch_norm(
    input: Tensor,
    running_mean: Tensor | None,
    running_var: Tensor | None,  # noqa: A002
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise (N, C, ...) input per channel. In training (or without running statistics)
    use the batch's statistics and update the running ones in place (unbiased variance, like
    PyTorch); otherwise use the running statistics."""
    return batch_norm_impl(
        input, running_mean, running_var, weight, bias, training, momentum, eps, "batch_norm"
    )


def batch_norm_impl(
    x: Tensor,
    running_mean: Any,
    running_var: Any,
    weight: Any,
    bias: Any,
    training: bool,
    momentum: float,
    eps: float,
    op: str,
) -> Tensor:
    if _amp.active:
        x, weight, bias = _amp.cast_inputs("batch_norm", x, weight, bias)
    check_tensor(x, "input", op)
    check_floating(x, "input", op)
    if x.ndim < 2:
        raise ValueError(
            f"{op}: expected input of at least 2 dims (N, C, ...), got shape {tuple(x.shape)}"
        )
    channels = x.shape[1]
    for name, value in (
        ("weight", weight),
        ("bias", bias),
        ("running_mean", running_mean),
        ("running_var", running_var),
    ):
        _check_param(value, (channels,), name, op)
    check_same_dtype_device(op, input=x, weight=weight, bias=bias)
    view = (1, channels) + (1,) * (x.ndim - 2)
    w, b = _param_view(weight, view), _param_view(bias, view)
    if training or running_mean is None or running_var is None:
        axes = (0,) + tuple(range(2, x.ndim))
        count = x.data.size // channels
        if training and count <= 1:
            raise ValueError(
                f"{op}: expected more than 1 value per channel when training, "
                f"got input of shape {tuple(x.shape)}"
            )
        stats: list = []
        y = _Normalize.apply(x, w, b, axes, float(eps), stats)
        if training and running_mean is not None and running_var is not None:
            _update_running(running_mean, running_var, *stats[0], count, momentum)
        return y
    scale = _unary.rsqrt(_shape.reshape(running_var, view) + eps)
    if w is not None:
        scale = scale * w
    y = (x - _shape.reshape(running_mean, view)) * scale
    return y + b if b is not None else y


def _update_running(
    running_mean: Tensor, running_var: Tensor, mean: Any, var: Any, count: int, momentum: float
) -> None:
    """running = (1 - momentum) * running + momentum * batch, with the unbiased variance."""
    with no_grad():
        m = running_mean.dtype.type(momentum)
        unbiased = var.reshape(-1) * (count / (count - 1))
        running_mean.data *= 1 - m
        running_mean.data += m * mean.reshape(-1).astype(running_mean.dtype, copy=False)
        running_var.data *= 1 - m
        running_var.data += m * unbiased.astype(running_var.dtype, copy=False)
        running_mean._vc[0] += 1
        running_var._vc[0] += 1


def layer_norm(
    input: Tensor,
    normalized_shape: Any,
    weight: Tensor | None = None,  # noqa: A002
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the trailing ``normalized_shape`` dims; weight/bias have that shape."""
    if _amp.active:
        input, weight, bias = _amp.cast_inputs("layer_norm", input, weight, bias)
    op = "layer_norm"
    check_tensor(input, "input", op)
    check_floating(input, "input", op)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if k == 0 or input.ndim < k or tuple(input.shape[-k:]) != shape:
        raise ValueError(
            f"{op}: expected input whose trailing dims are normalized_shape="
            f"{shape}, got input of shape {tuple(input.shape)}"
        )
    _check_param(weight, shape, "weight", op)
    _check_param(bias, shape, "bias", op)
    check_same_dtype_device(op, input=input, weight=weight, bias=bias)
    view = (1,) * (input.ndim - k) + shape
    axes = tuple(range(input.ndim - k, input.ndim))
    return _Normalize.apply(
        input, _param_view(weight, view), _param_view(bias, view), axes, float(eps), None
    )


def group_norm(
    input: Tensor,
    num_groups: int,
    weight: Tensor | None = None,  # noqa: A002
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise (N, C, ...) input over groups of C/num_groups channels (and all spatial
    positions); weight/bias are per channel."""
    if _amp.active:
        input, weight, bias = _amp.cast_inputs("group_norm", input, weight, bias)
    op = "group_norm"
    check_tensor(input, "input", op)
    check_floating(input, "input", op)
    if input.ndim < 2:
        raise ValueError(
            f"{op}: expected input of at least 2 dims (N, C, ...), got shape {tuple(input.shape)}"
        )
    n, c = input.shape[:2]
    if num_groups < 1 or c % num_groups:
        raise ValueError(
            f"{op}: expected the number of channels ({c}) to be divisible by "
            f"num_groups ({num_groups})"
        )
    _check_param(weight, (c,), "weight", op)
    _check_param(bias, (c,), "bias", op)
    check_same_dtype_device(op, input=input, weight=weight, bias=bias)
    spatial = math.prod(input.shape[2:])
    grouped = _shape.reshape(input, (n, num_groups, c // num_groups, spatial))
    view = (1, num_groups, c // num_groups, 1)
    y = _Normalize.apply(
        grouped, _param_view(weight, view), _param_view(bias, view), (2, 3), float(eps), None
    )
    return _shape.reshape(y, tuple(input.shape))
