"""Binary arithmetic with NumPy broadcasting: + - * / // % ** and negation."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor
from . import unary as _unary
from ._util import operands, records
from .broadcast_grad import fused_grad_like, grad_like

_FLOAT32 = np.dtype(np.float32)


def _meta(x: Any) -> Any:
    return (x.data.shape, x.data.dtype) if isinstance(x, Tensor) else None


def _compute(fn: Any, a: Any, b: Any, op: str) -> Any:
    ad, bd, device = operands(a, b, op)
    try:
        out = fn(ad, bd)
    except ValueError:
        raise ValueError(
            f"{op}: shapes {_shape_of(a)} and {_shape_of(b)} cannot be broadcast together"
        ) from None
    return Tensor._make(out, device)


def _data(value: Any) -> Any:
    """The array of a Tensor operand, or the Python scalar itself."""
    return value.data if isinstance(value, Tensor) else value


def _shape_of(x: Any) -> Any:
    return tuple(x.shape) if hasattr(x, "shape") else "scalar"


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.metas = (_meta(a), _meta(b))
        return _compute(_add, a, b, "add")

    @staticmethod
    def backward(ctx, grad):
        ma, mb = ctx.metas
        need_a, need_b = ctx.needs_input_grad
        return (grad_like(grad, *ma) if need_a else None, grad_like(grad, *mb) if need_b else None)

    @staticmethod
    def jvp(ctx, tangent_a, tangent_b):
        return _sum_present(tangent_a, tangent_b)


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.metas = (_meta(a), _meta(b))
        return _compute(_sub, a, b, "sub")

    @staticmethod
    def backward(ctx, grad):
        ma, mb = ctx.metas
        need_a, need_b = ctx.needs_input_grad
        return (grad_like(grad, *ma) if need_a else None, grad_like(-grad, *mb) if need_b else None)

    @staticmethod
    def jvp(ctx, tangent_a, tangent_b):
        return _sum_present(tangent_a, -tangent_b if tangent_b is not None else None)


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.metas = (_meta(a), _meta(b))
        _save_operands(ctx, a, b)
        return _compute(_mul, a, b, "mul")

    @staticmethod
    def backward(ctx, grad):
        a, b = _operand_values(ctx)
        ma, mb = ctx.metas
        need_a, need_b = ctx.needs_input_grad
        if not records(grad, a, b):  # first order only: one array product per input
            g = grad.data
            return (
                fused_grad_like(grad, g * _data(b), *ma) if need_a else None,
                fused_grad_like(grad, g * _data(a), *mb) if need_b else None,
            )
        return (
            grad_like(grad * b, *ma) if need_a else None,
            grad_like(grad * a, *mb) if need_b else None,
        )

    @staticmethod
    def jvp(ctx, tangent_a, tangent_b):
        a, b = _operand_values(ctx)
        return _sum_present(
            tangent_a * b if tangent_a is not None else None,
            a * tangent_b if tangent_b is not None else None,
        )


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.metas = (_meta(a), _meta(b))
        _save_operands(ctx, a, b)
        return _compute(_div, a, b, "div")

    @staticmethod
    def backward(ctx, grad):
        a, b = _operand_values(ctx)
        ma, mb = ctx.metas
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad / b
        return (
            grad_like(grad_a, *ma) if need_a else None,
            grad_like(-grad_a * a / b, *mb) if need_b else None,
        )

    @staticmethod
    def jvp(ctx, tangent_a, tangent_b):
        a, b = _operand_values(ctx)
        return _sum_present(
            tangent_a / b if tangent_a is not None else None,
            -tangent_b * a / (b * b) if tangent_b is not None else None,
        )


class Pow(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.metas = (_meta(a), _meta(b))
        ctx.scalars = (_plain(a), _plain(b))
        out = _compute(_pow, a, b, "pow")
        ctx.save_for_backward(
            a if isinstance(a, Tensor) else None, b if isinstance(b, Tensor) else None, out
        )
        return out

    @staticmethod
    def backward(ctx, grad):
        ta, tb, out = ctx.saved_tensors
        a = ta if ta is not None else ctx.scalars[0]
        b = tb if tb is not None else ctx.scalars[1]
        ma, mb = ctx.metas
        need_a, need_b = ctx.needs_input_grad
        grad_a = grad_b = None
        if need_a:
            if isinstance(b, Tensor):
                # b * a**(b-1) is 0 * inf at a == 0, b == 0; the slope there is 0 (as in PyTorch)
                from .compare import where

                grad_a = grad_like(where(b == 0, 0.0, grad * b * a ** (b - 1)), *ma)
            elif b == 0:
                grad_a = grad_like(grad * 0, *ma)
            else:
                grad_a = grad_like(grad * b * a ** (b - 1), *ma)
        if need_b:
            # d(a**b)/db = a**b * log(a); define it as 0 where a == 0 (as PyTorch does)
            if isinstance(a, Tensor):
                log_a = _unary.log(_where_positive(a))
            else:
                log_a = math.log(a) if a > 0 else (0.0 if a == 0 else math.nan)
            grad_b = grad_like(grad * out * log_a, *mb)
        return grad_a, grad_b

    @staticmethod
    def jvp(ctx, tangent_a, tangent_b):
        ta, tb, out = ctx.saved_tensors
        a = ta if ta is not None else ctx.scalars[0]
        b = tb if tb is not None else ctx.scalars[1]
        terms = []
        if tangent_a is not None:
            if isinstance(b, Tensor):
                from .compare import where

                terms.append(where(b == 0, 0.0, tangent_a * b * a ** (b - 1)))
            elif b == 0:
                terms.append(tangent_a * 0)
            else:
                terms.append(tangent_a * b * a ** (b - 1))
        if tangent_b is not None:
            if isinstance(a, Tensor):
                log_a = _unary.log(_where_positive(a))
            else:
                log_a = math.log(a) if a > 0 else (0.0 if a == 0 else math.nan)
            terms.append(tangent_b * out * log_a)
        return _sum_present(*terms)


def _plain(value: Any) -> Any:
    """NumPy scalars as Python numbers, so a backward formula never widens float32."""
    return value.item() if isinstance(value, np.generic) else value


def _where_positive(a: Tensor) -> Tensor:
    """a with zeros replaced by ones, so that log(a) is finite where a**b's slope is 0."""
    from .compare import where

    return where(a == 0, 1.0, a)


class Neg(Function):
    @staticmethod
    def forward(ctx, a):
        return Tensor._make(-a.data, a.device)

    @staticmethod
    def backward(ctx, grad):
        return -grad

    @staticmethod
    def jvp(ctx, tangent):
        return -tangent


class Remainder(Function):
    """a - floor(a / b) * b (Python's sign convention, like NumPy and PyTorch)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.metas = (_meta(a), _meta(b))
        _save_operands(ctx, a, b)
        return _compute(_mod, a, b, "remainder")

    @staticmethod
    def backward(ctx, grad):
        a, b = _operand_values(ctx)
        ma, mb = ctx.metas
        need_a, need_b = ctx.needs_input_grad
        grad_b = None
        if need_b:
            grad_b = grad_like(-grad * _unary.floor(a / b), *mb)
        return (grad_like(grad, *ma) if need_a else None), grad_b

    @staticmethod
    def jvp(ctx, tangent_a, tangent_b):
        a, b = _operand_values(ctx)
        return _sum_present(
            tangent_a, -tangent_b * _unary.floor(a / b) if tangent_b is not None else None
        )


def _save_operands(ctx: Any, a: Any, b: Any) -> None:
    """Save a binary op's operands: Tensors through save_for_backward (version-checked),
    Python numbers as they are; _operand_values gives them back."""
    ctx.save_for_backward(
        a if isinstance(a, Tensor) else None, b if isinstance(b, Tensor) else None
    )
    ctx.scalars = (a, b)


def _operand_values(ctx: Any) -> tuple:
    """The operands of a binary op as saved: the Tensors, or the Python numbers."""
    ta, tb = ctx.saved_tensors
    return (ta if ta is not None else ctx.scalars[0], tb if tb is not None else ctx.scalars[1])


def _sum_present(*terms: Any) -> Any:
    """The sum of the terms that are not None (None if all are): a product rule's result."""
    total = None
    for term in terms:
        if term is not None:
            total = term if total is None else total + term
    return total


def _add(x, y):
    return x + y


def _sub(x, y):
    return x - y


def _mul(x, y):
    return x * y


def _div(x, y):
    if _integral(x) and _integral(y):
        # integer / integer is true division in PyTorch's default dtype, not NumPy's float64
        x = x.astype(_FLOAT32) if hasattr(x, "astype") else float(x)
        y = y.astype(_FLOAT32) if hasattr(y, "astype") else y
    return x / y


def _integral(value: Any) -> bool:
    dtype = getattr(value, "dtype", None)
    if dtype is None:
        return not isinstance(value, float)
    return dtype.kind in "iub"


def _pow(x, y):
    return x**y


def _mod(x, y):
    return x % y


def _floordiv(x, y):
    return x // y


def add(a: Any, b: Any, alpha: Any = None) -> Tensor:
    if alpha is not None:
        b = mul(b, alpha)
    if records(a, b):
        return Add.apply(a, b)
    return _compute(_add, a, b, "add")


def sub(a: Any, b: Any, alpha: Any = None) -> Tensor:
    if alpha is not None:
        b = mul(b, alpha)
    if records(a, b):
        return Sub.apply(a, b)
    return _compute(_sub, a, b, "sub")


def mul(a: Any, b: Any) -> Tensor:
    if records(a, b):
        return Mul.apply(a, b)
    return _compute(_mul, a, b, "mul")


def div(a: Any, b: Any, rounding_mode: str | None = None) -> Tensor:
    if rounding_mode is None:
        if records(a, b):
            return Div.apply(a, b)
        return _compute(_div, a, b, "div")
    if rounding_mode == "floor":
        return floor_divide(a, b)
    if rounding_mode == "trunc":
        return _unary.trunc(Div.apply(a, b))
    raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', got {rounding_mode!r}")


def pow(a: Any, b: Any) -> Tensor:  # noqa: A001 - PyTorch's name
    return Pow.apply(a, b)


def neg(a: Tensor) -> Tensor:
    return Neg.apply(a)


def remainder(a: Any, b: Any) -> Tensor:
    return Remainder.apply(a, b)


def floor_divide(a: Any, b: Any) -> Tensor:
    """Piecewise constant, so not differentiable: the result never requires grad."""
    return _compute(_floordiv, a, b, "floor_divide")


true_divide = divide = div
multiply = mul
subtract = sub
negative = neg
