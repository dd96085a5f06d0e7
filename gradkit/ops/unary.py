"""Elementwise unary math: exp/log family, powers, trigonometry, rounding, sign.

Each differentiable op is one row of a table: how to compute it on an array, whether its
derivative is best written from the input or from the output, and that derivative as one
expression `rule(grad, saved, math)`. The same expression serves both backward paths: with
gradkit Tensors and ops (`math` = this module) when a graph is being recorded, so higher
derivatives work; with raw arrays (`math` = numpy/cupy) otherwise, in one fused pass.
Elementwise Jacobians are diagonal, so the jvp rule is the same expression applied to tangents.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from ..amp import autocast_state as _amp
from ..autograd.function import Function
from ..tensor import Tensor
from ._util import records


def _float_input(x: Any, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    if x.data.dtype.kind != "f":
        # integer inputs compute in float32, PyTorch's default dtype, never float64
        return Tensor._make(x.data.astype(np.float32), x.device)
    return x


def _stable_sigmoid(xp: Any, data: Any) -> Any:
    # exp of a non-positive number only, so large |x| neither overflows nor warns
    e = xp.exp(-xp.abs(data))
    return xp.where(data >= 0, 1 / (1 + e), e / (1 + e)).astype(data.dtype, copy=False)


def _elementwise(
    name: str, compute: Callable, saves: str, rule: Callable, float_only: bool = True
) -> type[Function]:
    """The Function for y = compute(xp, x) with dy = rule(dx, saved, math)."""

    def forward(ctx: Any, x: Any) -> Tensor:
        x = _float_input(x, name) if float_only else x
        out = Tensor._make(compute(x.device.xp, x.data), x.device)
        ctx.save_for_backward(out if saves == "out" else x)
        return out

    def backward(ctx: Any, grad: Tensor) -> Tensor:
        (saved,) = ctx.saved_tensors
        if records(grad, saved):  # differentiable, for higher derivatives
            return rule(grad, saved, _this_module)
        return Tensor._make(rule(grad.data, saved.data, saved.device.xp), grad.device)

    cls = type(
        name.capitalize(),
        (Function,),
        {
            "forward": staticmethod(forward),
            "backward": staticmethod(backward),
            "jvp": staticmethod(backward),
            "__module__": __name__,
            "__doc__": f"Elementwise {name}, differentiable to any order.",
        },
    )
    return cls


def _ufunc(numpy_name: str) -> Callable:
    return lambda xp, data: getattr(xp, numpy_name)(data)


Exp = _elementwise("exp", _ufunc("exp"), "out", lambda g, y, m: g * y)
Expm1 = _elementwise("expm1", _ufunc("expm1"), "out", lambda g, y, m: g * (y + 1))
Log = _elementwise("log", _ufunc("log"), "x", lambda g, x, m: g / x)
Log1p = _elementwise("log1p", _ufunc("log1p"), "x", lambda g, x, m: g / (x + 1))
Sqrt = _elementwise("sqrt", _ufunc("sqrt"), "out", lambda g, y, m: g / (y * 2))
Rsqrt = _elementwise(
    "rsqrt", lambda xp, d: 1 / xp.sqrt(d), "out", lambda g, y, m: g * y * y * y * -0.5
)
Sin = _elementwise("sin", _ufunc("sin"), "x", lambda g, x, m: g * m.cos(x))
Cos = _elementwise("cos", _ufunc("cos"), "x", lambda g, x, m: -g * m.sin(x))
Tan = _elementwise("tan", _ufunc("tan"), "out", lambda g, y, m: g * (y * y + 1))
Tanh = _elementwise("tanh", _ufunc("tanh"), "out", lambda g, y, m: g * (1 - y * y))
Sigmoid = _elementwise("sigmoid", _stable_sigmoid, "out", lambda g, y, m: g * y * (1 - y))
Abs = _elementwise("abs", _ufunc("abs"), "x", lambda g, x, m: g * m.sign(x), float_only=False)
Reciprocal = _elementwise("reciprocal", lambda xp, d: 1 / d, "out", lambda g, y, m: -g * y * y)


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

_this_module = sys.modules[__name__]
