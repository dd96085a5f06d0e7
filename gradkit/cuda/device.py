"""Device selection, synchronisation and seeding for gk.cuda (PyTorch's spelling)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .availability import device_count, is_available, require


def _index(device: Any) -> int:
    """An int, "cuda:N", a gk.device or None (the current device) -> a device index."""
    if device is None:
        from .availability import current_index

        return current_index()
    if isinstance(device, (int, np.integer)):
        return int(device)
    from ..backend.device import Device

    resolved = Device(device)
    if resolved.type != "cuda":
        raise ValueError(f"expected a CUDA device, got {resolved}")
    return resolved.index


def set_device(device: Any) -> None:
    """Make ``device`` (an index, "cuda:N" or a gk.device) the current CUDA device."""
    require("cuda")
    index = _index(device)
    if not 0 <= index < device_count():
        raise ValueError(
            f"set_device: expected a device index in [0, {device_count()}), got {index}"
        )
    import cupy

    cupy.cuda.Device(index).use()


def synchronize(device: Any = None) -> None:
    """Wait until every kernel queued on ``device`` (default: the current one) has run."""
    require("cuda")
    import cupy

    with cupy.cuda.Device(_index(device)):
        cupy.cuda.Device().synchronize()


def manual_seed(seed: int) -> None:
    """Seed the random generators of every CUDA device (gk.randn & co. on "cuda"). A no-op
    without a GPU, as in PyTorch, so scripts can call it unconditionally. Dropout masks take
    their keys from the CPU generator: gk.manual_seed fixes those."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed: expected an int, got {type(seed).__name__}")
    if not is_available():
        return
    import cupy

    from .. import random as _random

    for index in range(device_count()):
        with cupy.cuda.Device(index):
            generator = cupy.random.Generator(cupy.random.XORWOW(int(seed)))
        _random._generators[f"cuda:{index}"] = generator  # the table generator_for reads
