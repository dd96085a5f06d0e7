"""Memory statistics of CuPy's device memory pool, which every gradkit CUDA array comes from.

CuPy reports what is in use and what is held; it does not keep a high-water mark, so
gradkit installs an allocator that wraps the pool's and updates the peak on every
allocation (a comparison per malloc). Without a GPU every statistic is 0.
"""

from __future__ import annotations

import threading
from typing import Any

from .availability import is_available

_peaks: dict[int, int] = {}
_lock = threading.Lock()
_installed = False


def install_peak_tracking() -> None:
    """Route CuPy's allocations through the default pool plus a peak update (once)."""
    global _installed
    if _installed:
        return
    with _lock:
        if _installed:
            return
        import cupy

        pool = cupy.get_default_memory_pool()

        def malloc(size: int) -> Any:
            memory = pool.malloc(size)
            device = memory.device_id
            used = pool.used_bytes()
            if used > _peaks.get(device, 0):
                _peaks[device] = used
            return memory

        cupy.cuda.set_allocator(malloc)
        _installed = True


def _pool_and_index(device: Any):
    import cupy

    from .device import _index

    install_peak_tracking()
    return cupy.get_default_memory_pool(), _index(device)


def _on(index: int, read):
    import cupy

    with cupy.cuda.Device(index):
        return int(read())


def memory_allocated(device: Any = None) -> int:
    """Bytes of device memory held by live arrays on ``device`` (0 without a GPU)."""
    if not is_available():
        return 0
    pool, index = _pool_and_index(device)
    return _on(index, pool.used_bytes)


def memory_reserved(device: Any = None) -> int:
    """Bytes the memory pool holds on ``device``, in use or cached (0 without a GPU)."""
    if not is_available():
        return 0
    pool, index = _pool_and_index(device)
    return _on(index, pool.total_bytes)


def max_memory_allocated(device: Any = None) -> int:
    """The peak of memory_allocated since the start or reset_peak_memory_stats()."""
    if not is_available():
        return 0
    pool, index = _pool_and_index(device)
    current = _on(index, pool.used_bytes)
    return max(_peaks.get(index, 0), current)


def reset_peak_memory_stats(device: Any = None) -> None:
    """Restart the peak from the memory allocated now."""
    if not is_available():
        return
    pool, index = _pool_and_index(device)
    _peaks[index] = _on(index, pool.used_bytes)


def empty_cache() -> None:
    """Return the pool's unused cached blocks to the driver (arrays in use are untouched)."""
    if not is_available():
        return
    import cupy

    cupy.get_default_memory_pool().free_all_blocks()
    cupy.get_default_pinned_memory_pool().free_all_blocks()
