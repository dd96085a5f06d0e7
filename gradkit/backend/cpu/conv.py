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


def im2col(
    x: np.ndarray, kernel: Pair, stride: Pair, padding: Padding, dilation: Pair, out_hw: Pair
) -> np.ndarray:
    """x (N, C, H, W) -> columns (C*kh*kw, N*Ho*Wo) (a fresh contiguous array)."""
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
    n, c, h, w = x_shape
    (top, bottom), (left, right) = padding
    kh, kw = kernel
    ho, wo = out_hw
    # Windows may reach past the padded input when the geometry is uneven (conv_transpose's
    # output_padding); size the buffer for them and crop afterwards.
    hp = max(h + top + bottom, (ho - 1) * stride[0] + dilation[0] * (kh - 1) + 1)
    wp = max(w + left + right, (wo - 1) * stride[1] + dilation[1] * (kw - 1) + 1)
    buf = np.zeros((c, n, hp, wp), dtype=cols.dtype)
    blocks = cols.reshape(c, kh, kw, n, ho, wo)
    h_span = stride[0] * (ho - 1) + 1
    w_span = stride[1] * (wo - 1) + 1
    for i in range(kh):
        r = i * dilation[0]
        for j in range(kw):
            s = j * dilation[1]
            buf[:, :, r : r + h_span : stride[0], s : s + w_span : stride[1]] += blocks[:, i, j]
    return np.ascontiguousarray(buf[:, :, top : top + h, left : left + w].transpose(1, 0, 2, 3))


def _grouped_matmul(a: np.ndarray, b: np.ndarray, groups: int) -> np.ndarray:
    """(G*M, K) @ (G*K', ...)-style product, one GEMM per group: a (G, M, K) @ b (G, K, L)."""
    if groups == 1:
        return a[0] @ b[0]
    return np.matmul(a, b).reshape(-1, b.shape[-1])


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

    Returns (y, cols); cols (the im2col matrix) lets the weight gradient skip a second im2col.
    """
    n, c, h, w = x.shape
    o, cg, kh, kw = weight.shape
    ho = conv_output_size(h, padding[0], kh, stride[0], dilation[0])
    wo = conv_output_size(w, padding[1], kw, stride[1], dilation[1])
    cols = im2col(x, (kh, kw), stride, padding, dilation, (ho, wo))
    k = cg * kh * kw
    y = _grouped_matmul(
        weight.reshape(groups, o // groups, k), cols.reshape(groups, k, n * ho * wo), groups
    )
    if bias is not None:
        y += bias.reshape(o, 1)
    y = np.ascontiguousarray(y.reshape(o, n, ho, wo).transpose(1, 0, 2, 3))
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
    g = np.ascontiguousarray(grad_out.transpose(1, 0, 2, 3)).reshape(groups, og, n * ho * wo)
    w_t = weight.reshape(groups, og, k).transpose(0, 2, 1)
    cols = _grouped_matmul(w_t, g, groups)
    return col2im(cols, x_shape, (kh, kw), stride, padding, dilation, (ho, wo))


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
    og, k = o // groups, cg * kh * kw
    if cols is None:
        cols = im2col(x, (kh, kw), stride, padding, dilation, (ho, wo))
    g = np.ascontiguousarray(grad_out.transpose(1, 0, 2, 3)).reshape(groups, og, n * ho * wo)
    c_t = cols.reshape(groups, k, n * ho * wo).transpose(0, 2, 1)
    return _grouped_matmul(g, c_t, groups).reshape(weight_shape)
