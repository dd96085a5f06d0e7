"""2-D convolution in NumPy by im2col + one BLAS GEMM per group: the CPU path and the reference.

Layout: the column matrix is (C*kh*kw, N*Ho*Wo), channel-major, so the forward is one GEMM
``weight (O, C*kh*kw) @ cols`` and the gradients are two more GEMMs; only the (O, N, ...) to
(N, O, ...) transposes and the padding copies sit around them. Padding is given per side,
((top, bottom), (left, right)), so PyTorch's padding="same" with even kernels fits.
Conv1d is Conv2d with height 1; conv_transpose2d is ``conv2d_backward_input``.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

Pair = tuple[int, int]
Padding = tuple[Pair, Pair]


def conv_output_size(size: int, pad: Pair, kernel: int, stride: int, dilation: int) -> int:
    """Output length along one axis: floor((size + pads - dilation*(kernel-1) - 1) / stride) + 1."""
    return (size + pad[0] + pad[1] - dilation * (kernel - 1) - 1) // stride + 1


def _padded(x: np.ndarray, padding: Padding, extra: Pair = (0, 0), value: float = 0) -> np.ndarray:
    """x (..., H, W) with ``padding`` (plus ``extra`` rows/cols at the bottom/right)."""
    (top, bottom), (left, right) = padding
    bottom += extra[0]
    right += extra[1]
    if top == bottom == left == right == 0:
        return x
    h, w = x.shape[-2:]
    out = np.full(x.shape[:-2] + (h + top + bottom, w + left + right), value, dtype=x.dtype)
    out[..., top : top + h, left : left + w] = x
    return out


def windows(xp: np.ndarray, kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair) -> np.ndarray:
    """A read-only view (..., kh, kw, Ho, Wo) of the windows of a padded (..., H, W) array."""
    sh, sw = xp.strides[-2:]
    shape = xp.shape[:-2] + tuple(kernel) + tuple(out_hw)
    strides = xp.strides[:-2] + (sh * dilation[0], sw * dilation[1], sh * stride[0], sw * stride[1])
    return as_strided(xp, shape, strides, writeable=False)


def _columns(
    x: np.ndarray, kernel: Pair, stride: Pair, padding: Padding, dilation: Pair, out_hw: Pair
) -> np.ndarray:
    """x (N, C, H, W) -> per-sample columns (N, C*kh*kw, Ho*Wo) (a fresh contiguous array).

    Sample-major, so the GEMMs read and write NCHW arrays as they are (no transposes)."""
    n, c = x.shape[:2]
    win = windows(_padded(x, padding), kernel, stride, dilation, out_hw)  # N C kh kw Ho Wo
    return np.ascontiguousarray(win).reshape(n, c * kernel[0] * kernel[1], out_hw[0] * out_hw[1])


def _clipped(size: int, pad: int, offset: int, stride: int, out: int) -> tuple[slice, slice]:
    """(input slice, output slice) of the outputs whose window tap ``offset`` lands inside an
    input of length ``size`` (not in its padding)."""
    start = offset - pad  # input position of output 0's tap
    first = max(0, -(start // stride)) if start < 0 else 0
    last = min(out, (size - start + stride - 1) // stride)  # one past
    if last <= first:
        return slice(0, 0), slice(0, 0)
    begin = start + first * stride
    return slice(begin, begin + (last - first - 1) * stride + 1, stride), slice(first, last)


def _add_columns(
    cols: np.ndarray,
    x_shape: tuple,
    kernel: Pair,
    stride: Pair,
    padding: Padding,
    dilation: Pair,
    out_hw: Pair,
) -> np.ndarray:
    """The adjoint of _columns: per-sample columns (N, C*kh*kw, Ho*Wo) summed into x (N, C, H, W).

    One strided add per window tap, straight into the output: taps that land in the padding
    are clipped away instead of being summed into a padded buffer and cropped."""
    n, c, h, w = x_shape
    kh, kw = kernel
    ho, wo = out_hw
    out = np.zeros((n, c, h, w), dtype=cols.dtype)
    blocks = cols.reshape(n, c, kh, kw, ho, wo)
    for i in range(kh):
        rows, out_rows = _clipped(h, padding[0][0], i * dilation[0], stride[0], ho)
        if rows.stop == 0:
            continue
        for j in range(kw):
            cols_in, out_cols = _clipped(w, padding[1][0], j * dilation[1], stride[1], wo)
            if cols_in.stop == 0:
                continue
            out[:, :, rows, cols_in] += blocks[:, :, i, j, out_rows, out_cols]
    return out


def im2col(
    x: np.ndarray, kernel: Pair, stride: Pair, padding: Padding, dilation: Pair, out_hw: Pair
) -> np.ndarray:
    """x (N, C, H, W) -> columns (C*kh*kw, N*Ho*Wo), channel-major (the layout of the CUDA
    kernel's; the CPU convolutions use the sample-major one)."""
    cols = _columns(x, kernel, stride, padding, dilation, out_hw)
    return np.ascontiguousarray(cols.transpose(1, 0, 2)).reshape(cols.shape[1], -1)


def col2im(
    cols: np.ndarray,
    x_shape: tuple,
    kernel: Pair,
    stride: Pair,
    padding: Padding,
    dilation: Pair,
    out_hw: Pair,
) -> np.ndarray:
    """The adjoint of im2col: columns (C*kh*kw, N*Ho*Wo) summed back into x (N, C, H, W)."""
    n = x_shape[0]
    per_sample = cols.reshape(cols.shape[0], n, -1).transpose(1, 0, 2)
    return _add_columns(per_sample, x_shape, kernel, stride, padding, dilation, out_hw)


def conv2d_forward(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    stride: Pair,
    padding: Padding,
    dilation: Pair,
    groups: int,
    keep_columns: bool = True,
) -> tuple[np.ndarray, np.ndarray | None]:
    """y (N, O, Ho, Wo) = conv(x (N, C, H, W), weight (O, C/groups, kh, kw)) + bias (O,).

    Returns (y, cols); cols (this backend's per-sample column matrix) lets the weight gradient
    skip a second im2col.
    """
    n, c, h, w = x.shape
    o, cg, kh, kw = weight.shape
    ho = conv_output_size(h, padding[0], kh, stride[0], dilation[0])
    wo = conv_output_size(w, padding[1], kw, stride[1], dilation[1])
    cols = _columns(x, (kh, kw), stride, padding, dilation, (ho, wo))
    k, length = cg * kh * kw, ho * wo
    # one GEMM per sample and group, written in place in the (N, O, Ho*Wo) output
    y = np.matmul(
        weight.reshape(groups, o // groups, k), cols.reshape(n, groups, k, length)
    ).reshape(n, o, ho, wo)
    if bias is not None:
        y += bias.reshape(o, 1, 1)
    return y, (cols if keep_columns else None)


def conv2d_backward_input(
    grad_out: np.ndarray,
    weight: np.ndarray,
    x_shape: tuple,
    stride: Pair,
    padding: Padding,
    dilation: Pair,
    groups: int,
) -> np.ndarray:
    """d(loss)/dx of conv2d: col2im(weight^T @ grad_out). Also conv_transpose2d's forward."""
    n, o, ho, wo = grad_out.shape
    _, cg, kh, kw = weight.shape
    og, k = o // groups, cg * kh * kw
    w_t = weight.reshape(groups, og, k).transpose(0, 2, 1)
    cols = np.matmul(w_t, grad_out.reshape(n, groups, og, ho * wo))  # (N, G, k, L)
    return _add_columns(cols, x_shape, (kh, kw), stride, padding, dilation, (ho, wo))


def conv2d_backward_weight(
    x: np.ndarray | None,
    grad_out: np.ndarray,
    weight_shape: tuple,
    stride: Pair,
    padding: Padding,
    dilation: Pair,
    groups: int,
    cols: np.ndarray | None = None,
) -> np.ndarray:
    """d(loss)/dweight of conv2d: sum over samples of grad_out (O, L) @ cols^T, per group.
    Pass the forward's ``cols`` to skip the im2col of x."""
    n, o, ho, wo = grad_out.shape
    _, cg, kh, kw = weight_shape
    og, k = o // groups, cg * kh * kw
    if cols is None:
        cols = _columns(x, (kh, kw), stride, padding, dilation, (ho, wo))
    g = grad_out.reshape(n, groups, og, ho * wo)
    c_t = cols.reshape(n, groups, k, ho * wo).transpose(0, 1, 3, 2)
    return np.matmul(g, c_t).sum(axis=0).reshape(weight_shape)
