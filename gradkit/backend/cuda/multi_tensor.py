"""Metadata and geometry for the multi-tensor kernels (kernels/multi_tensor.cuh): one int64
device array of tensor addresses, sizes and chunk descriptors, so that one launch covers any
number of tensors.

The metadata depends only on addresses and sizes, so it is cached: a training loop whose
arrays stay where they are (parameters, optimizer state, and gradients recycled by the
memory pool) uploads it once. Uploads are host-to-device copies from pinned memory on the
stream; nothing here ever copies from the device to the host.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from gradkit.backend.cuda.kernel_args import device_address
from gradkit.backend.cuda.launch import Dim3, KernelRuntime

# Elements per chunk (one block each). 2**15 keeps about 300 blocks busy for 10**7 parameters
# while the per-chunk metadata stays a few KiB.
CHUNK_SIZE = 1 << 15
THREADS_PER_BLOCK = 512  # a multiple of 32: the norm kernel's block reduction needs whole warps

_CACHE_ENTRIES = 256
_cache: collections.OrderedDict[tuple, tuple[Any, int]] = collections.OrderedDict()
_cache_lock = threading.Lock()
_pinned_in_flight: collections.deque = collections.deque()  # (event, staging buffer)


def metadata(
    runtime: KernelRuntime,
    lists: Sequence[Sequence[Any] | None],
    sizes: Sequence[int],
    chunk_size: int | None = None,
) -> tuple[Any, int]:
    """(device int64 metadata, number of chunks) for ``lists`` of arrays (None: an absent list,
    e.g. no momentum buffers; an absent entry within a list is also None), in the layout that
    multi_tensor.cuh documents."""
    chunk_size = CHUNK_SIZE if chunk_size is None else chunk_size
    tensors = len(sizes)
    addresses = []
    for arrays in lists:
        if arrays is None:
            addresses += [0] * tensors
        else:
            addresses += [0 if a is None else device_address(a) for a in arrays]
    key = (id(runtime.xp), chunk_size, tuple(addresses), tuple(sizes))
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    chunk_tensor, chunk_begin = [], []
    for t, size in enumerate(sizes):
        starts = range(0, size, chunk_size)
        chunk_tensor += [t] * len(starts)
        chunk_begin += starts
    host = np.array(addresses + list(sizes) + chunk_tensor + chunk_begin, dtype=np.uint64)
    result = (_upload(runtime, host.view(np.int64)), len(chunk_tensor))
    with _cache_lock:
        _cache[key] = result
        while len(_cache) > _CACHE_ENTRIES:
            _cache.popitem(last=False)
    return result


def geometry(runtime: KernelRuntime, chunks: int) -> tuple[Dim3, Dim3]:
    """One block per chunk, capped at runtime.max_grid_blocks (blocks loop over chunks)."""
    return (max(min(chunks, runtime.max_grid_blocks), 1), 1, 1), (THREADS_PER_BLOCK, 1, 1)


_scalars: collections.OrderedDict[tuple, Any] = collections.OrderedDict()


def device_scalar(runtime: KernelRuntime, value: Any, dtype: Any) -> Any:
    """A 0-d device array holding ``value``: a device array is cast on the device (no sync), a
    Python number is written by a fill kernel (cached per value), never copied through the
    host in either direction."""
    dtype = np.dtype(dtype)
    if (
        hasattr(value, "dtype")
        and getattr(value, "ndim", None) == 0
        and not isinstance(value, np.generic)
    ):
        if isinstance(value, runtime.xp.ndarray):
            return value if value.dtype == dtype else value.astype(dtype)
    number = float(value)
    key = (id(runtime.xp), dtype, number)
    with _cache_lock:
        found = _scalars.get(key)
        if found is not None:
            return found
    array = runtime.xp.full((), number, dtype=dtype)
    with _cache_lock:
        _scalars[key] = array
        while len(_scalars) > _CACHE_ENTRIES:
            _scalars.popitem(last=False)
    return array


def _upload(runtime: KernelRuntime, host: np.ndarray) -> Any:
    xp = runtime.xp
    if xp is np:
        return host  # the CPU executor's "device" memory is host memory
    import cupyx

    pinned = cupyx.empty_pinned(host.shape, host.dtype)
    pinned[...] = host
    device = xp.empty(host.shape, host.dtype)
    stream = xp.cuda.get_current_stream()
    device.set(pinned, stream=stream)
    # Keep each staging buffer until its copy has run: an event query never blocks.
    event = xp.cuda.Event(disable_timing=True)
    event.record(stream)
    with _cache_lock:
        _pinned_in_flight.append((event, pinned))
        while _pinned_in_flight and _pinned_in_flight[0][0].done:
            _pinned_in_flight.popleft()
    return device
