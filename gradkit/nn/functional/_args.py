"""Argument normalisation shared by the functional layers: pairs, padding specs, checks."""

from __future__ import annotations

from typing import Any

from ...tensor import Tensor


def pair(value: Any, name: str, op: str, minimum: int = 0) -> tuple[int, int]:
    """An int or a 2-sequence of ints as a pair, each at least ``minimum``."""
    if isinstance(value, int) and not isinstance(value, bool):
        result = (value, value)
    elif (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        result = (int(value[0]), int(value[1]))
    else:
        raise TypeError(f"{op}: expected {name} to be an int or a pair of ints, got {value!r}")
    if min(result) < minimum:
        raise ValueError(f"{op}: expected {name} >= {minimum}, got {value!r}")
    return result


def single(value: Any, name: str, op: str, minimum: int = 0) -> int:
    """An int or a 1-sequence of ints (Conv1d's kernel_size=(3,)) as an int."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{op}: expected {name} to be an int, got {value!r}")
    if value < minimum:
        raise ValueError(f"{op}: expected {name} >= {minimum}, got {value!r}")
    return value


def check_tensor(value: Any, name: str, op: str) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}: expected {name} to be a Tensor, got {type(value).__name__}")
    return value


def check_floating(x: Tensor, name: str, op: str) -> None:
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating point {name}, got dtype {x.dtype}")


def check_same_dtype_device(op: str, **tensors: Any) -> None:
    present = {k: v for k, v in tensors.items() if v is not None}
    dtypes = {v.dtype for v in present.values()}
    if len(dtypes) > 1:
        described = ", ".join(f"{k} {v.dtype}" for k, v in present.items())
        raise TypeError(f"{op}: expected all tensors to have the same dtype, got {described}")
    devices = {v.device for v in present.values()}
    if len(devices) > 1:
        described = ", ".join(f"{k} on {v.device}" for k, v in present.items())
        raise RuntimeError(f"{op}: expected all tensors on the same device, got {described}")


def check_ndim(x: Tensor, allowed: tuple[int, ...], what: str, op: str) -> None:
    if x.ndim not in allowed:
        raise ValueError(f"{op}: expected {what} input, got input of shape {tuple(x.shape)}")
