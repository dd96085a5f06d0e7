"""Reverse-mode transforms: vjp, grad, value_and_grad and jacrev (one backward pass per
output element)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..autograd.api import grad as autograd_grad
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ..ops import shape as _shape
from ..tensor import Tensor
from ._inputs import (
    Arguments,
    fresh_input,
    inside_reverse_transform,
    must_stay_differentiable,
    normalize_argnums,
    release,
    split_outputs,
    tensor_leaves,
)
from .pytree import tree_map, tree_unflatten


class _Traced:
    """One run of ``func`` on fresh inputs, ready for any number of backward passes."""

    def __init__(
        self, func: Callable, args: tuple, argnums: tuple[int, ...], has_aux: bool, op: str
    ) -> None:
        self.op = op
        outer = is_grad_enabled()
        self.arguments = Arguments(args, argnums, op)
        self.inputs = [fresh_input(x, op, outer) for x in self.arguments.leaves]
        self.create_graph = must_stay_differentiable(self.arguments.leaves, outer)
        with enable_grad(), inside_reverse_transform():
            result = func(*self.arguments.with_leaves(self.inputs))
        self.output, aux = split_outputs(result, has_aux, op)
        self.aux = tree_map(self._finish, aux) if has_aux else None
        self.out_leaves, self.out_spec = tensor_leaves(self.output, op, "outputs")

    def _finish(self, x: Any) -> Any:
        return x if self.create_graph else release(x)

    def pullback(self, outputs: list, cotangents: list, retain: bool) -> list:
        """d<cotangents, outputs>/d(inputs), zeros where an input does not matter."""
        create = self.create_graph or any(
            isinstance(c, Tensor) and c.requires_grad for c in cotangents
        )
        pairs = [(o, c) for o, c in zip(outputs, cotangents) if o.requires_grad]
        grads: list = [None] * len(self.inputs)
        if pairs:
            with enable_grad():
                grads = list(
                    autograd_grad(
                        [p[0] for p in pairs],
                        self.inputs,
                        [p[1] for p in pairs],
                        retain_graph=retain or create,
                        create_graph=create,
                        allow_unused=True,
                    )
                )
        return [g if g is not None else _zeros_like(x) for g, x in zip(grads, self.inputs)]


def _zeros_like(x: Tensor) -> Tensor:
    return Tensor._make(x.device.xp.zeros(x.shape, dtype=x.dtype), x.device)


def vjp(func: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """``(func(*primals), vjp_fn)``; ``vjp_fn(cotangents)`` (shaped like the output) returns
    the vector-Jacobian products, one per primal, each shaped like that primal.
    With ``has_aux`` func returns (output, aux) and the result is (output, vjp_fn, aux)."""
    op = "vjp"
    traced = _Traced(func, primals, tuple(range(len(primals))), has_aux, op)

    def vjp_fn(cotangents: Any) -> tuple:
        leaves, _ = tensor_leaves(cotangents, op, "cotangents")
        if len(leaves) != len(traced.out_leaves):
            raise ValueError(
                f"{op}: expected cotangents shaped like the output "
                f"({len(traced.out_leaves)} tensors), got {len(leaves)}"
            )
        for c, o in zip(leaves, traced.out_leaves):
            if c.shape != o.shape:
                raise ValueError(
                    f"{op}: a cotangent has shape {tuple(c.shape)} but the output "
                    f"it belongs to has shape {tuple(o.shape)}"
                )
        grads = traced.pullback(traced.out_leaves, leaves, retain=True)
        return traced.arguments.per_argnum([traced._finish(g) for g in grads], single=False)

    output = tree_map(traced._finish, traced.output)
    if has_aux:
        return output, vjp_fn, traced.aux
    return output, vjp_fn


def value_and_grad(func: Callable, argnums: Any = 0, has_aux: bool = False) -> Callable:
    """A function returning ``(func(*args), gradient)`` of a scalar-valued ``func`` with
    respect to the arguments ``argnums`` (an int, or a tuple for a tuple of gradients).
    With ``has_aux`` func returns (value, aux) and the result is ((value, aux), gradient)."""
    op = "grad"

    def wrapper(*args: Any) -> tuple:
        numbers = normalize_argnums(argnums, len(args), op)
        traced = _Traced(func, args, numbers, has_aux, op)
        out = traced.output
        if not isinstance(out, Tensor) or out.data.size != 1:
            shape = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
            raise RuntimeError(
                f"{op}: expected the function to return a scalar Tensor (one element), got {shape}"
            )
        seed = Tensor._make(out.device.xp.ones(out.shape, dtype=out.dtype), out.device)
        grads = traced.pullback([out], [seed], retain=False)
        gradient = traced.arguments.per_argnum(
            [traced._finish(g) for g in grads], single=isinstance(argnums, int)
        )
        value = traced._finish(out)
        return ((value, traced.aux) if has_aux else value), gradient

    return wrapper


def grad(func: Callable, argnums: Any = 0, has_aux: bool = False) -> Callable:
    """The gradient of a scalar-valued ``func`` as a function (torch.func.grad / jax.grad).
    Composes: ``grad(grad(f))`` is the second derivative of a scalar function."""
    both = value_and_grad(func, argnums, has_aux)

    def wrapper(*args: Any) -> Any:
        (value, gradient) = both(*args)
        if has_aux:
            return gradient, value[1]
        return gradient

    return wrapper


def jacrev(func: Callable, argnums: Any = 0, has_aux: bool = False) -> Callable:
    """The Jacobian by reverse mode: one backward pass per output element (cheap when there
    are few outputs). Each output leaf becomes an array of shape out.shape + input.shape."""
    op = "jacrev"

    def wrapper(*args: Any) -> Any:
        numbers = normalize_argnums(argnums, len(args), op)
        traced = _Traced(func, args, numbers, has_aux, op)
        per_output = []
        for out in traced.out_leaves:
            rows: list[list] = [[] for _ in traced.inputs]
            xp = out.device.xp
            for r in range(out.data.size):
                unit = xp.zeros(out.data.size, dtype=out.dtype)
                unit[r] = 1
                seed = Tensor._make(unit.reshape(out.shape), out.device)
                grads = traced.pullback([out], [seed], retain=True)
                for i, g in enumerate(grads):
                    rows[i].append(g)
            blocks = [_stack_rows(rows[i], out, x) for i, x in enumerate(traced.inputs)]
            per_output.append(
                traced.arguments.per_argnum(
                    [traced._finish(b) for b in blocks], single=isinstance(argnums, int)
                )
            )
        jacobian = tree_unflatten(per_output, traced.out_spec)
        return (jacobian, traced.aux) if has_aux else jacobian

    return wrapper


def _stack_rows(rows: list, out: Tensor, x: Tensor) -> Tensor:
    shape = tuple(out.shape) + tuple(x.shape)
    if not rows:
        return Tensor._make(x.device.xp.zeros(shape, dtype=x.dtype), x.device)
    from ..ops import shape as shape_ops

    return _shape.reshape(shape_ops.stack(rows, axis=0), shape)
