"""Tensor factories: tensor, zeros/ones/full/empty, ranges, eye, random draws, *_like."""

from __future__ import annotations

from typing import Any

import numpy as np

from .backend.device import Device, as_device, device_of_array
from .backend.dtypes import as_dtype, default_float
from .random import generator_for
from .tensor import Tensor, _to_device_array


def _finish(data: Any, device: Device, requires_grad: bool) -> Tensor:
    t = Tensor._make(data, device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _infer_dtype(array: Any, value: Any) -> np.dtype:
    """Python floats become float32 (PyTorch's default), not NumPy's float64; NumPy arrays
    keep their dtype."""
    if isinstance(value, (np.ndarray, np.generic)) or hasattr(value, "__cuda_array_interface__"):
        return array.dtype
    if array.dtype == np.float64:
        return default_float
    return array.dtype


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, scalars, arrays or a Tensor)."""
    if isinstance(data, Tensor):
        source_device = data.device
        data = data.data
    else:
        source_device = device_of_array(data)
    target = as_device(device) if device is not None else source_device
    xp = target.xp
    if dtype is not None:
        dtype = as_dtype(dtype, "tensor")
    if target.type == "cpu":
        if hasattr(data, "__cuda_array_interface__"):
            data = data.get()
        try:
            array = np.array(data, copy=True)
        except ValueError as error:
            raise ValueError(f"tensor: cannot build a tensor from this data ({error})") from None
        if array.dtype == object:
            raise TypeError(
                f"tensor: expected numbers or nested sequences of numbers, got "
                f"{type(data).__name__} holding objects"
            )
    else:
        array = _to_device_array(
            np.asarray(data) if isinstance(data, (list, tuple, int, float, bool)) else data, target
        )
        array = array.copy()
    final = dtype if dtype is not None else _infer_dtype(array, data)
    if array.dtype != final:
        array = array.astype(as_dtype(final, "tensor"))
    elif array.dtype not in _SUPPORTED_KINDS:
        as_dtype(array.dtype, "tensor")
    return _finish(xp.asarray(array), target, requires_grad)


_SUPPORTED_KINDS = frozenset(
    np.dtype(t)
    for t in (
        np.float16,
        np.float32,
        np.float64,
        np.int8,
        np.uint8,
        np.int16,
        np.int32,
        np.int64,
        np.bool_,
    )
)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    if (
        isinstance(data, Tensor)
        and dtype is None
        and (device is None or as_device(device) is data.device)
    ):
        return data
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """Shares memory with ``array`` (like torch.from_numpy)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    as_dtype(array.dtype, "from_numpy")
    return Tensor._make(array, Device("cpu"))


def _shape(size: tuple, op: str) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    shape = []
    for s in size:
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"{op}: sizes must be ints, got {size!r}")
        if s < 0:
            raise ValueError(f"{op}: sizes must be non-negative, got {tuple(size)}")
        shape.append(int(s))
    return tuple(shape)


def _filled(op: str, fill: Any) -> Any:
    def factory(
        *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
    ) -> Tensor:
        shape = _shape(size, op)
        dev = as_device(device)
        dt = as_dtype(dtype, op) if dtype is not None else default_float
        return _finish(fill(dev.xp, shape, dt), dev, requires_grad)

    factory.__name__ = op
    return factory


zeros = _filled("zeros", lambda xp, shape, dt: xp.zeros(shape, dtype=dt))
ones = _filled("ones", lambda xp, shape, dt: xp.ones(shape, dtype=dt))
empty = _filled("empty", lambda xp, shape, dt: xp.empty(shape, dtype=dt))


def full(
    size: Any, fill_value: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    shape = _shape((size,) if isinstance(size, (int, np.integer)) else tuple(size), "full")
    dev = as_device(device)
    if dtype is None:
        dtype = (
            np.dtype(np.bool_)
            if isinstance(fill_value, bool)
            else np.dtype(np.int64)
            if isinstance(fill_value, (int, np.integer))
            else default_float
        )
    return _finish(
        dev.xp.full(shape, fill_value, dtype=as_dtype(dtype, "full")), dev, requires_grad
    )


def arange(
    start: Any,
    end: Any = None,
    step: Any = 1,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    dev = as_device(device)
    if dtype is None:
        integral = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if integral else default_float
    return _finish(
        dev.xp.arange(start, end, step, dtype=as_dtype(dtype, "arange")), dev, requires_grad
    )


def linspace(
    start: float,
    end: float,
    steps: int,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"linspace: steps must be a non-negative int, got {steps!r}")
    dev = as_device(device)
    dt = as_dtype(dtype, "linspace") if dtype is not None else default_float
    return _finish(dev.xp.linspace(start, end, int(steps)).astype(dt), dev, requires_grad)


def eye(
    n: int, m: int | None = None, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    dev = as_device(device)
    dt = as_dtype(dtype, "eye") if dtype is not None else default_float
    return _finish(dev.xp.eye(n, m, dtype=dt), dev, requires_grad)


def _generator(device: Device) -> Any:
    device.xp  # noqa: B018 - an unusable CUDA device fails here with a message naming what is missing
    return generator_for(device)


def _random(op: str, draw: Any) -> Any:
    def factory(
        *size: Any,
        dtype: Any = None,
        device: Any = None,
        requires_grad: bool = False,
        generator: Any = None,
    ) -> Tensor:
        shape = _shape(size, op)
        dev = as_device(device)
        dt = as_dtype(dtype, op) if dtype is not None else default_float
        if dt.kind != "f":
            raise TypeError(f"{op}: expected a floating point dtype, got {dt}")
        gen = generator if generator is not None else _generator(dev)
        # draw in float64 for float16 (NumPy's generators make float32/float64 only)
        draw_dtype = dt if dt.itemsize >= 4 else np.dtype(np.float32)
        return _finish(draw(gen, shape, draw_dtype).astype(dt, copy=False), dev, requires_grad)

    factory.__name__ = op
    return factory


rand = _random("rand", lambda g, shape, dt: g.random(shape, dtype=dt))
randn = _random("randn", lambda g, shape, dt: g.standard_normal(shape, dtype=dt))


def randint(
    low: int,
    high: int | None = None,
    size: Any = (),
    dtype: Any = None,
    device: Any = None,
    generator: Any = None,
) -> Tensor:
    if high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint: expected low < high, got low={low}, high={high}")
    dev = as_device(device)
    shape = _shape((size,) if isinstance(size, (int, np.integer)) else tuple(size), "randint")
    gen = generator if generator is not None else _generator(dev)
    dt = as_dtype(dtype, "randint") if dtype is not None else np.dtype(np.int64)
    return _finish(gen.integers(low, high, size=shape).astype(dt, copy=False), dev, False)


def randperm(n: int, dtype: Any = None, device: Any = None, generator: Any = None) -> Tensor:
    dev = as_device(device)
    gen = generator if generator is not None else _generator(dev)
    dt = as_dtype(dtype, "randperm") if dtype is not None else np.dtype(np.int64)
    return _finish(gen.permutation(n).astype(dt, copy=False), dev, False)


def _like(factory: Any) -> Any:
    def like(
        x: Tensor, *args: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
    ) -> Tensor:
        return factory(
            x.shape,
            *args,
            dtype=dtype if dtype is not None else x.dtype,
            device=device if device is not None else x.device,
            requires_grad=requires_grad,
        )

    like.__name__ = f"{factory.__name__}_like"
    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)
rand_like = _like(rand)
randn_like = _like(randn)


def full_like(
    x: Tensor, fill_value: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    return full(
        x.shape,
        fill_value,
        dtype=dtype if dtype is not None else x.dtype,
        device=device if device is not None else x.device,
        requires_grad=requires_grad,
    )


def randint_like(
    x: Tensor, low: int, high: int | None = None, dtype: Any = None, device: Any = None
) -> Tensor:
    return randint(
        low,
        high,
        x.shape,
        dtype=dtype if dtype is not None else x.dtype,
        device=device if device is not None else x.device,
    )
