"""Launchers for kernels/global_norm.cu: the CUDA twin of gradkit.backend.cpu.global_norm
(same signature plus `runtime`). No host synchronisation: the result stays on the device."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gradkit.backend.cpu.global_norm import norm_dtype
from gradkit.backend.cuda.kernel_args import (
    c_contiguous,
    c_type,
    check_float_dtype,
    device_address,
    resolve_runtime,
)
from gradkit.backend.cuda.launch import KernelRuntime, launch

KERNEL_FILE = "global_norm.cu"
# (element dtype, accumulation dtype) pairs: float64 accumulation when a float64 tensor is
# among the inputs, so that every group adds into partial sums of the result's dtype.
_PAIRS = (
    (np.float16, np.float32),
    (np.float32, np.float32),
    (np.float16, np.float64),
    (np.float32, np.float64),
    (np.float64, np.float64),
)
NAME_EXPRESSIONS = (
    *(f"sum_of_squares_chunks<{c_type(t)}, {c_type(o)}>" for t, o in _PAIRS),
    "finish_l2_norm<float>",
    "finish_l2_norm<double>",
)
CHUNK_ELEMENTS = 1 << 16  # per block visit: large enough to amortise the metadata reads
_THREADS = 256


def global_l2_norm(arrays: Sequence, *, runtime: KernelRuntime | None = None):
    """sqrt(sum over ``arrays`` of sum(a**2)) as a 0-d array (0 for no arrays): float64 when
    any input is float64, else float32."""
    runtime = resolve_runtime(runtime)
    xp = runtime.xp
    for index, array in enumerate(arrays):
        check_float_dtype("global_l2_norm", f"arrays[{index}]", array)
    out_dtype = norm_dtype([a.dtype for a in arrays])
    groups: dict[np.dtype, list] = {}
    for array in arrays:
        if array.size:
            groups.setdefault(array.dtype, []).append(c_contiguous(runtime, array))
    launches = [_chunk_metadata(runtime, dtype, group) for dtype, group in groups.items()]
    blocks = [min(meta[-1], runtime.max_grid_blocks) for meta in launches]
    partials = xp.zeros(max(sum(blocks), 1), dtype=out_dtype)
    position = 0
    for (dtype, addresses, sizes, chunk_tensor, chunk_start, chunks), grid in zip(
        launches, blocks
    ):
        launch(
            runtime,
            KERNEL_FILE,
            f"sum_of_squares_chunks<{c_type(dtype)}, {c_type(out_dtype)}>",
            grid,
            _THREADS,
            (
                addresses,
                sizes,
                chunk_tensor,
                chunk_start,
                np.int64(chunks),
                np.int64(CHUNK_ELEMENTS),
                partials[position : position + grid],
            ),
        )
        position += grid
    out = xp.empty(1, dtype=out_dtype)
    launch(
        runtime,
        KERNEL_FILE,
        f"finish_l2_norm<{c_type(out_dtype)}>",
        1,
        _THREADS,
        (partials, np.int64(partials.size), out),
    )
    return out.reshape(())


def _chunk_metadata(runtime: KernelRuntime, dtype, group: list) -> tuple:
    """Device arrays describing ``group``'s chunks (built on the host: a few bytes per
    chunk, copied once), and the number of chunks."""
    sizes = np.array([a.size for a in group], dtype=np.int64)
    per_tensor = -(-sizes // CHUNK_ELEMENTS)
    chunk_tensor = np.repeat(np.arange(len(group), dtype=np.int64), per_tensor)
    first_chunk = np.cumsum(per_tensor) - per_tensor
    chunk_start = (np.arange(chunk_tensor.size) - first_chunk[chunk_tensor]) * CHUNK_ELEMENTS
    addresses = np.array([device_address(a) for a in group], dtype=np.uint64)
    xp = runtime.xp
    # `group` is kept alive by the caller's frame until the launch is queued; CuPy's pool
    # only reuses freed memory on the same stream, after the kernel.
    return (
        np.dtype(dtype),
        xp.asarray(addresses),
        xp.asarray(sizes),
        xp.asarray(chunk_tensor),
        xp.asarray(chunk_start.astype(np.int64)),
        int(chunk_tensor.size),
    )
