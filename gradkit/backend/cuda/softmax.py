"""Launchers for kernels/softmax.cu: the twins of gradkit.backend.cpu.softmax (same
signatures plus `runtime`), and the row-wise backward passes of gradkit/ops/softmax.py."""

from __future__ import annotations

import numpy as np

from gradkit.backend.cuda.kernel_args import (
    FLOAT_DTYPES,
    c_contiguous,
    c_type,
    check_float_dtype,
    resolve_runtime,
    row_geometry,
)
from gradkit.backend.cuda.launch import KernelRuntime, launch

KERNEL_FILE = "softmax.cu"
FUNCTIONS = ("softmax_forward", "softmax_backward")


def kernel_name(function: str, dtype, log: bool) -> str:
    """e.g. "softmax_forward<float, true>" (true: log-softmax)."""
    return f"{function}<{c_type(dtype)}, {'true' if log else 'false'}>"


NAME_EXPRESSIONS = tuple(
    kernel_name(function, dtype, log)
    for function in FUNCTIONS
    for dtype in FLOAT_DTYPES
    for log in (False, True)
)


def softmax_forward(x, axis: int, *, runtime: KernelRuntime | None = None):
    """exp(x) / sum(exp(x)) along ``axis`` (a non-negative axis of ``x``)."""
    return _forward("softmax_forward", x, axis, False, runtime)


def log_softmax_forward(x, axis: int, *, runtime: KernelRuntime | None = None):
    """x - log(sum(exp(x))) along ``axis`` (a non-negative axis of ``x``)."""
    return _forward("log_softmax_forward", x, axis, True, runtime)


def softmax_backward(grad_out, out, axis: int, *, runtime: KernelRuntime | None = None):
    """d(loss)/dx of softmax from its output ``out``: out * (g - sum(g * out)) along axis."""
    return _backward("softmax_backward", grad_out, out, axis, False, runtime)


def log_softmax_backward(grad_out, out, axis: int, *, runtime: KernelRuntime | None = None):
    """d(loss)/dx of log_softmax from its output ``out``: g - exp(out) * sum(g) along axis."""
    return _backward("log_softmax_backward", grad_out, out, axis, True, runtime)


def _check_axis(op: str, x, axis: int) -> None:
    if not isinstance(axis, (int, np.integer)) or not 0 <= axis < max(x.ndim, 1):
        raise ValueError(f"{op}: expected a non-negative axis below {x.ndim}, got {axis!r}")
    if x.ndim == 0:
        raise ValueError(f"{op}: expected an array with at least one axis, got a 0-d array")


def _as_rows(runtime: KernelRuntime, array, axis: int):
    """``array`` with ``axis`` moved last, C-contiguous: (rows, cols) in memory."""
    return c_contiguous(runtime, runtime.xp.moveaxis(array, axis, -1))


def _forward(op: str, x, axis: int, log: bool, runtime: KernelRuntime | None):
    check_float_dtype(op, "x", x)
    _check_axis(op, x, axis)
    runtime = resolve_runtime(runtime)
    if x.size == 0:
        return x.copy()
    rows_view = _as_rows(runtime, x, axis)
    out = runtime.xp.empty_like(rows_view)
    cols = rows_view.shape[-1]
    rows = rows_view.size // cols
    launch(
        runtime,
        KERNEL_FILE,
        kernel_name("softmax_forward", x.dtype, log),
        *row_geometry(runtime, rows, cols),
        (rows_view, out, np.int64(rows), np.int64(cols)),
    )
    return runtime.xp.moveaxis(out, -1, axis)


def _backward(op: str, grad_out, out, axis: int, log: bool, runtime: KernelRuntime | None):
    check_float_dtype(op, "out", out)
    _check_axis(op, out, axis)
    if grad_out.shape != out.shape or grad_out.dtype != out.dtype:
        raise ValueError(
            f"{op}: expected grad_out of out's shape {out.shape} and dtype {out.dtype}, got "
            f"{grad_out.shape} and {grad_out.dtype}"
        )
    runtime = resolve_runtime(runtime)
    if out.size == 0:
        return runtime.xp.empty_like(out)
    g_rows, y_rows = _as_rows(runtime, grad_out, axis), _as_rows(runtime, out, axis)
    grad_in = runtime.xp.empty_like(y_rows)
    cols = y_rows.shape[-1]
    rows = y_rows.size // cols
    launch(
        runtime,
        KERNEL_FILE,
        kernel_name("softmax_backward", out.dtype, log),
        *row_geometry(runtime, rows, cols),
        (g_rows, y_rows, grad_in, np.int64(rows), np.int64(cols)),
    )
    return runtime.xp.moveaxis(grad_in, -1, axis)
