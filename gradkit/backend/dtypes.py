"""gradkit's dtypes are NumPy dtype objects, so arrays and tensors agree without translation."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int8 = np.dtype(np.int8)
uint8 = np.dtype(np.uint8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)

half, float, double = float16, float32, float64  # noqa: A001 - PyTorch's aliases
long, int = int64, int32  # noqa: A001

default_float = float32

_BY_NAME = {
    "float16": float16,
    "half": float16,
    "float32": float32,
    "float": float32,
    "float64": float64,
    "double": float64,
    "int8": int8,
    "uint8": uint8,
    "int16": int16,
    "int32": int32,
    "int": int32,
    "int64": int64,
    "long": int64,
    "bool": bool_,
}
_SUPPORTED = frozenset(_BY_NAME.values())


def as_dtype(value: Any, op: str = "dtype") -> np.dtype:
    """Parse a dtype given as a gradkit/NumPy dtype, a NumPy scalar type, a name or a type."""
    if isinstance(value, np.dtype):
        dtype = value
    elif isinstance(value, str):
        dtype = _BY_NAME.get(value.removeprefix("gradkit.").removeprefix("torch."))
        if dtype is None:
            raise TypeError(f"{op}: unknown dtype {value!r}; expected one of {sorted(_BY_NAME)}")
    elif value is builtins.float:
        dtype = float32
    elif value is builtins.int:
        dtype = int64
    elif value is builtins.bool:
        dtype = bool_
    else:
        try:
            dtype = np.dtype(value)
        except TypeError:
            raise TypeError(f"{op}: expected a dtype, got {value!r}") from None
    if dtype not in _SUPPORTED:
        raise TypeError(f"{op}: unsupported dtype {dtype}; expected one of {sorted(_BY_NAME)}")
    return dtype


def is_floating(dtype: np.dtype) -> bool:
    return dtype.kind == "f"


def promote(a: np.dtype, b: np.dtype) -> np.dtype:
    """PyTorch-style promotion: a float operand decides the dtype over an integer/bool one.

    NumPy would turn int64 + float32 into float64, silently doubling the cost of float32 work.
    """
    if a is b or a == b:
        return a
    if a.kind == "f" and b.kind != "f":
        return a
    if b.kind == "f" and a.kind != "f":
        return b
    return np.promote_types(a, b)
