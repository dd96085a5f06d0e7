"""gk.cuda.nvml: a clear "NVML unavailable: <reason>" where NVML or a GPU is missing, and,
with a stand-in pynvml, the values and units it reports."""

from __future__ import annotations

import sys
import types

import pytest

from gradkit.cuda import nvml


@pytest.fixture
def fresh_nvml(monkeypatch):
    monkeypatch.setattr(nvml, "_state", {"module": None, "reason": None})


def test_unavailable_without_the_package(fresh_nvml, monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", None)  # makes `import pynvml` fail
    assert not nvml.is_available()
    assert nvml.unavailable_reason().startswith("NVML unavailable: nvidia-ml-py is not")
    assert nvml.device_count() == 0
    for query in (
        nvml.device_name,
        nvml.memory_info,
        nvml.utilization,
        nvml.power_watts,
        nvml.temperature_celsius,
        nvml.snapshot,
    ):
        with pytest.raises(nvml.NVMLUnavailableError, match="^NVML unavailable: "):
            query(0)


def test_unavailable_without_a_driver(fresh_nvml, monkeypatch):
    pytest.importorskip("pynvml")
    try:
        import pynvml

        pynvml.nvmlInit()
        pytest.skip("NVML works here")
    except pynvml.NVMLError:
        pass
    reason = nvml.unavailable_reason()
    assert reason.startswith("NVML unavailable: NVMLError")
    with pytest.raises(RuntimeError, match="NVML unavailable"):
        nvml.device_name()


class _NotSupported(Exception):
    pass


def _fake_pynvml():
    fake = types.ModuleType("pynvml")
    fake.NVMLError = _NotSupported
    fake.NVML_TEMPERATURE_GPU = 0
    fake.nvmlInit = lambda: None
    fake.nvmlDeviceGetCount = lambda: 1
    fake.nvmlDeviceGetHandleByIndex = lambda i: f"handle{i}"
    fake.nvmlDeviceGetName = lambda h: b"NVIDIA H200"
    fake.nvmlDeviceGetMemoryInfo = lambda h: types.SimpleNamespace(used=3 << 30, total=141 << 30)
    fake.nvmlDeviceGetUtilizationRates = lambda h: types.SimpleNamespace(gpu=87, memory=40)
    fake.nvmlDeviceGetPowerUsage = lambda h: 412_500  # milliwatts

    def temperature(handle, sensor):
        raise _NotSupported("Not Supported")

    fake.nvmlDeviceGetTemperature = temperature
    return fake


def test_values_and_units_from_the_driver(fresh_nvml, monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", _fake_pynvml())
    assert nvml.is_available() and nvml.device_count() == 1
    assert nvml.device_name() == "NVIDIA H200"
    assert nvml.memory_info() == (3 << 30, 141 << 30)
    assert nvml.utilization() == 87
    assert nvml.power_watts() == pytest.approx(412.5)
    with pytest.raises(nvml.NVMLUnavailableError, match="temperature of GPU 0: Not Supported"):
        nvml.temperature_celsius()
    snap = nvml.snapshot()
    assert snap.temperature_celsius is None and snap.power_watts == pytest.approx(412.5)
    assert snap.as_dict()["name"] == "NVIDIA H200"
    with pytest.raises(nvml.NVMLUnavailableError, match="no GPU 3"):
        nvml.device_name(3)
