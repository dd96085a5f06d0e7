"""DLPack: gradkit tensors and NumPy / PyTorch arrays exchange memory without a copy, in both
directions (CuPy on a GPU)."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.float16, np.bool_])
def test_numpy_imports_a_tensor_without_copying(dtype):
    t = gk.tensor(np.arange(6).reshape(2, 3).astype(dtype))
    assert t.__dlpack_device__() == (1, 0)
    array = np.from_dlpack(t)
    assert array.dtype == dtype and array.shape == (2, 3)
    assert np.shares_memory(array, t.data)


def test_tensor_from_numpy_shares_memory_both_ways():
    array = np.arange(12, dtype=np.float32).reshape(3, 4)
    t = gk.from_dlpack(array)
    assert isinstance(t, gk.Tensor) and t.device == "cpu" and t.dtype == gk.float32
    assert t.shape == (3, 4) and not t.requires_grad and t.grad_fn is None
    array[0, 0] = 42.0
    assert t.data[0, 0] == 42.0
    view = array[:, ::2]  # strided views keep their strides
    np.testing.assert_array_equal(gk.from_dlpack(view).numpy(), view)


def test_tensor_round_trip_through_gradkit():
    t = gk.randn(3)
    assert gk.from_dlpack(t).data is t.data


def test_pytorch_imports_and_exports_without_copying():
    torch = pytest.importorskip("torch")
    t = gk.randn(4, 5)
    from_gk = torch.from_dlpack(t)
    assert from_gk.dtype == torch.float32 and tuple(from_gk.shape) == (4, 5)
    from_gk[1, 2] = 7.0
    assert t.data[1, 2] == 7.0  # the same memory
    source = torch.arange(10, dtype=torch.float64).reshape(2, 5)
    back = gk.from_dlpack(source)
    assert back.dtype == gk.float64 and back.shape == (2, 5)
    source[0, 0] = -1.0
    assert back.data[0, 0] == -1.0
    assert back.data.ctypes.data == source.data_ptr()
    np.testing.assert_array_equal(gk.from_dlpack(source.T).numpy(), source.T.numpy())


def test_a_tensor_that_requires_grad_is_not_exported():
    t = gk.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad; use tensor.detach"):
        np.from_dlpack(t)
    assert np.from_dlpack(t.detach()).shape == (3,)


def test_from_dlpack_rejects_objects_without_the_protocol():
    with pytest.raises(TypeError, match="from_dlpack: expected an object with __dlpack__"):
        gk.from_dlpack([1, 2, 3])


@pytest.mark.gpu
@pytest.mark.skipif(not gk.cuda.is_available(), reason="no usable GPU (CuPy/CUDA)")
def test_cupy_and_pytorch_cuda_exchange_on_the_gpu():
    import cupy

    source = cupy.arange(6, dtype=cupy.float32)
    t = gk.from_dlpack(source)
    assert t.device.type == "cuda" and t.data.data.ptr == source.data.ptr
    back = cupy.from_dlpack(t)
    assert back.data.ptr == source.data.ptr
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        shared = torch.from_dlpack(t)
        assert shared.is_cuda and shared.data_ptr() == source.data.ptr
