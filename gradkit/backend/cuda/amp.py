"""Launchers for kernels/amp.cu: the fused non-finite check + unscale over all gradients, and
the loss-scale update. Same signatures and semantics as gradkit.backend.cpu.amp, plus
``runtime``; neither copies anything to the host."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from gradkit.backend.cuda import multi_tensor
from gradkit.backend.cuda.kernel_args import C_TYPES, c_contiguous, resolve_runtime
from gradkit.backend.cuda.launch import KernelRuntime, launch

KERNEL_FILE = "amp.cu"
NAME_EXPRESSIONS = (
    *(f"non_finite_check_and_unscale<{c}>" for c in C_TYPES.values()),
    *(f"non_finite_check<{c}>" for c in C_TYPES.values()),
    *(f"multi_tensor_scale<{c}, {k}>" for c in C_TYPES.values() for k in ("float", "double")),
    "update_scale",
)

Array = Any


def non_finite_check_and_unscale(
    grads: Sequence[Array],
    found_inf: Array,
    inv_scale: Array,
    out: Sequence[Array] | None = None,
    *,
    runtime: KernelRuntime | None = None,
) -> None:
    """See the twin. One launch per dtype present among ``grads`` (usually one)."""
    runtime = resolve_runtime(runtime)
    _check_flag("found_inf", found_inf)
    _check_flag("inv_scale", inv_scale)
    op = "non_finite_check_and_unscale"
    for dtype, pairs, meta, chunks in _grouped(op, runtime, grads, out):
        launch(
            runtime,
            KERNEL_FILE,
            f"non_finite_check_and_unscale<{C_TYPES[dtype]}>",
            *multi_tensor.geometry(runtime, chunks),
            (
                meta,
                np.int32(len(pairs)),
                np.int64(chunks),
                np.int64(multi_tensor.CHUNK_SIZE),
                found_inf,
                inv_scale,
            ),
        )


def non_finite_check(
    arrays: Sequence[Array], found_inf: Array, *, runtime: KernelRuntime | None = None
) -> None:
    """See the twin: sets found_inf when any array holds an inf or a NaN; writes nothing else."""
    runtime = resolve_runtime(runtime)
    _check_flag("found_inf", found_inf)
    by_dtype: dict[np.dtype, list[Array]] = {}
    for i, a in enumerate(arrays):
        if a.dtype not in C_TYPES:
            raise ValueError(f"non_finite_check: arrays[{i}] must be floating, got {a.dtype}")
        by_dtype.setdefault(a.dtype, []).append(c_contiguous(runtime, a))
    for dtype, group in by_dtype.items():
        meta, chunks = multi_tensor.metadata(runtime, [group], [int(a.size) for a in group])
        if chunks:
            launch(
                runtime,
                KERNEL_FILE,
                f"non_finite_check<{C_TYPES[dtype]}>",
                *multi_tensor.geometry(runtime, chunks),
                (
                    meta,
                    np.int32(len(group)),
                    np.int64(chunks),
                    np.int64(multi_tensor.CHUNK_SIZE),
                    found_inf,
                ),
            )


def multi_tensor_scale(
    arrays: Sequence[Array],
    coef: Array,
    out: Sequence[Array] | None = None,
    *,
    runtime: KernelRuntime | None = None,
) -> None:
    """See the twin. One launch per dtype present among ``arrays``."""
    runtime = resolve_runtime(runtime)
    if getattr(coef, "dtype", None) not in (np.float32, np.float64) or coef.size != 1:
        raise TypeError(f"multi_tensor_scale: coef must be one float32/float64; got {coef!r}")
    coef_type = C_TYPES[coef.dtype]
    for dtype, pairs, meta, chunks in _grouped("multi_tensor_scale", runtime, arrays, out):
        launch(
            runtime,
            KERNEL_FILE,
            f"multi_tensor_scale<{C_TYPES[dtype]}, {coef_type}>",
            *multi_tensor.geometry(runtime, chunks),
            (meta, np.int32(len(pairs)), np.int64(chunks), np.int64(multi_tensor.CHUNK_SIZE), coef),
        )


def update_scale(
    scale: Array,
    growth_tracker: Array,
    found_inf: Array,
    *,
    growth_factor: float,
    backoff_factor: float,
    growth_interval: int,
    runtime: KernelRuntime | None = None,
) -> None:
    """See the twin: one thread updates the scale and the growth tracker in device memory."""
    runtime = resolve_runtime(runtime)
    _check_flag("scale", scale)
    _check_flag("found_inf", found_inf)
    if growth_tracker.dtype != np.int32 or growth_tracker.size != 1:
        raise TypeError(f"update_scale: growth_tracker must be one int32; got {growth_tracker!r}")
    launch(
        runtime,
        KERNEL_FILE,
        "update_scale",
        1,
        32,
        (
            scale,
            growth_tracker,
            found_inf,
            np.float32(growth_factor),
            np.float32(backoff_factor),
            np.int32(growth_interval),
        ),
    )


def _check_flag(name: str, array: Array) -> None:
    if getattr(array, "dtype", None) != np.float32 or getattr(array, "size", 0) != 1:
        raise TypeError(f"amp: {name} must be a one-element float32 device array; got {array!r}")


def _grouped(op: str, runtime: KernelRuntime, inputs: Sequence[Array], out: Any):
    """(dtype, [(input, output)], metadata, chunks) per dtype with a non-empty tensor: one
    launch each. Outputs default to the inputs (in place)."""
    outputs = list(inputs) if out is None else list(out)
    if len(outputs) != len(inputs):
        raise ValueError(f"{op}: expected {len(inputs)} outputs, got {len(outputs)}")
    by_dtype: dict[np.dtype, list[tuple[Array, Array]]] = {}
    for i, (a, result) in enumerate(zip(inputs, outputs)):
        if a.dtype not in C_TYPES or result.dtype != a.dtype or result.size != a.size:
            raise ValueError(
                f"{op}: input {i} ({a.dtype}, {a.size} elements) needs a floating dtype and an "
                f"output of the same dtype and size; got {result.dtype} with {result.size}"
            )
        if not (a.flags.c_contiguous and result.flags.c_contiguous):
            raise ValueError(f"{op}: input {i} and its output must be C-contiguous")
        by_dtype.setdefault(a.dtype, []).append((a, result))
    for dtype, pairs in by_dtype.items():
        sizes = [int(a.size) for a, _ in pairs]
        meta, chunks = multi_tensor.metadata(
            runtime, [[a for a, _ in pairs], [r for _, r in pairs]], sizes
        )
        if chunks:
            yield dtype, pairs, meta, chunks
