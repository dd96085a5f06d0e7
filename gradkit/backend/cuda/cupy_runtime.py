"""The GPU runtime: CuPy arrays, kernels from loader.py. Kept tiny; CI cannot run it."""

from __future__ import annotations

import functools

from gradkit.backend.cuda.launch import Dim3
from gradkit.backend.cuda.loader import get_kernel

# Resident blocks per SM worth launching for a grid-stride loop; more only adds scheduling.
_BLOCKS_PER_SM = 32


class CupyRuntime:
    def __init__(self) -> None:
        import cupy

        self.xp = cupy

    @property
    def max_grid_blocks(self) -> int:
        return _sm_count(self.xp.cuda.Device().id) * _BLOCKS_PER_SM

    def launch_kernel(
        self, file: str, name_expression: str, grid: Dim3, block: Dim3, args: tuple, shared_mem: int
    ) -> None:
        get_kernel(file, name_expression)(grid, block, args, shared_mem=shared_mem)


@functools.cache
def _sm_count(device_id: int) -> int:
    import cupy

    return cupy.cuda.Device(device_id).attributes["MultiProcessorCount"]


@functools.cache
def default_runtime() -> CupyRuntime:
    return CupyRuntime()
