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
    levels = sorted({lv for a in args if getattr(a, "_fw", None) for lv in a._fw
                     if lv <= state.visible})
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
            if out._fw is None:
                out._fw = {}
            out._fw[level] = tangent
