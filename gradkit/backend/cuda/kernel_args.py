"""What every launcher needs besides `launch`: the runtime to use, C type names, contiguous
operands and the geometry of row-per-block kernels."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import numpy as np

from gradkit.backend.cuda.launch import Dim3, KernelRuntime

FLOAT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
C_TYPES = {
    np.dtype(np.float16): "__half",
    np.dtype(np.float32): "float",
    np.dtype(np.float64): "double",
}
# For row-per-block kernels: 512 leaves each thread up to 128 registers (a 1024-thread block
# fails to launch once a kernel needs more than 64, e.g. double-precision statistics).
MAX_THREADS_PER_BLOCK = 512

_override = threading.local()


def c_type(dtype) -> str:
    return C_TYPES[np.dtype(dtype)]


def accumulate_dtype(dtype) -> np.dtype:
    """The dtype kernels compute in (common.cuh's acc_t): float32 for float16."""
    dtype = np.dtype(dtype)
    return np.dtype(np.float32) if dtype == np.float16 else dtype


def resolve_runtime(runtime: KernelRuntime | None) -> KernelRuntime:
    """`runtime`, else the one set by `use_runtime`, else the CuPy runtime."""
    if runtime is not None:
        return runtime
    chosen = getattr(_override, "runtime", None)
    if chosen is not None:
        return chosen
    from gradkit.backend.cuda.cupy_runtime import default_runtime

    return default_runtime()


@contextlib.contextmanager
def use_runtime(runtime: KernelRuntime) -> Iterator[KernelRuntime]:
    """Run launchers called without `runtime=` (e.g. through backend.cuda.primitives) on
    `runtime` in this thread: how the tests run the primitive table on the CPU executor."""
    previous = getattr(_override, "runtime", None)
    _override.runtime = runtime
    try:
        yield runtime
    finally:
        _override.runtime = previous


def c_contiguous(runtime: KernelRuntime, array):
    """Kernels index flat memory; a strided view would be read as if it were dense."""
    return array if array.flags.c_contiguous else runtime.xp.ascontiguousarray(array)


def check_float_dtype(op: str, name: str, array) -> None:
    if array.dtype not in FLOAT_DTYPES:
        expected = ", ".join(str(d) for d in FLOAT_DTYPES)
        raise TypeError(f"{op}: {name} must have dtype {expected}; got {array.dtype}")


def row_geometry(runtime: KernelRuntime, rows: int, cols: int) -> tuple[Dim3, Dim3]:
    """(grid, block) for one block per row: a power-of-two block of 32..512 threads that
    covers the row when it can (each thread loops over the rest), and at most
    runtime.max_grid_blocks blocks (each block loops over rows)."""
    threads = 32
    while threads < min(cols, MAX_THREADS_PER_BLOCK):
        threads *= 2
    return (max(min(rows, runtime.max_grid_blocks), 1), 1, 1), (threads, 1, 1)


def device_address(array) -> int:
    """The address of an array's first element: CuPy's device pointer or NumPy's host one
    (the CPU executor's 'device' memory)."""
    data = array.data
    return int(data.ptr) if hasattr(data, "ptr") else int(array.ctypes.data)
