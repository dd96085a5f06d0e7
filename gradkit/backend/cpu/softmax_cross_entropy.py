"""Fused softmax + cross-entropy over the rows of (N, C) logits, in NumPy: the CPU path and the
reference for the CUDA kernel.

Forward: a stable log-softmax (max-shifted) and, per row, the negative log-likelihood of the
label (class indices) or of a probability row (soft targets). Backward: softmax minus the
(scaled) target distribution, in one pass, without a one-hot matrix for class indices.
All arithmetic stays in the logits' dtype (float16 runs in float32): integer labels never
promote it.
"""

from __future__ import annotations

import numpy as np


def _computing(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float32) if x.dtype == np.float16 else x


def log_softmax_rows(logits: np.ndarray) -> np.ndarray:
    """log_softmax over the last axis, max-shifted so exp never overflows."""
    z = _computing(logits)
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax_cross_entropy_forward(
    logits: np.ndarray,
    labels: np.ndarray,
    class_weight: np.ndarray | None,
    ignore_index: int,
    label_smoothing: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Class-index targets. Returns (nll, smooth, log_probs), each per row (N,):
    nll = w[y] * -log p[y]; smooth = sum_c w[c] * -log p[c] (zeros unless label_smoothing);
    rows whose label is ignore_index give 0. log_probs (N, C) is kept for the backward.
    """
    log_probs = log_softmax_rows(logits)
    n = log_probs.shape[0]
    valid = labels != ignore_index
    safe = np.where(valid, labels, 0)
    picked = -log_probs[np.arange(n), safe]
    if class_weight is not None:
        picked = picked * class_weight.astype(log_probs.dtype, copy=False)[safe]
    nll = np.where(valid, picked, log_probs.dtype.type(0))
    if label_smoothing > 0:
        weighted = (
            log_probs
            if class_weight is None
            else log_probs * class_weight.astype(log_probs.dtype, copy=False)
        )
        smooth = np.where(valid, -weighted.sum(axis=1), log_probs.dtype.type(0))
    else:
        smooth = np.zeros_like(nll)
    return nll, smooth, log_probs


def softmax_cross_entropy_backward(
    log_probs: np.ndarray,
    labels: np.ndarray,
    class_weight: np.ndarray | None,
    ignore_index: int,
    nll_scale: np.ndarray,
    smooth_scale: np.ndarray,
    out_dtype: np.dtype,
) -> np.ndarray:
    """d(loss)/dlogits for loss = sum_n nll_scale[n]*nll[n] + smooth_scale[n]*smooth[n].

    Row n: softmax * (a_n w[y] + b_n sum(w)) - (a_n w[y] onehot(y) + b_n w), with
    a = nll_scale, b = smooth_scale (per-row arrays or scalars) and w = 1 without weights.
    """
    dtype = log_probs.dtype
    n, c = log_probs.shape
    valid = labels != ignore_index
    safe = np.where(valid, labels, 0)
    zero = dtype.type(0)
    a = np.broadcast_to(np.asarray(nll_scale, dtype=dtype), (n,))
    b = np.broadcast_to(np.asarray(smooth_scale, dtype=dtype), (n,))
    if class_weight is None:
        w_label = np.ones(n, dtype=dtype)
        w_total = dtype.type(c)
    else:
        w = class_weight.astype(dtype, copy=False)
        w_label = w[safe]
        w_total = w.sum()
    a = np.where(valid, a * w_label, zero)
    b = np.where(valid, b, zero)
    grad = np.exp(log_probs)
    grad *= (a + b * w_total)[:, None]
    if class_weight is None:
        grad -= b[:, None]
    else:
        grad -= b[:, None] * w
    grad[np.arange(n), safe] -= a
    return grad.astype(out_dtype, copy=False)


def soft_cross_entropy_forward(
    logits: np.ndarray, target: np.ndarray, class_weight: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Probability targets (N, C): per row -sum_c w[c] * target[c] * log p[c]; and log_probs."""
    log_probs = log_softmax_rows(logits)
    weighted = target.astype(log_probs.dtype, copy=False) * log_probs
    if class_weight is not None:
        weighted *= class_weight.astype(log_probs.dtype, copy=False)
    return -weighted.sum(axis=1), log_probs


def soft_cross_entropy_backward(
    log_probs: np.ndarray,
    target: np.ndarray,
    class_weight: np.ndarray | None,
    scale: np.ndarray,
    out_dtype: np.dtype,
) -> np.ndarray:
    """d(loss)/dlogits of sum_n scale[n] * soft_cross_entropy[n]: scale * (p sum(t) - t),
    t = w * target."""
    dtype = log_probs.dtype
    t = target.astype(dtype, copy=False)
    if class_weight is not None:
        t = t * class_weight.astype(dtype, copy=False)
    s = np.broadcast_to(np.asarray(scale, dtype=dtype), (log_probs.shape[0],))[:, None]
    grad = np.exp(log_probs) * (t.sum(axis=1, keepdims=True) * s)
    grad -= t * s
    return grad.astype(out_dtype, copy=False)
