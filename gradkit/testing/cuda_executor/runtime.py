"""CpuExecutorRuntime: a KernelRuntime (gradkit.backend.cuda.launch) that runs the CUDA
sources on the CPU, so the real launchers run unchanged in tests."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from gradkit.backend.cuda.kernel_manifest import manifest
from gradkit.backend.cuda.kernel_source import kernel_dir
from gradkit.backend.cuda.launch import Dim3
from gradkit.testing.cuda_executor.build import build_library
from gradkit.testing.cuda_executor.kernel_library import KernelLibrary

_libraries: dict[tuple[Path, tuple[str, ...]], KernelLibrary] = {}
_libraries_lock = threading.Lock()


class CpuExecutorRuntime:
    """Runs kernels from `kernel_directory` (default: gradkit's kernels/).

    name_expressions: {file: instantiations to build}; default: the launchers' manifest.
    max_grid_blocks: the cap elementwise_geometry applies. Small on purpose: every GPU
    thread is a fiber, and a short grid makes each thread take the grid-stride loop.
    """

    xp = np

    def __init__(
        self,
        kernel_directory: Path | None = None,
        name_expressions: Mapping[str, Sequence[str]] | None = None,
        max_grid_blocks: int = 8,
    ):
        self.kernel_directory = kernel_dir() if kernel_directory is None else kernel_directory
        self.name_expressions = manifest() if name_expressions is None else name_expressions
        self.max_grid_blocks = max_grid_blocks

    def library(self, file: str) -> KernelLibrary:
        """The compiled library for `file` (built on first use, then cached)."""
        if file not in self.name_expressions:
            raise KeyError(f"{file}: no name expressions given for it")
        path = self.kernel_directory / file
        names = tuple(self.name_expressions[file])
        with _libraries_lock:
            library = _libraries.get((path, names))
            if library is None:
                library = KernelLibrary(build_library(path, names), file, names)
                _libraries[(path, names)] = library
        return library

    def launch_kernel(
        self, file: str, name_expression: str, grid: Dim3, block: Dim3, args: tuple, shared_mem: int
    ) -> None:
        self.library(file).launch(name_expression, grid, block, args, shared_mem)
