"""Elementwise unary math: exp/log family, powers, trigonometry, rounding, sign."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..amp import autocast_state as _amp
from ..autograd.function import Function
from ..tensor import Tensor
from ._util import records


def _fused(like: Tensor, data: Any) -> Tensor:
    """A first-order gradient computed in one array expression (nothing will differentiate it)."""
    return Tensor._make(data, like.device)


def _float_input(x: Any, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    if x.data.dtype.kind != "f":
        # integer inputs compute in float32, PyTorch's default dtype, never float64
        return Tensor._make(x.data.astype(np.float32), x.device)
    return x


def _unary(op: str, numpy_name: str) -> Any:
    """Forward helper: apply the array module's ufunc ``numpy_name``."""

    def run(x: Tensor) -> Tensor:
        x = _float_input(x, op)
        return Tensor._make(getattr(x.device.xp, numpy_name)(x.data), x.device)

    return run


class Exp(Function):
    @staticmethod
    def forward(ctx, x):
        out = _exp(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        if records(grad, out):  # differentiable, for higher derivatives
            return grad * out
        return _fused(grad, grad.data * out.data)

    jvp = backward  # elementwise: the Jacobian is diagonal (and symmetric)


class Expm1(Function):
    @staticmethod
    def forward(ctx, x):
        out = _expm1(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        if records(grad, out):  # differentiable, for higher derivatives
            return grad * (out + 1)
        return _fused(grad, grad.data * (out.data + 1))

    jvp = backward  # elementwise: the Jacobian is diagonal (and symmetric)


class Log(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _log(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if records(grad, x):  # differentiable, for higher derivatives
            return grad / x
        return _fused(grad, grad.data / x.data)

    jvp = backward  # elementwise: the Jacobian is diagonal (and symmetric)


class Log1p(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _log1p(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if records(grad, x):  # differentiable, for higher derivatives
            return grad / (x + 1)
        return _fused(grad, grad.data / (x.data + 1))

    jvp = backward  # elementwise: the Jacobian is diagonal (and symmetric)


class Sqrt(Function):
    @staticmethod
    def forward(ctx, x):
        out = _sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        if records(grad, out):  # differentiable, for higher derivatives
            return grad / (out * 2)
        return _fused(grad, grad.data / (out.data * 2))

    jvp = backward  # elementwise: the Jacobian is diagonal (and symmetric)


class Rsqrt(Function):
    @staticmethod
    def forward(ctx, x):
        x = _float_input(x, "rsqrt")
        out = Tensor._make(1 / x.device.xp.sqrt(x.data), x.device)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        if records(grad, out):  # differentiable, for higher derivatives
            return grad * out * out * out * -0.5
        return _fused(grad, grad.data * out.data**3 * -0.5)

    jvp = backward  # elementwise: the Jacobian is diagonal (and symmetric)


class Sin(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if records(grad, x):  # differentiable, for higher derivatives
            return grad * cos(x)
        return _fused(grad, grad.data * x.device.xp.cos(x.data))

    jvp = backward  # elementwise: the Jacobian is diagonal (and symmetric)


class Cos(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return _cos(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if records(grad, x):  # differentiable, for higher derivatives
            return -grad * sin(x)
        return _fused(grad, -grad.data * x.device.xp.sin(x.data))

    jvp = backward  # elementwise: the Jacobian is diagonal (and symmetric)


class Tan(Function):
    @staticmethod
    def forward(ctx, x):
        out = _tan(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        if records(grad, out):  # differentiable, for higher derivatives
            return grad * (out * out + 1)
        return _fused(grad, grad.data * (out.data * out.data + 1))

    jvp = backward  # elementwise: the Jacobian is diagonal (and symmetric)


class Tanh(Function):
    @staticmethod
    def forward(ctx, x):
        out = _tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        if records(grad, out):  # differentiable, for higher derivatives
            return grad * (1 - out * out)
        return _fused(grad, grad.data * (1 - out.data * out.data))

    jvp = backward  # elementwise: the Jacobian is diagonal (and symmetric)


class Sigmoid(Function):
    @staticmethod
    def forward(ctx, x):
        x = _float_input(x, "sigmoid")
        xp = x.device.xp
        data = x.data
        # exp of a non-positive number only, so large |x| neither overflows nor warns
        e = xp.exp(-xp.abs(data))
        out = xp.where(data >= 0, 1 / (1 + e), e / (1 + e)).astype(data.dtype, copy=False)
        out = Tensor._make(out, x.device)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        if records(grad, out):  # differentiable, for higher derivatives
            return grad * out * (1 - out)
        return _fused(grad, grad.data * out.data * (1 - out.data))

    jvp = backward  # elementwise: the Jacobian is diagonal (and symmetric)


class Abs(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return Tensor._make(x.device.xp.abs(x.data), x.device)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if records(grad, x):  # differentiable, for higher derivatives
            return grad * sign(x)
        return _fused(grad, grad.data * x.device.xp.sign(x.data))

    jvp = backward  # elementwise: the Jacobian is diagonal (and symmetric)


class Reciprocal(Function):
    @staticmethod
    def forward(ctx, x):
        x = _float_input(x, "reciprocal")
        out = Tensor._make(1 / x.data, x.device)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        if records(grad, out):  # differentiable, for higher derivatives
            return -grad * out * out
        return _fused(grad, -grad.data * out.data * out.data)

    jvp = backward  # elementwise: the Jacobian is diagonal (and symmetric)


_exp = _unary("exp", "exp")
_expm1 = _unary("expm1", "expm1")
_log = _unary("log", "log")
_log1p = _unary("log1p", "log1p")
_sqrt = _unary("sqrt", "sqrt")
_sin = _unary("sin", "sin")
_cos = _unary("cos", "cos")
_tan = _unary("tan", "tan")
_tanh = _unary("tanh", "tanh")


def exp(x: Tensor) -> Tensor:
    if _amp.active:
        (x,) = _amp.cast_inputs("exp", x)
    return Exp.apply(x)


def expm1(x: Tensor) -> Tensor:
    return Expm1.apply(x)


def log(x: Tensor) -> Tensor:
    if _amp.active:
        (x,) = _amp.cast_inputs("log", x)
    return Log.apply(x)


def log1p(x: Tensor) -> Tensor:
    return Log1p.apply(x)


def sqrt(x: Tensor) -> Tensor:
    return Sqrt.apply(x)


def rsqrt(x: Tensor) -> Tensor:
    return Rsqrt.apply(x)


def sin(x: Tensor) -> Tensor:
    return Sin.apply(x)


def cos(x: Tensor) -> Tensor:
    return Cos.apply(x)


def tan(x: Tensor) -> Tensor:
    return Tan.apply(x)


def tanh(x: Tensor) -> Tensor:
    return Tanh.apply(x)


def sigmoid(x: Tensor) -> Tensor:
    return Sigmoid.apply(x)


def abs(x: Tensor) -> Tensor:  # noqa: A001 - PyTorch's name
    return Abs.apply(x)


def reciprocal(x: Tensor) -> Tensor:
    return Reciprocal.apply(x)


def square(x: Tensor) -> Tensor:
    return x * x


def _piecewise_constant(numpy_name: str) -> Any:
    """sign/floor/ceil/round/trunc: zero gradient almost everywhere, so no graph at all."""

    def run(x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            raise TypeError(f"{numpy_name}: expected a Tensor, got {type(x).__name__}")
        return Tensor._make(getattr(x.device.xp, numpy_name)(x.data), x.device)

    run.__name__ = numpy_name
    return run


sign = _piecewise_constant("sign")
floor = _piecewise_constant("floor")
ceil = _piecewise_constant("ceil")
round = _piecewise_constant("round")  # noqa: A001
trunc = _piecewise_constant("trunc")
