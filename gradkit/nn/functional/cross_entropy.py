"""cross_entropy from logits as ONE fused Function on the softmax-cross-entropy primitive.

Class-index targets and class-probability targets, class weights, ignore_index and
label_smoothing, with PyTorch's reduction rules. The first-order backward is the primitive
(softmax minus the scaled target distribution); under create_graph it is written in
differentiable ops (softmax of the saved logits), so higher derivatives work too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...amp import autocast_state as _amp
from ...autograd.function import Function
from ...ops import reduce as _reduce
from ...ops import shape as _shape
from ...ops._util import records
from ...ops.softmax import log_softmax, softmax
from ...tensor import Tensor
from ._args import check_floating, check_tensor

REDUCTIONS = ("mean", "sum", "none")


class _IndexCrossEntropy(Function):
    """Loss of (N, C) logits against (N,) class indices."""

    @staticmethod
    def forward(ctx, logits, labels, weight, ignore_index, label_smoothing, reduction):
        prims = logits.device.primitives
        nll, smooth, log_probs = prims.softmax_cross_entropy_forward(
            logits.data, labels, weight, ignore_index, label_smoothing
        )
        n, c = logits.shape
        a = 1.0 - label_smoothing
        b = label_smoothing / c
        if reduction == "mean":
            valid = labels != ignore_index
            # both terms are averaged over the (weighted) rows that are not ignored
            total = valid.sum() if weight is None else weight[labels[valid]].sum()
            with np.errstate(invalid="ignore", divide="ignore"):
                a, b = a / total, b / total
        dtype = log_probs.dtype
        a, b = dtype.type(a), dtype.type(b)
        losses = nll * a + smooth * b if label_smoothing else nll * a
        out = losses if reduction == "none" else losses.sum()
        ctx.meta = (labels, weight, ignore_index, a, b, reduction)
        ctx.log_probs = log_probs
        ctx.save_for_backward(logits)
        return Tensor._make(logits.device.xp.asarray(out, dtype=logits.dtype), logits.device)

    @staticmethod
    def backward(ctx, grad):
        (logits,) = ctx.saved_tensors
        labels, weight, ignore_index, a, b, reduction = ctx.meta
        if records(grad, logits):
            return (
                _index_grad_recorded(logits, grad, labels, weight, ignore_index, a, b, reduction),
                None,
                None,
                None,
                None,
                None,
            )
        g = grad.data.astype(ctx.log_probs.dtype, copy=False)
        out = logits.device.primitives.softmax_cross_entropy_backward(
            ctx.log_probs, labels, weight, ignore_index, g * a, g * b, logits.dtype
        )
        return Tensor._make(out, logits.device), None, None, None, None, None

    @staticmethod
    def jvp(ctx, tangent, _labels, _weight, _ignore_index, _label_smoothing, _reduction):
        # d loss_i = sum_c G[i, c] * dz[i, c], with G the gradient of loss_i (softmax - target)
        (logits,) = ctx.saved_tensors
        labels, weight, ignore_index, a, b, reduction = ctx.meta
        xp = logits.device.xp
        if records(logits):
            one = Tensor._make(xp.ones((), dtype=logits.dtype), logits.device)
            slope = _index_grad_recorded(logits, one, labels, weight, ignore_index, a, b, "sum")
        else:
            ones = xp.ones(logits.shape[0], dtype=ctx.log_probs.dtype)
            slope = Tensor._make(
                logits.device.primitives.softmax_cross_entropy_backward(
                    ctx.log_probs, labels, weight, ignore_index, ones * a, ones * b, logits.dtype
                ),
                logits.device,
            )
        products = slope * tangent
        return _reduce.sum(products, axis=1) if reduction == "none" else _reduce.sum(products)


def _index_grad_recorded(
    logits: Tensor,
    grad: Tensor,
    labels: Any,
    weight: Any,
    ignore_index: int,
    a: Any,
    b: Any,
    reduction: str,
) -> Tensor:
    """g * (softmax(z) * sum(T) - T) in differentiable ops; T is the constant target
    distribution a*w[y]*onehot(y) + b*w (zero on ignored rows)."""
    xp = logits.device.xp
    n, c = logits.shape
    dtype = logits.dtype
    valid = labels != ignore_index
    safe = xp.where(valid, labels, 0)
    w = xp.ones(c, dtype=dtype) if weight is None else weight.astype(dtype)
    target = xp.zeros((n, c), dtype=dtype)
    target[xp.arange(n), safe] = a * w[safe]
    target += b * w
    target[~valid] = 0
    t = Tensor._make(target, logits.device)
    total = Tensor._make(target.sum(axis=1, keepdims=True), logits.device)
    g = _shape.reshape(grad, (n, 1)) if reduction == "none" else grad
    return (softmax(logits, axis=1) * total - t) * g


class _SoftCrossEntropy(Function):
    """Loss of (N, C) logits against (N, C) (already smoothed) class probabilities."""

    @staticmethod
    def forward(ctx, logits, target, weight, smoothing, reduction):
        prims = logits.device.primitives
        losses, log_probs = prims.soft_cross_entropy_forward(
            logits.data, _smoothed(target.data, smoothing), weight
        )
        n = logits.shape[0]
        scale = log_probs.dtype.type(1.0 / n if reduction == "mean" else 1.0)
        out = losses if reduction == "none" else losses.sum() * scale
        ctx.meta = (weight, smoothing, reduction, scale)
        ctx.log_probs = log_probs
        ctx.save_for_backward(logits, target)
        return Tensor._make(logits.device.xp.asarray(out, dtype=logits.dtype), logits.device)

    @staticmethod
    def backward(ctx, grad):
        logits, target = ctx.saved_tensors
        weight, smoothing, reduction, scale = ctx.meta
        need_z, need_t = ctx.needs_input_grad[:2]
        n, c = logits.shape
        g = _shape.reshape(grad, (n, 1)) if reduction == "none" else grad * float(scale)
        xp = logits.device.xp
        w = None if weight is None else Tensor._make(weight.astype(logits.dtype), logits.device)
        grad_z = grad_t = None
        if records(grad, logits, target):
            t = target * (1.0 - smoothing) + smoothing / c
            tw = t * w if w is not None else t
            if need_z:
                total = _reduce.sum(tw, axis=1, keepdims=True)
                grad_z = (softmax(logits, axis=1) * total - tw) * g
            if need_t:
                log_p = log_softmax(logits, axis=1)
                lw = log_p * w if w is not None else log_p
                grad_t = lw * (g * -(1.0 - smoothing))
            return grad_z, grad_t, None, None, None
        gd = xp.asarray(g.data, dtype=ctx.log_probs.dtype).reshape(-1)
        if need_z:
            out = logits.device.primitives.soft_cross_entropy_backward(
                ctx.log_probs, _smoothed(target.data, smoothing), weight, gd, logits.dtype
            )
            grad_z = Tensor._make(out, logits.device)
        if need_t:
            lw = ctx.log_probs if weight is None else ctx.log_probs * weight
            gt = lw * (gd.reshape(-1, 1) * -(1.0 - smoothing))
            grad_t = Tensor._make(gt.astype(target.dtype, copy=False), logits.device)
        return grad_z, grad_t, None, None, None

    @staticmethod
    def jvp(ctx, tangent_z, tangent_t, _weight, _smoothing, _reduction):
        logits, target = ctx.saved_tensors
        weight, smoothing, reduction, scale = ctx.meta
        c = logits.shape[1]
        w = None if weight is None else Tensor._make(weight.astype(logits.dtype), logits.device)
        per_row = None
        if tangent_z is not None:
            t = target * (1.0 - smoothing) + smoothing / c
            tw = t * w if w is not None else t
            total = _reduce.sum(tw, axis=1, keepdims=True)
            per_row = _reduce.sum((softmax(logits, axis=1) * total - tw) * tangent_z, axis=1)
        if tangent_t is not None:
            log_p = log_softmax(logits, axis=1)
            lw = log_p * w if w is not None else log_p
            term = _reduce.sum(lw * tangent_t, axis=1) * -(1.0 - smoothing)
            per_row = term if per_row is None else per_row + term
        if per_row is None or reduction == "none":
            return per_row
        return _reduce.sum(per_row) * float(scale)


def _smoothed(target: Any, smoothing: float) -> Any:
    if not smoothing:
        return target
    c = target.shape[1]
    return target * target.dtype.type(1.0 - smoothing) + target.dtype.type(smoothing / c)


def check_reduction(reduction: Any, op: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: expected reduction to be one of {REDUCTIONS}, got {reduction!r}")


def class_labels(target: Any, logits_shape: tuple, ignore_index: int, op: str) -> Any:
    """The target's integer array, checked against the number of classes."""
    labels = target.data if isinstance(target, Tensor) else np.asarray(target)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{op}: expected integer class labels, got dtype {labels.dtype}")
    classes = logits_shape[1] if len(logits_shape) > 1 else logits_shape[0]
    expected = (logits_shape[0],) + tuple(logits_shape[2:]) if len(logits_shape) > 1 else ()
    if tuple(labels.shape) != expected:
        raise ValueError(
            f"{op}: expected a target of shape {expected} for input of shape "
            f"{tuple(logits_shape)}, got {tuple(labels.shape)}"
        )
    if labels.size:
        bad = (labels < 0) | (labels >= classes)
        bad &= labels != ignore_index
        if bad.any():
            first = int(labels[bad].reshape(-1)[0])
            raise ValueError(
                f"{op}: expected class labels in [0, {classes}) for {classes} "
                f"classes (or ignore_index={ignore_index}), got label {first}"
            )
    return labels


def class_weight(weight: Any, classes: int, dtype: Any, op: str) -> Any:
    if weight is None:
        return None
    check_tensor(weight, "weight", op)
    if tuple(weight.shape) != (classes,):
        raise ValueError(
            f"{op}: expected a class weight of shape ({classes},), got {tuple(weight.shape)}"
        )
    return weight.data.astype(dtype, copy=False)


def rows_of(x: Tensor) -> Tensor:
    """(N, C, d1, ...) -> (N*d1*..., C): the class axis last, one row per prediction."""
    if x.ndim <= 2:
        return x
    moved = _shape.movedim(x, 1, -1)
    return _shape.reshape(moved, (-1, x.shape[1]))


def cross_entropy(
    input: Tensor,
    target: Any,
    weight: Tensor | None = None,  # noqa: A002
    size_average: Any = None,
    ignore_index: int = -100,
    reduce: Any = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross entropy of logits (N, C), (C,) or (N, C, d1, ...) against class indices or class
    probabilities (a float target shaped like the input)."""
    if _amp.active:
        input, target = _amp.cast_inputs("cross_entropy", input, target)
    op = "cross_entropy"
    check_tensor(input, "input", op)
    check_floating(input, "input", op)
    check_reduction(reduction, op)
    if size_average is not None or reduce is not None:
        raise TypeError(f"{op}: size_average and reduce are deprecated; use reduction=")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: expected label_smoothing in [0, 1], got {label_smoothing}")
    if input.ndim == 0:
        raise ValueError(
            f"{op}: expected input of shape (C,), (N, C) or (N, C, d1, ...), got a 0-d tensor"
        )
    unbatched = input.ndim == 1
    logits = _shape.reshape(input, (1, input.shape[0])) if unbatched else input
    classes = logits.shape[1]
    w = class_weight(weight, classes, input.dtype, op)
    is_probs = isinstance(target, Tensor) and target.dtype.kind == "f"
    if is_probs:
        if tuple(target.shape) != tuple(input.shape):
            raise ValueError(
                f"{op}: expected a probability target of the input's shape "
                f"{tuple(input.shape)}, got {tuple(target.shape)}"
            )
        probs = _shape.reshape(target, (1, classes)) if unbatched else target
        if probs.dtype != input.dtype:
            probs = probs.to(input.dtype)
        out = _SoftCrossEntropy.apply(
            rows_of(logits), rows_of(probs), w, float(label_smoothing), reduction
        )
    else:
        labels = class_labels(target, tuple(input.shape), ignore_index, op)
        labels = labels.reshape(1) if unbatched else labels
        out = _IndexCrossEntropy.apply(
            rows_of(logits),
            labels.reshape(-1),
            w,
            int(ignore_index),
            float(label_smoothing),
            reduction,
        )
    if reduction == "none":
        shape = () if unbatched else (logits.shape[0],) + tuple(logits.shape[2:])
        out = _shape.reshape(out, shape)
    return out
