"""gk.cuda: availability and device queries. Importing it never needs CuPy."""

from .availability import current_index as current_device
from .availability import device_count, is_available

__all__ = ["is_available", "device_count", "current_device"]
