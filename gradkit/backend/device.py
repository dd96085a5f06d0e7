"""Device: where a tensor's memory lives, and which array module and primitives serve it."""

from __future__ import annotations

import re
from types import ModuleType
from typing import Any

import numpy as np

_SPEC = re.compile(r"^(cpu|cuda)(?::(\d+))?$")


class Device:
    """An immutable, interned value: ``Device("cuda:0") is Device("cuda:0")``."""

    __slots__ = ("type", "index", "_name", "_xp", "_primitives")
    _interned: dict[str, Device] = {}

    type: str
    index: int | None

    def __new__(cls, spec: str | Device | None = None) -> Device:
        if isinstance(spec, Device):
            return spec
        if spec is None:
            spec = "cpu"
        if not isinstance(spec, str):
            raise TypeError(f"Device: expected 'cpu', 'cuda' or 'cuda:N', got {spec!r}")
        found = cls._interned.get(spec)
        if found is not None:
            return found
        match = _SPEC.match(spec.strip().lower())
        if match is None:
            raise ValueError(f"Device: expected 'cpu', 'cuda' or 'cuda:N', got {spec!r}")
        kind, index = match.group(1), match.group(2)
        if kind == "cpu":
            if index not in (None, "0"):
                raise ValueError(f"Device: the CPU has no index other than 0, got {spec!r}")
            name, idx = "cpu", None
        else:
            idx = int(index) if index is not None else _current_cuda_index()
            name = f"cuda:{idx}"
        device = cls._interned.get(name)
        if device is None:
            device = object.__new__(cls)
            object.__setattr__(device, "type", kind)
            object.__setattr__(device, "index", idx)
            object.__setattr__(device, "_name", name)
            object.__setattr__(device, "_xp", np if kind == "cpu" else None)
            object.__setattr__(device, "_primitives", None)
            cls._interned[name] = device
        if index is not None or kind == "cpu":
            cls._interned[spec] = device
        return device

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Device is immutable")

    @property
    def xp(self) -> ModuleType:
        """The array module of this device: numpy or cupy."""
        xp = self._xp
        if xp is None:
            from ..cuda import availability

            availability.require(self)
            import cupy

            object.__setattr__(self, "_xp", cupy)
            xp = cupy
        return xp

    @property
    def primitives(self) -> ModuleType:
        """The fused operations this device's backend provides (same names on every backend):
        gradkit.backend.cpu (NumPy, the reference) or gradkit.backend.cuda.primitives."""
        table = self._primitives
        if table is None:
            import importlib

            self.xp  # noqa: B018 - fails with a clear message when CUDA is unusable
            name = "gradkit.backend." + ("cpu" if self.type == "cpu" else "cuda.primitives")
            table = importlib.import_module(name)
            object.__setattr__(self, "_primitives", table)
        return table

    def __repr__(self) -> str:
        return f"device(type='{self.type}'" + (
            f", index={self.index})" if self.index is not None else ")"
        )

    def __str__(self) -> str:
        return self._name

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            try:
                other = Device(other)
            except (TypeError, ValueError):
                return False
        return self is other

    def __hash__(self) -> int:
        return hash(self._name)

    def __reduce__(self):
        return (Device, (self._name,))


def _current_cuda_index() -> int:
    from ..cuda import availability

    return availability.current_index()


cpu = Device("cpu")


def as_device(spec: str | Device | None) -> Device:
    if spec is None:
        return cpu
    return Device(spec)


def device_of_array(array: Any) -> Device:
    """The device an ndarray lives on (NumPy → cpu, CuPy → its GPU)."""
    if isinstance(array, np.ndarray):
        return cpu
    dev = getattr(array, "device", None)
    if dev is not None and hasattr(dev, "id"):
        return Device(f"cuda:{dev.id}")
    return cpu
