"""In-place updates: += -= *= /=, zero_, fill_, copy_ and x[idx] = v.

Outside recording, they write into the tensor's memory (so views see the change) and bump the
version counter that saved-tensor checks read. While recording, the new value is computed out
of place and the tensor is re-pointed at it and at its graph node ("rebased"), so gradients
stay exact; the counter is bumped all the same, so a node that saved the old value refuses to
run backward with the new one.
"""

from __future__ import annotations

from typing import Any

from ..autograd.grad_mode import state
from ..tensor import Tensor


def _refuse_leaf(x: Tensor, op: str) -> None:
    if state.enabled and x.requires_grad and x.grad_fn is None:
        raise RuntimeError(
            f"{op}: a leaf tensor that requires grad cannot be modified in place; do it "
            "inside gk.no_grad() or use an out-of-place op"
        )


def _recording(*values: Any) -> bool:
    return state.enabled and any(isinstance(v, Tensor) and v.requires_grad for v in values)


def _snapshot(x: Tensor) -> Tensor:
    """x as it is now, in its own memory: the new value is written into x's memory below (so
    views see it), and the graph may have saved this copy."""
    return Tensor._from_graph(x.data.copy(), x.device, x.requires_grad, x.grad_fn,
                              x._output_nr, [0])


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
    x.grad_fn = new.grad_fn
    x._output_nr = new._output_nr
    x.requires_grad = new.requires_grad
    x._vc[0] += 1
    return x


def _write(x: Tensor, value: Any, op: str, index: Any = Ellipsis) -> Tensor:
    try:
        x.data[index] = value
    except ValueError as error:
        raise ValueError(f"{op}: cannot write into the tensor in place ({error})") from None
    x._vc[0] += 1
    return x


def apply_inplace(x: Tensor, fn: Any, other: Any) -> Tensor:
    op = f"in-place {fn.__name__}"
    _refuse_leaf(x, op)
    if _recording(x, other):
        return _rebase(x, fn(_snapshot(x), other), op)
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
    if _recording(x):
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
    if _recording(x, source):
        from .shape import broadcast_to

        try:
            expanded = broadcast_to(source.to(x.dtype), x.shape)
        except ValueError:
            raise ValueError(
                f"copy_: cannot broadcast source shape {tuple(source.shape)} to "
                f"{tuple(x.shape)}"
            ) from None
        return _rebase(x, _overwrite(x, expanded), "copy_")
    return _write(x, source.data, "copy_")


def setitem(x: Tensor, index: Any, value: Any) -> None:
    _refuse_leaf(x, "setitem")
    if _recording(x, value):
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
