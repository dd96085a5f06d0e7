"""What every transform does to its inputs and outputs: fresh differentiable inputs, argnums,
pytree checks, and the nesting depth that decides whether gradients must stay differentiable.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..autograd.forward_ad import Alias
from ..autograd.grad_mode import is_grad_enabled
from ..tensor import Tensor
from .pytree import tree_flatten, tree_unflatten


class _Depth(threading.local):
    def __init__(self) -> None:
        self.reverse = 0  # reverse-mode transforms now running their function


_depth = _Depth()


@contextmanager
def inside_reverse_transform() -> Iterator[None]:
    _depth.reverse += 1
    try:
        yield
    finally:
        _depth.reverse -= 1


def must_stay_differentiable(inputs: Sequence[Tensor], grad_was_enabled: bool) -> bool:
    """Whether a reverse transform's results must carry a graph (create_graph=True): when an
    enclosing reverse transform (or the caller) will differentiate them again."""
    if not grad_was_enabled:
        return False
    return _depth.reverse > 0 or any(x.requires_grad for x in inputs)


def fresh_input(x: Any, op: str, grad_was_enabled: bool) -> Tensor:
    """An input for reverse mode: a new leaf that requires grad (the caller's tensor and its
    .grad are left alone), or a differentiable alias when an outer graph owns ``x``. Forward-
    mode tangents that ``x`` carries come along (forward over reverse)."""
    check_float_tensor(x, op)
    if x.requires_grad and grad_was_enabled:
        return Alias.apply(x)  # its own handle; the outer graph still sees through it
    leaf = x._alias()
    if x._fw:
        leaf._fw = dict(x._fw)
    leaf.requires_grad = True
    return leaf


def primal_tangent_leaves(primals: Any, tangents: Any, op: str) -> tuple[list, list, Any]:
    """The tensor leaves of ``primals`` and ``tangents`` (tuples of the same structure, float
    primals, same shapes) and the primals' structure, for the forward-mode transforms."""
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError(
            f"{op}: primals and tangents must be tuples (one entry per argument), "
            f"got {type(primals).__name__} and {type(tangents).__name__}"
        )
    p_leaves, p_spec = tensor_leaves(tuple(primals), op, "primals")
    t_leaves, t_spec = tensor_leaves(tuple(tangents), op, "tangents")
    if p_spec != t_spec:
        raise ValueError(f"{op}: tangents must have the structure of primals")
    for p, t in zip(p_leaves, t_leaves):
        check_float_tensor(p, op)
        if p.shape != t.shape:
            raise ValueError(
                f"{op}: a tangent has shape {tuple(t.shape)} but its primal has "
                f"shape {tuple(p.shape)}"
            )
    return p_leaves, t_leaves, p_spec


def check_float_tensor(x: Any, op: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(
            f"{op}: expected Tensors to differentiate with respect to, got {type(x).__name__}"
        )
    if x.dtype.kind != "f":
        raise TypeError(
            f"{op}: can only differentiate with respect to floating point tensors, "
            f"got dtype {x.dtype}"
        )


def release(x: Any) -> Any:
    """A result without the transform's graph, keeping any forward-mode tangents."""
    if not isinstance(x, Tensor) or not x.requires_grad:
        return x
    out = x._alias()
    if x._fw:
        out._fw = dict(x._fw)
    return out


def normalize_argnums(argnums: Any, n_args: int, op: str) -> tuple[int, ...]:
    numbers = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not numbers:
        raise ValueError(f"{op}: argnums must name at least one argument")
    result = []
    for a in numbers:
        if not isinstance(a, int) or not -n_args <= a < n_args:
            raise ValueError(
                f"{op}: argnums {argnums!r} is out of range for a function called "
                f"with {n_args} positional arguments"
            )
        result.append(a % n_args)
    return tuple(result)


def split_outputs(result: Any, has_aux: bool, op: str) -> tuple[Any, Any]:
    if not has_aux:
        return result, None
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise TypeError(
            f"{op}: with has_aux=True the function must return a pair "
            f"(output, aux), got {type(result).__name__}"
        )
    return result[0], result[1]


def tensor_leaves(tree: Any, op: str, what: str) -> tuple[list, Any]:
    leaves, spec = tree_flatten(tree)
    for leaf in leaves:
        if not isinstance(leaf, Tensor):
            raise TypeError(
                f"{op}: expected the {what} to be Tensors (or tuples, lists and dicts "
                f"of them), found a {type(leaf).__name__}"
            )
    return leaves, spec


class Arguments:
    """The positional arguments of a call, with the leaves of those in ``argnums`` replaced."""

    def __init__(self, args: tuple, argnums: tuple[int, ...], op: str) -> None:
        self.args = args
        self.argnums = argnums
        self.specs = []
        self.leaves: list[Tensor] = []
        self.counts = []
        for a in argnums:
            leaves, spec = tensor_leaves(args[a], op, f"argument {a}")
            for leaf in leaves:
                check_float_tensor(leaf, op)
            self.specs.append(spec)
            self.leaves.extend(leaves)
            self.counts.append(len(leaves))

    def with_leaves(self, leaves: Sequence[Any]) -> tuple:
        args = list(self.args)
        start = 0
        for a, spec, count in zip(self.argnums, self.specs, self.counts):
            args[a] = tree_unflatten(list(leaves[start : start + count]), spec)
            start += count
        return tuple(args)

    def per_argnum(self, flat: Sequence[Any], single: bool) -> Any:
        """Per-leaf results regrouped like the differentiated arguments: one pytree, or a
        tuple of them when argnums was a tuple."""
        groups = []
        start = 0
        for spec, count in zip(self.specs, self.counts):
            groups.append(tree_unflatten(list(flat[start : start + count]), spec))
            start += count
        return groups[0] if single else tuple(groups)


def grad_enabled() -> bool:
    return is_grad_enabled()
