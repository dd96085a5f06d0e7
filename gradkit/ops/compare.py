"""Comparisons (bool results, not differentiable) and selection: where, maximum, minimum, clamp."""

from __future__ import annotations

from typing import Any

from ..autograd.function import Function
from ..tensor import Tensor
from ._util import operands
from .broadcast_grad import grad_like


def _compare(numpy_name: str, op: str) -> Any:
    def run(a: Any, b: Any) -> Tensor:
        ad, bd, device = operands(a, b, op)
        try:
            out = getattr(device.xp, numpy_name)(ad, bd)
        except ValueError:
            raise ValueError(
                f"{op}: shapes {getattr(a, 'shape', 'scalar')} and "
                f"{getattr(b, 'shape', 'scalar')} cannot be broadcast together"
            ) from None
        return Tensor._make(out, device)

    run.__name__ = op
    return run


eq = _compare("equal", "eq")
ne = _compare("not_equal", "ne")
lt = _compare("less", "lt")
le = _compare("less_equal", "le")
gt = _compare("greater", "gt")
ge = _compare("greater_equal", "ge")


class Where(Function):
    @staticmethod
    def forward(ctx, condition, a, b):
        ad, bd, device = operands(a, b, "where")
        cond = condition.data if isinstance(condition, Tensor) else device.xp.asarray(condition)
        if cond.dtype.kind != "b":
            raise TypeError(f"where: condition must be a bool tensor, got dtype {cond.dtype}")
        ctx.condition = cond
        ctx.metas = tuple(
            (x.data.shape, x.data.dtype) if isinstance(x, Tensor) else None for x in (a, b)
        )
        try:
            out = device.xp.where(cond, ad, bd)
        except ValueError:
            raise ValueError(
                f"where: condition {tuple(cond.shape)}, {getattr(a, 'shape', 'scalar')} and "
                f"{getattr(b, 'shape', 'scalar')} cannot be broadcast together"
            ) from None
        return Tensor._make(out, device)

    @staticmethod
    def backward(ctx, grad):
        cond = Tensor._make(ctx.condition, grad.device)
        _, need_a, need_b = ctx.needs_input_grad
        ma, mb = ctx.metas
        grad_a = grad_like(where(cond, grad, 0.0), *ma) if need_a else None
        grad_b = grad_like(where(cond, 0.0, grad), *mb) if need_b else None
        return None, grad_a, grad_b


def where(condition: Any, a: Any, b: Any) -> Tensor:
    return Where.apply(condition, a, b)
