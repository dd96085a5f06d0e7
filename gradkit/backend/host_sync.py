"""An instrumented count of device-to-host synchronisations.

Every place in gradkit that copies a device value to the host (Tensor.item/numpy/tolist/
__array__/__bool__/__float__/repr, a device-to-CPU copy, a primitive turning a device
value into a Python number) calls ``note_device_to_host``. Tests assert that a whole mixed-
precision training step adds nothing to ``sync_counter()``.

CPU tensors never count: their "transfer" is free. A test that runs the CUDA launchers on the
CPU executor (whose "device" memory is host memory) turns CPU counting on with
``count_cpu_transfers()``, so the same events are counted on that path.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

_lock = threading.Lock()
_count = 0
_cpu_counting = 0


def note_device_to_host(device: Any) -> None:
    """Record one device-to-host transfer of a value on ``device`` (a Device or its type)."""
    global _count
    kind = getattr(device, "type", device)
    if kind != "cpu" or _cpu_counting:
        with _lock:
            _count += 1


def sync_counter() -> int:
    """How many device-to-host transfers gradkit has made in this process so far."""
    return _count


@contextlib.contextmanager
def count_cpu_transfers() -> Iterator[None]:
    """Count transfers of CPU values too (the CPU executor's emulated device memory)."""
    global _cpu_counting
    with _lock:
        _cpu_counting += 1
    try:
        yield
    finally:
        with _lock:
            _cpu_counting -= 1
