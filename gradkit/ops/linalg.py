"""Matrix products with NumPy's rules: matmul (and mm, bmm, dot, outer) and the fused linear layer.

einsum, the general contraction, has its own module (ops/einsum.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..amp import autocast_state as _amp
from ..autograd.function import Function
from ..tensor import Tensor
from . import reduce as _reduce
from . import shape as _shape
from ._util import operands, records
from .broadcast_grad import grad_like


def _shape_of(x: Any) -> tuple:
    return tuple(getattr(x, "shape", ()))


def _check_matmul_shapes(a_shape: tuple, b_shape: tuple, op: str) -> tuple:
    """The batch shape both operands broadcast to; raises ValueError naming both shapes."""
    if not a_shape or not b_shape:
        raise ValueError(
            f"{op}: both operands must have at least 1 dimension (a 0-d operand is a scalar: "
            f"use mul), got shapes {a_shape} and {b_shape}"
        )
    b_contracted = b_shape[0] if len(b_shape) == 1 else b_shape[-2]
    if a_shape[-1] != b_contracted:
        which = "dim 0" if len(b_shape) == 1 else "dim -2"
        raise ValueError(
            f"{op}: expected the last dim of a ({a_shape[-1]}) to match {which} of b "
            f"({b_contracted}), got shapes {a_shape} and {b_shape}"
        )
    try:
        return np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
    except ValueError:
        raise ValueError(
            f"{op}: the batch dims {a_shape[:-2]} and {b_shape[:-2]} cannot be broadcast "
            f"together, got shapes {a_shape} and {b_shape}"
        ) from None


def _product(ad: Any, bd: Any, xp: Any) -> Any:
    """a @ b as one GEMM where NumPy would loop over a batch: a stack of rows times one
    matrix is a single (batch*rows, n) @ (n, p) product."""
    if ad.ndim > 2 and bd.ndim == 2:
        rows = ad.reshape(-1, ad.shape[-1])
        return (rows @ bd).reshape(ad.shape[:-1] + (bd.shape[-1],))
    if ad.ndim == 1 and bd.ndim == 1:
        return xp.asarray(xp.matmul(ad, bd))  # NumPy returns a scalar, not a 0-d array
    return xp.matmul(ad, bd)


def _as_tensor(value: Any, data: Any, device: Any) -> Tensor:
    return value if isinstance(value, Tensor) else Tensor._make(data, device)


class MatMul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ad, bd, device = operands(a, b, "matmul")
        batch = _check_matmul_shapes(_shape_of(ad), _shape_of(bd), "matmul")
        ctx.metas = ((ad.shape, _dtype_of(a, ad)), (bd.shape, _dtype_of(b, bd)))
        m = ad.shape[-2] if ad.ndim > 1 else 1
        p = bd.shape[-1] if bd.ndim > 1 else 1
        ctx.grad_shape = batch + (m, p)  # the result with any dropped 1-D dims put back
        ctx.save_for_backward(_as_tensor(a, ad, device), _as_tensor(b, bd, device))
        return Tensor._make(_product(ad, bd, device.xp), device)

    @staticmethod
    def backward(ctx, grad):
        a, b = ctx.saved_tensors
        (a_shape, a_dtype), (b_shape, b_dtype) = ctx.metas
        need_a, need_b = ctx.needs_input_grad
        if a.ndim == 1 and b.ndim == 1:  # dot product: the result is 0-d
            return (
                grad_like(grad * b, a_shape, a_dtype) if need_a else None,
                grad_like(grad * a, b_shape, b_dtype) if need_b else None,
            )
        a2 = a if a.ndim > 1 else _shape.reshape(a, (1, a.shape[0]))
        b2 = b if b.ndim > 1 else _shape.reshape(b, (b.shape[0], 1))
        g = _shape.reshape(grad, ctx.grad_shape)
        grad_a = grad_b = None
        if need_a:
            # g @ b^T; grad_like sums it over the batch dims that a was broadcast along
            grad_a = matmul(g, _shape.swapaxes(b2, -1, -2))
            grad_a = _shape.reshape(grad_like(grad_a, a2.shape, a_dtype), a_shape)
        if need_b:
            grad_b = _grad_of_right(a2, g, b2)
            grad_b = _shape.reshape(grad_like(grad_b, b2.shape, b_dtype), b_shape)
        return grad_a, grad_b

    @staticmethod
    def jvp(ctx, tangent_a, tangent_b):
        a, b = ctx.saved_tensors
        return _sum_present(
            matmul(tangent_a, b) if tangent_a is not None else None,
            matmul(a, tangent_b) if tangent_b is not None else None,
        )


def _sum_present(*terms: Any) -> Any:
    """The sum of the terms that are not None (None if all are): a product rule's result."""
    total = None
    for term in terms:
        if term is not None:
            total = term if total is None else total + term
    return total


def _dtype_of(original: Any, data: Any) -> np.dtype:
    return original.dtype if isinstance(original, Tensor) else data.dtype


def _grad_of_right(a2: Tensor, g: Tensor, b2: Tensor) -> Tensor:
    """dL/db = a^T @ g, summed over the batch dims that b was broadcast along."""
    if b2.ndim == 2 and g.ndim > 2 and a2.shape[:-2] == g.shape[:-2]:
        # b is one matrix shared by the whole batch: fold the batch into the rows, one GEMM
        a2 = _shape.reshape(a2, (-1, a2.shape[-1]))
        g = _shape.reshape(g, (-1, g.shape[-1]))
    if b2.ndim == 2 and g.ndim == 2 and _column_major(b2.data):
        # b is a transposed view (x @ w.T): compute (g^T a)^T, the same GEMM, so that the
        # gradient reaching w is row-major like w and the optimizer's passes over it stream
        return _shape.swapaxes(matmul(_shape.swapaxes(g, 0, 1), a2), 0, 1)
    return matmul(_shape.swapaxes(a2, -1, -2), g)


def _column_major(data: Any) -> bool:
    flags = data.flags
    return flags.f_contiguous and not flags.c_contiguous


def matmul(a: Any, b: Any) -> Tensor:
    """Matrix product with NumPy's rules: 1-D x 1-D is a dot product (0-d), a 1-D operand is
    promoted to a matrix and the added dim removed again, batch dims broadcast."""
    if _amp.active:
        a, b = _amp.cast_inputs("matmul", a, b)
    return MatMul.apply(a, b)


def mm(a: Tensor, b: Tensor) -> Tensor:
    """Product of two matrices (both exactly 2-D)."""
    if len(_shape_of(a)) != 2 or len(_shape_of(b)) != 2:
        raise ValueError(
            f"mm: expected two 2-D tensors, got shapes {_shape_of(a)} and {_shape_of(b)}"
        )
    return matmul(a, b)


def bmm(a: Tensor, b: Tensor) -> Tensor:
    """Batched product of (B, n, m) and (B, m, p) tensors with equal batch sizes."""
    a_shape, b_shape = _shape_of(a), _shape_of(b)
    if len(a_shape) != 3 or len(b_shape) != 3 or a_shape[0] != b_shape[0]:
        raise ValueError(
            f"bmm: expected two 3-D tensors with the same batch size, got shapes {a_shape} "
            f"and {b_shape}"
        )
    return matmul(a, b)


def dot(a: Tensor, b: Tensor) -> Tensor:
    """Inner product of two 1-D tensors of equal length (a 0-d result)."""
    a_shape, b_shape = _shape_of(a), _shape_of(b)
    if len(a_shape) != 1 or len(b_shape) != 1 or a_shape != b_shape:
        raise ValueError(
            f"dot: expected two 1-D tensors of the same length, got shapes {a_shape} and {b_shape}"
        )
    return matmul(a, b)


def outer(a: Tensor, b: Tensor) -> Tensor:
    """Outer product of two 1-D tensors: result[i, j] = a[i] * b[j]."""
    a_shape, b_shape = _shape_of(a), _shape_of(b)
    if len(a_shape) != 1 or len(b_shape) != 1:
        raise ValueError(f"outer: expected two 1-D tensors, got shapes {a_shape} and {b_shape}")
    return _shape.reshape(a, (a_shape[0], 1)) * _shape.reshape(b, (1, b_shape[0]))


class Linear(Function):
    """x @ weight.T + bias: one GEMM forward; two GEMMs and one sum backward."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        xd, wd = x.data, weight.data
        out_features = wd.shape[0]
        rows = xd.reshape(-1, xd.shape[-1]) if xd.ndim != 2 else xd
        out = rows @ wd.T  # .T is a view: BLAS reads the transpose, no copy
        if bias is not None:
            out += bias.data
        ctx.save_for_backward(x, weight)
        ctx.out_shape = xd.shape[:-1] + (out_features,)
        return Tensor._make(out.reshape(ctx.out_shape), x.device)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        if records(grad, x, weight):
            return _linear_grads_recorded(grad, x, weight, need_x, need_w, need_b)
        g = grad.data.reshape(-1, weight.shape[0])
        grad_x = grad_w = grad_b = None
        if need_x:
            grad_x = Tensor._make((g @ weight.data).reshape(x.shape), x.device)
        if need_w:
            rows = x.data.reshape(-1, x.shape[-1])
            grad_w = Tensor._make(g.T @ rows, x.device)
        if need_b:
            grad_b = Tensor._make(g.sum(axis=0), x.device)
        return grad_x, grad_w, grad_b

    @staticmethod
    def jvp(ctx, tangent_x, tangent_w, tangent_b):
        x, weight = ctx.saved_tensors
        total = _sum_present(
            linear(tangent_x, weight) if tangent_x is not None else None,
            linear(x, tangent_w) if tangent_w is not None else None,
        )
        if tangent_b is None:
            return total
        return _shape.broadcast_to(tangent_b, ctx.out_shape) if total is None else total + tangent_b


def _linear_grads_recorded(
    grad: Tensor, x: Tensor, weight: Tensor, need_x: bool, need_w: bool, need_b: bool
) -> tuple:
    """Linear's gradients as differentiable ops, for create_graph=True."""
    g = _shape.reshape(grad, (-1, weight.shape[0]))
    grad_x = _shape.reshape(matmul(g, weight), x.shape) if need_x else None
    grad_w = None
    if need_w:
        rows = _shape.reshape(x, (-1, x.shape[-1]))
        grad_w = matmul(_shape.swapaxes(g, 0, 1), rows)
    grad_b = _reduce.sum(g, axis=0) if need_b else None
    return grad_x, grad_w, grad_b


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``x @ weight.T + bias`` for x of shape (..., in), weight (out, in) and bias (out,)."""
    if _amp.active:
        x, weight, bias = _amp.cast_inputs("linear", x, weight, bias)
    _check_linear_args(x, weight, bias)
    return Linear.apply(x, weight, bias)


def _check_linear_args(x: Any, weight: Any, bias: Any) -> None:
    for name, value in (("x", x), ("weight", weight), ("bias", bias)):
        if not isinstance(value, Tensor) and not (name == "bias" and value is None):
            raise TypeError(f"linear: expected {name} to be a Tensor, got {type(value).__name__}")
    if weight.ndim != 2:
        raise ValueError(
            f"linear: expected a 2-D weight (out_features, in_features), got shape "
            f"{tuple(weight.shape)}"
        )
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"linear: expected the last dim of x to be in_features={weight.shape[1]}, got x of "
            f"shape {tuple(x.shape)} and weight of shape {tuple(weight.shape)}"
        )
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ValueError(
            f"linear: expected a bias of shape ({weight.shape[0]},), got {tuple(bias.shape)}"
        )
    dtypes = {t.dtype for t in (x, weight, bias) if t is not None}
    if len(dtypes) != 1:
        raise TypeError(
            f"linear: expected x, weight and bias of one dtype, got "
            f"{', '.join(str(t.dtype) for t in (x, weight, bias) if t is not None)}"
        )
    devices = {t.device for t in (x, weight, bias) if t is not None}
    if len(devices) != 1:
        raise RuntimeError(
            f"linear: expected all tensors on the same device, got {sorted(map(str, devices))}"
        )
