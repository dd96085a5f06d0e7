"""Whether CUDA can be used here, and if not, exactly which piece is missing."""

from __future__ import annotations

import functools
from typing import Any


@functools.lru_cache(maxsize=1)
def missing_piece() -> str | None:
    """None when a GPU is usable; otherwise a sentence naming what is missing."""
    try:
        import cupy
    except ImportError:
        return "CuPy is not installed (pip install 'gradkit[cuda12]' or 'gradkit[cuda13]')"
    except Exception as error:  # a broken CuPy install must not break `import gradkit`
        return f"CuPy failed to import: {error}"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:
        return f"no usable NVIDIA driver was found ({error})"
    if count == 0:
        return "the NVIDIA driver reports no GPU"
    return None


def is_available() -> bool:
    return missing_piece() is None


def require(device: Any = "cuda") -> None:
    """Raise a RuntimeError naming the missing piece unless CUDA is usable. The first
    successful call installs the allocator that tracks peak memory (gk.cuda.memory)."""
    reason = missing_piece()
    if reason is not None:
        raise RuntimeError(f"cannot use device {device!s}: {reason}")
    from . import memory

    memory.install_peak_tracking()


def device_count() -> int:
    if not is_available():
        return 0
    import cupy

    return cupy.cuda.runtime.getDeviceCount()


def current_index() -> int:
    if not is_available():
        return 0
    import cupy

    return cupy.cuda.runtime.getDevice()
