"""Indexing: x[...] with ints, slices, Ellipsis, None, integer arrays and boolean masks."""

from __future__ import annotations

from typing import Any

from ..autograd.function import Function
from ..tensor import Tensor
from .shape import _view_of


def array_index(index: Any, x: Tensor) -> Any:
    """Replace Tensors inside an index by their arrays (checking devices)."""
    if isinstance(index, tuple):
        return tuple(_one_index(i, x) for i in index)
    return _one_index(index, x)


def _one_index(i: Any, x: Tensor) -> Any:
    if isinstance(i, Tensor):
        if i.device is not x.device:
            raise RuntimeError(f"index: the index is on {i.device} but the tensor is on {x.device}")
        if i.dtype.kind not in "iub":
            raise IndexError(f"index: tensors used as indices must be integer or bool, got {i.dtype}")
        return i.data
    if isinstance(i, list):
        return x.device.xp.asarray(i)
    return i


def _is_basic(index: Any) -> bool:
    """Basic indexing (ints, slices, None, Ellipsis) returns a view in NumPy."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, slice)) or i is None or i is Ellipsis for i in items)


class GetItem(Function):
    @staticmethod
    def forward(ctx, x, index):
        ctx.in_shape = x.data.shape
        ctx.index = index
        try:
            data = x.data[index]
        except IndexError as error:
            raise IndexError(f"getitem: {error} (tensor shape {tuple(x.shape)})") from None
        if _is_basic(index):
            return _view_of(x, data)
        return Tensor._make(data, x.device)

    @staticmethod
    def backward(ctx, grad):
        return IndexBackward.apply(grad, ctx.in_shape, ctx.index), None


class IndexBackward(Function):
    """Scatter-add a gradient into zeros of the input's shape (repeated indices accumulate)."""

    @staticmethod
    def forward(ctx, grad, in_shape, index):
        ctx.index = index
        xp = grad.device.xp
        out = xp.zeros(in_shape, dtype=grad.data.dtype)
        if _is_basic(index):
            out[index] = grad.data
        else:
            xp.add.at(out, index, grad.data) if xp.__name__ == "numpy" else _scatter_add(
                out, index, grad.data)
        return Tensor._make(out, grad.device)

    @staticmethod
    def backward(ctx, grad_grad):
        return getitem(grad_grad, ctx.index, _raw=True), None, None


def _scatter_add(out: Any, index: Any, values: Any) -> None:
    import cupyx

    cupyx.scatter_add(out, index, values)


def getitem(x: Tensor, index: Any, _raw: bool = False) -> Tensor:
    if not _raw:
        index = array_index(index, x)
    return GetItem.apply(x, index)


class IndexPut(Function):
    """out = x with out[index] = value; gradient: x gets grad with zeros at index."""

    @staticmethod
    def forward(ctx, x, index, value):
        ctx.index = index
        out = x.data.copy()
        vd = value.data if isinstance(value, Tensor) else value
        try:
            out[index] = vd
        except (IndexError, ValueError) as error:
            raise type(error)(f"setitem: {error} (tensor shape {tuple(x.shape)})") from None
        ctx.value_meta = (vd.shape, vd.dtype) if isinstance(value, Tensor) else None
        return Tensor._make(out, x.device)

    @staticmethod
    def backward(ctx, grad):
        from .broadcast_grad import grad_like

        need_x, _, need_v = ctx.needs_input_grad
        grad_x = grad_v = None
        if need_x:
            grad_x = IndexPut.apply(grad, ctx.index, 0.0)
        if need_v:
            picked = getitem(grad, ctx.index, _raw=True)
            grad_v = grad_like(picked, *ctx.value_meta)
        return grad_x, None, grad_v


def index_put(x: Tensor, index: Any, value: Any) -> Tensor:
    index = array_index(index, x)
    if isinstance(value, Tensor) and value.device is not x.device:
        raise RuntimeError(f"setitem: the value is on {value.device} but the tensor is on {x.device}")
    return IndexPut.apply(x, index, value)
