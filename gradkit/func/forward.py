"""Forward-mode transforms on dual numbers: jvp and jacfwd (one forward pass per input
element)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..autograd import forward_ad
from ..ops import shape as _shape
from ..tensor import Tensor
from ._inputs import (
    Arguments,
    normalize_argnums,
    primal_tangent_leaves,
    release,
    split_outputs,
    tensor_leaves,
)
from .pytree import tree_flatten, tree_map, tree_unflatten


def _tangent_or_zeros(out: Tensor) -> tuple[Tensor, Tensor]:
    primal, tangent = forward_ad.unpack_dual(out)
    if tangent is None:
        tangent = Tensor._make(out.device.xp.zeros(out.shape, dtype=out.dtype), out.device)
    return primal, tangent


def jvp(func: Callable, primals: Any, tangents: Any, has_aux: bool = False) -> tuple:
    """``(func(*primals), J @ tangents)`` in one forward pass (torch.func.jvp / jax.jvp).
    ``primals`` and ``tangents`` are tuples with the same structure."""
    op = "jvp"
    p_leaves, t_leaves, p_spec = primal_tangent_leaves(primals, tangents, op)
    with forward_ad.dual_level():
        duals = [forward_ad.make_dual(p, t) for p, t in zip(p_leaves, t_leaves)]
        result = func(*tree_unflatten(duals, p_spec))
        output, aux = split_outputs(result, has_aux, op)
        out_leaves, out_spec = tensor_leaves(output, op, "outputs")
        pairs = [_tangent_or_zeros(o) for o in out_leaves]
        aux = tree_map(
            lambda a: forward_ad.unpack_dual(a).primal if isinstance(a, Tensor) else a, aux
        )
    out = tree_unflatten([p for p, _ in pairs], out_spec)
    tangent_out = tree_unflatten([t for _, t in pairs], out_spec)
    return (out, tangent_out, aux) if has_aux else (out, tangent_out)


def jacfwd(func: Callable, argnums: Any = 0, has_aux: bool = False) -> Callable:
    """The Jacobian by forward mode: one dual-number pass per input element (cheap when
    there are few inputs). Each output leaf becomes an array of shape out.shape + input.shape."""
    op = "jacfwd"

    def wrapper(*args: Any) -> Any:
        numbers = normalize_argnums(argnums, len(args), op)
        arguments = Arguments(args, numbers, op)
        inputs = arguments.leaves
        columns: list[list[list]] = [[] for _ in inputs]  # [input][element] -> out tangents
        out_meta = None
        aux = None
        for i, x in enumerate(inputs):
            xp = x.device.xp
            for k in range(x.data.size):
                unit = xp.zeros(x.data.size, dtype=x.dtype)
                unit[k] = 1
                with forward_ad.dual_level():
                    dual = forward_ad.make_dual(x, Tensor._make(unit.reshape(x.shape), x.device))
                    leaves = list(inputs)
                    leaves[i] = dual
                    result = func(*arguments.with_leaves(leaves))
                    output, pass_aux = split_outputs(result, has_aux, op)
                    out_leaves, out_spec = tensor_leaves(output, op, "outputs")
                    pairs = [_tangent_or_zeros(o) for o in out_leaves]
                    if out_meta is None:
                        out_meta = ([p for p, _ in pairs], out_spec)
                        aux = pass_aux
                columns[i].append([t for _, t in pairs])
        if out_meta is None:  # no input elements: run once for the output's structure
            result = func(*args)
            output, aux = split_outputs(result, has_aux, op)
            out_meta = tensor_leaves(output, op, "outputs")
        outs, out_spec = out_meta
        per_output = []
        for j, out in enumerate(outs):
            blocks = [
                _stack_columns([col[j] for col in columns[i]], out, x) for i, x in enumerate(inputs)
            ]
            per_output.append(arguments.per_argnum(blocks, single=isinstance(argnums, int)))
        jacobian = tree_unflatten(per_output, out_spec)
        if has_aux:
            aux_leaves, aux_spec = tree_flatten(aux)
            return jacobian, tree_unflatten([release(a) for a in aux_leaves], aux_spec)
        return jacobian

    return wrapper


def _stack_columns(columns: list, out: Tensor, x: Tensor) -> Tensor:
    shape = tuple(out.shape) + tuple(x.shape)
    if not columns:
        return Tensor._make(x.device.xp.zeros(shape, dtype=out.dtype), x.device)
    return _shape.reshape(
        _shape.stack(columns, axis=-1) if out.ndim else _shape.stack(columns, axis=0), shape
    )
