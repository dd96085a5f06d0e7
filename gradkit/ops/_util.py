"""Helpers shared by the op families: operand coercion, dtype discipline, axis handling."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import forward_state as _fw
from ..autograd.grad_mode import state as _grad_state
from ..backend.dtypes import promote
from ..tensor import Tensor

_PY_SCALARS = (int, float, bool)


def scalar_for(value: Any, dtype: np.dtype, op: str) -> Any:
    """A Python/NumPy scalar as an operand that never widens ``dtype``.

    NumPy 2 treats Python scalars as 'weak' (float32 + 2.0 stays float32), but NumPy scalars
    such as np.float64(2.0) are strong and would promote float32 work to float64.
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and dtype.kind != "f":
        raise _IntegerFloatMix(op)
    if not isinstance(value, _PY_SCALARS):
        raise TypeError(f"{op}: expected a Tensor or a Python number, got {type(value).__name__}")
    return value


class _IntegerFloatMix(Exception):
    def __init__(self, op: str) -> None:
        self.op = op


def operands(a: Any, b: Any, op: str) -> tuple[Any, Any, Any]:
    """The arrays (or scalars) for a binary op and the device; checks devices and dtypes."""
    if isinstance(a, Tensor):
        device = a.device
        ad = a.data
        if isinstance(b, Tensor):
            if b.device is not device:
                raise RuntimeError(
                    f"{op}: expected all tensors on the same device, got {device} and {b.device}"
                )
            bd = b.data
            if ad.dtype != bd.dtype:
                common = promote(ad.dtype, bd.dtype)
                ad = ad.astype(common, copy=False)
                bd = bd.astype(common, copy=False)
            return ad, bd, device
        if b.__class__ is float and ad.dtype.kind == "f":
            return ad, b, device  # the common case, first: a float tensor and a Python float
        bd = _other(b, ad, device, op)
        if isinstance(bd, _FloatPromotion):
            return ad.astype(np.float32), bd.value, device
        return ad, bd, device
    if isinstance(b, Tensor):
        device = b.device
        bd = b.data
        ad = _other(a, bd, device, op)
        if isinstance(ad, _FloatPromotion):
            return ad.value, bd.astype(np.float32), device
        return ad, bd, device
    raise TypeError(
        f"{op}: expected at least one Tensor, got {type(a).__name__} and {type(b).__name__}"
    )


class _FloatPromotion:
    """An integer tensor met a Python float: compute in float32 (PyTorch's default dtype)."""

    __slots__ = ("value",)

    def __init__(self, value: float) -> None:
        self.value = value


def _other(value: Any, like: Any, device: Any, op: str) -> Any:
    if isinstance(value, _PY_SCALARS) or isinstance(value, np.generic):
        try:
            return scalar_for(value, like.dtype, op)
        except _IntegerFloatMix:
            return _FloatPromotion(float(value))
    if isinstance(value, (np.ndarray, list, tuple)) or hasattr(value, "__cuda_array_interface__"):
        array = device.xp.asarray(value)
        if array.dtype != like.dtype:
            if array.dtype.kind == "f" and like.dtype.kind == "f":
                # a constant array is data, not a dtype request: it never widens float32 work
                return array.astype(like.dtype)
            if array.dtype.kind == "f":
                return _FloatPromotion(array.astype(np.float32))
            common = promote(like.dtype, array.dtype)
            array = array.astype(common, copy=False)
        return array
    raise TypeError(
        f"{op}: expected a Tensor, an array or a Python number, got {type(value).__name__}"
    )


def normalize_axis(axis: Any, ndim: int, op: str) -> tuple[int, ...] | None:
    """An int/tuple/None axis as a sorted tuple of non-negative ints (None means all)."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    result = []
    for a in axes:
        if not isinstance(a, (int, np.integer)):
            raise TypeError(f"{op}: axis must be an int or a tuple of ints, got {axis!r}")
        if not -max(ndim, 1) <= a < max(ndim, 1):
            raise IndexError(
                f"{op}: axis {a} is out of range for a tensor with {ndim} dimensions "
                f"(expected -{max(ndim, 1)} <= axis < {max(ndim, 1)})"
            )
        a = int(a) % max(ndim, 1)
        if a in result:
            raise ValueError(f"{op}: axis {a} appears twice in {axis!r}")
        result.append(a)
    return tuple(sorted(result))


def axis_kwargs(axis: Any, dim: Any, keepdims: Any, keepdim: Any, op: str) -> tuple[Any, bool]:
    """Accept NumPy's (axis, keepdims) and PyTorch's (dim, keepdim) spellings."""
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{op}: pass either axis= or dim=, not both")
        axis = dim
    if keepdim is not None:
        keepdims = keepdim
    return axis, bool(keepdims)


def wrap(data: Any, device: Any) -> Tensor:
    return Tensor._make(data, device)


def records(*values: Any) -> bool:
    """Whether ops run now must go through Function.apply: grad mode is on and some value
    needs grad (a graph is built), or some value carries a forward-mode tangent.

    Inside backward, grad mode is on exactly when the caller asked for create_graph=True, so a
    backward can take a fused, non-differentiable shortcut whenever this is False.
    """
    if _grad_state.enabled:
        for v in values:
            if isinstance(v, Tensor) and v.requires_grad:
                return True
    return _fw.has_visible_tangents(values)  # hidden levels (a jvp rule running) need no graph
