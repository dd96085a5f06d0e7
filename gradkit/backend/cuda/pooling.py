"""Launchers for kernels/pooling.cu: the CUDA twins of gradkit.backend.cpu.pooling (same
signatures plus `runtime`). Backward passes are gathers: deterministic, no atomics."""

from __future__ import annotations

import numpy as np

from gradkit.backend.cpu.conv import Pair
from gradkit.backend.cpu.pooling import adaptive_pool_matrix, pool_output_size
from gradkit.backend.cuda.kernel_args import (
    FLOAT_DTYPES,
    c_contiguous,
    c_type,
    check_float_dtype,
    resolve_runtime,
)
from gradkit.backend.cuda.launch import KernelRuntime, elementwise_geometry, launch

KERNEL_FILE = "pooling.cu"
FUNCTIONS = (
    "max_pool2d_forward",
    "max_pool2d_backward",
    "max_pool2d_gather",
    "avg_pool2d_forward",
    "avg_pool2d_backward",
)
NAME_EXPRESSIONS = tuple(
    f"{function}<{c_type(dtype)}>" for function in FUNCTIONS for dtype in FLOAT_DTYPES
)
OFFSET_DTYPE = np.dtype(np.int16)  # the twin's window-offset dtype (i*kw + j)

__all__ = [
    "adaptive_pool_matrix",
    "avg_pool2d_backward",
    "avg_pool2d_forward",
    "max_pool2d_backward",
    "max_pool2d_flat_indices",
    "max_pool2d_forward",
    "max_pool2d_gather",
    "pool_output_size",
    "separable_apply",
]


def _out_hw(
    x_hw, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair, ceil_mode: bool
) -> tuple[int, int]:
    return tuple(
        pool_output_size(x_hw[a], kernel[a], stride[a], padding[a], dilation[a], ceil_mode)
        for a in (0, 1)
    )


def _planes(shape) -> int:
    return int(np.prod(shape[:-2], dtype=np.int64))


def _i64(*values) -> tuple:
    return tuple(np.int64(v) for v in values)


def _launch(runtime, function: str, dtype, total: int, args: tuple) -> None:
    if total:
        launch(
            runtime,
            KERNEL_FILE,
            f"{function}<{c_type(dtype)}>",
            *elementwise_geometry(runtime, total),
            args,
        )


def max_pool2d_forward(
    x,
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    ceil_mode: bool,
    *,
    runtime: KernelRuntime | None = None,
):
    """(y, offsets): the window maxima of x (..., H, W) and where in the window each was."""
    check_float_dtype("max_pool2d_forward", "x", x)
    runtime = resolve_runtime(runtime)
    h, w = x.shape[-2:]
    out_hw = _out_hw((h, w), kernel, stride, padding, dilation, ceil_mode)
    y = runtime.xp.empty(x.shape[:-2] + out_hw, x.dtype)
    offsets = runtime.xp.empty(y.shape, OFFSET_DTYPE)
    _launch(
        runtime,
        "max_pool2d_forward",
        x.dtype,
        y.size,
        (
            c_contiguous(runtime, x),
            y,
            offsets,
            *_i64(_planes(x.shape), h, w, *out_hw, *kernel, *stride, *padding, *dilation),
        ),
    )
    return y, offsets


def max_pool2d_backward(
    grad_out,
    offsets,
    x_shape: tuple,
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    ceil_mode: bool,
    *,
    runtime: KernelRuntime | None = None,
):
    """Scatter grad_out (..., Ho, Wo) to where each maximum came from in x (..., H, W)."""
    check_float_dtype("max_pool2d_backward", "grad_out", grad_out)
    runtime = resolve_runtime(runtime)
    h, w = x_shape[-2:]
    out_hw = tuple(grad_out.shape[-2:])
    grad_in = runtime.xp.empty(tuple(x_shape), grad_out.dtype)
    _launch(
        runtime,
        "max_pool2d_backward",
        grad_out.dtype,
        grad_in.size,
        (
            c_contiguous(runtime, grad_out),
            _offsets(runtime, offsets),
            grad_in,
            *_i64(_planes(x_shape), h, w, *out_hw, *kernel, *stride, *padding, *dilation),
        ),
    )
    return grad_in


def max_pool2d_gather(
    grad_in,
    offsets,
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    ceil_mode: bool,
    *,
    runtime: KernelRuntime | None = None,
):
    """The adjoint of max_pool2d_backward: pick grad_in (..., H, W) at each window's maximum."""
    check_float_dtype("max_pool2d_gather", "grad_in", grad_in)
    runtime = resolve_runtime(runtime)
    h, w = grad_in.shape[-2:]
    out = runtime.xp.empty(offsets.shape, grad_in.dtype)
    _launch(
        runtime,
        "max_pool2d_gather",
        grad_in.dtype,
        out.size,
        (
            c_contiguous(runtime, grad_in),
            _offsets(runtime, offsets),
            out,
            *_i64(
                _planes(grad_in.shape),
                h,
                w,
                *offsets.shape[-2:],
                kernel[1],
                *stride,
                *padding,
                *dilation,
            ),
        ),
    )
    return out


def max_pool2d_flat_indices(
    offsets,
    x_hw: Pair,
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    *,
    runtime: KernelRuntime | None = None,
):
    """PyTorch's return_indices: each maximum's flat position in its (H, W) input plane."""
    xp = resolve_runtime(runtime).xp
    ho, wo = offsets.shape[-2:]
    i, j = xp.divmod(offsets.astype(np.int64), kernel[1])
    rows = xp.arange(ho).reshape(ho, 1) * stride[0] - padding[0] + i * dilation[0]
    cols = xp.arange(wo) * stride[1] - padding[1] + j * dilation[1]
    return rows * x_hw[1] + cols


def avg_pool2d_forward(
    x,
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: int | None,
    *,
    runtime: KernelRuntime | None = None,
):
    """Window means of x (..., H, W)."""
    check_float_dtype("avg_pool2d_forward", "x", x)
    runtime = resolve_runtime(runtime)
    h, w = x.shape[-2:]
    out_hw = _out_hw((h, w), kernel, stride, padding, (1, 1), ceil_mode)
    y = runtime.xp.empty(x.shape[:-2] + out_hw, x.dtype)
    _launch(
        runtime,
        "avg_pool2d_forward",
        x.dtype,
        y.size,
        (
            c_contiguous(runtime, x),
            y,
            *_i64(_planes(x.shape), h, w, *out_hw, *kernel, *stride, *padding),
            np.int32(bool(count_include_pad)),
            np.int64(divisor_override or 0),
        ),
    )
    return y


def avg_pool2d_backward(
    grad_out,
    x_shape: tuple,
    kernel: Pair,
    stride: Pair,
    padding: Pair,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: int | None,
    *,
    runtime: KernelRuntime | None = None,
):
    """The adjoint of avg_pool2d_forward: spread each grad_out/divisor over its window."""
    check_float_dtype("avg_pool2d_backward", "grad_out", grad_out)
    runtime = resolve_runtime(runtime)
    h, w = x_shape[-2:]
    grad_in = runtime.xp.empty(tuple(x_shape), grad_out.dtype)
    _launch(
        runtime,
        "avg_pool2d_backward",
        grad_out.dtype,
        grad_in.size,
        (
            c_contiguous(runtime, grad_out),
            grad_in,
            *_i64(_planes(x_shape), h, w, *grad_out.shape[-2:], *kernel, *stride, *padding),
            np.int32(bool(count_include_pad)),
            np.int64(divisor_override or 0),
        ),
    )
    return grad_in


def separable_apply(x, rows, cols, *, runtime: KernelRuntime | None = None):
    """rows @ x @ cols^T over the last two axes of x (..., H, W): adaptive average pooling
    when rows/cols are averaging matrices, its adjoint when they are transposed."""
    xp = resolve_runtime(runtime).xp
    return xp.matmul(xp.matmul(rows, x), cols.T)


def _offsets(runtime: KernelRuntime, offsets):
    return c_contiguous(runtime, runtime.xp.asarray(offsets).astype(OFFSET_DTYPE, copy=False))
