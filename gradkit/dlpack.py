"""DLPack exchange: ``gk.from_dlpack(obj)`` and ``Tensor.__dlpack__`` /
``Tensor.__dlpack_device__``, so NumPy, PyTorch and CuPy arrays and gradkit tensors share
memory without a copy (``np.from_dlpack(t)``, ``torch.from_dlpack(t)``,
``gk.from_dlpack(torch_tensor)``).

Like PyTorch, a tensor that requires grad is not exported (the consumer would silently leave
the graph): export ``t.detach()``. An imported tensor is a leaf that does not require grad.
"""

from __future__ import annotations

from typing import Any

from .backend.device import Device, cpu
from .tensor import Tensor

# DLDeviceType values (dlpack.h)
_KDL_CPU = 1
_KDL_CUDA = 2
_KDL_CUDA_HOST = 3
_KDL_CUDA_MANAGED = 13


def tensor_dlpack(
    self: Tensor,
    *,
    stream: Any = None,
    max_version: Any = None,
    dl_device: Any = None,
    copy: Any = None,
) -> Any:
    """The DLPack capsule of the tensor's array (the array API's __dlpack__ protocol)."""
    if self.requires_grad:
        raise RuntimeError(
            "__dlpack__: cannot export a tensor that requires grad; use tensor.detach()"
        )
    # Pass only what the caller gave: older producers do not know every keyword.
    options = {
        key: value
        for key, value in (
            ("stream", stream),
            ("max_version", max_version),
            ("dl_device", dl_device),
            ("copy", copy),
        )
        if value is not None
    }
    return self.data.__dlpack__(**options)


def tensor_dlpack_device(self: Tensor) -> tuple[Any, int]:
    """(DLDeviceType, device index) of the tensor's memory."""
    return self.data.__dlpack_device__()


def from_dlpack(obj: Any) -> Tensor:
    """A tensor sharing ``obj``'s memory: any object with ``__dlpack__`` (NumPy, PyTorch,
    CuPy, JAX arrays, gradkit tensors). CPU memory becomes a "cpu" tensor (NumPy), CUDA
    memory a "cuda:N" tensor (CuPy, which must be installed)."""
    if isinstance(obj, Tensor):
        return Tensor._make(obj.data, obj.device)
    if not hasattr(obj, "__dlpack__") or not hasattr(obj, "__dlpack_device__"):
        raise TypeError(
            f"from_dlpack: expected an object with __dlpack__ and __dlpack_device__ (a NumPy, "
            f"PyTorch or CuPy array), got {type(obj).__name__}"
        )
    device_type, index = obj.__dlpack_device__()
    device_type = int(device_type)
    if device_type in (_KDL_CPU, _KDL_CUDA_HOST):
        import numpy as np

        return Tensor._make(np.from_dlpack(obj), cpu)
    if device_type in (_KDL_CUDA, _KDL_CUDA_MANAGED):
        device = Device(f"cuda:{int(index)}")
        xp = device.xp  # raises, naming what is missing, without a usable CuPy
        return Tensor._make(xp.from_dlpack(obj), device)
    raise ValueError(
        f"from_dlpack: memory on DLPack device type {device_type} is not supported (expected "
        "CPU (1) or CUDA (2))"
    )
