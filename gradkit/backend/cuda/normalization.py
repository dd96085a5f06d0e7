"""Launchers for kernels/normalization.cu: the CUDA twins of gradkit.backend.cpu.normalization
(same signatures plus `runtime`). affine_forward and reduce_to are the twin's own code:
a broadcast multiply-add and a sum, which CuPy runs as well as a hand-written kernel."""

from __future__ import annotations

import numpy as np

from gradkit.backend.cpu.normalization import affine_forward, reduce_to
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

KERNEL_FILE = "normalization.cu"
NAME_EXPRESSIONS = tuple(
    f"{function}<{c_type(dtype)}>"
    for function in ("normalize_forward", "normalize_backward")
    for dtype in FLOAT_DTYPES
)

__all__ = ["affine_forward", "normalize_backward", "normalize_forward", "reduce_to"]


def normalize_forward(
    x, axes: tuple[int, ...], eps: float, *, runtime: KernelRuntime | None = None
):
    """(xhat, mean, biased var, invstd): xhat = (x - mean) / sqrt(var + eps) over ``axes``;
    the statistics in the computing dtype, with the reduced axes kept."""
    check_float_dtype("normalize_forward", "x", x)
    runtime = resolve_runtime(runtime)
    xp = runtime.xp
    axes = _normalized_axes("normalize_forward", axes, x.ndim)
    stats_shape = tuple(1 if a in axes else n for a, n in enumerate(x.shape))
    acc = accumulate_dtype(x.dtype)
    view, restore = _grouped_view(runtime, x, axes)
    outer, groups, inner = view.shape
    xhat = xp.empty_like(view)
    mean, var, invstd = (xp.empty(groups, dtype=acc) for _ in range(3))
    if groups:
        launch(
            runtime,
            KERNEL_FILE,
            f"normalize_forward<{c_type(x.dtype)}>",
            *row_geometry(runtime, groups, outer * inner),
            (
                view,
                xhat,
                mean,
                var,
                invstd,
                np.int64(outer),
                np.int64(groups),
                np.int64(inner),
                np.float64(eps),
            ),
        )
    return (
        restore(xhat),
        mean.reshape(stats_shape),
        var.reshape(stats_shape),
        invstd.reshape(stats_shape),
    )


def normalize_backward(
    grad_xhat, xhat, invstd, axes: tuple[int, ...], *, runtime: KernelRuntime | None = None
):
    """d(loss)/dx from d(loss)/dxhat: invstd * (g - mean(g) - xhat * mean(g * xhat))."""
    op = "normalize_backward"
    check_float_dtype(op, "grad_xhat", grad_xhat)
    runtime = resolve_runtime(runtime)
    xp = runtime.xp
    if xhat.shape != grad_xhat.shape:
        raise ValueError(
            f"{op}: expected xhat of grad_xhat's shape {grad_xhat.shape}, got {xhat.shape}"
        )
    axes = _normalized_axes(op, axes, grad_xhat.ndim)
    acc = accumulate_dtype(grad_xhat.dtype)
    g_view, restore = _grouped_view(runtime, grad_xhat, axes)
    x_view, _ = _grouped_view(runtime, xhat.astype(grad_xhat.dtype, copy=False), axes)
    outer, groups, inner = g_view.shape
    scale = c_contiguous(runtime, xp.asarray(invstd).astype(acc, copy=False).reshape(-1))
    if scale.size != groups:
        raise ValueError(
            f"{op}: expected invstd with {groups} values (the kept positions), got {scale.size}"
        )
    grad_x = xp.empty_like(g_view)
    if groups:
        launch(
            runtime,
            KERNEL_FILE,
            f"normalize_backward<{c_type(grad_xhat.dtype)}>",
            *row_geometry(runtime, groups, outer * inner),
            (g_view, x_view, scale, grad_x, np.int64(outer), np.int64(groups), np.int64(inner)),
        )
    return restore(grad_x)


def _normalized_axes(op: str, axes, ndim: int) -> frozenset[int]:
    try:
        normalized = frozenset(int(a) % ndim for a in axes) if ndim else frozenset()
    except (TypeError, ValueError):
        raise TypeError(f"{op}: expected a tuple of axes, got {axes!r}") from None
    if any(not -ndim <= int(a) < max(ndim, 1) for a in axes):
        raise ValueError(f"{op}: axes {tuple(axes)} out of range for {ndim} dimensions")
    return normalized


def _grouped_view(runtime: KernelRuntime, x, axes: frozenset[int]):
    """(x as a C-contiguous (outer, groups, inner) array, a function mapping a result of that
    shape back to x's layout). The statistics are taken over outer and inner. When the kept
    axes are not adjacent (e.g. reducing axis 1 of 3 and keeping 0 and 2), the reduced axes
    are moved last first, which costs one copy."""
    xp = runtime.xp
    shape = x.shape
    kept = [a for a in range(x.ndim) if a not in axes]
    if kept and kept != list(range(kept[0], kept[-1] + 1)):
        reduced = sorted(axes)
        moved = xp.moveaxis(x, reduced, list(range(x.ndim - len(reduced), x.ndim)))
        moved_shape = moved.shape
        groups = int(np.prod(moved_shape[: len(kept)], dtype=np.int64))
        view = c_contiguous(runtime, moved).reshape(1, groups, -1)

        def restore(result):
            back = result.reshape(moved_shape)
            return xp.moveaxis(back, list(range(x.ndim - len(reduced), x.ndim)), reduced)

        return view, restore
    first, last = (kept[0], kept[-1] + 1) if kept else (x.ndim, x.ndim)
    outer = int(np.prod(shape[:first], dtype=np.int64))
    groups = int(np.prod(shape[first:last], dtype=np.int64))
    inner = int(np.prod(shape[last:], dtype=np.int64))
    view = c_contiguous(runtime, x).reshape(outer, groups, inner)
    return view, lambda result: result.reshape(shape)
