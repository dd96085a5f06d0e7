"""In-place updates: += -= *= /=, zero_, fill_, copy_ and x[idx] = v.

Every in-place op writes into the tensor's memory (so views and the base see the change) and
bumps the version counter (shared by a base and all its views) that saved-tensor checks read.

While a graph is being recorded, the new value is computed out of place from a snapshot (a
copy of the old value, which the new value's graph may have saved), written into the memory,
and the tensor is re-pointed at the new value's graph node ("rebased"), so gradients are
exact; a node that saved the old memory refuses to run backward with the new values.

Views (PyTorch's view tracking). A view made by reshape, permute/transpose, broadcast_to/expand,
basic indexing, split/chunk/unbind/narrow, squeeze/unsqueeze/flatten knows its base (the root
tensor whose memory it shares) and its view function (the ops that make it from the base; see
``_view_of`` in gradkit/ops/shape.py).

- In-place op on a view while recording: besides rebasing the view onto its new value ``new``,
  the base is rebased onto ``CopySlices(old base, new)``: "the old base with the view's
  elements replaced by ``new``". Its forward does no work (the write into the view already
  changed the base's memory); its backward sends the base's gradient at the view's positions
  to ``new`` (the view function applied to the gradient) and the rest to the old base (the
  gradient with those positions zeroed). Both are built from differentiable ops, so
  create_graph=True works through it.
- In-place op on a base (or on another view of it): the shared version counter moves on, and
  a view whose grad_fn was made at an older version gets a new one, lazily, the next time it
  is used (an op's input, an in-place op, a backward root, a hook): its view function applied
  to the base's current graph (``refresh_view`` in gradkit/autograd/function.py).

Forward-mode tangents follow the same path: the new value carries its tangent, CopySlices.jvp
writes it into the base's tangent, and a stale view's tangent is rebuilt with its grad_fn.

Refused, as in PyTorch (outside no_grad): in-place ops on a leaf that requires grad and on its
views, and on a view made under no_grad from a tensor with history (such a view stays a
constant: changes to its base do not give it a grad_fn). Always refused: in-place ops on
broadcast (expanded) views, whose elements alias each other. Unlike PyTorch, the outputs of
split/chunk/unbind may be modified in place (their view function is the slice that made them).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..autograd import forward_state as _forward
from ..autograd.function import Function, sync_view
from ..autograd.grad_mode import state
from ..tensor import Tensor


def _refuse_leaf(x: Tensor, op: str) -> None:
    if x._view_base is not None:
        _refuse_broadcast_view(x, op)
    if not (state.enabled or _forward.state.levels):
        return
    sync_view(x)
    if not state.enabled:
        return
    if x.requires_grad and x.grad_fn is None:
        raise RuntimeError(
            f"{op}: a leaf tensor that requires grad cannot be modified in place; do it "
            "inside gk.no_grad() or use an out-of-place op"
        )
    base = x._view_base
    if base is None:
        return
    if base.requires_grad and base.grad_fn is None:
        raise RuntimeError(
            f"{op}: a view of a leaf tensor that requires grad cannot be modified in place; "
            "do it inside gk.no_grad() or use an out-of-place op"
        )
    if x._view_no_grad:
        raise RuntimeError(
            f"{op}: a view created in no_grad mode from a tensor that requires grad is being "
            "modified in place with grad mode enabled; create the view and modify it both "
            "inside gk.no_grad() or both outside it"
        )


def _refuse_broadcast_view(x: Tensor, op: str) -> None:
    """Elements of an expanded view share memory, so a write through it is ambiguous. NumPy
    marks such views read-only; CuPy does not, so check the view function on every device."""
    from .shape import BroadcastTo

    if any(fn is BroadcastTo for fn, _ in x._view_fn):
        raise ValueError(
            f"{op}: cannot write into the tensor in place: it is a broadcast (expanded) view "
            f"of shape {tuple(x.shape)} whose elements share memory; clone() it first"
        )


def _recording(x: Tensor, *values: Any) -> bool:
    if not state.enabled:
        return False
    if x.requires_grad or any(isinstance(v, Tensor) and v.requires_grad for v in values):
        return True
    # the base has history even if this view (a user's requires_grad_ games) has none: the
    # base's graph must learn of the change all the same
    base = x._view_base
    return base is not None and base.requires_grad


def _tracking(x: Tensor, *values: Any) -> bool:
    """Whether the update needs the out-of-place path: for a graph, or for forward-mode
    tangents (which the new value carries, and the base gets through CopySlices.jvp)."""
    if _recording(x, *values):
        return True
    if not _forward.state.levels:
        return False
    base = x._view_base
    return _forward.has_visible_tangents((x, base) + values)


def _snapshot(x: Tensor) -> Tensor:
    """x as it is now, in its own memory: the new value is written into x's memory below (so
    views see it), and the graph may have saved this copy."""
    snapshot = Tensor._from_graph(
        x.data.copy(), x.device, x.requires_grad, x.grad_fn, x._output_nr, [0]
    )
    snapshot._fw = x._fw
    return snapshot


def _overwrite(x: Tensor, value: Any) -> Tensor:
    """A graph that replaces every element of x by ``value``: gradient 0 flows to x (x * 0
    would turn inf into nan)."""
    from .compare import where

    everywhere = Tensor._make(x.device.xp.ones(x.shape, dtype=bool), x.device)
    return where(everywhere, value, _snapshot(x))


def _rebase(x: Tensor, new: Tensor, op: str) -> Tensor:
    if new.shape != x.shape:
        raise ValueError(
            f"{op}: the result has shape {tuple(new.shape)} but the tensor being updated has "
            f"shape {tuple(x.shape)}"
        )
    if new.dtype != x.dtype:
        new = new.to(x.dtype)
    try:
        x.data[...] = new.data
    except ValueError as error:
        raise ValueError(f"{op}: cannot write into the tensor in place ({error})") from None
    graph = state.enabled  # under no_grad only tangents are tracked; the graph stays
    base = x._view_base
    if base is not None:
        _rebase_base(base, new, x._view_fn, graph)
    if graph:
        x.grad_fn = new.grad_fn
        x._output_nr = new._output_nr
        x.requires_grad = new.requires_grad
    if new._fw is not None or x._fw is not None:
        x._fw = new._fw
    x._vc[0] += 1
    if base is not None:
        x._view_version = x._vc[0]  # x is current; the base's other views are now stale
    return x


def _rebase_base(base: Tensor, new_view: Tensor, view_fn: tuple, graph: bool) -> None:
    """Re-point ``base`` at "the old base with the view's elements replaced by new_view"."""
    out = CopySlices.apply(base, new_view, view_fn)
    if graph:
        base.grad_fn = out.grad_fn
        base._output_nr = out._output_nr
        base.requires_grad = out.requires_grad
    if out._fw is not None or base._fw is not None:
        base._fw = out._fw


def _replay(view_fn: tuple, tensor: Tensor) -> Tensor:
    """The view function applied to ``tensor`` (recorded or not, as the grad mode says)."""
    for fn, arg in view_fn:
        tensor = fn.apply(tensor, arg)
    return tensor


def _positions(shape: tuple, view_fn: tuple, device: Any) -> Any:
    """For each element of the view, its flat (C-order) position in the base: the view
    function applied to the base's element numbers. Layout-independent, unlike strides."""
    numbers = device.xp.arange(math.prod(shape)).reshape(shape)
    previous = state.enabled
    state.enabled = False
    try:
        return _replay(view_fn, Tensor._make(numbers, device)).data
    finally:
        state.enabled = previous


class CopySlices(Function):
    """new_base = old base with its view (``view_fn``) replaced by ``new_view``.

    Only applied after the new view value was written through the view, so the base's memory
    already holds new_base: forward returns a Tensor over that memory and copies nothing."""

    @staticmethod
    def forward(ctx, base, new_view, view_fn):
        ctx.view_fn = view_fn
        ctx.shape = base.data.shape
        ctx.meta = (base.data.dtype, base.device)
        return Tensor._make(base.data, base.device)

    @staticmethod
    def backward(ctx, grad):
        from . import shape as _shape
        from .index import IndexPut

        need_base, need_view, _ = ctx.needs_input_grad
        grad_base = grad_view = None
        if need_view:
            grad_view = _replay(ctx.view_fn, grad)
        if need_base:
            positions = _positions(ctx.shape, ctx.view_fn, grad.device)
            flat = _shape.reshape(grad, (-1,))
            grad_base = _shape.reshape(IndexPut.apply(flat, positions, 0), ctx.shape)
        return grad_base, grad_view, None

    @staticmethod
    def jvp(ctx, tangent_base, tangent_view, _):
        # linear in (base, new_view): the same write applied to the tangents
        from . import shape as _shape
        from .index import IndexPut

        if tangent_base is None and tangent_view is None:
            return None
        if tangent_base is None:
            dtype, device = ctx.meta
            tangent_base = Tensor._make(device.xp.zeros(ctx.shape, dtype), device)
        positions = _positions(ctx.shape, ctx.view_fn, tangent_base.device)
        flat = _shape.reshape(tangent_base, (-1,))
        value = 0 if tangent_view is None else tangent_view
        return _shape.reshape(IndexPut.apply(flat, positions, value), ctx.shape)


def _write(x: Tensor, value: Any, op: str, index: Any = Ellipsis) -> Tensor:
    try:
        x.data[index] = value
    except ValueError as error:
        raise ValueError(f"{op}: cannot write into the tensor in place ({error})") from None
    x._vc[0] += 1
    return x


_UFUNCS = {"add": "add", "sub": "subtract", "mul": "multiply", "div": "true_divide"}


def _ufunc_inplace(x: Tensor, ufunc_name: str, other: Any, op: str) -> Tensor:
    """One pass straight into x's memory, as `ndarray += other` does (no temporary, no copy)."""
    if isinstance(other, Tensor):
        if other.device is not x.device:
            raise RuntimeError(
                f"{op}: expected both tensors on the same device, got {x.device} and {other.device}"
            )
        other = other.data
    elif isinstance(other, np.generic):
        other = other.item()  # a NumPy scalar must not act as a strong float64 operand
    try:
        getattr(x.device.xp, ufunc_name)(x.data, other, out=x.data, casting="same_kind")
    except TypeError as error:
        raise TypeError(
            f"{op}: the result can't be stored in a {x.dtype} tensor ({error})"
        ) from None
    except ValueError as error:
        raise ValueError(
            f"{op}: cannot update a tensor of shape {tuple(x.shape)} in place with an operand "
            f"of shape {tuple(getattr(other, 'shape', ()))} ({error})"
        ) from None
    x._vc[0] += 1
    return x


def apply_inplace(x: Tensor, fn: Any, other: Any) -> Tensor:
    op = f"in-place {fn.__name__}"
    _refuse_leaf(x, op)
    if _tracking(x, other):
        return _rebase(x, fn(_snapshot(x), other), op)
    ufunc = _UFUNCS.get(fn.__name__)
    if ufunc is not None:
        return _ufunc_inplace(x, ufunc, other, op)
    result = fn(x.detach(), other)
    if result.shape != x.shape:
        raise ValueError(
            f"{op}: the result has shape {tuple(result.shape)} but the tensor being updated "
            f"has shape {tuple(x.shape)}"
        )
    if result.dtype != x.dtype and result.dtype.kind == "f" and x.dtype.kind != "f":
        raise TypeError(f"{op}: result dtype {result.dtype} can't be cast to {x.dtype} in place")
    return _write(x, result.data, op)


def fill_(x: Tensor, value: Any, _op: str = "fill_") -> Tensor:
    _refuse_leaf(x, _op)
    if isinstance(value, Tensor):
        value = value.item()
    if _tracking(x):
        return _rebase(x, _overwrite(x, value), _op)
    return _write(x, value, _op)


def zero_(x: Tensor) -> Tensor:
    return fill_(x, 0, "zero_")


def copy_(x: Tensor, source: Any) -> Tensor:
    _refuse_leaf(x, "copy_")
    if not isinstance(source, Tensor):
        source = Tensor(source, device=x.device)
    if source.device is not x.device:
        source = source.to(x.device)
    if _tracking(x, source):
        from .shape import broadcast_to

        try:
            expanded = broadcast_to(source.to(x.dtype), x.shape)
        except ValueError:
            raise ValueError(
                f"copy_: cannot broadcast source shape {tuple(source.shape)} to {tuple(x.shape)}"
            ) from None
        return _rebase(x, _overwrite(x, expanded), "copy_")
    return _write(x, source.data, "copy_")


def setitem(x: Tensor, index: Any, value: Any) -> None:
    _refuse_leaf(x, "setitem")
    if _tracking(x, value):
        from .index import index_put

        _rebase(x, index_put(_snapshot(x), index, value), "setitem")
        return
    from .index import array_index

    if isinstance(value, Tensor):
        if value.device is not x.device:
            raise RuntimeError(
                f"setitem: the value is on {value.device} but the tensor is on {x.device}"
            )
        value = value.data
    try:
        x.data[array_index(index, x)] = value
    except IndexError as error:
        raise IndexError(f"setitem: {error} (tensor shape {tuple(x.shape)})") from None
    except ValueError as error:
        raise ValueError(f"setitem: {error} (tensor shape {tuple(x.shape)})") from None
    x._vc[0] += 1
