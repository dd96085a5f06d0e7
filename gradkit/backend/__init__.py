"""The device-agnostic array layer: devices, dtypes and the primitives each backend provides."""

from .device import Device, as_device, cpu
from .dtypes import as_dtype, promote
from .host_sync import sync_counter

__all__ = ["Device", "as_device", "cpu", "as_dtype", "promote", "sync_counter"]
