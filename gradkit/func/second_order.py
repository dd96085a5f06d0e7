"""Second derivatives: hessian (forward over reverse) and Hessian-vector products without
forming the Hessian."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..autograd import forward_ad
from ..tensor import Tensor
from ._inputs import primal_tangent_leaves, release, tensor_leaves
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
    p_leaves, t_leaves, p_spec = primal_tangent_leaves(primals, tangents, op)
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
