"""Forward-mode AD with dual numbers (PyTorch's torch.autograd.forward_ad spelling).

    with forward_ad.dual_level():
        x = forward_ad.make_dual(primal, tangent)
        y = f(x)
        value, jvp = forward_ad.unpack_dual(y)

Tangents flow through each op as it runs (every Function carries a ``jvp`` rule beside its
``backward``), in the same forward pass.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator
from typing import Any, NamedTuple

from . import function as _function
from .forward_state import state

_dual_tensors: dict[int, list] = {}  # level -> weak references to tensors given tangents
_next_level = [0]  # never reset: a tensor may keep a stale entry of an exited level


class UnpackedDualTensor(NamedTuple):
    primal: Any
    tangent: Any


@contextlib.contextmanager
def dual_level() -> Iterator[int]:
    """A scope for dual tensors; on exit their tangents at this level are dropped."""
    level = _next_level[0] = _next_level[0] + 1
    state.levels.append(level)
    _dual_tensors[level] = []
    try:
        yield level
    finally:
        state.levels.remove(level)
        for ref in _dual_tensors.pop(level, []):
            t = ref()
            if t is not None and t._fw:
                t._fw.pop(level, None)


def _current_level(level: int | None, op: str) -> int:
    if level is not None:
        if level not in state.levels:
            raise RuntimeError(f"{op}: dual level {level} is not active")
        return level
    if not state.levels:
        raise RuntimeError(f"{op}: call it inside `with gk.autograd.forward_ad.dual_level():`")
    return state.levels[-1]


class Alias(_function.Function):
    """A new tensor object over the same values, differentiable in both modes (identity):
    make_dual attaches a tangent to it, gk.func gives transforms their own handle with it."""

    @staticmethod
    def forward(ctx, primal):
        return primal._alias()

    @staticmethod
    def backward(ctx, grad):
        return grad

    @staticmethod
    def jvp(ctx, tangent):
        return tangent


def make_dual(primal: Any, tangent: Any, level: int | None = None) -> Any:
    Tensor = _function.Tensor
    level = _current_level(level, "make_dual")
    if not isinstance(primal, Tensor) or not isinstance(tangent, Tensor):
        raise TypeError("make_dual: expected a primal Tensor and a tangent Tensor")
    if primal.dtype.kind != "f":
        raise TypeError(f"make_dual: the primal must be floating point, got {primal.dtype}")
    if tangent.shape != primal.shape:
        raise ValueError(
            f"make_dual: the tangent has shape {tuple(tangent.shape)} but the primal has "
            f"shape {tuple(primal.shape)}"
        )
    if tangent.device is not primal.device:
        raise RuntimeError(
            f"make_dual: the tangent is on {tangent.device} but the primal is on {primal.device}"
        )
    if tangent.dtype != primal.dtype:
        tangent = tangent.to(primal.dtype)
    dual = Alias.apply(primal)
    if dual is primal:
        dual = primal._alias()
    dual._fw = dict(primal._fw) if primal._fw else {}
    dual._fw[level] = tangent
    _dual_tensors[level].append(weakref.ref(dual))
    return dual


def unpack_dual(tensor: Any, level: int | None = None) -> UnpackedDualTensor:
    """(primal, tangent at ``level``); the tangent is None if the tensor has none."""
    if not state.levels:
        return UnpackedDualTensor(tensor, None)
    level = _current_level(level, "unpack_dual")
    fw = tensor._fw
    tangent = fw.get(level) if fw else None
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    primal = Alias.apply(tensor)  # differentiable view without this level's tangent
    primal._fw = {k: v for k, v in fw.items() if k != level} or None
    return UnpackedDualTensor(primal, tangent)
