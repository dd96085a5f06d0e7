"""Activation functions: relu, leaky_relu, gelu (exact and tanh), silu, softplus, elu, hardtanh,
relu6.

The forward and the plain backward are the device's fused primitives (one pass each). When
the backward itself is recorded (create_graph=True), the derivative is written in
differentiable ops instead, so second and higher derivatives are exact.
"""

from __future__ import annotations

from typing import Any

from ..autograd.function import Function
from ..tensor import Tensor
from . import compare as _compare
from . import unary as _unary
from ._util import records

_INV_SQRT_TWO_PI = 0.3989422804014327  # 1 / sqrt(2 pi)
_SQRT_TWO_OVER_PI = 0.7978845608028654  # sqrt(2 / pi)
_GELU_TANH_CUBIC = 0.044715


class Activation(Function):
    """One of the primitive table's activation kinds, with its parameters as keywords."""

    @staticmethod
    def forward(ctx, x, kind, params):
        ctx.kind = kind
        ctx.params = params
        ctx.save_for_backward(x)
        out = x.device.primitives.activation_forward(x.data, kind, **params)
        return Tensor._make(out, x.device)

    @staticmethod
    def backward(ctx, grad):
        return _times_slope(ctx, grad), None, None

    @staticmethod
    def jvp(ctx, tangent, _kind, _params):
        return _times_slope(ctx, tangent)  # elementwise: the Jacobian is diagonal


def _times_slope(ctx: Activation, v: Tensor) -> Tensor:
    """v * activation'(x): one fused primitive pass, or differentiable ops when recording."""
    (x,) = ctx.saved_tensors
    if records(v, x):
        return _DERIVATIVES[ctx.kind](v, x, **ctx.params)
    data = v.data if v.dtype == x.dtype else v.data.astype(x.dtype)
    data = x.device.primitives.activation_backward(data, x.data, None, ctx.kind, **ctx.params)
    return Tensor._make(data, x.device)


class GeluSlope(Function):
    """d gelu(x) / dx = Phi(x) + x * phi(x), from the primitive; its own derivative in ops."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        ones = x.device.xp.ones_like(x.data)
        return Tensor._make(
            x.device.primitives.activation_backward(ones, x.data, None, "gelu"), x.device
        )

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        x_squared = x * x
        density = _unary.exp(x_squared * -0.5) * _INV_SQRT_TWO_PI
        return grad * density * (2.0 - x_squared)

    jvp = backward  # elementwise: the Jacobian is diagonal


# ---- first derivatives in differentiable ops (the create_graph=True path) -------------------
def _relu_grad(grad: Tensor, x: Tensor) -> Tensor:
    return _compare.where(x > 0.0, grad, 0.0)


def _leaky_relu_grad(grad: Tensor, x: Tensor, negative_slope: float) -> Tensor:
    return _compare.where(x > 0.0, grad, grad * negative_slope)


def _gelu_grad(grad: Tensor, x: Tensor) -> Tensor:
    return grad * GeluSlope.apply(x)


def _gelu_tanh_grad(grad: Tensor, x: Tensor) -> Tensor:
    x_squared = x * x
    t = _unary.tanh((x + x_squared * x * _GELU_TANH_CUBIC) * _SQRT_TWO_OVER_PI)
    inner_slope = (x_squared * (3.0 * _GELU_TANH_CUBIC) + 1.0) * _SQRT_TWO_OVER_PI
    return grad * ((t + 1.0) * 0.5 + x * (1.0 - t * t) * inner_slope * 0.5)


def _silu_grad(grad: Tensor, x: Tensor) -> Tensor:
    s = _unary.sigmoid(x)
    return grad * (s * (x * (1.0 - s) + 1.0))


def _softplus_grad(grad: Tensor, x: Tensor, beta: float, threshold: float) -> Tensor:
    scaled = x * beta
    return _compare.where(scaled > threshold, grad, grad * _unary.sigmoid(scaled))


_DERIVATIVES = {
    "relu": _relu_grad,
    "leaky_relu": _leaky_relu_grad,
    "gelu": _gelu_grad,
    "gelu_tanh": _gelu_tanh_grad,
    "silu": _silu_grad,
    "softplus": _softplus_grad,
}


def _float_tensor(x: Any, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating point tensor, got dtype {x.dtype}")
    return x


def _number(value: Any, op: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{op}: expected {name} to be a number, got {value!r}")
    return float(value)


def relu(x: Tensor) -> Tensor:
    """max(x, 0); integer tensors give an integer result (no gradient)."""
    if isinstance(x, Tensor) and x.dtype.kind in "iu":
        return Tensor._make(x.device.xp.maximum(x.data, 0), x.device)
    return Activation.apply(_float_tensor(x, "relu"), "relu", {})


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, else negative_slope * x."""
    slope = _number(negative_slope, "leaky_relu", "negative_slope")
    return Activation.apply(_float_tensor(x, "leaky_relu"), "leaky_relu", {"negative_slope": slope})


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) (``approximate='none'``, via erf) or PyTorch's tanh approximation."""
    kinds = {"none": "gelu", "tanh": "gelu_tanh"}
    if approximate not in kinds:
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return Activation.apply(_float_tensor(x, "gelu"), kinds[approximate], {})


def silu(x: Tensor) -> Tensor:
    """x * sigmoid(x) (also called swish)."""
    return Activation.apply(_float_tensor(x, "silu"), "silu", {})


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta, and x itself where beta * x > threshold."""
    params = {
        "beta": _number(beta, "softplus", "beta"),
        "threshold": _number(threshold, "softplus", "threshold"),
    }
    if params["beta"] == 0:
        raise ValueError("softplus: beta must be non-zero, got 0")
    return Activation.apply(_float_tensor(x, "softplus"), "softplus", params)


# ---- activations the primitive table does not provide: plain array code ---------------------
class Elu(Function):
    @staticmethod
    def forward(ctx, x, alpha):
        xp = x.device.xp
        data = x.data
        # expm1 only of non-positive values: no overflow warning where the branch is unused
        out = xp.where(data > 0, data, xp.expm1(xp.minimum(data, 0)) * alpha)
        out = Tensor._make(out.astype(data.dtype, copy=False), x.device)
        ctx.alpha = alpha
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        # below zero the slope alpha * exp(x) equals out + alpha
        return _compare.where(x > 0.0, grad, grad * (out + ctx.alpha)), None

    @staticmethod
    def jvp(ctx, tangent, _alpha):
        return Elu.backward(ctx, tangent)[0]


class Hardtanh(Function):
    @staticmethod
    def forward(ctx, x, min_val, max_val):
        data = x.data
        ctx.inside = (data > min_val) & (data < max_val)
        out = x.device.xp.clip(data, min_val, max_val).astype(data.dtype, copy=False)
        return Tensor._make(out, x.device)

    @staticmethod
    def backward(ctx, grad):
        inside = Tensor._make(ctx.inside, grad.device)
        return _compare.where(inside, grad, 0.0), None, None

    @staticmethod
    def jvp(ctx, tangent, _min_val, _max_val):
        return Hardtanh.backward(ctx, tangent)[0]


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """x where x > 0, else alpha * (exp(x) - 1)."""
    return Elu.apply(_float_tensor(x, "elu"), _number(alpha, "elu", "alpha"))


def hardtanh(x: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """x clipped to [min_val, max_val]; the gradient is zero outside (and on) the bounds."""
    low, high = _number(min_val, "hardtanh", "min_val"), _number(max_val, "hardtanh", "max_val")
    if low > high:
        raise ValueError(f"hardtanh: expected min_val <= max_val, got {low} and {high}")
    return Hardtanh.apply(_float_tensor(x, "hardtanh"), low, high)


def relu6(x: Tensor) -> Tensor:
    """min(max(x, 0), 6)."""
    return hardtanh(x, 0.0, 6.0)
