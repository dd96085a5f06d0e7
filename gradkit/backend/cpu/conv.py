"""2-D convolution in NumPy by im2col + BLAS GEMMs: the CPU path and the reference.

Two column layouts (see ``_sample_major``): sample-major (N, C*kh*kw, Ho*Wo), where one GEMM
per sample and group reads and writes NCHW arrays with no transposes, and channel-major
(C*kh*kw, N*Ho*Wo), one large GEMM per group with (O, N, ...) <-> (N, O, ...) transposes
around it (also the layout of the public ``im2col``/``col2im``, which the CUDA kernels match).
The input gradient adds each window tap's columns straight into the (unpadded) result.
Padding is given per side, ((top, bottom), (left, right)), so PyTorch's padding="same" with
even kernels fits. Conv1d is Conv2d with height 1; conv_transpose2d is
``conv2d_backward_input``.
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
    """x (N, C, H, W) -> channel-major columns (C*kh*kw, N*Ho*Wo) (a fresh contiguous array)."""
    n, c = x.shape[:2]
    win = windows(_padded(x, padding), kernel, stride, dilation, out_hw)  # N C kh kw Ho Wo
    cols = np.ascontiguousarray(win.transpose(1, 2, 3, 0, 4, 5))
    return cols.reshape(c * kernel[0] * kernel[1], n * out_hw[0] * out_hw[1])


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


def _sample_major(k: int, length: int) -> bool:
    """Which column layout the GEMMs of a convolution use. Per-sample GEMMs on (N, k, L) columns
    read and write NCHW as it is; but the weight gradient then sums N partial (O, k) products,
    which costs more than the transposes of one channel-major GEMM once k exceeds L = Ho*Wo
    (measured: 64->64 channels at 16x16 vs 3->16 at 32x32 and 8->16 at 13x13)."""
    return k <= length


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

    Returns (y, cols); cols (the column matrix, sample-major (N, k, L) or channel-major
    (k, N*L)) lets the weight gradient skip a second im2col.
    """
    n, c, h, w = x.shape
    o, cg, kh, kw = weight.shape
    ho = conv_output_size(h, padding[0], kh, stride[0], dilation[0])
    wo = conv_output_size(w, padding[1], kw, stride[1], dilation[1])
    k, length = cg * kh * kw, ho * wo
    w_groups = weight.reshape(groups, o // groups, k)
    if _sample_major(k, length):
        cols = _columns(x, (kh, kw), stride, padding, dilation, (ho, wo))
        # one GEMM per sample and group, written in place in the (N, O, Ho*Wo) output
        y = np.matmul(w_groups, cols.reshape(n, groups, k, length)).reshape(n, o, ho, wo)
        if bias is not None:
            y += bias.reshape(o, 1, 1)
    else:
        cols = im2col(x, (kh, kw), stride, padding, dilation, (ho, wo))
        y = np.matmul(w_groups, cols.reshape(groups, k, n * length)).reshape(o, n * length)
        if bias is not None:
            y += bias.reshape(o, 1)
        y = np.ascontiguousarray(y.reshape(o, n, ho, wo).transpose(1, 0, 2, 3))
    return y, (cols if keep_columns else None)


def _flipped_padding(
    x_shape: tuple, out_hw: Pair, kernel: Pair, padding: Padding, dilation: Pair
) -> Padding | None:
    """The padding under which the stride-1 convolution of a (.., Ho, Wo) gradient with the
    flipped kernel has x's (H, W) size, or None when a side would be negative."""
    sides = []
    for a in (0, 1):
        span = dilation[a] * (kernel[a] - 1)
        before = span - padding[a][0]
        after = x_shape[2 + a] - 1 + padding[a][0] - (out_hw[a] - 1)  # the last tap's reach
        if before < 0 or after < 0:
            return None
        sides.append((before, after))
    return tuple(sides)


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
    if stride == (1, 1) and og <= cg:
        flipped = _flipped_padding(x_shape, (ho, wo), (kh, kw), padding, dilation)
        if flipped is not None:
            # a stride-1 convolution's input gradient is the convolution of grad_out with the
            # flipped, transposed kernel: an im2col copy of grad_out instead of a col2im
            # scatter-add of as many columns (fewer when og < cg; 64->64 at 16x16: 13 vs 17 ms)
            w_flip = (
                weight[:, :, ::-1, ::-1].reshape(groups, og, cg, kh, kw).transpose(0, 2, 1, 3, 4)
            )
            w_flip = np.ascontiguousarray(w_flip).reshape(groups * cg, og, kh, kw)
            dx, _ = conv2d_forward(
                grad_out, w_flip, None, stride, flipped, dilation, groups, keep_columns=False
            )
            return dx
    w_t = weight.reshape(groups, og, k).transpose(0, 2, 1)
    g = np.ascontiguousarray(grad_out).reshape(n, groups, og, ho * wo)  # BLAS wants strides
    cols = np.matmul(w_t, g)  # (N, G, k, L): per sample, whatever the forward's layout
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
    """d(loss)/dweight of conv2d: grad_out (O, N*L) @ cols^T, per group. Pass the forward's
    ``cols`` to skip the im2col of x."""
    n, o, ho, wo = grad_out.shape
    _, cg, kh, kw = weight_shape
    og, k, length = o // groups, cg * kh * kw, ho * wo
    if cols is None:
        make = _columns if _sample_major(k, length) else im2col
        cols = make(x, (kh, kw), stride, padding, dilation, (ho, wo))
    if cols.ndim == 3:  # sample-major (N, k, L): sum the per-sample products
        g = np.ascontiguousarray(grad_out).reshape(n, groups, og, length)
        c_t = cols.reshape(n, groups, k, length).transpose(0, 1, 3, 2)
        return np.matmul(g, c_t).sum(axis=0).reshape(weight_shape)
    g = np.ascontiguousarray(grad_out.transpose(1, 0, 2, 3)).reshape(groups, og, n * length)
    c_t = cols.reshape(groups, k, n * length).transpose(0, 2, 1)
    return np.matmul(g, c_t).reshape(weight_shape)
