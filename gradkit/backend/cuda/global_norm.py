"""Launchers for kernels/global_norm.cu: the CUDA twin of gradkit.backend.cpu.global_norm
(same signature plus `runtime`). The norm and coefficient stay on the device: clipping by
them (amp.multi_tensor_scale) needs no host synchronisation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from gradkit.backend.cpu.global_norm import norm_dtype
from gradkit.backend.cuda import multi_tensor
from gradkit.backend.cuda.kernel_args import (
    c_contiguous,
    c_type,
    check_float_dtype,
    resolve_runtime,
)
from gradkit.backend.cuda.launch import KernelRuntime, launch

KERNEL_FILE = "global_norm.cu"
# (element, accumulate) pairs: float64 accumulation whenever a float64 tensor is present.
_PAIRS = (
    ("__half", "float"),
    ("float", "float"),
    ("__half", "double"),
    ("float", "double"),
    ("double", "double"),
)
NAME_EXPRESSIONS = (
    *(f"sum_of_squares<{t}, {o}>" for t, o in _PAIRS),
    "l2norm_finalize<float>",
    "l2norm_finalize<double>",
)
_FINAL_THREADS = 1024

Array = Any


def multi_tensor_l2norm(
    arrays: Sequence[Array], max_norm: float, *, runtime: KernelRuntime | None = None
) -> tuple[Array, Array]:
    """(norm, coef) as 0-d device arrays of the accumulate dtype: the L2 norm of all
    ``arrays`` together (0 for none) and min(max_norm / (norm + 1e-6), 1)."""
    runtime = resolve_runtime(runtime)
    xp = runtime.xp
    for index, array in enumerate(arrays):
        check_float_dtype("multi_tensor_l2norm", f"arrays[{index}]", array)
    acc = norm_dtype([a.dtype for a in arrays])
    groups: dict[np.dtype, list] = {}
    for array in arrays:
        if array.size:
            groups.setdefault(array.dtype, []).append(c_contiguous(runtime, array))
    launches = []
    for dtype, group in groups.items():
        meta, chunks = multi_tensor.metadata(runtime, [group], [a.size for a in group])
        grid, block = multi_tensor.geometry(runtime, chunks)
        launches.append((dtype, group, meta, chunks, grid, block))
    partials = xp.zeros(max(sum(grid[0] for *_, grid, _ in launches), 1), dtype=acc)
    position = 0
    for dtype, group, meta, chunks, grid, block in launches:
        launch(
            runtime,
            KERNEL_FILE,
            f"sum_of_squares<{c_type(dtype)}, {c_type(acc)}>",
            grid,
            block,
            (
                meta,
                np.int32(len(group)),
                np.int64(chunks),
                np.int64(multi_tensor.CHUNK_SIZE),
                partials[position : position + grid[0]],
            ),
        )
        position += grid[0]
    norm = xp.empty((), dtype=acc)
    coef = xp.empty((), dtype=acc)
    launch(
        runtime,
        KERNEL_FILE,
        f"l2norm_finalize<{c_type(acc)}>",
        1,
        _FINAL_THREADS,
        (partials, np.int64(partials.size), np.float64(max_norm), norm, coef),
    )
    return norm, coef
