"""Compile kernels/*.cu with NVRTC through CuPy, lazily, once per process per (file, arch).

CuPy also caches the compiled binaries on disk (keyed by source and options), so a new
process usually only pays for loading them.
"""

from __future__ import annotations

import threading

from gradkit.backend.cuda.compile_options import NVRTC_OPTIONS
from gradkit.backend.cuda.kernel_manifest import name_expressions
from gradkit.backend.cuda.kernel_source import read_kernel_source


class KernelCompileError(RuntimeError):
    """A kernel source failed to compile; the message holds the file and the compiler log."""


_modules: dict[tuple[str, str], object] = {}
_kernels: dict[tuple[str, str, str], object] = {}
_lock = threading.Lock()


def get_kernel(file: str, name_expression: str):
    """The cupy.RawKernel for `name_expression` of kernels/`file` on the current device."""
    import cupy

    arch = cupy.cuda.Device().compute_capability  # e.g. "90"
    key = (file, name_expression, arch)
    kernel = _kernels.get(key)
    if kernel is None:
        names = name_expressions(file)
        if name_expression not in names:
            raise KeyError(
                f"{name_expression!r} is not among the instantiations of {file} listed in "
                "gradkit.backend.cuda.kernel_manifest"
            )
        kernel = _kernels[key] = _module(file, arch, names).get_function(name_expression)
    return kernel


def _module(file: str, arch: str, names: tuple[str, ...]):
    import cupy

    with _lock:
        module = _modules.get((file, arch))
        if module is None:
            module = cupy.RawModule(
                code=read_kernel_source(file),
                options=NVRTC_OPTIONS,
                name_expressions=list(names),
            )
            try:
                module.compile()  # now, so that a failure names the file, not a later launch
            except cupy.cuda.compiler.CompileException as error:
                hint = ""
                if "cuda_fp16.h" in str(error):
                    hint = (
                        "\n(NVRTC needs the CUDA headers: install nvidia-cuda-runtime-cu12 "
                        "or a CUDA toolkit and set CUDA_PATH)"
                    )
                raise KernelCompileError(
                    f"NVRTC failed to compile {file} for sm_{arch} with options "
                    f"{' '.join(NVRTC_OPTIONS)}:\n{error}{hint}"
                ) from error
            _modules[(file, arch)] = module
    return module
