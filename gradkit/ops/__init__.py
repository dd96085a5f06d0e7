"""Differentiable operations, one module per family. Everything here is also gk.<name>."""

from . import arithmetic, cast, compare, reduce, shape, unary
from .activation import elu, gelu, hardtanh, leaky_relu, relu, relu6, silu, softplus
from .arithmetic import (
    add,
    div,
    divide,
    floor_divide,
    mul,
    multiply,
    neg,
    negative,
    pow,
    remainder,
    sub,
    subtract,
    true_divide,
)
from .cast import cast as cast_to
from .cast import clone, contiguous, to_device
from .compare import (
    clamp,
    clip,
    eq,
    ge,
    gt,
    isfinite,
    isinf,
    isnan,
    le,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    lt,
    maximum,
    minimum,
    ne,
    where,
)
from .einsum import einsum
from .index import (
    gather,
    getitem,
    index_add,
    index_put,
    index_select,
    scatter_add,
    take_along_axis,
)
from .linalg import bmm, dot, linear, matmul, mm, outer
from .reduce import (
    all,
    amax,
    amin,
    any,
    argmax,
    argmin,
    cumsum,
    logsumexp,
    max,
    mean,
    min,
    norm,
    prod,
    std,
    sum,
    var,
)
from .shape import (
    broadcast_to,
    cat,
    chunk,
    concat,
    concatenate,
    expand,
    flatten,
    flip,
    movedim,
    narrow,
    pad,
    permute,
    repeat,
    repeat_interleave,
    reshape,
    roll,
    split,
    squeeze,
    stack,
    swapaxes,
    tile,
    transpose,
    unbind,
    unsqueeze,
    view,
)
from .softmax import log_softmax, softmax
from .unary import (
    abs,
    ceil,
    cos,
    exp,
    expm1,
    floor,
    log,
    log1p,
    reciprocal,
    round,
    rsqrt,
    sigmoid,
    sign,
    sin,
    sqrt,
    square,
    tan,
    tanh,
    trunc,
)

cast = cast.cast  # the function, not the module, is what callers want under this name

__all__ = [name for name in dir() if not name.startswith("_")]
