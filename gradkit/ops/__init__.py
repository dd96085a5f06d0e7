"""Differentiable operations, one module per family. Everything here is also gk.<name>."""

from . import arithmetic, cast, compare, reduce, shape, unary
from .arithmetic import (
    add, div, divide, floor_divide, mul, multiply, neg, negative, pow, remainder, sub,
    subtract, true_divide,
)
from .cast import cast as cast_to, clone, contiguous, to_device
from .compare import eq, ge, gt, le, lt, ne, where
from .reduce import mean, sum
from .shape import broadcast_to, permute, reshape, swapaxes
from .unary import (
    abs, ceil, cos, exp, expm1, floor, log, log1p, reciprocal, round, rsqrt, sigmoid, sign,
    sin, sqrt, square, tan, tanh, trunc,
)

cast = cast.cast  # the function, not the module, is what callers want under this name

__all__ = [name for name in dir() if not name.startswith("_")]
