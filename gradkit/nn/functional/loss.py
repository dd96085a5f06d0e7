"""Losses other than cross_entropy (see cross_entropy.py): regression losses, nll_loss, binary
cross entropy (on probabilities and, stably, on logits) and kl_div. Each is a short
composition of differentiable ops, so every order of derivative works; reduction is
"mean" | "sum" | "none" like PyTorch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import ops
from ...amp import autocast_state as _amp
from ...tensor import Tensor
from ._args import check_floating, check_tensor
from .cross_entropy import check_reduction, class_labels, class_weight, rows_of


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return ops.mean(loss)
    if reduction == "sum":
        return ops.sum(loss)
    return loss


def _pair(input: Any, target: Any, op: str, reduction: str) -> None:  # noqa: A002
    check_tensor(input, "input", op)
    check_tensor(target, "target", op)
    check_floating(input, "input", op)
    check_reduction(reduction, op)
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(
            f"{op}: expected input and target of the same shape, got "
            f"{tuple(input.shape)} and {tuple(target.shape)}"
        )


def mse_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:  # noqa: A002
    """(input - target)**2."""
    if _amp.active:
        input, target = _amp.cast_inputs("mse_loss", input, target)
    _pair(input, target, "mse_loss", reduction)
    diff = input - target
    return _reduce(diff * diff, reduction)


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:  # noqa: A002
    """|input - target|."""
    if _amp.active:
        input, target = _amp.cast_inputs("l1_loss", input, target)
    _pair(input, target, "l1_loss", reduction)
    return _reduce(ops.abs(input - target), reduction)


def huber_loss(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",  # noqa: A002
    delta: float = 1.0,
) -> Tensor:
    """0.5 d**2 where |d| < delta, else delta * (|d| - 0.5 delta)."""
    if _amp.active:
        input, target = _amp.cast_inputs("huber_loss", input, target)
    _pair(input, target, "huber_loss", reduction)
    if delta <= 0:
        raise ValueError(f"huber_loss: expected delta > 0, got {delta}")
    diff = input - target
    size = ops.abs(diff)
    loss = ops.where(size < delta, diff * diff * 0.5, (size - 0.5 * delta) * delta)
    return _reduce(loss, reduction)


def smooth_l1_loss(
    input: Tensor,
    target: Tensor,
    reduction: str = "mean",  # noqa: A002
    beta: float = 1.0,
) -> Tensor:
    """0.5 d**2 / beta where |d| < beta, else |d| - 0.5 beta (beta = 0: l1_loss)."""
    if _amp.active:
        input, target = _amp.cast_inputs("smooth_l1_loss", input, target)
    _pair(input, target, "smooth_l1_loss", reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: expected beta >= 0, got {beta}")
    diff = input - target
    size = ops.abs(diff)
    if beta == 0:
        return _reduce(size, reduction)
    loss = ops.where(size < beta, diff * diff * (0.5 / beta), size - 0.5 * beta)
    return _reduce(loss, reduction)


def nll_loss(
    input: Tensor,
    target: Any,
    weight: Tensor | None = None,  # noqa: A002
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """-weight[y] * input[y] for log-probabilities (N, C), (C,) or (N, C, d1, ...); "mean"
    divides by the summed weights of the rows that are not ignored."""
    if _amp.active:
        (input,) = _amp.cast_inputs("nll_loss", input)
    op = "nll_loss"
    check_tensor(input, "input", op)
    check_floating(input, "input", op)
    check_reduction(reduction, op)
    if input.ndim == 0:
        raise ValueError(
            f"{op}: expected input of shape (C,), (N, C) or (N, C, d1, ...), got a 0-d tensor"
        )
    labels = class_labels(target, tuple(input.shape), ignore_index, op)
    classes = input.shape[1] if input.ndim > 1 else input.shape[0]
    w = class_weight(weight, classes, input.dtype, op)
    rows = rows_of(input) if input.ndim > 1 else ops.reshape(input, (1, classes))
    flat = labels.reshape(-1)
    valid = flat != ignore_index
    safe = np.where(valid, flat, 0)
    row_weight = (np.ones(flat.shape, dtype=input.dtype) if w is None else w[safe]) * valid
    xp = input.device.xp
    picked = ops.take_along_axis(
        rows, Tensor._make(xp.asarray(safe.reshape(-1, 1)), input.device), 1
    )
    losses = -ops.reshape(picked, (-1,)) * Tensor._make(xp.asarray(row_weight), input.device)
    if reduction == "mean":
        return ops.sum(losses) / float(row_weight.sum())
    if reduction == "sum":
        return ops.sum(losses)
    return ops.reshape(losses, tuple(labels.shape))


def _weighted(loss: Tensor, weight: Any, op: str) -> Tensor:
    if weight is None:
        return loss
    check_tensor(weight, "weight", op)
    return loss * weight


def binary_cross_entropy(
    input: Tensor,
    target: Tensor,
    weight: Tensor | None = None,  # noqa: A002
    reduction: str = "mean",
) -> Tensor:
    """-(t log p + (1 - t) log(1 - p)) for probabilities p; each log is clamped at -100 like
    PyTorch, so p = 0 or 1 gives a finite loss."""
    if _amp.active:
        input, target = _amp.cast_inputs("binary_cross_entropy", input, target)
    op = "binary_cross_entropy"
    _pair(input, target, op, reduction)
    data = input.data
    if data.size and (float(data.min()) < 0 or float(data.max()) > 1):
        raise ValueError(
            f"{op}: expected all input values in [0, 1], got values from "
            f"{float(data.min())} to {float(data.max())}"
        )
    log_p = ops.clamp(ops.log(input), min=-100.0)
    log_not_p = ops.clamp(ops.log1p(-input), min=-100.0)
    loss = -(target * log_p + (1 - target) * log_not_p)
    return _reduce(_weighted(loss, weight, op), reduction)


def binary_cross_entropy_with_logits(
    input: Tensor,
    target: Tensor,  # noqa: A002
    weight: Tensor | None = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """binary_cross_entropy(sigmoid(x), t) computed stably from logits x:
    (1 - t) x + (1 + (pos_weight - 1) t) * softplus(-x)."""
    if _amp.active:
        input, target = _amp.cast_inputs("binary_cross_entropy_with_logits", input, target)
    op = "binary_cross_entropy_with_logits"
    _pair(input, target, op, reduction)
    # softplus(-x) = log1p(exp(-|x|)) + max(-x, 0): exp never overflows
    softplus_neg = ops.log1p(ops.exp(-ops.abs(input))) + ops.relu(-input)
    if pos_weight is not None:
        check_tensor(pos_weight, "pos_weight", op)
        log_weight = (pos_weight - 1) * target + 1
        loss = (1 - target) * input + log_weight * softplus_neg
    else:
        loss = (1 - target) * input + softplus_neg
    return _reduce(_weighted(loss, weight, op), reduction)


def kl_div(
    input: Tensor,
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,  # noqa: A002
    reduction: str = "mean",
    log_target: bool = False,
) -> Tensor:
    """KL(target || exp(input)) pointwise for log-probabilities ``input``: target * (log target
    - input), with 0 where target = 0 (or exp(t) * (t - input) when log_target).
    reduction "batchmean" divides the sum by the batch size."""
    if _amp.active:
        input, target = _amp.cast_inputs("kl_div", input, target)
    op = "kl_div"
    if size_average is not None or reduce is not None:
        raise TypeError(f"{op}: size_average and reduce are deprecated; use reduction=")
    check_tensor(input, "input", op)
    check_tensor(target, "target", op)
    check_floating(input, "input", op)
    if reduction not in ("mean", "sum", "none", "batchmean"):
        raise ValueError(
            f"{op}: expected reduction to be one of ('mean', 'sum', 'none', "
            f"'batchmean'), got {reduction!r}"
        )
    if log_target:
        loss = ops.exp(target) * (target - input)
    else:
        positive = target > 0
        safe = ops.where(positive, target, 1.0)  # log(1) = 0 keeps gradients finite at t = 0
        loss = ops.where(positive, target * ops.log(safe), 0.0) - target * input
    if reduction == "batchmean":
        batch = input.shape[0] if input.ndim else 1
        return ops.sum(loss) / batch
    return _reduce(loss, reduction)
