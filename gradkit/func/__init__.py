"""Functional transforms (torch.func / JAX spelling): grad, value_and_grad, vjp, jvp, jacrev,
jacfwd, hessian and hvp. They compose (grad(grad(f)), jacfwd(jacrev(f)), ...) and accept
functions of tensors and of tuples, lists and dicts of tensors."""

from .forward import jacfwd, jvp
from .pytree import tree_flatten, tree_map, tree_unflatten
from .reverse import grad, jacrev, value_and_grad, vjp
from .second_order import hessian, hvp

__all__ = [
    "grad",
    "value_and_grad",
    "vjp",
    "jvp",
    "jacrev",
    "jacfwd",
    "hessian",
    "hvp",
    "tree_flatten",
    "tree_unflatten",
    "tree_map",
]
