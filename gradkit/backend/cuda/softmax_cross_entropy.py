"""Launchers for kernels/softmax_cross_entropy.cu, and the soft-target pieces in array code:
the CUDA twins of gradkit.backend.cpu.softmax_cross_entropy (same signatures plus `runtime`).

Outputs follow the twin: nll, smooth and log_probs in the computing dtype (float32 for
float16 logits), the logits gradient in ``out_dtype``.
"""

from __future__ import annotations

import numpy as np

from gradkit.backend.cuda import softmax as _softmax
from gradkit.backend.cuda.kernel_args import (
    FLOAT_DTYPES,
    accumulate_dtype,
    c_contiguous,
    c_type,
    check_float_dtype,
    resolve_runtime,
    row_geometry,
)
from gradkit.backend.cuda.launch import KernelRuntime, launch

KERNEL_FILE = "softmax_cross_entropy.cu"
FUNCTIONS = ("softmax_cross_entropy_forward", "softmax_cross_entropy_backward")


def kernel_name(function: str, dtype) -> str:
    return f"{function}<{c_type(dtype)}>"


NAME_EXPRESSIONS = tuple(
    kernel_name(function, dtype) for function in FUNCTIONS for dtype in FLOAT_DTYPES
)


def log_softmax_rows(logits, *, runtime: KernelRuntime | None = None):
    """log_softmax over the last axis, in the computing dtype (float32 for float16)."""
    check_float_dtype("log_softmax_rows", "logits", logits)
    runtime = resolve_runtime(runtime)
    compute = logits.astype(accumulate_dtype(logits.dtype), copy=False)
    return _softmax.log_softmax_forward(compute, max(logits.ndim - 1, 0), runtime=runtime)


def softmax_cross_entropy_forward(
    logits,
    labels,
    class_weight,
    ignore_index: int,
    label_smoothing: float,
    *,
    runtime: KernelRuntime | None = None,
):
    """Class-index targets. Returns (nll, smooth, log_probs), each per row (N,):
    nll = w[y] * -log p[y]; smooth = sum_c w[c] * -log p[c] (zeros unless label_smoothing);
    rows whose label is ignore_index give 0. log_probs (N, C) is kept for the backward.
    """
    op = "softmax_cross_entropy_forward"
    runtime = resolve_runtime(runtime)
    xp = runtime.xp
    _check_logits(op, logits)
    n, c = logits.shape
    acc = accumulate_dtype(logits.dtype)
    labels = _labels(op, runtime, labels, n)
    weight = _weight(op, runtime, class_weight, c, acc)
    nll = xp.empty(n, dtype=acc)
    smooth = xp.empty(n, dtype=acc)
    log_probs = xp.empty((n, c), dtype=acc)
    if n and c:
        launch(
            runtime,
            KERNEL_FILE,
            kernel_name("softmax_cross_entropy_forward", logits.dtype),
            *row_geometry(runtime, n, c),
            (
                c_contiguous(runtime, logits),
                labels,
                log_probs if weight is None else weight,  # never read without weights
                np.int32(weight is not None),
                np.int64(ignore_index),
                np.int32(label_smoothing > 0),
                nll,
                smooth,
                log_probs,
                np.int64(n),
                np.int64(c),
            ),
        )
    elif n:  # no classes: every label must be ignored; the twin's sums over C are 0
        nll[...] = 0
        smooth[...] = 0
    return nll, smooth, log_probs


def softmax_cross_entropy_backward(
    log_probs,
    labels,
    class_weight,
    ignore_index: int,
    nll_scale,
    smooth_scale,
    out_dtype,
    *,
    runtime: KernelRuntime | None = None,
):
    """d(loss)/dlogits for loss = sum_n nll_scale[n]*nll[n] + smooth_scale[n]*smooth[n]
    (scales: per-row arrays or scalars)."""
    op = "softmax_cross_entropy_backward"
    runtime = resolve_runtime(runtime)
    xp = runtime.xp
    _check_logits(op, log_probs)
    n, c = log_probs.shape
    acc = log_probs.dtype
    out_dtype = np.dtype(out_dtype)
    # The kernel writes T and computes in acc_t<T>: pick the T whose acc_t is log_probs'.
    kernel_dtype = out_dtype if accumulate_dtype(out_dtype) == acc else acc
    labels = _labels(op, runtime, labels, n)
    weight = _weight(op, runtime, class_weight, c, acc)
    nll_scale, nll_stride = _per_row(op, "nll_scale", runtime, nll_scale, n, acc)
    smooth_scale, smooth_stride = _per_row(op, "smooth_scale", runtime, smooth_scale, n, acc)
    if weight is None:
        total = xp.full(1, c, dtype=acc)
    else:
        total = weight.sum().reshape(1)
    grad = xp.empty((n, c), dtype=kernel_dtype)
    if n and c:
        launch(
            runtime,
            KERNEL_FILE,
            kernel_name("softmax_cross_entropy_backward", kernel_dtype),
            *row_geometry(runtime, n, c),
            (
                c_contiguous(runtime, log_probs),
                labels,
                log_probs if weight is None else weight,
                np.int32(weight is not None),
                total,
                np.int64(ignore_index),
                nll_scale,
                np.int64(nll_stride),
                smooth_scale,
                np.int64(smooth_stride),
                grad,
                np.int64(n),
                np.int64(c),
            ),
        )
    return grad.astype(out_dtype, copy=False)


def soft_cross_entropy_forward(
    logits, target, class_weight, *, runtime: KernelRuntime | None = None
):
    """Probability targets (N, C): per row -sum_c w[c] * target[c] * log p[c]; and log_probs."""
    log_probs = log_softmax_rows(logits, runtime=runtime)
    weighted = target.astype(log_probs.dtype, copy=False) * log_probs
    if class_weight is not None:
        weighted *= class_weight.astype(log_probs.dtype, copy=False)
    return -weighted.sum(axis=1), log_probs


def soft_cross_entropy_backward(
    log_probs, target, class_weight, scale, out_dtype, *, runtime: KernelRuntime | None = None
):
    """d(loss)/dlogits of sum_n scale[n] * soft_cross_entropy[n]: scale * (p sum(t) - t),
    t = w * target."""
    xp = resolve_runtime(runtime).xp
    dtype = log_probs.dtype
    t = target.astype(dtype, copy=False)
    if class_weight is not None:
        t = t * class_weight.astype(dtype, copy=False)
    s = xp.broadcast_to(xp.asarray(scale, dtype=dtype), (log_probs.shape[0],))[:, None]
    grad = xp.exp(log_probs) * (t.sum(axis=1, keepdims=True) * s)
    grad -= t * s
    return grad.astype(out_dtype, copy=False)


def _check_logits(op: str, logits) -> None:
    check_float_dtype(op, "logits", logits)
    if logits.ndim != 2:
        raise ValueError(f"{op}: expected (N, C) logits, got shape {tuple(logits.shape)}")


def _labels(op: str, runtime: KernelRuntime, labels, n: int):
    labels = runtime.xp.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{op}: expected integer class labels, got dtype {labels.dtype}")
    if labels.shape != (n,):
        raise ValueError(f"{op}: expected labels of shape ({n},), got {tuple(labels.shape)}")
    return c_contiguous(runtime, labels.astype(np.int64, copy=False))


def _weight(op: str, runtime: KernelRuntime, class_weight, c: int, dtype):
    if class_weight is None:
        return None
    weight = runtime.xp.asarray(class_weight)
    if weight.shape != (c,):
        raise ValueError(f"{op}: expected a class weight of shape ({c},), got {weight.shape}")
    return c_contiguous(runtime, weight.astype(dtype, copy=False))


def _per_row(op: str, name: str, runtime: KernelRuntime, scale, n: int, dtype):
    """(contiguous array, stride): stride 0 makes one value serve every row."""
    scale = runtime.xp.asarray(scale, dtype=dtype)
    if scale.size == 1:
        return c_contiguous(runtime, scale.reshape(1)), 0
    if scale.shape != (n,):
        raise ValueError(
            f"{op}: expected {name} to be a scalar or of shape ({n},), got {tuple(scale.shape)}"
        )
    return c_contiguous(runtime, scale), 1
