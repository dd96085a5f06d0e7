"""2-D max and average pooling in NumPy: the CPU path and the reference for the CUDA kernels.

Each pooling is a loop over the kh*kw window offsets of strided slices of one padded buffer, so
the work is a few whole-array passes and no (N, C, Ho, Wo, kh, kw) copy. Max pooling records,
per output, the window offset (i*kw + j) of its maximum (the first one on ties, like PyTorch);
its backward scatters through that record and the double backward gathers through it.
"""

from __future__ import annotations

import math

import numpy as np

from .conv import Pair
from .select import select_or_zero

_OFFSET_DTYPE = np.dtype(np.int16)  # a window offset (i*kw + j); kernels stay far below 2**15


def pool_output_size(
    size: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool
) -> int:
    """PyTorch's pooling output length, including the ceil_mode rule that the last window
    must start inside the input or its left padding."""
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    out = (math.ceil(span / stride) if ceil_mode else span // stride) + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def _buffer_size(size: int, out: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    # ceil_mode may let the last window reach past the right padding
    return max(size + 2 * padding, (out - 1) * stride + dilation * (kernel - 1) + 1)


def _padded(x: np.ndarray, padding: Pair, shape_hw: Pair, value: float) -> np.ndarray:
    h, w = x.shape[-2:]
    if (h, w) == tuple(shape_hw):
        return x
    out = np.full(x.shape[:-2] + tuple(shape_hw), value, dtype=x.dtype)
    out[..., padding[0] : padding[0] + h, padding[1] : padding[1] + w] = x
    return out


def _window_slices(kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair):
    """(offset, (row slice, col slice)) for every window offset (i, j)."""
    h_span = stride[0] * (out_hw[0] - 1) + 1
    w_span = stride[1] * (out_hw[1] - 1) + 1
    for i in range(kernel[0]):
        r = i * dilation[0]
        for j in range(kernel[1]):
            c = j * dilation[1]
            yield (
                i * kernel[1] + j,
                (slice(r, r + h_span, stride[0]), slice(c, c + w_span, stride[1])),
            )


def _geometry(
    x_hw: Pair, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair, ceil_mode: bool
) -> tuple[Pair, Pair]:
    out = tuple(
        pool_output_size(x_hw[a], kernel[a], stride[a], padding[a], dilation[a], ceil_mode)
        for a in (0, 1)
    )
    buf = tuple(
        _buffer_size(x_hw[a], out[a], kernel[a], stride[a], padding[a], dilation[a]) for a in (0, 1)
    )
    return out, buf


def max_pool2d_forward(
    x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair, ceil_mode: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(y, offsets): the window maxima of x (..., H, W) and where in the window each was."""
    out_hw, buf_hw = _geometry(x.shape[-2:], kernel, stride, padding, dilation, ceil_mode)
    xp = _padded(x, padding, buf_hw, -np.inf)
    candidates = [
        xp[..., rows, cols] for _, (rows, cols) in _window_slices(kernel, stride, dilation, out_hw)
    ]
    # Branch-free passes (masked copies/assignments branch on random data and cost ~10x more):
    # the maximum, then the first offset holding it, as the largest of (window size - k) over
    # the offsets k that hold it.
    y = candidates[0].copy()
    for candidate in candidates[1:]:
        np.maximum(y, candidate, out=y)  # propagates NaN
    if np.isnan(y).any():
        return _max_pool2d_forward_nan(candidates, x.shape[:-2] + out_hw)
    size = len(candidates)
    rank = np.zeros(y.shape, dtype=_OFFSET_DTYPE)
    code = np.empty(y.shape, dtype=_OFFSET_DTYPE)
    for k, candidate in enumerate(candidates):
        np.multiply(candidate == y, _OFFSET_DTYPE.type(size - k), out=code)
        np.maximum(rank, code, out=rank)
    np.subtract(_OFFSET_DTYPE.type(size), rank, out=rank)
    return y, rank


def _max_pool2d_forward_nan(candidates: list, out_shape: tuple) -> tuple[np.ndarray, np.ndarray]:
    """The reference scan, for inputs with NaN: a NaN wins (the last one in the window), like
    PyTorch; otherwise the first maximum."""
    y = candidates[0].copy()
    offsets = np.zeros(out_shape, dtype=_OFFSET_DTYPE)
    for k, candidate in enumerate(candidates[1:], start=1):
        better = (candidate > y) | np.isnan(candidate)
        np.copyto(y, candidate, where=better)
        offsets[better] = k
    return y, offsets


def max_pool2d_backward(
    grad_out: np.ndarray,
    offsets: np.ndarray,
    x_shape: tuple,
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    ceil_mode: bool,
) -> np.ndarray:
    """Scatter grad_out (..., Ho, Wo) to where each maximum came from in x (..., H, W)."""
    out_hw, buf_hw = _geometry(x_shape[-2:], kernel, stride, padding, dilation, ceil_mode)
    buf = np.zeros(tuple(x_shape[:-2]) + buf_hw, dtype=grad_out.dtype)
    # Adding (not writing) even where windows do not overlap: 0.0 + (-0.0) is +0.0, like
    # PyTorch's scatter-add.
    for k, (rows, cols) in _window_slices(kernel, stride, dilation, out_hw):
        buf[..., rows, cols] += select_or_zero(offsets == k, grad_out)
    h, w = x_shape[-2:]
    return np.ascontiguousarray(buf[..., padding[0] : padding[0] + h, padding[1] : padding[1] + w])


def max_pool2d_gather(
    grad_in: np.ndarray,
    offsets: np.ndarray,
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    ceil_mode: bool,
) -> np.ndarray:
    """The adjoint of max_pool2d_backward: pick grad_in (..., H, W) at each window's maximum."""
    out_hw, buf_hw = _geometry(grad_in.shape[-2:], kernel, stride, padding, dilation, ceil_mode)
    gp = _padded(grad_in, padding, buf_hw, 0)
    out = np.zeros(offsets.shape, dtype=grad_in.dtype)
    for k, (rows, cols) in _window_slices(kernel, stride, dilation, out_hw):
        np.copyto(out, gp[..., rows, cols], where=offsets == k)
    return out


def max_pool2d_flat_indices(
    offsets: np.ndarray, x_hw: Pair, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair
) -> np.ndarray:
    """PyTorch's return_indices: each maximum's flat position in its (H, W) input plane."""
    ho, wo = offsets.shape[-2:]
    i, j = np.divmod(offsets.astype(np.int64), kernel[1])
    rows = np.arange(ho).reshape(ho, 1) * stride[0] - padding[0] + i * dilation[0]
    cols = np.arange(wo) * stride[1] - padding[1] + j * dilation[1]
    return rows * x_hw[1] + cols


def _avg_divisor(
    x_hw: Pair,
    out_hw: Pair,
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    count_include_pad: bool,
    divisor_override: int | None,
    dtype: np.dtype,
):
    """The (Ho, Wo) divisors, by PyTorch's rule: windows are clipped to the padded input, and
    also to the input itself unless count_include_pad."""
    if divisor_override is not None:
        return dtype.type(divisor_override)
    counts = []
    for a in (0, 1):
        start = np.arange(out_hw[a]) * stride[a] - padding[a]
        end = np.minimum(start + kernel[a], x_hw[a] + padding[a])
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, x_hw[a])
        counts.append(end - start)
    return np.outer(counts[0], counts[1]).astype(dtype)


def avg_pool2d_forward(
    x: np.ndarray,
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: int | None,
) -> np.ndarray:
    """Window means of x (..., H, W)."""
    one = (1, 1)
    out_hw, buf_hw = _geometry(x.shape[-2:], kernel, stride, padding, one, ceil_mode)
    xp = _padded(x, padding, buf_hw, 0)
    y = np.zeros(x.shape[:-2] + out_hw, dtype=x.dtype)
    for _, (rows, cols) in _window_slices(kernel, stride, one, out_hw):
        y += xp[..., rows, cols]
    y /= _avg_divisor(
        x.shape[-2:], out_hw, kernel, stride, padding, count_include_pad, divisor_override, x.dtype
    )
    return y


def avg_pool2d_backward(
    grad_out: np.ndarray,
    x_shape: tuple,
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: int | None,
) -> np.ndarray:
    """The adjoint of avg_pool2d_forward: spread each grad_out/divisor over its window."""
    one = (1, 1)
    x_hw = tuple(x_shape[-2:])
    out_hw, buf_hw = _geometry(x_hw, kernel, stride, padding, one, ceil_mode)
    share = grad_out / _avg_divisor(
        x_hw, out_hw, kernel, stride, padding, count_include_pad, divisor_override, grad_out.dtype
    )
    buf = np.zeros(tuple(x_shape[:-2]) + buf_hw, dtype=grad_out.dtype)
    for _, (rows, cols) in _window_slices(kernel, stride, one, out_hw):
        buf[..., rows, cols] += share
    h, w = x_hw
    return np.ascontiguousarray(buf[..., padding[0] : padding[0] + h, padding[1] : padding[1] + w])


def adaptive_pool_matrix(size: int, out: int, dtype: np.dtype) -> np.ndarray:
    """(out, size) averaging matrix of adaptive pooling: row i averages
    [floor(i*size/out), ceil((i+1)*size/out))."""
    matrix = np.zeros((out, size), dtype=dtype)
    for i in range(out):
        start = (i * size) // out
        end = -((-(i + 1) * size) // out)
        matrix[i, start:end] = 1.0 / (end - start)
    return matrix


def separable_apply(x: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """rows @ x @ cols^T over the last two axes of x (..., H, W): adaptive average pooling
    when rows/cols are averaging matrices, its adjoint when they are transposed."""
    return np.matmul(np.matmul(rows, x), cols.T)
