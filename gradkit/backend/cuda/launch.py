"""The launch seam: every kernel launch in gradkit goes through `launch`.

A runtime (`KernelRuntime`) owns the array module and the actual launch: CuPy on a GPU
(cupy_runtime.py) or the CPU executor in tests (gradkit.testing.cuda_executor). Launchers
are written against this seam only, so the CPU executor exercises the real launch code.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Protocol

import numpy as np

Dim3 = tuple[int, int, int]


class KernelRuntime(Protocol):
    xp: ModuleType  # numpy or cupy: allocates the arrays kernels read and write
    max_grid_blocks: int  # cap on blocks for grid-stride kernels

    def launch_kernel(
        self,
        file: str,
        name_expression: str,
        grid: Dim3,
        block: Dim3,
        args: tuple,
        shared_mem: int,
    ) -> None: ...


def launch(
    runtime: KernelRuntime,
    file: str,
    name_expression: str,
    grid: int | Sequence[int],
    block: int | Sequence[int],
    args: Sequence,
    shared_mem: int = 0,
) -> None:
    """Launch `name_expression` from kernels/`file` (asynchronously on a GPU).

    Scalars must be NumPy scalars of the C type the kernel declares (np.int64 for long long,
    np.float32 for float...): a bare Python number would be converted by a guess, and a wrong
    width reads garbage on a GPU without any error.
    """
    where = f"{name_expression} ({file})"
    for index, arg in enumerate(args):
        if isinstance(arg, (bool, int, float, complex)) and not isinstance(arg, np.generic):
            raise TypeError(
                f"{where}: argument {index} is a Python {type(arg).__name__} ({arg!r}); "
                "pass a NumPy scalar of the kernel's C type, e.g. np.int64 or np.float32"
            )
    runtime.launch_kernel(
        file,
        name_expression,
        _dim3(where, "grid", grid),
        _dim3(where, "block", block),
        tuple(args),
        int(shared_mem),
    )


def elementwise_geometry(
    runtime: KernelRuntime, n: int, threads_per_block: int = 256
) -> tuple[Dim3, Dim3]:
    """(grid, block) for a grid-stride loop over n > 0 elements.

    The grid is capped at runtime.max_grid_blocks: enough blocks to fill the GPU, and each
    thread loops over the rest, which is cheaper than launching a block per 256 elements.
    """
    blocks = min(-(-n // threads_per_block), runtime.max_grid_blocks)
    return (blocks, 1, 1), (threads_per_block, 1, 1)


def _dim3(where: str, what: str, value: int | Sequence[int]) -> Dim3:
    dims = (value,) if isinstance(value, (int, np.integer)) else tuple(value)
    if not 1 <= len(dims) <= 3 or any(int(d) < 1 for d in dims):
        raise ValueError(f"{where}: {what} must be 1 to 3 positive sizes; got {value!r}")
    x, y, z = (*map(int, dims), 1, 1)[:3]
    return (x, y, z)
