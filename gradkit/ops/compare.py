"""Comparisons (bool results, not differentiable) and selection: where, maximum, minimum, clamp."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..backend.dtypes import promote
from ..tensor import Tensor
from . import broadcast_grad as _broadcast_grad
from ._util import operands


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
        grad_like = _broadcast_grad.grad_like
        grad_a = grad_like(where(cond, grad, 0.0), *ma) if need_a else None
        grad_b = grad_like(where(cond, 0.0, grad), *mb) if need_b else None
        return None, grad_a, grad_b

    @staticmethod
    def jvp(ctx, _condition, tangent_a, tangent_b):
        if tangent_a is None and tangent_b is None:
            return None
        device = (tangent_a if tangent_a is not None else tangent_b).device
        cond = Tensor._make(ctx.condition, device)
        return where(
            cond, 0.0 if tangent_a is None else tangent_a, 0.0 if tangent_b is None else tangent_b
        )


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """``a`` where the bool ``condition`` holds, else ``b`` (all three broadcast together)."""
    return Where.apply(condition, a, b)


# ---- maximum, minimum ----------------------------------------------------------------------


def _broadcast_error(op: str, *values: Any) -> ValueError:
    shapes = " and ".join(str(tuple(v.shape)) if hasattr(v, "shape") else "scalar" for v in values)
    return ValueError(f"{op}: shapes {shapes} cannot be broadcast together")


def _meta(x: Any) -> Any:
    return (x.data.shape, x.data.dtype) if isinstance(x, Tensor) else None


class _Pairwise(Function):
    """maximum/minimum. Ties send half the gradient to each side, as PyTorch does."""

    op = ""

    @classmethod
    def forward(cls, ctx, a, b):
        ad, bd, device = operands(a, b, cls.op)
        try:
            out = getattr(device.xp, cls.op)(ad, bd)
        except ValueError:
            raise _broadcast_error(cls.op, a, b) from None
        ctx.metas = (_meta(a), _meta(b))
        ctx.scalars = (a, b)
        ctx.save_for_backward(
            a if isinstance(a, Tensor) else None, b if isinstance(b, Tensor) else None
        )
        return Tensor._make(out, device)

    @classmethod
    def backward(cls, ctx, grad):
        ta, tb = ctx.saved_tensors
        ad, bd, _ = operands(
            ta if ta is not None else ctx.scalars[0],
            tb if tb is not None else ctx.scalars[1],
            cls.op,
        )
        # the side that lost gets nothing: a < b for maximum, a > b for minimum
        a_lost, b_lost = (ad < bd, ad > bd) if cls.op == "maximum" else (ad > bd, ad < bd)
        ties = ad == bd
        need_a, need_b = ctx.needs_input_grad
        grads = []
        for need, lost, meta in ((need_a, a_lost, ctx.metas[0]), (need_b, b_lost, ctx.metas[1])):
            if not need:
                grads.append(None)
                continue
            weight = _share(~lost, ties, grad)
            grads.append(_broadcast_grad.grad_like(grad * weight, *meta))
        return tuple(grads)

    @classmethod
    def jvp(cls, ctx, tangent_a, tangent_b):
        ta, tb = ctx.saved_tensors
        ad, bd, _ = operands(
            ta if ta is not None else ctx.scalars[0],
            tb if tb is not None else ctx.scalars[1],
            cls.op,
        )
        a_lost, b_lost = (ad < bd, ad > bd) if cls.op == "maximum" else (ad > bd, ad < bd)
        ties = ad == bd
        total = None
        for tangent, lost in ((tangent_a, a_lost), (tangent_b, b_lost)):
            if tangent is None:
                continue
            xp = tangent.device.xp
            weight = xp.where(ties, 0.5, xp.where(lost, 0.0, 1.0)).astype(tangent.dtype)
            term = tangent * Tensor._make(weight, tangent.device)
            total = term if total is None else total + term
        return total


def _share(wins: Any, ties: Any, grad: Tensor) -> Tensor:
    """1 where a side won outright, 0.5 on a tie, 0 where it lost, in grad's dtype."""
    dtype = grad.dtype
    weight = grad.device.xp.where(ties, dtype.type(0.5), wins.astype(dtype))
    return Tensor._make(weight, grad.device)


class Maximum(_Pairwise):
    op = "maximum"


class Minimum(_Pairwise):
    op = "minimum"


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise maximum with broadcasting (NaN propagates); ties split the gradient."""
    return Maximum.apply(a, b)


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise minimum with broadcasting (NaN propagates); ties split the gradient."""
    return Minimum.apply(a, b)


# ---- clamp ---------------------------------------------------------------------------------

_NUMBERS = (int, float, np.integer, np.floating)


def _bound_array(bound: Any, dtype: np.dtype) -> Any:
    if bound is None:
        return None
    if isinstance(bound, Tensor):
        return bound.data.astype(dtype, copy=False)
    return bound.item() if isinstance(bound, np.generic) else bound  # stays weak: no promotion


class Clamp(Function):
    @staticmethod
    def forward(ctx, x, lo, hi):
        dtype = x.data.dtype
        for bound in (lo, hi):
            if isinstance(bound, Tensor):
                if bound.device is not x.device:
                    raise RuntimeError(
                        f"clamp: expected all tensors on the same device, got "
                        f"{x.device} and {bound.device}"
                    )
                dtype = promote(dtype, bound.data.dtype)
            elif isinstance(bound, (float, np.floating)) and dtype.kind != "f":
                dtype = np.dtype(np.float32)  # an integer tensor with a float bound
        ctx.dtype = dtype
        ctx.metas = (_meta(x), _meta(lo), _meta(hi))
        ctx.save_for_backward(x, *(b if isinstance(b, Tensor) else None for b in (lo, hi)))
        ctx.scalars = (lo, hi)
        xd = x.data.astype(dtype, copy=False)
        lod, hid = (_bound_array(b, dtype) for b in (lo, hi))
        try:
            out = x.device.xp.clip(xd, lod, hid)
        except ValueError:
            raise _broadcast_error("clamp", x, *(b for b in (lo, hi) if b is not None)) from None
        return Tensor._make(out, x.device)

    @staticmethod
    def backward(ctx, grad):
        x, tlo, thi = ctx.saved_tensors
        lo = tlo if tlo is not None else ctx.scalars[0]
        hi = thi if thi is not None else ctx.scalars[1]
        xd = x.data.astype(ctx.dtype, copy=False)
        lod, hid = (_bound_array(b, ctx.dtype) for b in (lo, hi))
        # PyTorch's rule: x gets the gradient where lo <= x <= hi; with lo > hi the result is
        # hi everywhere, so hi gets it all and lo none.
        inside = True
        if lod is not None:
            inside = xd >= lod
        if hid is not None:
            inside = inside & (xd <= hid)
        need_x, need_lo, need_hi = ctx.needs_input_grad
        grad_x = grad_lo = grad_hi = None
        if need_x:
            grad_x = _masked(grad, inside, ctx.metas[0])
        if need_lo:
            below = xd < lod
            grad_lo = _masked(grad, below & (lod < hid) if hid is not None else below, ctx.metas[1])
        if need_hi:
            above = xd > hid
            grad_hi = _masked(grad, above | (hid < lod) if lod is not None else above, ctx.metas[2])
        return grad_x, grad_lo, grad_hi

    @staticmethod
    def jvp(ctx, tangent_x, tangent_lo, tangent_hi):
        x, tlo, thi = ctx.saved_tensors
        lo = tlo if tlo is not None else ctx.scalars[0]
        hi = thi if thi is not None else ctx.scalars[1]
        xd = x.data.astype(ctx.dtype, copy=False)
        lod, hid = (_bound_array(b, ctx.dtype) for b in (lo, hi))
        inside = True
        if lod is not None:
            inside = xd >= lod
        if hid is not None:
            inside = inside & (xd <= hid)
        masks = (
            inside,
            None if lod is None else ((xd < lod) & (lod < hid) if hid is not None else xd < lod),
            None if hid is None else ((xd > hid) | (hid < lod) if lod is not None else xd > hid),
        )
        total = None
        for tangent, mask in zip((tangent_x, tangent_lo, tangent_hi), masks):
            if tangent is None:
                continue
            weight = tangent.device.xp.asarray(mask).astype(tangent.dtype)
            term = tangent * Tensor._make(weight, tangent.device)
            total = term if total is None else total + term
        return total


def _masked(grad: Tensor, mask: Any, meta: Any) -> Tensor:
    xp = grad.device.xp
    weight = Tensor._make(xp.broadcast_to(mask, grad.shape).astype(grad.dtype), grad.device)
    return _broadcast_grad.grad_like(grad * weight, *meta)


def clamp(x: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """Limit ``x`` to [min, max] (Tensors broadcast, numbers stay weak: float32 stays float32).

    Like PyTorch, min > max is allowed and gives max everywhere; the gradient reaches ``x``
    where min <= x <= max.
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"clamp: expected a Tensor, got {type(x).__name__}")
    if min is None and max is None:
        raise ValueError("clamp: expected at least one of min and max, got neither")
    for name, bound in (("min", min), ("max", max)):
        if bound is not None and not isinstance(bound, (Tensor, *_NUMBERS)):
            raise TypeError(
                f"clamp: {name} must be a Tensor, a number or None, got {type(bound).__name__}"
            )
    return Clamp.apply(x, min, max)


clip = clamp


# ---- predicates and logic (bool results, not differentiable) -------------------------------


def _predicate(numpy_name: str) -> Any:
    def run(x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            raise TypeError(f"{numpy_name}: expected a Tensor, got {type(x).__name__}")
        return Tensor._make(getattr(x.device.xp, numpy_name)(x.data), x.device)

    run.__name__ = numpy_name
    run.__doc__ = f"Elementwise {numpy_name} (bool, not differentiable)."
    return run


isfinite = _predicate("isfinite")
isnan = _predicate("isnan")
isinf = _predicate("isinf")
logical_not = _predicate("logical_not")
logical_and = _compare("logical_and", "logical_and")
logical_or = _compare("logical_or", "logical_or")
logical_xor = _compare("logical_xor", "logical_xor")
