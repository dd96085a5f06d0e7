"""gk.cuda.nvml: what the driver reports about each GPU (name, memory, utilisation, power,
temperature) through NVML (pip install nvidia-ml-py, or gradkit[nvml]).

Independent of CuPy: it works wherever the NVIDIA driver does. Where NVML or a GPU is
missing, every query raises NVMLUnavailableError ("NVML unavailable: <reason>"),
`is_available()` is False and `unavailable_reason()` says why; importing never fails.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any

_lock = threading.Lock()
_state: dict[str, Any] = {"module": None, "reason": None}


class NVMLUnavailableError(RuntimeError):
    """NVML cannot answer here; the message starts with "NVML unavailable:"."""


def _nvml() -> Any:
    """pynvml, initialised once; raises NVMLUnavailableError with the reason otherwise."""
    with _lock:
        if _state["module"] is None and _state["reason"] is None:
            try:
                import pynvml
            except ImportError:
                _state["reason"] = (
                    "nvidia-ml-py is not installed (pip install nvidia-ml-py or gradkit[nvml])"
                )
            else:
                try:
                    pynvml.nvmlInit()
                    _state["module"] = pynvml
                except Exception as error:  # NVMLError_LibraryNotFound, _DriverNotLoaded...
                    _state["reason"] = f"{type(error).__name__}: {error}"
        if _state["module"] is None:
            raise NVMLUnavailableError(f"NVML unavailable: {_state['reason']}")
        return _state["module"]


def unavailable_reason() -> str | None:
    """None when NVML answers; else why not."""
    try:
        _nvml()
    except NVMLUnavailableError as error:
        return str(error)
    return None


def is_available() -> bool:
    return unavailable_reason() is None


def device_count() -> int:
    """GPUs the driver sees (0 when NVML is unavailable)."""
    try:
        return int(_nvml().nvmlDeviceGetCount())
    except NVMLUnavailableError:
        return 0


def _handle(index: int) -> Any:
    nvml = _nvml()
    count = nvml.nvmlDeviceGetCount()
    if not 0 <= index < count:
        raise NVMLUnavailableError(f"NVML unavailable: no GPU {index} (the driver reports {count})")
    return nvml, nvml.nvmlDeviceGetHandleByIndex(index)


def _query(index: int, what: str, read) -> Any:
    nvml, handle = _handle(index)
    try:
        return read(nvml, handle)
    except nvml.NVMLError as error:  # e.g. NOT_SUPPORTED for power on some boards
        raise NVMLUnavailableError(f"NVML unavailable: {what} of GPU {index}: {error}") from error


def device_name(index: int = 0) -> str:
    name = _query(index, "name", lambda nvml, h: nvml.nvmlDeviceGetName(h))
    return name.decode() if isinstance(name, bytes) else str(name)


def memory_info(index: int = 0) -> tuple[int, int]:
    """(used bytes, total bytes) as the driver counts them (all processes)."""
    info = _query(index, "memory", lambda nvml, h: nvml.nvmlDeviceGetMemoryInfo(h))
    return int(info.used), int(info.total)


def utilization(index: int = 0) -> int:
    """Percent of the last sample period in which a kernel was running."""
    rates = _query(index, "utilization", lambda nvml, h: nvml.nvmlDeviceGetUtilizationRates(h))
    return int(rates.gpu)


def power_watts(index: int = 0) -> float:
    milliwatts = _query(index, "power", lambda nvml, h: nvml.nvmlDeviceGetPowerUsage(h))
    return milliwatts / 1000.0


def temperature_celsius(index: int = 0) -> int:
    return int(
        _query(
            index,
            "temperature",
            lambda nvml, h: nvml.nvmlDeviceGetTemperature(h, nvml.NVML_TEMPERATURE_GPU),
        )
    )


@dataclass(frozen=True)
class Snapshot:
    index: int
    name: str
    memory_used: int
    memory_total: int
    utilization: int
    power_watts: float | None  # None where the board does not report it
    temperature_celsius: int | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def snapshot(index: int = 0) -> Snapshot:
    """Everything above at once; power and temperature are None where unsupported."""
    used, total = memory_info(index)

    def optional(read):
        try:
            return read(index)
        except NVMLUnavailableError:
            return None

    return Snapshot(
        index,
        device_name(index),
        used,
        total,
        utilization(index),
        optional(power_watts),
        optional(temperature_celsius),
    )
