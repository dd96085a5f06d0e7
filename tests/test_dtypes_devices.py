"""Device and dtype parsing, CUDA availability without CuPy, and the errors for bad names."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import gradkit as gk
from gradkit.backend.device import Device


def test_device_parses_cpu_cuda_and_index():
    assert Device("cpu").type == "cpu" and Device("cpu").index is None
    assert Device("cuda:1").type == "cuda" and Device("cuda:1").index == 1
    assert Device("cuda:0") is Device("cuda:0")
    assert Device("cuda").type == "cuda" and isinstance(Device("cuda").index, int)
    assert str(Device("cuda:3")) == "cuda:3"
    assert Device(Device("cpu")) is Device("cpu")
    assert Device("cpu") == "cpu" and Device("cuda:2") != "cpu"


def test_device_is_immutable():
    with pytest.raises(AttributeError):
        Device("cpu").type = "cuda"


@pytest.mark.parametrize("spec", ["cuda:x", "tpu", "gpu", "cpu:1", "cuda:-1", ""])
def test_unknown_device_strings_are_refused(spec):
    with pytest.raises(ValueError, match=f"expected 'cpu', 'cuda' or 'cuda:N'|{spec}"):
        Device(spec)
    with pytest.raises(ValueError):
        gk.zeros(2, device=spec)


def test_non_string_device_is_a_type_error():
    with pytest.raises(TypeError, match="Device"):
        Device(3.5)


@pytest.mark.parametrize("name", ["float128", "complex64", "floatt", "int4"])
def test_unknown_dtype_names_are_refused(name):
    with pytest.raises(TypeError, match=name):
        gk.zeros(2, dtype=name)
    with pytest.raises(TypeError, match=name):
        gk.tensor([1.0]).to(name)


def test_unsupported_numpy_dtypes_are_refused():
    with pytest.raises(TypeError, match="complex"):
        gk.tensor(np.ones(2, dtype=np.complex64))
    with pytest.raises(TypeError, match="zeros"):
        gk.zeros(2, dtype=np.complex128)


def test_dtypes_are_numpy_dtypes():
    assert gk.float32 is np.dtype("float32")
    assert gk.float64 == np.float64 and gk.int64 == np.int64 and gk.bool == np.bool_
    assert gk.double == gk.float64 and gk.half == gk.float16 and gk.long == gk.int64


def test_cuda_is_not_available_here_and_never_raises():
    available = gk.cuda.is_available()
    assert isinstance(available, bool)
    assert gk.cuda.device_count() >= 0
    if not available:
        assert gk.cuda.device_count() == 0


def test_asking_for_cuda_without_cupy_says_what_is_missing():
    if gk.cuda.is_available():
        pytest.skip("a GPU is usable here")
    x = gk.ones(2)
    for attempt in (
        lambda: gk.zeros(2, device="cuda"),
        lambda: gk.tensor([1.0], device="cuda"),
        lambda: x.to("cuda"),
        lambda: x.cuda(),
        lambda: gk.randn(2, device="cuda:0"),
    ):
        with pytest.raises(RuntimeError, match="cuda") as info:
            attempt()
        message = str(info.value)
        assert "CuPy" in message or "driver" in message or "GPU" in message
    assert x.device == "cpu"  # state unchanged


def test_import_gradkit_works_without_cupy():
    code = (
        "import sys; sys.modules['cupy'] = None\n"  # any `import cupy` fails
        "import gradkit as gk\n"
        "assert gk.cuda.is_available() is False\n"
        "assert float((gk.ones(2) * 2).sum().item()) == 4.0\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_tensors_on_different_devices_are_refused(monkeypatch):
    """A fake second device, since there is no GPU here: the check must come before any work."""
    a = gk.ones(3, requires_grad=True)
    other = Device("cuda:7")
    b = gk.Tensor._make(np.ones(3, dtype=np.float32), other)
    for op in (gk.add, gk.mul, gk.sub, gk.div, gk.pow):
        with pytest.raises(RuntimeError, match=r"same device.*cpu.*cuda:7|cpu.*cuda:7"):
            op(a, b)
    assert a.grad is None and a.grad_fn is None


@pytest.mark.gpu
def test_round_trip_to_the_gpu():
    if not gk.cuda.is_available():
        pytest.skip("no GPU")
    x = gk.randn(3, 4, requires_grad=True)
    y = x.to("cuda")
    assert y.device.type == "cuda"
    (y * 2).sum().backward()
    assert x.grad.device == "cpu"
    np.testing.assert_allclose(x.grad.numpy(), np.full((3, 4), 2.0))
