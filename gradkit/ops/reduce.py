"""Reductions over axes (NumPy's axis/keepdims; PyTorch's dim/keepdim accepted too).

Every reduction takes ``axis`` as an int, a tuple of ints or None (all axes). An empty tuple
reduces nothing (NumPy's rule). A 0-d tensor accepts axis 0 / -1 like PyTorch and stays 0-d.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..amp import autocast_state as _amp
from ..autograd.function import Function
from ..tensor import Tensor
from . import compare as _compare
from . import shape as _shape
from . import unary as _unary
from ._util import axis_kwargs, normalize_axis

# ---- shared helpers ------------------------------------------------------------------------


def _tensor_arg(x: Any, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    return x


def _reduction_axes(
    x: Tensor, axis: Any, dim: Any, keepdims: Any, keepdim: Any, op: str
) -> tuple[tuple[int, ...] | None, bool]:
    """(axes, keepdims) for ``x``: axes a sorted tuple of non-negative ints or None (all)."""
    _tensor_arg(x, op)
    axis, keepdims = axis_kwargs(axis, dim, keepdims, keepdim, op)
    axes = normalize_axis(axis, x.data.ndim, op)
    if x.data.ndim == 0:
        axes = None  # PyTorch lets a 0-d tensor be reduced over dim 0/-1; NumPy would refuse
    return axes, keepdims


def _reduced_count(shape: tuple[int, ...], axes: tuple[int, ...] | None) -> int:
    if axes is None:
        return math.prod(shape)
    return math.prod(shape[a] for a in axes)


def _require_nonempty(x: Tensor, axes: tuple[int, ...] | None, op: str) -> None:
    """max/min/argmax/... have no identity, so reducing an empty axis is an error."""
    shape = x.data.shape
    if axes is None:
        if x.data.size == 0:
            raise IndexError(
                f"{op}: cannot reduce an empty tensor of shape {tuple(shape)} "
                "(the operation has no identity); pass an axis of non-zero size"
            )
        return
    for a in axes:
        if shape[a] == 0:
            raise IndexError(
                f"{op}: expected reduction axis {a} to have a non-zero size, got "
                f"shape {tuple(shape)}"
            )


def _require_float(x: Tensor, op: str) -> None:
    if x.data.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating point tensor, got dtype {x.dtype}")


def _restore_reduced_axes(grad: Tensor, in_shape: tuple, axes: Any, keepdims: bool) -> Tensor:
    """Give a reduced gradient back the axes it lost, so it broadcasts against the input."""
    if keepdims or grad.ndim == len(in_shape):
        return grad
    if axes is None:
        return _shape.reshape(grad, (1,) * len(in_shape))
    kept = list(grad.shape)
    for a in axes:
        kept.insert(a, 1)
    return _shape.reshape(grad, tuple(kept))


def _kept(ctx: Any, t: Tensor) -> Tensor:
    """A reduced tensor (grad or output) of this call, with its reduced axes as size 1."""
    return _restore_reduced_axes(t, ctx.in_shape, ctx.axes, ctx.keepdims)


def _wrap(out: Any, like: Tensor, dtype: Any = None) -> Tensor:
    """A NumPy reduction over all axes returns a scalar: make it a 0-d array of the right dtype."""
    xp = like.device.xp
    if not isinstance(out, xp.ndarray) or (dtype is not None and out.dtype != dtype):
        out = xp.asarray(out, dtype=dtype)
    return Tensor._make(out, like.device)


def _int_accumulator(dtype: np.dtype) -> Any:
    # like PyTorch: integer and bool sums/products accumulate in int64, never a small int type
    return np.int64 if dtype.kind in "biu" else None


# ---- sum, mean -----------------------------------------------------------------------------


class Sum(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdims, dtype):
        data = x.data
        ctx.in_shape = data.shape
        ctx.in_dtype = data.dtype
        ctx.axes = axes
        ctx.keepdims = keepdims
        if dtype is None:
            dtype = _int_accumulator(data.dtype)
        return _wrap(data.sum(axis=axes, keepdims=keepdims, dtype=dtype), x)

    @staticmethod
    def backward(ctx, grad):
        grad = _shape.broadcast_to(_kept(ctx, grad), ctx.in_shape)
        if grad.dtype != ctx.in_dtype:  # sum(x, dtype=...) changed it: hand back x's dtype
            grad = grad.to(ctx.in_dtype)
        return grad, None, None, None

    @staticmethod
    def jvp(ctx, tangent, _axes, _keepdims, _dtype):
        return Sum.apply(tangent, ctx.axes, ctx.keepdims, None)


class Mean(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdims):
        data = x.data
        ctx.in_shape = data.shape
        ctx.axes = axes
        ctx.keepdims = keepdims
        ctx.count = _reduced_count(data.shape, axes)
        return _wrap(data.mean(axis=axes, keepdims=keepdims), x, data.dtype)

    @staticmethod
    def backward(ctx, grad):
        return _shape.broadcast_to(_kept(ctx, grad) / ctx.count, ctx.in_shape), None, None

    @staticmethod
    def jvp(ctx, tangent, _axes, _keepdims):
        return Mean.apply(tangent, ctx.axes, ctx.keepdims)


def sum(
    x: Tensor,
    axis: Any = None,
    keepdims: bool = False,
    *,
    dim: Any = None,  # noqa: A001
    keepdim: Any = None,
    dtype: Any = None,
) -> Tensor:
    """Sum over ``axis``; integer and bool inputs give int64 (like PyTorch)."""
    if _amp.active:
        (x,) = _amp.cast_inputs("sum", x)
    axes, keepdims = _reduction_axes(x, axis, dim, keepdims, keepdim, "sum")
    return Sum.apply(x, axes, keepdims, dtype)


def mean(
    x: Tensor, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None
) -> Tensor:
    """Arithmetic mean over ``axis`` of a floating point tensor."""
    if _amp.active:
        (x,) = _amp.cast_inputs("mean", x)
    axes, keepdims = _reduction_axes(x, axis, dim, keepdims, keepdim, "mean")
    _require_float(x, "mean")
    return Mean.apply(x, axes, keepdims)


# ---- prod ----------------------------------------------------------------------------------


def _exclusive_products_along(xp: Any, a: Any, axis: int) -> Any:
    """out[..., i, ...] = product of a along ``axis`` over every position except i.

    Built from a left and a right running product, so zeros in ``a`` need no special case
    and nothing is divided by ``a``.
    """
    out = xp.ones_like(a)
    n = a.shape[axis]
    if n <= 1:
        return out

    def along(s: slice) -> tuple:
        return (slice(None),) * axis + (s,)

    xp.cumprod(a[along(slice(None, -1))], axis=axis, out=out[along(slice(1, None))])
    from_right = xp.cumprod(xp.flip(a[along(slice(1, None))], axis), axis=axis)
    out[along(slice(None, -1))] *= xp.flip(from_right, axis)
    return out


def _moved_to_end(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[list, tuple, tuple]:
    """The permutation that moves ``axes`` last, and the shapes before/after flattening them."""
    rest = [d for d in range(len(shape)) if d not in axes]
    perm = rest + list(axes)
    permuted = tuple(shape[d] for d in perm)
    flat = tuple(shape[d] for d in rest) + (math.prod(shape[a] for a in axes),)
    return perm, permuted, flat


class ExclusiveProd(Function):
    """For each element, the product of the other elements of its slice along ``axes``.

    This is the gradient of prod. Its own backward is written with gradkit ops (including
    ExclusiveProd itself), so prod is differentiable to any order, zeros included.
    """

    @staticmethod
    def forward(ctx, x, axes):
        a = x.data
        xp = x.device.xp
        ctx.save_for_backward(x)
        ctx.axes = axes
        if len(axes) == 1:
            return Tensor._make(_exclusive_products_along(xp, a, axes[0]), x.device)
        perm, permuted, flat = _moved_to_end(a.shape, axes)
        moved = a.transpose(perm).reshape(flat)
        out = _exclusive_products_along(xp, moved, moved.ndim - 1)
        return Tensor._make(out.reshape(permuted).transpose(np.argsort(perm)), x.device)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        # d out_i / d x_k = product over the slice without positions i and k (0 when i == k).
        # Row k of y is x with x_k replaced by 1, so y's exclusive products hold exactly that.
        perm, permuted, flat = _moved_to_end(x.shape, ctx.axes)
        xf = _shape.reshape(_shape.permute(x, perm), flat[:-1] + (1, flat[-1]))
        gf = _shape.reshape(_shape.permute(grad, perm), flat[:-1] + (1, flat[-1]))
        n = flat[-1]
        diagonal = x.device.xp.eye(n, dtype=bool)
        y = _compare.where(diagonal, 1.0, xf)
        pairs = ExclusiveProd.apply(y, (y.ndim - 1,))
        result = sum(_compare.where(diagonal, 0.0, gf * pairs), axis=-1)
        result = _shape.reshape(result, permuted)
        return _shape.permute(result, tuple(np.argsort(perm).tolist())), None

    @staticmethod
    def jvp(ctx, tangent, _axes):
        # the Jacobian (products over the slice without positions i and k) is symmetric
        return ExclusiveProd.backward(ctx, tangent)[0]


class Prod(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdims, dtype):
        data = x.data
        ctx.in_shape = data.shape
        ctx.axes = axes
        ctx.keepdims = keepdims
        ctx.save_for_backward(x)
        if dtype is None:
            dtype = _int_accumulator(data.dtype)
        return _wrap(data.prod(axis=axes, keepdims=keepdims, dtype=dtype), x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        grad = _kept(ctx, grad)
        axes = tuple(range(x.ndim)) if ctx.axes is None else ctx.axes
        if not axes:  # a 0-d input or axis=(): prod is the identity
            result = _shape.broadcast_to(grad, ctx.in_shape)
        else:
            result = grad * ExclusiveProd.apply(x, axes)
        if result.dtype != x.dtype:  # prod(x, dtype=...) changed it: hand back x's dtype
            result = result.to(x.dtype)
        return result, None, None, None

    @staticmethod
    def jvp(ctx, tangent, _axes, _keepdims, _dtype):
        (x,) = ctx.saved_tensors
        axes = tuple(range(x.ndim)) if ctx.axes is None else ctx.axes
        if not axes:
            return tangent
        return sum(tangent * ExclusiveProd.apply(x, axes), axis=axes, keepdims=ctx.keepdims)


def prod(
    x: Tensor,
    axis: Any = None,
    keepdims: bool = False,
    *,
    dim: Any = None,
    keepdim: Any = None,
    dtype: Any = None,
) -> Tensor:
    """Product over ``axis``; the gradient is exact with any number of zeros in the input."""
    axes, keepdims = _reduction_axes(x, axis, dim, keepdims, keepdim, "prod")
    return Prod.apply(x, axes, keepdims, dtype)


# ---- max, min ------------------------------------------------------------------------------


class _Extremum(Function):
    """amax/amin; the gradient is shared evenly among tied extrema (like torch.amax)."""

    numpy_name = ""

    @classmethod
    def forward(cls, ctx, x, axes, keepdims):
        data = x.data
        ctx.in_shape = data.shape
        ctx.axes = axes
        ctx.keepdims = keepdims
        out = _wrap(getattr(data, cls.numpy_name)(axis=axes, keepdims=keepdims), x)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        a = x.data
        hits = a == _kept(ctx, out).data
        ties = hits.sum(axis=ctx.axes, keepdims=True, dtype=a.dtype)
        # No data-dependent branch (a GPU would have to sync). A NaN extremum equals nothing:
        # 0 ties, so 1/0 * False gives NaN gradients for that slice, as in PyTorch.
        with np.errstate(divide="ignore", invalid="ignore"):
            weight = hits * (1 / ties)
        return _kept(ctx, grad) * Tensor._make(weight, x.device), None, None

    @staticmethod
    def jvp(ctx, tangent, _axes, _keepdims):
        # the tangent at the extremum (shared evenly among ties, as the gradient is)
        x, out = ctx.saved_tensors
        ones = Tensor._make(x.device.xp.ones_like(out.data), x.device)
        weight = _Extremum.backward(ctx, ones)[0].detach()
        return sum(tangent * weight, axis=ctx.axes, keepdims=ctx.keepdims)


class Amax(_Extremum):
    numpy_name = "max"


class Amin(_Extremum):
    numpy_name = "min"


def _extremum(fn: Any, op: str, elementwise: str) -> Any:
    def reduce_(
        x: Tensor, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None
    ) -> Tensor:
        if isinstance(axis, Tensor):  # torch.max(a, b) is the elementwise maximum
            return getattr(_compare, elementwise)(x, axis)
        axes, keepdims = _reduction_axes(x, axis, dim, keepdims, keepdim, op)
        _require_nonempty(x, axes, op)
        return fn.apply(x, axes, keepdims)

    reduce_.__name__ = op
    reduce_.__doc__ = (
        f"{op} over ``axis`` (values only, NumPy's convention; ties share the gradient). "
        f"``{op}(a, b)`` with a Tensor ``b`` is the elementwise {elementwise}."
    )
    return reduce_


max = _extremum(Amax, "max", "maximum")  # noqa: A001
min = _extremum(Amin, "min", "minimum")  # noqa: A001
amax = _extremum(Amax, "amax", "maximum")
amin = _extremum(Amin, "amin", "minimum")


def _arg_extremum(numpy_name: str, op: str) -> Any:
    def run(
        x: Tensor, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None
    ) -> Tensor:
        _tensor_arg(x, op)
        axis, keepdims = axis_kwargs(axis, dim, keepdims, keepdim, op)
        if axis is not None and not isinstance(axis, (int, np.integer)):
            raise TypeError(f"{op}: axis must be an int or None, got {axis!r}")
        axes = normalize_axis(axis, x.data.ndim, op)
        if x.data.ndim == 0:
            axes = None
        _require_nonempty(x, axes, op)
        if axes is None:
            out = getattr(x.data, numpy_name)(axis=None, keepdims=keepdims)
        else:
            out = getattr(x.data, numpy_name)(axis=axes[0], keepdims=keepdims)
        return _wrap(out, x, np.int64)

    run.__name__ = op
    run.__doc__ = f"Indices (int64, not differentiable) of the {op[3:]}imum along ``axis``."
    return run


argmax = _arg_extremum("argmax", "argmax")
argmin = _arg_extremum("argmin", "argmin")


# ---- var, std ------------------------------------------------------------------------------


def _correction(correction: Any, unbiased: Any, ddof: Any, op: str) -> Any:
    given = [
        name
        for name, v in (("correction", correction), ("unbiased", unbiased), ("ddof", ddof))
        if v is not None
    ]
    if len(given) > 1:
        raise TypeError(f"{op}: pass only one of correction=, unbiased= and ddof=, got {given}")
    if unbiased is not None:
        return 1 if unbiased else 0
    value = correction if correction is not None else ddof
    if value is None:
        return 1  # PyTorch's default (Bessel's correction); NumPy's would be 0
    if not isinstance(value, (int, float, np.integer, np.floating)) or isinstance(value, bool):
        raise TypeError(f"{op}: correction must be a number, got {value!r}")
    return value.item() if isinstance(value, np.generic) else value


def _var_backward(ctx: Any, x: Tensor, grad_var: Tensor) -> Tensor:
    """d var / dx = 2 (x - mean) / (N - correction), written with differentiable ops."""
    dof = ctx.count - ctx.correction
    scale = 2.0 / dof if dof != 0 else math.inf  # PyTorch's formula, even where dof <= 0
    centered = x - mean(x, axis=ctx.axes, keepdims=True)
    return centered * (_kept(ctx, grad_var) * scale)


def _moment(numpy_name: str, ctx: Any, x: Tensor, axes: Any, keepdims: bool, correction: Any):
    data = x.data
    ctx.in_shape = data.shape
    ctx.axes = axes
    ctx.keepdims = keepdims
    ctx.correction = correction
    ctx.count = _reduced_count(data.shape, axes)
    if ctx.count - correction > 0:
        out = getattr(data, numpy_name)(axis=axes, keepdims=keepdims, ddof=correction)
    else:  # PyTorch divides by max(0, N - correction), silently, giving inf or NaN
        with np.errstate(divide="ignore", invalid="ignore"):
            centered = data - data.mean(axis=axes, keepdims=True)
            out = (centered * centered).sum(axis=axes, keepdims=keepdims) / 0
            if numpy_name == "std":
                out = x.device.xp.sqrt(out)
    return _wrap(out, x, data.dtype)


class Var(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdims, correction):
        ctx.save_for_backward(x)
        return _moment("var", ctx, x, axes, keepdims, correction)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return _var_backward(ctx, x, grad), None, None, None

    @staticmethod
    def jvp(ctx, tangent, _axes, _keepdims, _correction):
        (x,) = ctx.saved_tensors
        return _var_jvp(ctx, x, tangent)


class Std(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdims, correction):
        out = _moment("std", ctx, x, axes, keepdims, correction)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        # d std = d var / (2 std); PyTorch defines it as 0 where std == 0 (a constant slice)
        flat = out == 0
        grad_var = _compare.where(flat, 0.0, grad / (_compare.where(flat, 1.0, out) * 2))
        return _var_backward(ctx, x, grad_var), None, None, None

    @staticmethod
    def jvp(ctx, tangent, _axes, _keepdims, _correction):
        x, out = ctx.saved_tensors
        flat = out == 0
        return _compare.where(
            flat, 0.0, _var_jvp(ctx, x, tangent) / (_compare.where(flat, 1.0, out) * 2)
        )


def _var_jvp(ctx: Any, x: Tensor, tangent: Tensor) -> Tensor:
    """d var = 2 / (N - correction) * sum((x - mean) * dx), in differentiable ops."""
    dof = ctx.count - ctx.correction
    scale = 2.0 / dof if dof != 0 else math.inf
    centered = x - mean(x, axis=ctx.axes, keepdims=True)
    return sum(centered * tangent, axis=ctx.axes, keepdims=ctx.keepdims) * scale


def _moment_op(fn: Any, op: str) -> Any:
    def run(
        x: Tensor,
        axis: Any = None,
        keepdims: bool = False,
        *,
        dim: Any = None,
        keepdim: Any = None,
        correction: Any = None,
        unbiased: Any = None,
        ddof: Any = None,
    ) -> Tensor:
        axes, keepdims = _reduction_axes(x, axis, dim, keepdims, keepdim, op)
        _require_float(x, op)
        return fn.apply(x, axes, keepdims, _correction(correction, unbiased, ddof, op))

    run.__name__ = op
    return run


var = _moment_op(Var, "var")
var.__doc__ = """Variance over ``axis`` with ``correction=1`` by default (PyTorch's unbiased
estimate); ``unbiased=`` (PyTorch) and ``ddof=`` (NumPy) are accepted too."""
std = _moment_op(Std, "std")
std.__doc__ = """Standard deviation: sqrt of ``var`` with the same arguments; its gradient is 0
where the result is 0."""


# ---- logsumexp -----------------------------------------------------------------------------


class LogSumExp(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdims):
        data = x.data
        xp = x.device.xp
        ctx.in_shape = data.shape
        ctx.axes = axes
        ctx.keepdims = keepdims
        if _reduced_count(data.shape, axes) == 0:
            out = data.sum(axis=axes, keepdims=keepdims) - xp.inf  # log(0) for empty slices
        else:
            shift = data.max(axis=axes, keepdims=True)
            # an infinite max would make x - max NaN: shift by 0 there (the answer is +-inf)
            shift = xp.where(xp.isfinite(shift), shift, 0).astype(data.dtype, copy=False)
            total = xp.exp(data - shift).sum(axis=axes, keepdims=True)
            with np.errstate(divide="ignore"):  # a slice of -inf sums to 0: log gives -inf
                out = xp.log(total) + shift
            if not keepdims:
                out = out.reshape(_reduced_shape(data.shape, axes))
        out = _wrap(out, x, data.dtype)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        return _kept(ctx, grad) * _unary.exp(x - _kept(ctx, out)), None, None  # softmax

    @staticmethod
    def jvp(ctx, tangent, _axes, _keepdims):
        x, out = ctx.saved_tensors
        weights = _unary.exp(x - _kept(ctx, out))  # softmax
        return sum(tangent * weights, axis=ctx.axes, keepdims=ctx.keepdims)


def _reduced_shape(shape: tuple[int, ...], axes: Any) -> tuple[int, ...]:
    if axes is None:
        return ()
    return tuple(n for d, n in enumerate(shape) if d not in axes)


def logsumexp(
    x: Tensor, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None
) -> Tensor:
    """log(sum(exp(x))) over ``axis``, computed stably; its gradient is softmax(x)."""
    axes, keepdims = _reduction_axes(x, axis, dim, keepdims, keepdim, "logsumexp")
    if x.data.dtype.kind != "f":
        x = x.to(np.float32)  # like PyTorch: integer input gives the default float dtype
    return LogSumExp.apply(x, axes, keepdims)


# ---- norm ----------------------------------------------------------------------------------


class Norm2(Function):
    @staticmethod
    def forward(ctx, x, axes, keepdims):
        data = x.data
        xp = x.device.xp
        ctx.in_shape = data.shape
        ctx.axes = axes
        ctx.keepdims = keepdims
        if axes is None and not keepdims and data.ndim <= 1:
            out = xp.sqrt(xp.dot(data, data))  # one BLAS call for the common vector case
        else:
            out = xp.sqrt((data * data).sum(axis=axes, keepdims=keepdims))
        out = _wrap(out, x, data.dtype)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        kept = _kept(ctx, out)
        # x / ||x||, defined as 0 at x == 0 (where x itself is 0, so dividing by 1 gives 0)
        safe = _compare.where(kept == 0, 1.0, kept)
        return x * (_kept(ctx, grad) / safe), None, None

    @staticmethod
    def jvp(ctx, tangent, _axes, _keepdims):
        x, out = ctx.saved_tensors
        safe = _compare.where(out == 0, 1.0, out)  # x is 0 where the norm is: 0 / 1
        return sum(x * tangent, axis=ctx.axes, keepdims=ctx.keepdims) / safe


class NormP(Function):
    """(sum |x|^p)^(1/p) for a general finite p."""

    @staticmethod
    def forward(ctx, x, axes, keepdims, p):
        data = x.data
        xp = x.device.xp
        ctx.in_shape = data.shape
        ctx.axes = axes
        ctx.keepdims = keepdims
        ctx.p = p
        out = _wrap(
            (xp.abs(data) ** p).sum(axis=axes, keepdims=keepdims) ** (1.0 / p), x, data.dtype
        )
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        p = ctx.p
        kept = _kept(ctx, out)
        flat = kept == 0
        safe = _compare.where(flat, 1.0, kept)
        scale = _compare.where(flat, 0.0, _kept(ctx, grad) / safe ** (p - 1))
        return _unary.sign(x) * _unary.abs(x) ** (p - 1) * scale, None, None, None

    @staticmethod
    def jvp(ctx, tangent, _axes, _keepdims, _p):
        x, out = ctx.saved_tensors
        p = ctx.p
        flat = out == 0
        slope = _unary.sign(x) * _unary.abs(x) ** (p - 1)
        total = sum(slope * tangent, axis=ctx.axes, keepdims=ctx.keepdims)
        return _compare.where(flat, 0.0, total / _compare.where(flat, 1.0, out) ** (p - 1))


def _norm_order(ord: Any, p: Any) -> Any:  # noqa: A002 - NumPy's name
    if ord is not None and p is not None:
        raise TypeError("norm: pass either ord= or p=, not both")
    order = ord if ord is not None else p
    if order is None or order == "fro":
        return 2
    if isinstance(order, str) or not isinstance(order, (int, float, np.integer, np.floating)):
        raise ValueError(
            f"norm: expected ord to be a number, inf, -inf or 'fro', got {order!r} "
            "(matrix norms such as 'nuc' are not supported)"
        )
    return float(order)


def norm(
    x: Tensor,
    ord: Any = None,
    axis: Any = None,
    keepdims: bool = False,  # noqa: A002
    *,
    p: Any = None,
    dim: Any = None,
    keepdim: Any = None,
) -> Tensor:
    """Vector p-norm over ``axis`` (all elements by default), like torch.linalg.vector_norm.

    ``ord``/``p``: None or 'fro' (2-norm), any real p, inf (max |x|), -inf (min |x|) and 0
    (number of non-zeros, not differentiable). The gradient of the 2-norm at 0 is 0.
    """
    if _amp.active:
        (x,) = _amp.cast_inputs("norm", x)
    axes, keepdims = _reduction_axes(x, axis, dim, keepdims, keepdim, "norm")
    _require_float(x, "norm")
    order = _norm_order(ord, p)
    if order == 2:
        return Norm2.apply(x, axes, keepdims)
    if order == math.inf or order == -math.inf:
        _require_nonempty(x, axes, "norm")
        extremum = Amax if order > 0 else Amin
        return extremum.apply(_unary.abs(x), axes, keepdims)
    if order == 1:
        return sum(_unary.abs(x), axis=axes, keepdims=keepdims)
    if order == 0:
        nonzero = (x.data != 0).sum(axis=axes, keepdims=keepdims, dtype=x.data.dtype)
        return _wrap(nonzero, x, x.data.dtype)
    return NormP.apply(x, axes, keepdims, order)


# ---- all, any ------------------------------------------------------------------------------


def _truth_reduction(numpy_name: str, op: str) -> Any:
    def run(
        x: Tensor, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: Any = None
    ) -> Tensor:
        axes, keepdims = _reduction_axes(x, axis, dim, keepdims, keepdim, op)
        return _wrap(getattr(x.data, numpy_name)(axis=axes, keepdims=keepdims), x, np.bool_)

    run.__name__ = op
    run.__doc__ = f"Whether {op} elements along ``axis`` are non-zero (bool, not differentiable)."
    return run


all = _truth_reduction("all", "all")  # noqa: A001
any = _truth_reduction("any", "any")  # noqa: A001


# ---- cumsum --------------------------------------------------------------------------------


class Cumsum(Function):
    @staticmethod
    def forward(ctx, x, axis, dtype):
        ctx.axis = axis
        ctx.in_dtype = x.data.dtype
        if dtype is None:
            dtype = _int_accumulator(x.data.dtype)
        return Tensor._make(x.data.cumsum(axis=axis, dtype=dtype), x.device)

    @staticmethod
    def backward(ctx, grad):
        out = ReverseCumsum.apply(grad, ctx.axis)
        if out.dtype != ctx.in_dtype:
            out = out.to(ctx.in_dtype)
        return out, None, None

    @staticmethod
    def jvp(ctx, tangent, _axis, _dtype):
        return Cumsum.apply(tangent, ctx.axis, None)


class ReverseCumsum(Function):
    """Sums from the end: the adjoint of cumsum (and cumsum is its adjoint)."""

    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        xp = x.device.xp
        return Tensor._make(xp.flip(xp.flip(x.data, axis).cumsum(axis=axis), axis), x.device)

    @staticmethod
    def backward(ctx, grad):
        return Cumsum.apply(grad, ctx.axis, None), None

    @staticmethod
    def jvp(ctx, tangent, _axis):
        return ReverseCumsum.apply(tangent, ctx.axis)


def cumsum(x: Tensor, axis: Any = None, *, dim: Any = None, dtype: Any = None) -> Tensor:
    """Running sum along ``axis``; axis=None runs over the flattened tensor (NumPy's rule)."""
    _tensor_arg(x, "cumsum")
    axis, _ = axis_kwargs(axis, dim, False, None, "cumsum")
    if axis is not None and not isinstance(axis, (int, np.integer)):
        raise TypeError(f"cumsum: axis must be an int or None, got {axis!r}")
    if axis is None:
        return Cumsum.apply(_shape.reshape(x, -1), 0, dtype)
    (axis,) = normalize_axis(axis, x.data.ndim, "cumsum")
    if x.data.ndim == 0:
        return _shape.reshape(Cumsum.apply(_shape.reshape(x, 1), 0, dtype), ())
    return Cumsum.apply(x, axis, dtype)
