"""Indexing: x[...] with ints, slices, Ellipsis, None, integer arrays and boolean masks; the
out-of-place update index_put (what ``x[idx] = v`` records); and the axis-wise pickers and
scatters built on them: gather, take_along_axis, index_select, scatter_add, index_add."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd.function import Function
from ..backend.determinism import are_deterministic_algorithms_enabled, deterministic_add_at
from ..tensor import Tensor
from .shape import _dim, _view_of


# ---- turning a user's index into one NumPy/CuPy understands ---------------------------------
def array_index(index: Any, x: Tensor, op: str = "index") -> Any:
    """Replace Tensors and lists inside an index by arrays on x's device (checking devices
    and dtypes: only integer and bool arrays can index)."""
    if isinstance(index, tuple):
        return tuple(_one_index(i, x, op) for i in index)
    return _one_index(index, x, op)


def _one_index(i: Any, x: Tensor, op: str) -> Any:
    if isinstance(i, Tensor):
        if i.device is not x.device:
            raise RuntimeError(f"{op}: the index is on {i.device} but the tensor is on {x.device}")
        if i.dtype.kind not in "iub":
            raise IndexError(
                f"{op}: tensors used as indices must be integer or bool, got {i.dtype}"
            )
        return i.data
    if isinstance(i, (list, np.ndarray)) or hasattr(i, "__cuda_array_interface__"):
        host = np.asarray(i.get() if hasattr(i, "get") and not isinstance(i, np.ndarray) else i)
        if host.size == 0 and host.dtype.kind == "f":
            host = host.astype(np.int64)  # [] means "no elements", not a float index
        if host.dtype.kind not in "iub":
            raise IndexError(
                f"{op}: arrays used as indices must be integer or bool, got {host.dtype}"
            )
        return x.device.xp.asarray(host)
    if isinstance(i, (float, complex, np.floating)):
        raise IndexError(
            f"{op}: only integers, slices, Ellipsis, None and integer or bool arrays are valid "
            f"indices, got {type(i).__name__} {i!r}"
        )
    return i


def _items(index: Any) -> tuple:
    return index if isinstance(index, tuple) else (index,)


def _is_basic_item(i: Any) -> bool:
    if isinstance(i, (bool, np.bool_)):
        return False  # x[True] adds a dim through NumPy's advanced (copying) path
    return isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis


def _is_basic(index: Any) -> bool:
    """Basic indexing (ints, slices, None, Ellipsis) returns a view in NumPy."""
    return all(_is_basic_item(i) for i in _items(index))


def _may_repeat(index: Any) -> bool:
    """Only integer arrays can name an element twice (masks and slices cannot)."""
    return any(hasattr(i, "dtype") and i.dtype.kind in "iu" and i.size > 1 for i in _items(index))


def _indexed(data: Any, index: Any, xp: Any) -> Any:
    """data[index] as an array: NumPy returns a scalar for a full integer index, so ask for a
    0-d view instead (appending Ellipsis) to keep view semantics."""
    out = data[index]
    if isinstance(out, xp.ndarray):
        return out
    items = _items(index)
    if _is_basic(index) and not any(i is Ellipsis for i in items):
        return data[items + (Ellipsis,)]
    return xp.asarray(out)


def _add_at(out: Any, index: Any, values: Any, xp: Any) -> None:
    """out[index] += values, where repeated indices accumulate."""
    if xp.__name__ != "numpy":
        if are_deterministic_algorithms_enabled():
            deterministic_add_at(out, index, values, xp)
            return
        import cupyx

        cupyx.scatter_add(out, index, values)
        return
    axis = _single_array_axis(index, out.ndim)
    if axis is None:
        np.add.at(out, index, values)
    else:
        _add_rows_at(out, axis, _items(index)[axis], values)


def _single_array_axis(index: Any, ndim: int) -> int | None:
    """The axis of the one integer array in an index whose other items are all ``:``
    (x[idx], x[:, idx], index_select): the case np.add.at is slow at and sorting is not."""
    items = _items(index)
    axis = None
    for position, item in enumerate(items):
        if hasattr(item, "dtype") and item.dtype.kind in "iu":
            if axis is not None:
                return None
            axis = position
        elif not (isinstance(item, slice) and item == slice(None)):
            return None
    return axis if axis is not None and len(items) <= ndim else None


def _add_rows_at(out: np.ndarray, axis: int, idx: np.ndarray, values: Any) -> None:
    """Sort the indices, sum each run of equal ones with add.reduceat, add once per target."""
    if idx.size == 0:
        return
    flat = idx.reshape(-1) % out.shape[axis]  # bounds were checked by the forward pass
    values = np.broadcast_to(values, out.shape[:axis] + idx.shape + out.shape[axis + 1 :])
    values = np.moveaxis(values, tuple(range(axis, axis + idx.ndim)), tuple(range(idx.ndim)))
    values = values.reshape((flat.size,) + out.shape[:axis] + out.shape[axis + 1 :])
    order = np.argsort(flat, kind="stable")
    ordered = flat[order]
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    sums = np.add.reduceat(values[order], starts, axis=0)
    np.moveaxis(out, axis, 0)[ordered[starts]] += sums


# ---- x[index] ------------------------------------------------------------------------------
class GetItem(Function):
    @staticmethod
    def forward(ctx, x, index):
        ctx.in_shape = x.data.shape
        ctx.index = index
        xp = x.device.xp
        try:
            data = _indexed(x.data, index, xp)
        except IndexError as error:
            raise IndexError(f"getitem: {error} (tensor shape {tuple(x.shape)})") from None
        if _is_basic(index):
            return _view_of(ctx, x, data, GetItem, index)
        return Tensor._make(data, x.device)

    @staticmethod
    def backward(ctx, grad):
        return IndexBackward.apply(grad, ctx.in_shape, ctx.index), None

    @staticmethod
    def jvp(ctx, tangent, _):
        return GetItem.apply(tangent, ctx.index)  # indexing is linear


class IndexBackward(Function):
    """Scatter-add a gradient into zeros of the input's shape (repeated indices accumulate)."""

    @staticmethod
    def forward(ctx, grad, in_shape, index):
        ctx.index = index
        ctx.in_shape = in_shape
        xp = grad.device.xp
        out = xp.zeros(in_shape, dtype=grad.data.dtype)
        if _may_repeat(index):
            _add_at(out, index, grad.data, xp)
        else:
            out[index] = grad.data
        return Tensor._make(out, grad.device)

    @staticmethod
    def backward(ctx, grad_grad):
        return getitem(grad_grad, ctx.index, _raw=True), None, None

    @staticmethod
    def jvp(ctx, tangent, _shape, _index):
        return IndexBackward.apply(tangent, ctx.in_shape, ctx.index)


def getitem(x: Tensor, index: Any, _raw: bool = False) -> Tensor:
    """x[index] with NumPy's rules; basic indexing gives a view, advanced a copy."""
    if not _raw:
        index = array_index(index, x, "getitem")
    return GetItem.apply(x, index)


# ---- out-of-place updates --------------------------------------------------------------------
def _reduce_to(grad: Tensor, meta: Any) -> Tensor:
    """The gradient of a value that was broadcast into ``grad``'s shape, in its own shape."""
    from . import shape as _shape
    from .broadcast_grad import grad_like

    shape, dtype = meta
    if grad.ndim < len(shape):  # NumPy lets a value carry extra leading 1-dims
        grad = _shape.reshape(grad, (1,) * (len(shape) - grad.ndim) + tuple(grad.shape))
    return grad_like(grad, shape, dtype)


def _value_meta(value: Any) -> Any:
    return (value.data.shape, value.data.dtype) if isinstance(value, Tensor) else None


def _winners(out: Any, index: Any, xp: Any) -> Any:
    """Which written elements survive an assignment through an index that names some element
    twice (NumPy keeps the last write); None when every write survives."""
    picked_shape = out[index].shape
    count = int(np.prod(picked_shape))
    ids = xp.full(out.shape, -1, dtype=np.int64)
    order = xp.arange(count, dtype=np.int64).reshape(picked_shape)
    ids[index] = order
    survived = ids[index] == order
    return None if bool(survived.all()) else survived


class IndexPut(Function):
    """out = x with out[index] = value. x's gradient is zero where overwritten; value's is
    the gradient at the positions it landed in (only the surviving write of a repeated one),
    summed over any broadcasting."""

    @staticmethod
    def forward(ctx, x, index, value):
        ctx.index = index
        out = x.data.copy()
        vd = value.data if isinstance(value, Tensor) else value
        try:
            out[index] = vd
        except (IndexError, ValueError) as error:
            raise type(error)(f"setitem: {error} (tensor shape {tuple(x.shape)})") from None
        ctx.value_meta = _value_meta(value)
        ctx.x_meta = (x.data.shape, x.data.dtype, x.device)
        ctx.winners = None
        needs = ctx.needs_input_grad  # set before forward when the call is recorded
        if len(needs) == 3 and needs[2] and _may_repeat(index):
            ctx.winners = _winners(out, index, x.device.xp)
        return Tensor._make(out, x.device)

    @staticmethod
    def backward(ctx, grad):
        from .compare import where

        need_x, _, need_v = ctx.needs_input_grad
        grad_x = grad_v = None
        if need_x:
            grad_x = IndexPut.apply(grad, ctx.index, 0)
        if need_v:
            picked = getitem(grad, ctx.index, _raw=True)
            if ctx.winners is not None:
                picked = where(Tensor._make(ctx.winners, grad.device), picked, 0)
            grad_v = _reduce_to(picked, ctx.value_meta)
        return grad_x, None, grad_v

    @staticmethod
    def jvp(ctx, tangent_x, _, tangent_v):
        # linear in (x, value): the same assignment applied to the tangents
        return IndexPut.apply(
            _or_zeros(tangent_x, ctx.x_meta), ctx.index, 0 if tangent_v is None else tangent_v
        )


def _or_zeros(tangent: Any, meta: tuple) -> Tensor:
    if tangent is not None:
        return tangent
    shape, dtype, device = meta
    return Tensor._make(device.xp.zeros(shape, dtype), device)


class AddAt(Function):
    """out = x with value added at index; repeated indices accumulate."""

    @staticmethod
    def forward(ctx, x, index, value):
        ctx.index = index
        ctx.value_meta = _value_meta(value)
        ctx.x_meta = (x.data.shape, x.data.dtype, x.device)
        out = x.data.copy()
        vd = value.data if isinstance(value, Tensor) else value
        try:
            _add_at(out, index, vd, x.device.xp)
        except (IndexError, ValueError) as error:
            raise type(error)(f"index_put: {error} (tensor shape {tuple(x.shape)})") from None
        return Tensor._make(out, x.device)

    @staticmethod
    def backward(ctx, grad):
        need_x, _, need_v = ctx.needs_input_grad
        grad_v = None
        if need_v:
            grad_v = _reduce_to(getitem(grad, ctx.index, _raw=True), ctx.value_meta)
        return (grad if need_x else None), None, grad_v

    @staticmethod
    def jvp(ctx, tangent_x, _, tangent_v):
        if tangent_v is None:
            return tangent_x
        return AddAt.apply(_or_zeros(tangent_x, ctx.x_meta), ctx.index, tangent_v)


def index_put(x: Tensor, index: Any, value: Any, accumulate: bool = False) -> Tensor:
    """A copy of x with ``x[index] = value`` (or ``+= value`` with accumulate, where repeated
    indices add up); differentiable in x and value."""
    index = array_index(index, x, "index_put")
    if isinstance(value, Tensor) and value.device is not x.device:
        raise RuntimeError(
            f"index_put: the value is on {value.device} but the tensor is on {x.device}"
        )
    if accumulate:
        return AddAt.apply(x, index, value)
    return IndexPut.apply(x, index, value)


# ---- axis-wise pickers and scatters ----------------------------------------------------------
def _index_array(index: Any, x: Tensor, op: str) -> Any:
    """An integer index (Tensor, array or list) as an array on x's device."""
    if isinstance(index, Tensor):
        if index.device is not x.device:
            raise RuntimeError(
                f"{op}: the index is on {index.device} but the tensor is on {x.device}"
            )
        data = index.data
    else:
        data = x.device.xp.asarray(index)
        if data.size == 0 and data.dtype.kind == "f":
            data = data.astype(np.int64)
    if data.dtype.kind not in "iu":
        raise TypeError(f"{op}: expected an integer index, got dtype {data.dtype}")
    return data


def _check_range(
    index: Any, size: int, op: str, axis: int, shape: tuple, allow_negative: bool
) -> None:
    if index.size == 0:
        return
    low, high = int(index.min()), int(index.max())
    floor = -size if allow_negative else 0
    if low < floor or high >= size:
        bad = low if low < floor else high
        raise IndexError(
            f"{op}: index {bad} is out of bounds for dim {axis} with size {size} "
            f"(tensor shape {tuple(shape)})"
        )


def _grid(shape: tuple, axis: int, index: Any, xp: Any) -> tuple:
    """Advanced-index arrays that pick element (i0, .., index[i], .., ik) for every position
    of ``shape``: aranges on the other dims, broadcast against ``index``."""
    n = len(shape)
    arrays = []
    for d in range(n):
        if d == axis:
            arrays.append(index)
        else:
            arrays.append(xp.arange(shape[d]).reshape([-1 if k == d else 1 for k in range(n)]))
    return tuple(arrays)


def gather(x: Tensor, axis: Any = None, index: Any = None, *, dim: Any = None) -> Tensor:
    """PyTorch's gather: out[i][j] = x[index[i][j]][j] along ``axis`` (here 0). ``index`` has
    x's number of dims and is no larger than x on the other dims."""
    axis = dim if dim is not None else axis
    if axis is None or index is None:
        raise TypeError("gather: expected gather(x, axis, index)")
    idx = _index_array(index, x, "gather")
    if x.ndim == 0 or idx.ndim != x.ndim:
        raise ValueError(
            f"gather: index must have the tensor's number of dims (at least 1): tensor shape "
            f"{tuple(x.shape)}, index shape {tuple(idx.shape)}"
        )
    a = _dim(axis, x.ndim, "gather")
    for d in range(x.ndim):
        if d != a and idx.shape[d] > x.shape[d]:
            raise ValueError(
                f"gather: index shape {tuple(idx.shape)} must not exceed the tensor shape "
                f"{tuple(x.shape)} except in dim {a}"
            )
    _check_range(idx, x.shape[a], "gather", a, x.shape, allow_negative=False)
    return GetItem.apply(x, _grid(idx.shape, a, idx, x.device.xp))


def take_along_axis(x: Tensor, indices: Any, axis: int | None) -> Tensor:
    """NumPy's take_along_axis: like gather, but the other dims broadcast and negative
    indices count from the end; axis=None works on the flattened tensor."""
    from . import shape as _shape

    idx = _index_array(indices, x, "take_along_axis")
    if axis is None:
        x = _shape.reshape(x, (-1,))
        axis = 0
    if idx.ndim != x.ndim:
        raise ValueError(
            f"take_along_axis: indices must have the tensor's number of dims: tensor shape "
            f"{tuple(x.shape)}, indices shape {tuple(idx.shape)}"
        )
    a = _dim(axis, x.ndim, "take_along_axis")
    for d in range(x.ndim):
        if d != a and idx.shape[d] not in (1, x.shape[d]) and x.shape[d] != 1:
            raise ValueError(
                f"take_along_axis: indices shape {tuple(idx.shape)} does not broadcast against "
                f"tensor shape {tuple(x.shape)} outside dim {a}"
            )
    _check_range(idx, x.shape[a], "take_along_axis", a, x.shape, allow_negative=True)
    xp = x.device.xp
    grid = _grid(x.shape, a, idx, xp)
    # a size-1 dim of x that index broadcasts over must stay at position 0
    grid = tuple(
        g if d == a or x.shape[d] != 1 else xp.zeros((1,) * x.ndim, dtype=np.int64)
        for d, g in enumerate(grid)
    )
    return GetItem.apply(x, grid)


def index_select(x: Tensor, axis: Any = None, index: Any = None, *, dim: Any = None) -> Tensor:
    """The entries index[0], index[1], ... of x along ``axis`` (a 1-D integer index)."""
    axis = dim if dim is not None else axis
    if axis is None or index is None:
        raise TypeError("index_select: expected index_select(x, axis, index)")
    idx = _index_array(index, x, "index_select")
    if idx.ndim > 1:
        raise ValueError(f"index_select: index must be 0-d or 1-D, got shape {tuple(idx.shape)}")
    idx = idx.reshape(-1)
    if x.ndim == 0:
        raise ValueError("index_select: expected a tensor with at least one dim")
    a = _dim(axis, x.ndim, "index_select")
    _check_range(idx, x.shape[a], "index_select", a, x.shape, allow_negative=False)
    return GetItem.apply(x, (slice(None),) * a + (idx,))


def _same_dtype(x: Tensor, src: Tensor, op: str) -> None:
    if not isinstance(src, Tensor):
        raise TypeError(f"{op}: expected the source to be a Tensor, got {type(src).__name__}")
    if src.device is not x.device:
        raise RuntimeError(f"{op}: the source is on {src.device} but the tensor is on {x.device}")
    if src.dtype != x.dtype:
        raise TypeError(
            f"{op}: expected the source dtype to match the tensor's ({x.dtype}), got {src.dtype}"
        )


def scatter_add(
    x: Tensor, axis: Any = None, index: Any = None, src: Any = None, *, dim: Any = None
) -> Tensor:
    """PyTorch's scatter_add (out of place): out[index[i][j]][j] += src[i][j] along ``axis``
    (here 0); repeated indices accumulate. The adjoint of gather."""
    axis = dim if dim is not None else axis
    if axis is None or index is None or src is None:
        raise TypeError("scatter_add: expected scatter_add(x, axis, index, src)")
    _same_dtype(x, src, "scatter_add")
    idx = _index_array(index, x, "scatter_add")
    if x.ndim == 0 or not idx.ndim == src.ndim == x.ndim:
        raise ValueError(
            f"scatter_add: index, src and the tensor must have the same number of dims (at "
            f"least 1), got shapes {tuple(idx.shape)}, {tuple(src.shape)} and {tuple(x.shape)}"
        )
    a = _dim(axis, x.ndim, "scatter_add")
    for d in range(x.ndim):
        if idx.shape[d] > src.shape[d] or (d != a and idx.shape[d] > x.shape[d]):
            raise ValueError(
                f"scatter_add: index shape {tuple(idx.shape)} must not exceed src shape "
                f"{tuple(src.shape)}, nor the tensor shape {tuple(x.shape)} except in dim {a}"
            )
    _check_range(idx, x.shape[a], "scatter_add", a, x.shape, allow_negative=False)
    if src.shape != idx.shape:  # only src[:index.shape] takes part, as in PyTorch
        src = src[tuple(slice(0, n) for n in idx.shape)]
    return AddAt.apply(x, _grid(idx.shape, a, idx, x.device.xp), src)


def index_add(x: Tensor, axis: Any, index: Any, source: Tensor, *, alpha: float = 1) -> Tensor:
    """PyTorch's index_add (out of place): x[.., index[i], ..] += alpha * source[.., i, ..]."""
    _same_dtype(x, source, "index_add")
    idx = _index_array(index, x, "index_add").reshape(-1)
    a = _dim(axis, x.ndim, "index_add")
    expected = x.shape[:a] + (idx.shape[0],) + x.shape[a + 1 :]
    if tuple(source.shape) != expected:
        raise ValueError(
            f"index_add: expected source of shape {expected} for tensor shape "
            f"{tuple(x.shape)} and {idx.shape[0]} indices, got {tuple(source.shape)}"
        )
    _check_range(idx, x.shape[a], "index_add", a, x.shape, allow_negative=False)
    if alpha != 1:
        source = source * alpha
    return AddAt.apply(x, (slice(None),) * a + (idx,), source)
