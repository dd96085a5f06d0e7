"""gk.cuda: availability, devices, synchronisation, seeding, memory statistics, streams and
events, and (gk.cuda.nvml) what the driver reports. Importing it never needs CuPy or a GPU:
queries answer "none" (0, False) and actions raise a RuntimeError naming what is missing."""

from . import nvml
from .availability import current_index as current_device
from .availability import device_count, is_available
from .device import manual_seed, set_device, synchronize
from .memory import (
    empty_cache,
    max_memory_allocated,
    memory_allocated,
    memory_reserved,
    reset_peak_memory_stats,
)
from .streams import Event, Stream, current_stream


def manual_seed_all(seed: int) -> None:
    """Same as manual_seed: it already seeds every CUDA device."""
    manual_seed(seed)


__all__ = [
    "Event",
    "Stream",
    "current_device",
    "current_stream",
    "device_count",
    "empty_cache",
    "is_available",
    "manual_seed",
    "manual_seed_all",
    "max_memory_allocated",
    "memory_allocated",
    "memory_reserved",
    "nvml",
    "reset_peak_memory_stats",
    "set_device",
    "synchronize",
]
