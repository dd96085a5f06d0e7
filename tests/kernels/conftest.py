"""Fixtures for the kernel tests: CPU executor runtimes, built once per session (and cached on
disk across sessions by gradkit.testing.cuda_executor)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradkit.testing.cuda_executor import CpuExecutorRuntime

SELFTEST_FILE = "executor_selftest.cu"
SELFTEST_KERNELS = (
    "block_sum_static_shared",
    "block_sum_dynamic_shared",
    "warp_sums",
    "shuffle_patterns",
    "atomic_reductions",
    "thread_coordinates",
    "half_round_trip",
    "divergent_barrier",
    "trap_at",
)


@pytest.fixture(scope="session")
def executor() -> CpuExecutorRuntime:
    """Runs gradkit's kernels/ on the CPU; building the libraries up front keeps the first
    test's timing honest."""
    runtime = CpuExecutorRuntime()
    for file in runtime.name_expressions:
        runtime.library(file)
    return runtime


@pytest.fixture(scope="session")
def selftest_library():
    runtime = CpuExecutorRuntime(
        kernel_directory=Path(__file__).parent,
        name_expressions={SELFTEST_FILE: SELFTEST_KERNELS},
    )
    return runtime.library(SELFTEST_FILE)
