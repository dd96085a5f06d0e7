"""Second derivatives: hessian (forward over reverse) and Hessian-vector products without
forming the Hessian."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..autograd import forward_ad
from ..tensor import Tensor
from ._inputs import check_float_tensor, release, tensor_leaves
from .forward import jacfwd
from .pytree import tree_unflatten
from .reverse import jacrev, value_and_grad


def hessian(func: Callable, argnums: Any = 0) -> Callable:
    """The Hessian of a scalar function: jacfwd(jacrev(func)), i.e. one forward-mode pass
    through the gradient computation per input element."""
    return jacfwd(jacrev(func, argnums), argnums)


def hvp(func: Callable, primals: Any, tangents: Any) -> tuple:
    """``(func(*primals), H @ tangents)`` for a scalar ``func``: the gradient computed once
    with dual-number inputs (forward over reverse), about the cost of two gradients. The
    products come back shaped like ``primals`` (a tuple, one entry per argument)."""
    op = "hvp"
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
    with forward_ad.dual_level():
        duals = tree_unflatten(
            [forward_ad.make_dual(p, t) for p, t in zip(p_leaves, t_leaves)], p_spec
        )
        value, grads = value_and_grad(func, argnums=tuple(range(len(duals))))(*duals)
        g_leaves, g_spec = tensor_leaves(grads, op, "gradients")
        products = []
        for g in g_leaves:
            tangent = forward_ad.unpack_dual(g).tangent
            if tangent is None:
                tangent = Tensor._make(g.device.xp.zeros(g.shape, dtype=g.dtype), g.device)
            products.append(tangent)
        value = forward_ad.unpack_dual(value).primal
    return release(value), tree_unflatten(products, g_spec)
