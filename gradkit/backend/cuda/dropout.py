"""Launchers for kernels/dropout.cu: the CUDA twins of gradkit.backend.cpu.dropout (same
signatures plus `runtime`); masks and random bits are bit-identical to the twin's."""

from __future__ import annotations

import numpy as np

from gradkit.backend.cpu.dropout import UNIFORM_BITS, keep_threshold
from gradkit.backend.cuda.kernel_args import (
    FLOAT_DTYPES,
    c_contiguous,
    c_type,
    check_float_dtype,
    resolve_runtime,
)
from gradkit.backend.cuda.launch import KernelRuntime, elementwise_geometry, launch

KERNEL_FILE = "dropout.cu"
NAME_EXPRESSIONS = (
    "philox4x32_blocks",
    "philox_random_bits",
    "dropout_mask",
    *(f"dropout_apply<{c_type(dtype)}>" for dtype in FLOAT_DTYPES),
)
_WORDS_PER_BLOCK = 4
_MASK64 = (1 << 64) - 1

__all__ = ["UNIFORM_BITS", "dropout_forward", "dropout_mask", "philox4x32", "random_bits"]


def philox4x32(counters, key: tuple[int, int], *, runtime: KernelRuntime | None = None):
    """Philox-4x32-10 of counters (n, 4) uint32 under a 2x32-bit key -> (n, 4) uint32."""
    runtime = resolve_runtime(runtime)
    counters = runtime.xp.asarray(counters)
    if counters.ndim != 2 or counters.shape[1] != _WORDS_PER_BLOCK:
        raise ValueError(f"philox4x32: expected counters of shape (n, 4), got {counters.shape}")
    counters = c_contiguous(runtime, counters.astype(np.uint32, copy=False))
    out = runtime.xp.empty_like(counters)
    if counters.shape[0]:
        launch(
            runtime,
            KERNEL_FILE,
            "philox4x32_blocks",
            *elementwise_geometry(runtime, counters.shape[0]),
            (
                counters,
                out,
                np.int64(counters.shape[0]),
                np.uint32(key[0] & 0xFFFFFFFF),
                np.uint32(key[1] & 0xFFFFFFFF),
            ),
        )
    return out


def random_bits(count: int, seed: int, offset: int, *, runtime: KernelRuntime | None = None):
    """``count`` uint32 words: word i is lane i % 4 of the Philox block i // 4."""
    runtime = resolve_runtime(runtime)
    out = runtime.xp.empty(count, dtype=np.uint32)
    if count:
        launch(
            runtime,
            KERNEL_FILE,
            "philox_random_bits",
            *elementwise_geometry(runtime, -(-count // _WORDS_PER_BLOCK)),
            (out, np.int64(count), np.uint64(seed & _MASK64), np.uint64(offset & _MASK64)),
        )
    return out


def dropout_mask(
    shape: tuple[int, ...],
    p: float,
    seed: int,
    offset: int,
    *,
    runtime: KernelRuntime | None = None,
):
    """Boolean keep-mask of ``shape``: each element kept with probability 1 - p."""
    runtime = resolve_runtime(runtime)
    count = int(np.prod(shape, dtype=np.int64))
    mask = runtime.xp.empty(count, dtype=np.bool_)
    if count:
        launch(
            runtime,
            KERNEL_FILE,
            "dropout_mask",
            *elementwise_geometry(runtime, -(-count // _WORDS_PER_BLOCK)),
            (
                mask,
                np.int64(count),
                np.uint64(seed & _MASK64),
                np.uint64(offset & _MASK64),
                np.uint32(keep_threshold(p)),
            ),
        )
    return mask.reshape(shape)


def dropout_forward(x, mask, p: float, *, runtime: KernelRuntime | None = None):
    """x * mask / (1 - p) in x's dtype (mask broadcasts: Dropout2d drops whole channels)."""
    check_float_dtype("dropout_forward", "x", x)
    runtime = resolve_runtime(runtime)
    xp = runtime.xp
    scale = x.dtype.type(1.0 / (1.0 - p))  # rounded to x's dtype, as the twin does
    if mask.shape != x.shape:  # a broadcast mask: one fused elementwise pass in array code
        return xp.where(mask, x * scale, x.dtype.type(0))
    x = c_contiguous(runtime, x)
    out = xp.empty_like(x)
    if x.size:
        acc = np.float32 if x.dtype == np.float16 else x.dtype.type
        launch(
            runtime,
            KERNEL_FILE,
            f"dropout_apply<{c_type(x.dtype)}>",
            *elementwise_geometry(runtime, x.size),
            (
                x,
                c_contiguous(runtime, mask.astype(np.bool_, copy=False)),
                out,
                np.int64(x.size),
                acc(scale),
            ),
        )
    return out
