"""Forward-mode bookkeeping: active dual levels and tangent propagation through a Function.

Each tensor may carry tangents keyed by dual level (``tensor._fw = {level: tangent}``). Levels
nest: while a Function's jvp rule computes the tangent for level L, only levels below L are
visible, so the rule's own arithmetic carries the outer levels' tangents (forward over forward)
without confusing them with L's. jvp rules are written with gradkit ops, so reverse mode can
differentiate them too (reverse over forward).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any


class _State(threading.local):
    def __init__(self) -> None:
        self.levels: list[int] = []  # active dual levels, innermost last
        self.visible = 1 << 30  # levels above this are hidden (while a jvp rule runs)


state = _State()


def has_tangents(args: tuple) -> bool:
    for a in args:
        fw = getattr(a, "_fw", None)
        if fw:
            return True
    return False


def has_visible_tangents(values: tuple) -> bool:
    """Whether some value carries a tangent that ops run now must propagate (an active level
    that is not hidden by a jvp rule in progress)."""
    if not state.levels:
        return False
    for v in values:
        fw = getattr(v, "_fw", None)
        if fw:
            for level in fw:
                if level <= state.visible and level in state.levels:
                    return True
    return False


@contextlib.contextmanager
def hidden_levels(max_visible: int) -> Iterator[None]:
    previous = state.visible
    state.visible = min(previous, max_visible)
    try:
        yield
    finally:
        state.visible = previous


def tangent_of(tensor: Any, level: int) -> Any:
    fw = getattr(tensor, "_fw", None)
    return fw.get(level) if fw else None


def propagate(cls: type, ctx: Any, args: tuple, result: Any) -> None:
    """Give ``result`` its tangents at every visible level some input has a tangent for."""
    # tangents of levels that were exited (stale entries) are ignored: level numbers are
    # never reused
    active = state.levels
    levels = sorted(
        {
            lv
            for a in args
            if getattr(a, "_fw", None)
            for lv in a._fw
            if lv <= state.visible and lv in active
        }
    )
    if not levels:
        return
    jvp = getattr(cls, "jvp", None)
    if jvp is None:
        raise NotImplementedError(
            f"{cls.__name__}: this op has no forward-mode (jvp) rule, so it cannot be used "
            "with dual tensors"
        )
    outputs = result if isinstance(result, tuple) else (result,)
    for level in levels:
        tangents = tuple(tangent_of(a, level) for a in args)
        with hidden_levels(level - 1):
            out_tangents = jvp(ctx, *tangents)
            if not isinstance(out_tangents, tuple):
                out_tangents = (out_tangents,)
            if len(out_tangents) != len(outputs):
                raise RuntimeError(
                    f"{cls.__name__}.jvp returned {len(out_tangents)} tangents for "
                    f"{len(outputs)} outputs"
                )
            for out, tangent in zip(outputs, out_tangents):
                if tangent is None or not hasattr(out, "_fw") or out.dtype.kind != "f":
                    continue
                tangent = _like_primal(cls, tangent, out)
                if out._fw is None:
                    out._fw = {}
                out._fw[level] = tangent


def _like_primal(cls: type, tangent: Any, out: Any) -> Any:
    """A rule may return a tangent that still needs broadcasting to the output's shape (an
    input that was broadcast) or casting to its dtype (type promotion); do that here, once."""
    if tangent.shape != out.shape:
        from ..ops import shape as _shape

        try:
            tangent = _shape.broadcast_to(tangent, out.shape)
        except ValueError:
            raise RuntimeError(
                f"{cls.__name__}.jvp returned a tangent of shape {tuple(tangent.shape)} for "
                f"an output of shape {tuple(out.shape)}"
            ) from None
    if tangent.dtype != out.dtype:
        tangent = tangent.to(out.dtype)
    return tangent
