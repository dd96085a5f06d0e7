"""autograd.backward and autograd.grad: the user-facing entry points to the engine."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import engine


def _as_sequence(value: Any) -> list:
    if value is None:
        return None  # type: ignore[return-value]
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    inputs: Sequence[Any] | None = None,
) -> None:
    """Accumulate d(tensors)/d(leaf) into each leaf's ``.grad`` (or only into ``inputs``)."""
    outputs = _as_sequence(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    inputs_list = _as_sequence(inputs)
    engine.execute(
        outputs,
        _as_sequence(grad_tensors),
        retain_graph,
        create_graph,
        inputs=inputs_list,
        accumulate=True,
        op="backward",
    )


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple:
    """Return d(outputs)/d(inputs) without touching any ``.grad``."""
    outputs_list = _as_sequence(outputs)
    inputs_list = _as_sequence(inputs)
    for i, t in enumerate(inputs_list):
        if not getattr(t, "requires_grad", False):
            raise RuntimeError(
                f"autograd.grad: input {i} does not require grad; every input must be a "
                "Tensor with requires_grad=True"
            )
    if retain_graph is None:
        retain_graph = create_graph
    grads = engine.execute(
        outputs_list,
        _as_sequence(grad_outputs),
        retain_graph,
        create_graph,
        inputs=inputs_list,
        accumulate=False,
        op="autograd.grad",
    )
    result = []
    for i, g in enumerate(grads):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"autograd.grad: input {i} was not used to compute the outputs; pass "
                    "allow_unused=True to get None for it"
                )
        elif not create_graph and g.requires_grad:
            g = g.detach()
        result.append(g)
    return tuple(result)
