"""Tensor's operators and methods, bound to the op functions once ops exist."""

from __future__ import annotations

from typing import Any

from . import ops


def _reflect(fn: Any) -> Any:
    def reflected(self: Any, other: Any) -> Any:
        return fn(other, self)

    reflected.__name__ = f"r{fn.__name__}"
    return reflected


def _shape_method(fn: Any) -> Any:
    def method(self: Any, *shape: Any) -> Any:
        return fn(self, *shape)

    method.__name__ = fn.__name__
    return method


def bind_methods(cls: type) -> None:
    """Operators and methods that map one-to-one onto op functions."""
    direct = {
        "__add__": ops.add,
        "__radd__": ops.add,
        "__sub__": ops.sub,
        "__rsub__": _reflect(ops.sub),
        "__mul__": ops.mul,
        "__rmul__": ops.mul,
        "__truediv__": ops.div,
        "__rtruediv__": _reflect(ops.div),
        "__floordiv__": ops.floor_divide,
        "__rfloordiv__": _reflect(ops.floor_divide),
        "__mod__": ops.remainder,
        "__rmod__": _reflect(ops.remainder),
        "__pow__": ops.pow,
        "__rpow__": _reflect(ops.pow),
        "__neg__": ops.neg,
        "__abs__": ops.abs,
        "__eq__": ops.eq,
        "__ne__": ops.ne,
        "__lt__": ops.lt,
        "__le__": ops.le,
        "__gt__": ops.gt,
        "__ge__": ops.ge,
        "add": ops.add,
        "sub": ops.sub,
        "mul": ops.mul,
        "div": ops.div,
        "pow": ops.pow,
        "neg": ops.neg,
        "remainder": ops.remainder,
        "floor_divide": ops.floor_divide,
        "eq": ops.eq,
        "ne": ops.ne,
        "lt": ops.lt,
        "le": ops.le,
        "gt": ops.gt,
        "ge": ops.ge,
        "clone": ops.clone,
        "contiguous": ops.contiguous,
        "sum": ops.sum,
        "mean": ops.mean,
        "broadcast_to": ops.broadcast_to,
        "swapaxes": ops.swapaxes,
        "swapdims": ops.swapaxes,
        "transpose": _transpose,
        "reshape": _shape_method(ops.reshape),
        "view": _shape_method(ops.reshape),
        "permute": _shape_method(ops.permute),
        "expand": ops.expand,
        "__matmul__": ops.matmul,
        "__rmatmul__": _reflect(ops.matmul),
    }
    direct.update(_shape_and_index_methods())
    for name in (
        "abs",
        "exp",
        "expm1",
        "log",
        "log1p",
        "sqrt",
        "rsqrt",
        "sin",
        "cos",
        "tan",
        "tanh",
        "sigmoid",
        "sign",
        "floor",
        "ceil",
        "round",
        "trunc",
        "reciprocal",
        "square",
        "where",
        "prod",
        "max",
        "min",
        "amax",
        "amin",
        "argmax",
        "argmin",
        "var",
        "std",
        "logsumexp",
        "norm",
        "all",
        "any",
        "cumsum",
        "clamp",
        "clip",
        "maximum",
        "minimum",
        "isfinite",
        "isnan",
        "isinf",
        "logical_and",
        "logical_or",
        "logical_xor",
        "logical_not",
        "matmul",
        "mm",
        "bmm",
        "dot",
        "outer",
        "softmax",
        "log_softmax",
        "relu",
        "leaky_relu",
        "gelu",
        "silu",
        "softplus",
        "elu",
        "hardtanh",
        "relu6",
    ):
        direct[name] = getattr(ops, name)
    for name, fn in direct.items():
        setattr(cls, name, fn)
    cls.__pos__ = lambda self: self
    from .dlpack import tensor_dlpack, tensor_dlpack_device  # DLPack export (gk.from_dlpack)

    cls.__dlpack__ = tensor_dlpack
    cls.__dlpack_device__ = tensor_dlpack_device
    cls.__iadd__ = _inplace(ops.add)
    cls.__isub__ = _inplace(ops.sub)
    cls.__imul__ = _inplace(ops.mul)
    cls.__itruediv__ = _inplace(ops.div)
    bind_inplace_methods(cls)


def _transpose(self: Any, dim0: int = -2, dim1: int = -1) -> Any:
    if self.ndim < 2 and (dim0, dim1) == (-2, -1):
        return self
    return ops.swapaxes(self, dim0, dim1)


def _shape_and_index_methods() -> dict:
    """Methods of the shape and indexing families (PyTorch's names)."""
    methods = {
        name: getattr(ops, name)
        for name in (
            "flatten",
            "squeeze",
            "unsqueeze",
            "split",
            "chunk",
            "repeat",
            "tile",
            "flip",
            "roll",
            "movedim",
            "narrow",
            "unbind",
            "repeat_interleave",
            "gather",
            "index_select",
            "scatter_add",
            "index_add",
            "index_put",
            "take_along_axis",
        )
    }
    methods["moveaxis"] = ops.movedim
    methods["expand_as"] = lambda self, other: ops.broadcast_to(self, other.shape)
    methods["view_as"] = lambda self, other: ops.reshape(self, other.shape)
    methods["reshape_as"] = lambda self, other: ops.reshape(self, other.shape)
    return methods


def _inplace(fn: Any) -> Any:
    def method(self: Any, other: Any) -> Any:
        from .ops.inplace import apply_inplace

        return apply_inplace(self, fn, other)

    method.__name__ = f"__i{fn.__name__}__"
    return method


def bind_inplace_methods(cls: type) -> None:
    from .ops import inplace

    cls.fill_ = inplace.fill_
    cls.zero_ = inplace.zero_
    for fn in (ops.add, ops.sub, ops.mul, ops.div):  # PyTorch's add_ sub_ mul_ div_
        method = _inplace(fn)
        method.__name__ = f"{fn.__name__}_"
        setattr(cls, method.__name__, method)
    cls.copy_ = inplace.copy_
    cls.__setitem__ = inplace.setitem
    from .ops.index import getitem

    cls.__getitem__ = getitem
