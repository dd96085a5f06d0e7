"""Launchers for kernels/im2col.cu, and 2-D convolution as im2col + GEMM (CuPy's matmul, i.e.
cuBLAS): the CUDA twins of gradkit.backend.cpu.conv (same signatures plus `runtime`).

The GEMM glue mirrors the twin line for line with the runtime's array module; only im2col
and col2im are our kernels. col2im is a gather (see im2col.cu): deterministic, no atomics.
"""

from __future__ import annotations

import numpy as np

from gradkit.backend.cpu.conv import Padding, Pair, conv_output_size
from gradkit.backend.cuda.kernel_args import (
    FLOAT_DTYPES,
    c_contiguous,
    c_type,
    check_float_dtype,
    resolve_runtime,
)
from gradkit.backend.cuda.launch import KernelRuntime, elementwise_geometry, launch

KERNEL_FILE = "im2col.cu"
NAME_EXPRESSIONS = tuple(
    f"{function}<{c_type(dtype)}>" for function in ("im2col", "col2im") for dtype in FLOAT_DTYPES
)

__all__ = [
    "col2im",
    "conv2d_backward_input",
    "conv2d_backward_weight",
    "conv2d_forward",
    "conv_output_size",
    "im2col",
]


def _geometry_args(
    x_shape, kernel: Pair, stride: Pair, padding: Padding, dilation: Pair, out_hw: Pair
) -> tuple:
    n, c, h, w = x_shape
    return tuple(
        np.int64(v)
        for v in (n, c, h, w, *out_hw, *kernel, *stride, padding[0][0], padding[1][0], *dilation)
    )


def im2col(
    x,
    kernel: Pair,
    stride: Pair,
    padding: Padding,
    dilation: Pair,
    out_hw: Pair,
    *,
    runtime: KernelRuntime | None = None,
):
    """x (N, C, H, W) -> columns (C*kh*kw, N*Ho*Wo) (a fresh contiguous array)."""
    check_float_dtype("im2col", "x", x)
    runtime = resolve_runtime(runtime)
    n, c = x.shape[:2]
    cols = runtime.xp.empty((c * kernel[0] * kernel[1], n * out_hw[0] * out_hw[1]), x.dtype)
    if cols.size:
        launch(
            runtime,
            KERNEL_FILE,
            f"im2col<{c_type(x.dtype)}>",
            *elementwise_geometry(runtime, cols.size),
            (
                c_contiguous(runtime, x),
                cols,
                *_geometry_args(x.shape, kernel, stride, padding, dilation, out_hw),
            ),
        )
    return cols


def col2im(
    cols,
    x_shape: tuple,
    kernel: Pair,
    stride: Pair,
    padding: Padding,
    dilation: Pair,
    out_hw: Pair,
    *,
    runtime: KernelRuntime | None = None,
):
    """The adjoint of im2col: columns (C*kh*kw, N*Ho*Wo) summed back into x (N, C, H, W)."""
    check_float_dtype("col2im", "cols", cols)
    runtime = resolve_runtime(runtime)
    x = runtime.xp.empty(tuple(x_shape), cols.dtype)
    if x.size:
        launch(
            runtime,
            KERNEL_FILE,
            f"col2im<{c_type(cols.dtype)}>",
            *elementwise_geometry(runtime, x.size),
            (
                c_contiguous(runtime, cols),
                x,
                *_geometry_args(x_shape, kernel, stride, padding, dilation, out_hw),
            ),
        )
    return x


def _grouped_matmul(xp, a, b, groups: int):
    """(G*M, K) @ (G*K', ...)-style product, one GEMM per group: a (G, M, K) @ b (G, K, L)."""
    if groups == 1:
        return a[0] @ b[0]
    return xp.matmul(a, b).reshape(-1, b.shape[-1])


def conv2d_forward(
    x,
    weight,
    bias,
    stride: Pair,
    padding: Padding,
    dilation: Pair,
    groups: int,
    keep_columns: bool = True,
    *,
    runtime: KernelRuntime | None = None,
):
    """y (N, O, Ho, Wo) = conv(x (N, C, H, W), weight (O, C/groups, kh, kw)) + bias (O,).

    Returns (y, cols); cols (the im2col matrix) lets the weight gradient skip a second im2col.
    """
    runtime = resolve_runtime(runtime)
    xp = runtime.xp
    n, c, h, w = x.shape
    o, cg, kh, kw = weight.shape
    ho = conv_output_size(h, padding[0], kh, stride[0], dilation[0])
    wo = conv_output_size(w, padding[1], kw, stride[1], dilation[1])
    cols = im2col(x, (kh, kw), stride, padding, dilation, (ho, wo), runtime=runtime)
    k = cg * kh * kw
    y = _grouped_matmul(
        xp, weight.reshape(groups, o // groups, k), cols.reshape(groups, k, n * ho * wo), groups
    )
    if bias is not None:
        y += bias.reshape(o, 1)
    y = xp.ascontiguousarray(y.reshape(o, n, ho, wo).transpose(1, 0, 2, 3))
    return y, (cols if keep_columns else None)


def conv2d_backward_input(
    grad_out,
    weight,
    x_shape: tuple,
    stride: Pair,
    padding: Padding,
    dilation: Pair,
    groups: int,
    *,
    runtime: KernelRuntime | None = None,
):
    """d(loss)/dx of conv2d: col2im(weight^T @ grad_out). Also conv_transpose2d's forward."""
    runtime = resolve_runtime(runtime)
    xp = runtime.xp
    n, o, ho, wo = grad_out.shape
    _, cg, kh, kw = weight.shape
    og, k = o // groups, cg * kh * kw
    g = xp.ascontiguousarray(grad_out.transpose(1, 0, 2, 3)).reshape(groups, og, n * ho * wo)
    w_t = weight.reshape(groups, og, k).transpose(0, 2, 1)
    cols = _grouped_matmul(xp, w_t, g, groups)
    return col2im(cols, x_shape, (kh, kw), stride, padding, dilation, (ho, wo), runtime=runtime)


def conv2d_backward_weight(
    x,
    grad_out,
    weight_shape: tuple,
    stride: Pair,
    padding: Padding,
    dilation: Pair,
    groups: int,
    cols=None,
    *,
    runtime: KernelRuntime | None = None,
):
    """d(loss)/dweight of conv2d: grad_out (O, N*L) @ cols^T, per group. Pass the forward's
    ``cols`` to skip the im2col of x."""
    runtime = resolve_runtime(runtime)
    xp = runtime.xp
    n, o, ho, wo = grad_out.shape
    _, cg, kh, kw = weight_shape
    og, k = o // groups, cg * kh * kw
    if cols is None:
        cols = im2col(x, (kh, kw), stride, padding, dilation, (ho, wo), runtime=runtime)
    g = xp.ascontiguousarray(grad_out.transpose(1, 0, 2, 3)).reshape(groups, og, n * ho * wo)
    c_t = cols.reshape(groups, k, n * ho * wo).transpose(0, 2, 1)
    return _grouped_matmul(xp, g, c_t, groups).reshape(weight_shape)
