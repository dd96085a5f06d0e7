"""The NVRTC options for gradkit's kernels: one list for the runtime (CuPy) and the compile
check (tests/kernels/test_nvrtc_compile.py), so the check compiles what users run."""

from __future__ import annotations

import os
from pathlib import Path

# -std=c++17: the kernels use `if constexpr`.
# --fmad=true is NVRTC's default, spelled out because it is a semantic choice: the GPU may
#   contract a*b+c into one rounding, the NumPy twins do not, so tests compare with a
#   tolerance. --use_fast_math is deliberately absent: it flushes denormals and swaps
#   erff/expf/tanhf for approximations, which would break the agreement with the twins.
NVRTC_OPTIONS: tuple[str, ...] = ("-std=c++17", "--fmad=true")

# Architectures the compile check builds real machine code (SASS) for: A100 and H100/H200.
COMPILE_CHECK_ARCHS: tuple[str, ...] = ("sm_80", "sm_90")


def arch_option(arch: str) -> str:
    """The option selecting `arch` ("sm_90"); CuPy adds its own for the current device."""
    return f"--gpu-architecture={arch}"


def cuda_include_dirs() -> list[Path]:
    """Directories holding cuda_fp16.h (and the runtime headers it includes).

    NVRTC has no built-in copy. CuPy finds the headers itself at run time; the compile check
    uses this list: the nvidia-cuda-runtime-cu12 wheel first, then a CUDA toolkit.
    """
    candidates: list[Path] = []
    try:
        import nvidia.cuda_runtime as cuda_runtime_wheel  # from nvidia-cuda-runtime-cu12

        candidates += [Path(p) / "include" for p in cuda_runtime_wheel.__path__]
    except ImportError:
        pass
    for variable in ("CUDA_PATH", "CUDA_HOME"):
        if os.environ.get(variable):
            candidates.append(Path(os.environ[variable]) / "include")
    candidates.append(Path("/usr/local/cuda/include"))
    return [path for path in candidates if (path / "cuda_fp16.h").is_file()][:1]
