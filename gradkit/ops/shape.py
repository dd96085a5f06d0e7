"""Shape manipulation: reshape and friends, broadcasting, axis permutations, joining and
splitting, padding, tiling and flipping (views where NumPy makes them)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..autograd.function import Function
from ..backend.dtypes import promote
from ..tensor import Tensor
from ._util import normalize_axis


def _view_of(ctx: Any, x: Tensor, data: Any, op: Any, arg: Any) -> Tensor:
    """The result ``data = op(x, arg)`` of the call ``ctx`` as a Tensor. If it shares memory
    with x it is a view: it shares x's version counter (an in-place change through either is
    seen by the other's saved-tensor checks) and records its base (the root of a chain of
    views) and its view function (the ``(Function, arg)`` steps that make it from the base),
    so that an in-place op on it can rewrite the base's graph and its own grad_fn can be
    rebuilt when the base is changed in place (see gradkit/ops/inplace.py)."""
    out = Tensor._make(data, x.device)
    # Basic indexing, transposes and broadcasts always give views; only a reshape may copy.
    # (`.base` alone is not enough: a reshape that had to copy still has a temporary base.)
    if op is Reshape and not (
        data is x.data or (data.base is not None and x.device.xp.may_share_memory(data, x.data))
    ):
        return out
    vc = out._vc = x._vc
    out._view_version = vc[0]
    # made under no_grad from a tensor with history: it stays a constant (PyTorch forbids
    # modifying such a view in place while recording)
    no_grad = x.requires_grad and not ctx.next_edges
    base = x._view_base
    if base is None:
        out._view_base = x
        out._view_fn = ((op, arg),)
        out._view_no_grad = no_grad
    else:
        out._view_base = base
        out._view_fn = x._view_fn + ((op, arg),)
        out._view_no_grad = no_grad or x._view_no_grad
    return out


def shape_arg(shape: tuple, op: str) -> tuple[int, ...]:
    """Accept f(2, 3), f((2, 3)) and f([2, 3])."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    try:
        return tuple(int(s) for s in shape)
    except TypeError:
        raise TypeError(f"{op}: expected a shape of ints, got {shape!r}") from None


def _dim(dim: Any, ndim: int, op: str) -> int:
    """One axis as a non-negative int (PyTorch lets a 0-d tensor use dim 0 or -1)."""
    return normalize_axis(dim, ndim, op)[0]


def _lazy_index() -> Any:
    from . import index  # index.py imports this module, so import it at call time

    return index


# ---- reshape, broadcast, permute -------------------------------------------------------------
class Reshape(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.data.shape
        ctx.shape = shape
        try:
            data = x.data.reshape(shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {tuple(x.shape)} "
                f"({x.data.size} elements) into shape {tuple(shape)}"
            ) from None
        return _view_of(ctx, x, data, Reshape, shape)

    @staticmethod
    def backward(ctx, grad):
        return reshape(grad, ctx.in_shape), None

    @staticmethod
    def jvp(ctx, tangent, _):
        return Reshape.apply(tangent, ctx.shape)  # every op in this file is linear


class BroadcastTo(Function):
    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x.data.shape
        ctx.shape = shape
        try:
            data = x.device.xp.broadcast_to(x.data, shape)
        except ValueError:
            raise ValueError(
                f"broadcast_to: cannot broadcast shape {tuple(x.shape)} to {tuple(shape)}"
            ) from None
        return _view_of(ctx, x, data, BroadcastTo, shape)

    @staticmethod
    def backward(ctx, grad):
        from .broadcast_grad import sum_to_shape

        return sum_to_shape(grad, ctx.in_shape), None

    @staticmethod
    def jvp(ctx, tangent, _):
        return BroadcastTo.apply(tangent, ctx.shape)


class Permute(Function):
    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        return _view_of(ctx, x, x.data.transpose(axes), Permute, axes)

    @staticmethod
    def backward(ctx, grad):
        return permute(grad, tuple(np.argsort(ctx.axes).tolist())), None

    @staticmethod
    def jvp(ctx, tangent, _):
        return Permute.apply(tangent, ctx.axes)


def reshape(x: Tensor, *shape: Any) -> Tensor:
    """A tensor with the same elements in a new shape (one dimension may be -1)."""
    shape = shape_arg(shape, "reshape")
    if shape == x.data.shape:
        return x
    if shape.count(-1) > 1 or any(s < -1 for s in shape):
        raise ValueError(
            f"reshape: expected non-negative sizes and at most one -1, got {shape} "
            f"(tensor shape {tuple(x.shape)})"
        )
    return Reshape.apply(x, shape)


view = reshape


def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims start_dim..end_dim (inclusive) into one; a 0-d tensor becomes shape (1,)."""
    if x.ndim == 0:
        return reshape(x, (1,))
    start = _dim(start_dim, x.ndim, "flatten")
    end = _dim(end_dim, x.ndim, "flatten")
    if start > end:
        raise ValueError(
            f"flatten: start_dim ({start_dim}) must not come after end_dim ({end_dim}) for a "
            f"tensor with {x.ndim} dims"
        )
    shape = x.shape
    merged = math.prod(shape[start : end + 1])
    return reshape(x, shape[:start] + (merged,) + shape[end + 1 :])


def squeeze(x: Tensor, axis: Any = None, *, dim: Any = None) -> Tensor:
    """Drop size-1 dims (all, or those in ``axis``); like PyTorch, a named dim whose size is
    not 1 is left alone rather than an error."""
    axis = dim if dim is not None else axis
    axes = normalize_axis(axis, x.ndim, "squeeze")
    if axes is None:
        axes = tuple(range(x.ndim))
    shape = tuple(n for i, n in enumerate(x.shape) if not (i in axes and n == 1))
    return reshape(x, shape)


def unsqueeze(x: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dim at position ``dim`` (-ndim-1 <= dim <= ndim)."""
    n = x.ndim
    if not isinstance(dim, (int, np.integer)) or not -n - 1 <= dim <= n:
        raise IndexError(
            f"unsqueeze: dim {dim!r} is out of range for a tensor with {n} dims "
            f"(expected {-n - 1} <= dim <= {n})"
        )
    dim = int(dim) % (n + 1)
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


def broadcast_to(x: Tensor, shape: Any) -> Tensor:
    """A read-only view of x repeated along broadcast dims (NumPy's rules)."""
    shape = tuple(int(s) for s in shape)
    if shape == x.data.shape:
        return x
    return BroadcastTo.apply(x, shape)


def expand(x: Tensor, *sizes: Any) -> Tensor:
    """PyTorch's expand: broadcast_to where -1 keeps the tensor's own size of that dim."""
    sizes = shape_arg(sizes, "expand")
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ValueError(
            f"expand: the target {sizes} has {len(sizes)} dims, fewer than the tensor's "
            f"{x.ndim} (shape {tuple(x.shape)})"
        )
    if any(s == -1 for s in sizes[:lead]):
        raise ValueError(f"expand: -1 is not allowed for the new leading dims of {sizes}")
    target = tuple(x.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes))
    try:
        return broadcast_to(x, target)
    except ValueError:
        raise ValueError(
            f"expand: cannot expand shape {tuple(x.shape)} to {sizes} (only size-1 dims can grow)"
        ) from None


def permute(x: Tensor, *axes: Any) -> Tensor:
    """Reorder the dims: result dim i is input dim axes[i]."""
    axes = shape_arg(axes, "permute")
    n = x.data.ndim
    if sorted(a % n if n else a for a in axes) != list(range(n)) or len(axes) != n:
        raise ValueError(
            f"permute: expected a permutation of {n} axes for shape {tuple(x.shape)}, got {axes}"
        )
    axes = tuple(a % n for a in axes)
    if axes == tuple(range(n)):
        return x
    return Permute.apply(x, axes)


def swapaxes(x: Tensor, axis1: int, axis2: int) -> Tensor:
    """Exchange two dims (PyTorch's transpose)."""
    n = x.data.ndim
    for a in (axis1, axis2):
        if not -max(n, 1) <= a < max(n, 1):
            raise IndexError(
                f"swapaxes: axis {a} is out of range for a tensor with {n} dims "
                f"(shape {tuple(x.shape)})"
            )
    if n == 0:
        return x
    axes = list(range(n))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return permute(x, tuple(axes))


def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    """PyTorch's transpose: swap dims ``dim0`` and ``dim1`` (not NumPy's full reversal)."""
    return swapaxes(x, dim0, dim1)


def movedim(x: Tensor, source: Any, destination: Any) -> Tensor:
    """Move dims from ``source`` to ``destination`` keeping the order of the others."""
    n = x.ndim
    src = (source,) if isinstance(source, (int, np.integer)) else tuple(source)
    dst = (destination,) if isinstance(destination, (int, np.integer)) else tuple(destination)
    if len(src) != len(dst):
        raise ValueError(
            f"movedim: source {source!r} and destination {destination!r} must have the same "
            "number of dims"
        )
    src_n = [_dim(s, n, "movedim") for s in src]
    dst_n = [_dim(d, n, "movedim") for d in dst]
    if len(set(src_n)) != len(src_n) or len(set(dst_n)) != len(dst_n):
        raise ValueError(
            f"movedim: repeated dim in source {source!r} or destination {destination!r}"
        )
    order = [a for a in range(n) if a not in src_n]
    for d, s in sorted(zip(dst_n, src_n)):
        order.insert(d, s)
    return permute(x, tuple(order))


# ---- joining and splitting -------------------------------------------------------------------
def _tensor_list(tensors: Any, op: str) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, Sequence):
        raise TypeError(f"{op}: expected a list or tuple of Tensors, got {type(tensors).__name__}")
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: expected Tensors, got {type(t).__name__} at position {i}")
        if t.device is not tensors[0].device:
            raise RuntimeError(
                f"{op}: expected all tensors on the same device, got {tensors[0].device} at "
                f"position 0 and {t.device} at position {i}"
            )
    return tensors


def _common_dtype(tensors: list[Tensor]) -> np.dtype:
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = promote(dtype, t.dtype)
    return dtype


def _is_legacy_empty(t: Tensor) -> bool:
    return t.data.ndim == 1 and t.data.shape[0] == 0


class Concat(Function):
    @staticmethod
    def forward(ctx, axis, dtype, *tensors):
        ctx.axis = axis
        ctx.dtypes = [t.data.dtype for t in tensors]
        ctx.metas = [(t.data.shape, t.device) for t in tensors]
        ctx.dtype = dtype
        # PyTorch's legacy rule: 1-D empty tensors join anything (they are skipped)
        widest = max(t.data.ndim for t in tensors)
        ctx.skipped = [widest != 1 and _is_legacy_empty(t) for t in tensors]
        kept = [t for t, skip in zip(tensors, ctx.skipped) if not skip]
        ctx.sizes = [t.data.shape[axis] for t in kept]
        xp = tensors[0].device.xp
        data = xp.concatenate([t.data.astype(dtype, copy=False) for t in kept], axis=axis)
        return Tensor._make(data, tensors[0].device)

    @staticmethod
    def backward(ctx, grad):
        pieces = iter(split(grad, ctx.sizes, ctx.axis))
        grads = []
        for skip, dtype, need in zip(ctx.skipped, ctx.dtypes, ctx.needs_input_grad[2:]):
            if skip:
                grads.append(
                    Tensor._make(grad.device.xp.zeros((0,), dtype), grad.device) if need else None
                )
                continue
            piece = next(pieces)
            grads.append(piece.to(dtype) if need and piece.dtype != dtype else piece)
        return (None, None) + tuple(grads)

    @staticmethod
    def jvp(ctx, _axis, _dtype, *tangents):
        return Concat.apply(ctx.axis, ctx.dtype, *_fill_missing(tangents, ctx))


def _fill_missing(tangents: tuple, ctx: Any) -> list:
    """Zeros for the inputs that carry no tangent (the others' tangents are kept)."""
    return [
        t if t is not None else Tensor._make(device.xp.zeros(shape, dtype), device)
        for t, (shape, device), dtype in zip(tangents, ctx.metas, ctx.dtypes)
    ]


def concat(tensors: Sequence[Tensor], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join tensors along an existing dim; dtypes are promoted like PyTorch's cat.

    As in PyTorch, 1-D empty tensors are skipped when joined with tensors of more dims (the
    idiom ``cat([empty, x])``)."""
    tensors = _tensor_list(tensors, "concat")
    axis = dim if dim is not None else axis
    dtype = _common_dtype(tensors)
    first = next((t for t in tensors if not _is_legacy_empty(t)), tensors[0])
    if first.ndim == 0:
        raise ValueError("concat: zero-dimensional tensors cannot be concatenated")
    a = _dim(axis, first.ndim, "concat")
    for i, t in enumerate(tensors):
        if _is_legacy_empty(t) and first.ndim != 1:
            continue
        same = t.ndim == first.ndim and all(
            n == m for k, (n, m) in enumerate(zip(t.shape, first.shape)) if k != a
        )
        if not same:
            raise ValueError(
                f"concat: sizes of tensors must match except in dim {a}: expected shape like "
                f"{tuple(first.shape)}, got {tuple(t.shape)} for tensor {i} in the list"
            )
    return Concat.apply(a, dtype, *tensors)


cat = concatenate = concat


class Stack(Function):
    @staticmethod
    def forward(ctx, axis, dtype, *tensors):
        ctx.axis = axis
        ctx.dtypes = [t.data.dtype for t in tensors]
        ctx.metas = [(t.data.shape, t.device) for t in tensors]
        ctx.dtype = dtype
        xp = tensors[0].device.xp
        data = xp.stack([t.data.astype(dtype, copy=False) for t in tensors], axis=axis)
        return Tensor._make(data, tensors[0].device)

    @staticmethod
    def backward(ctx, grad):
        pieces = unbind(grad, ctx.axis)
        return (None, None) + tuple(
            p if p.dtype == d or not need else p.to(d)
            for p, d, need in zip(pieces, ctx.dtypes, ctx.needs_input_grad[2:])
        )

    @staticmethod
    def jvp(ctx, _axis, _dtype, *tangents):
        return Stack.apply(ctx.axis, ctx.dtype, *_fill_missing(tangents, ctx))


def stack(tensors: Sequence[Tensor], axis: int = 0, *, dim: int | None = None) -> Tensor:
    """Join equally shaped tensors along a new dim ``axis``."""
    tensors = _tensor_list(tensors, "stack")
    axis = dim if dim is not None else axis
    first = tensors[0]
    for i, t in enumerate(tensors):
        if t.shape != first.shape:
            raise ValueError(
                f"stack: expected each tensor to have the same shape, got {tuple(first.shape)} "
                f"at position 0 and {tuple(t.shape)} at position {i}"
            )
    n = first.ndim
    if not isinstance(axis, (int, np.integer)) or not -n - 1 <= axis <= n:
        raise IndexError(
            f"stack: dim {axis!r} is out of range for stacking tensors with {n} dims "
            f"(expected {-n - 1} <= dim <= {n})"
        )
    return Stack.apply(int(axis) % (n + 1), _common_dtype(tensors), *tensors)


class Split(Function):
    """One node for all pieces: each output is a view of x; unused ones get zero gradients."""

    @staticmethod
    def forward(ctx, x, sizes, axis):
        ctx.axis = axis
        ctx.sizes = sizes
        lead = (slice(None),) * axis
        outputs = []
        start = 0
        get_item = _lazy_index().GetItem  # a piece's view function is the slice that made it
        for size in sizes:
            index = lead + (slice(start, start + size),)
            outputs.append(_view_of(ctx, x, x.data[index], get_item, index))
            start += size
        return tuple(outputs)

    @staticmethod
    def backward(ctx, *grads):
        return concat(grads, ctx.axis), None, None

    @staticmethod
    def jvp(ctx, tangent, _sizes, _axis):
        return Split.apply(tangent, ctx.sizes, ctx.axis)


def split(
    x: Tensor, split_size_or_sections: Any, axis: int = 0, *, dim: int | None = None
) -> tuple[Tensor, ...]:
    """PyTorch's split: an int is the size of each piece (the last may be smaller); a list
    gives the size of every piece and must sum to the dim's size."""
    axis = dim if dim is not None else axis
    a = _dim(axis, x.ndim, "split")
    if x.ndim == 0:
        raise ValueError("split: cannot split a zero-dimensional tensor")
    n = x.shape[a]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size <= 0 and not (size == 0 and n == 0):
            raise ValueError(f"split: split_size must be a positive int, got {size}")
        if size == 0:
            sizes = [0]
        else:
            sizes = [size] * (n // size) + ([n % size] if n % size else [])
        sizes = sizes or [0]  # an empty dim still gives one (empty) piece, as in PyTorch
    else:
        try:
            sizes = [int(s) for s in split_size_or_sections]
        except TypeError:
            raise TypeError(
                f"split: expected an int or a list of ints, got {split_size_or_sections!r}"
            ) from None
        if any(s < 0 for s in sizes) or builtin_sum(sizes) != n:
            raise ValueError(
                f"split: split sizes {sizes} must be non-negative and sum to {n}, the size of "
                f"dim {a} of the tensor (shape {tuple(x.shape)})"
            )
    result = Split.apply(x, tuple(sizes), a)
    return result if isinstance(result, tuple) else (result,)


builtin_sum = sum


def chunk(x: Tensor, chunks: int, axis: int = 0, *, dim: int | None = None) -> tuple[Tensor, ...]:
    """PyTorch's chunk: pieces of size ceil(n / chunks), so there may be fewer than chunks."""
    axis = dim if dim is not None else axis
    if not isinstance(chunks, (int, np.integer)) or chunks <= 0:
        raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
    a = _dim(axis, x.ndim, "chunk")
    if x.ndim == 0:
        raise ValueError("chunk: cannot chunk a zero-dimensional tensor")
    n = x.shape[a]
    if n == 0:
        return split(x, [0] * int(chunks), a)
    return split(x, -(-n // int(chunks)), a)


class Unbind(Function):
    @staticmethod
    def forward(ctx, x, axis):
        ctx.axis = axis
        lead = (slice(None),) * axis
        get_item = _lazy_index().GetItem
        indices = [lead + (i, Ellipsis) for i in range(x.shape[axis])]
        return tuple(_view_of(ctx, x, x.data[index], get_item, index) for index in indices)

    @staticmethod
    def backward(ctx, *grads):
        return stack(grads, ctx.axis), None

    @staticmethod
    def jvp(ctx, tangent, _):
        return Unbind.apply(tangent, ctx.axis)


def unbind(x: Tensor, axis: int = 0, *, dim: int | None = None) -> tuple[Tensor, ...]:
    """The slices of x along ``axis``, as a tuple of views without that dim."""
    axis = dim if dim is not None else axis
    if x.ndim == 0:
        raise ValueError("unbind: cannot unbind a zero-dimensional tensor")
    a = _dim(axis, x.ndim, "unbind")
    if x.shape[a] == 0:
        return ()
    result = Unbind.apply(x, a)
    return result if isinstance(result, tuple) else (result,)


def narrow(x: Tensor, axis: int, start: int, length: int) -> Tensor:
    """The view x[..., start:start + length, ...] along ``axis``."""
    a = _dim(axis, x.ndim, "narrow")
    n = x.shape[a]
    start = start + n if start < 0 else start
    if not (0 <= start <= n and 0 <= length and start + length <= n):
        raise IndexError(
            f"narrow: start {start} and length {length} are out of range for dim {a} of size {n}"
        )
    return x[(slice(None),) * a + (slice(start, start + length),)]


# ---- padding ---------------------------------------------------------------------------------
class ConstantPad(Function):
    """Pad with a constant; negative widths crop. Its own adjoint: pad by the negated widths."""

    @staticmethod
    def forward(ctx, x, widths, value):
        ctx.widths = widths
        crop = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(widths, x.shape))
        data = x.data[crop]
        grow = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
        if not any(lo or hi for lo, hi in grow):
            return Tensor._make(data.copy(), x.device)
        # fill + one strided copy is several times faster than np.pad
        shape = tuple(n + lo + hi for n, (lo, hi) in zip(data.shape, grow))
        xp = x.device.xp
        out = xp.zeros(shape, data.dtype) if value == 0 else xp.full(shape, value, data.dtype)
        out[tuple(slice(lo, lo + n) for n, (lo, _) in zip(data.shape, grow))] = data
        return Tensor._make(out, x.device)

    @staticmethod
    def backward(ctx, grad):
        negated = tuple((-lo, -hi) for lo, hi in ctx.widths)
        return ConstantPad.apply(grad, negated, 0), None, None

    @staticmethod
    def jvp(ctx, tangent, _widths, _value):
        return ConstantPad.apply(tangent, ctx.widths, 0)


_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad(x: Tensor, pad: Sequence[int], mode: str = "constant", value: float = 0) -> Tensor:
    """PyTorch's F.pad: ``pad`` lists (left, right) widths from the last dim backwards.

    'constant' (negative widths crop), 'reflect', 'replicate' and 'circular' are supported.
    """
    try:
        widths_flat = [int(p) for p in pad]
    except TypeError:
        raise TypeError(f"pad: expected a sequence of ints, got {pad!r}") from None
    if len(widths_flat) % 2 or len(widths_flat) // 2 > x.ndim:
        raise ValueError(
            f"pad: expected an even number of widths, at most 2 per dim ({2 * x.ndim} for "
            f"shape {tuple(x.shape)}), got {tuple(widths_flat)}"
        )
    widths = [(0, 0)] * x.ndim
    for i in range(len(widths_flat) // 2):
        widths[x.ndim - 1 - i] = (widths_flat[2 * i], widths_flat[2 * i + 1])
    if mode == "constant":
        for (lo, hi), n in zip(widths, x.shape):
            if n + lo + hi < 0:
                raise ValueError(
                    f"pad: widths {tuple(widths_flat)} would give a negative size for shape "
                    f"{tuple(x.shape)}"
                )
        if all(lo == 0 and hi == 0 for lo, hi in widths):
            return x
        return ConstantPad.apply(x, tuple(widths), value)
    if mode not in _PAD_MODES:
        raise ValueError(
            f"pad: unknown mode {mode!r}; expected 'constant', 'reflect', 'replicate' or 'circular'"
        )
    # Non-constant modes pick input elements: an index_select per padded dim, whose
    # gradient scatter-adds the picks back.
    index = _lazy_index()
    out = x
    for d, ((lo, hi), n) in enumerate(zip(widths, x.shape)):
        if lo == 0 and hi == 0:
            continue
        # PyTorch's limits: reflect needs width < size, circular width <= size
        limit = {"reflect": n - 1, "circular": n}.get(mode, math.inf)
        if lo < 0 or hi < 0 or max(lo, hi) > limit or n == 0:
            raise ValueError(
                f"pad: {mode} padding needs non-negative widths (at most {limit}) for dim {d} "
                f"of size {n}, got ({lo}, {hi}) (tensor shape {tuple(x.shape)})"
            )
        picks = np.pad(np.arange(n), (lo, hi), mode=_PAD_MODES[mode])
        out = index.index_select(out, d, Tensor._make(out.device.xp.asarray(picks), out.device))
    return out


# ---- tiling, flipping, rolling ---------------------------------------------------------------
class Tile(Function):
    @staticmethod
    def forward(ctx, x, reps):
        ctx.in_shape = x.data.shape
        ctx.reps = reps
        return Tensor._make(x.device.xp.tile(x.data, reps), x.device)

    @staticmethod
    def backward(ctx, grad):
        from . import reduce as _reduce

        reps = ctx.reps
        padded = (1,) * (len(reps) - len(ctx.in_shape)) + tuple(ctx.in_shape)
        interleaved = tuple(v for pair in zip(reps, padded) for v in pair)
        grad = reshape(grad, interleaved)
        grad = _reduce.sum(grad, axis=tuple(range(0, 2 * len(reps), 2)))
        return reshape(grad, ctx.in_shape), None

    @staticmethod
    def jvp(ctx, tangent, _):
        return Tile.apply(tangent, ctx.reps)


def repeat(x: Tensor, *sizes: Any) -> Tensor:
    """PyTorch's Tensor.repeat (NumPy's tile): repeat the whole tensor sizes[i] times along
    dim i; needs at least as many sizes as dims (extra sizes add leading dims)."""
    sizes = shape_arg(sizes, "repeat")
    if len(sizes) < x.ndim:
        raise ValueError(
            f"repeat: expected at least {x.ndim} repeat sizes for shape {tuple(x.shape)}, "
            f"got {sizes}"
        )
    if any(s < 0 for s in sizes):
        raise ValueError(f"repeat: repeat sizes must be non-negative, got {sizes}")
    return Tile.apply(x, sizes)


def tile(x: Tensor, dims: Any) -> Tensor:
    """PyTorch's tile: like repeat, but fewer dims than the tensor's are padded with 1s."""
    dims = shape_arg((dims,) if isinstance(dims, (int, np.integer)) else (dims,), "tile")
    if len(dims) < x.ndim:
        dims = (1,) * (x.ndim - len(dims)) + dims
    return repeat(x, dims)


def repeat_interleave(
    x: Tensor, repeats: Any, axis: int | None = None, *, dim: int | None = None
) -> Tensor:
    """Repeat each element ``repeats`` times (an int or one count per element) along
    ``axis``; with no axis the tensor is flattened first."""
    axis = dim if dim is not None else axis
    if axis is None:
        x = reshape(x, (-1,))
        axis = 0
    a = _dim(axis, x.ndim, "repeat_interleave")
    n = x.shape[a] if x.ndim else 1
    counts = repeats.data if isinstance(repeats, Tensor) else repeats
    counts = np.asarray(counts.get() if hasattr(counts, "get") else counts)
    if (
        counts.dtype.kind not in "iu"
        or counts.ndim > 1
        or (counts.ndim == 1 and counts.size not in (1, n))
    ):
        raise ValueError(
            f"repeat_interleave: repeats must be an int or {n} ints for dim {a}, got {repeats!r}"
        )
    if (counts < 0).any():
        raise ValueError(f"repeat_interleave: repeats must be non-negative, got {repeats!r}")
    picks = np.repeat(np.arange(n), counts.reshape(-1) if counts.size > 1 else int(counts))
    return _lazy_index().index_select(x, a, Tensor._make(x.device.xp.asarray(picks), x.device))


class Flip(Function):
    @staticmethod
    def forward(ctx, x, axes):
        ctx.axes = axes
        index = tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(x.ndim))
        return Tensor._make(x.data[index].copy(), x.device)  # PyTorch's flip copies

    @staticmethod
    def backward(ctx, grad):
        return Flip.apply(grad, ctx.axes), None

    @staticmethod
    def jvp(ctx, tangent, _):
        return Flip.apply(tangent, ctx.axes)


def flip(x: Tensor, *dims: Any) -> Tensor:
    """Reverse the order of elements along ``dims`` (a copy, as in PyTorch)."""
    if len(dims) == 1 and not isinstance(dims[0], (int, np.integer)):
        dims = tuple(dims[0])
    axes = normalize_axis(dims, x.ndim, "flip") or ()
    return Flip.apply(x, axes)


class Roll(Function):
    @staticmethod
    def forward(ctx, x, shifts, axes):
        ctx.shifts, ctx.axes = shifts, axes
        return Tensor._make(x.device.xp.roll(x.data, shifts, axis=axes), x.device)

    @staticmethod
    def backward(ctx, grad):
        return Roll.apply(grad, tuple(-s for s in ctx.shifts), ctx.axes), None, None

    @staticmethod
    def jvp(ctx, tangent, _shifts, _axes):
        return Roll.apply(tangent, ctx.shifts, ctx.axes)


def roll(x: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Shift elements cyclically by ``shifts`` along ``dims`` (flattened when dims is None)."""
    shifts = (
        (int(shifts),) if isinstance(shifts, (int, np.integer)) else tuple(int(s) for s in shifts)
    )
    if dims is None:
        if len(shifts) != 1:
            raise ValueError(f"roll: expected one shift when dims is None, got {shifts}")
        return reshape(Roll.apply(reshape(x, (-1,)), shifts, (0,)), x.shape)
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(dims) != len(shifts):
        raise ValueError(f"roll: got {len(shifts)} shifts for {len(dims)} dims")
    axes = tuple(_dim(d, x.ndim, "roll") for d in dims)
    return Roll.apply(x, shifts, axes)
