"""Function: one differentiable operation; each call's instance is the node in the graph.

A subclass defines ``forward(ctx, *args)`` (runs on Tensors without recording) and
``backward(ctx, *grad_outputs)`` written with differentiable Tensor ops, so that
``create_graph=True`` differentiates the backward pass itself.
"""

from __future__ import annotations

from typing import Any

from .grad_mode import state

# Bound by gradkit.tensor when it is imported (it sits above this layer).
Tensor: Any = None


class _SavedOutput:
    """An output saved for backward. Holding the Tensor itself would make a reference cycle
    (node -> output -> node), so keep its array and rebuild the Tensor when unpacked."""

    __slots__ = ("data", "device", "version_counter", "output_nr", "requires_grad")

    def __init__(self, tensor: Any) -> None:
        self.data = tensor.data
        self.device = tensor.device
        self.version_counter = tensor._vc
        self.output_nr = tensor._output_nr
        self.requires_grad = tensor.requires_grad


class Function:
    """Base of every differentiable op. Use it the PyTorch way: subclass and call ``apply``.

    Instances are created without ``__init__`` on the hot path; the class attributes below
    are the defaults that a call overrides only when it needs to.
    """

    next_edges: tuple = ()
    needs_input_grad: tuple = ()
    _saved: tuple | None = ()
    _saved_versions: tuple = ()
    _released = False
    _pre_hooks: dict | None = None
    _output_meta: tuple | None = None
    materialize_grads = True

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("Function subclasses must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx: Any, *grad_outputs: Any) -> Any:
        raise NotImplementedError(f"{type(ctx).__name__} does not define backward")

    # ---- ctx API used inside forward/backward -------------------------------------------
    def save_for_backward(self, *tensors: Any) -> None:
        self._saved = tensors
        self._saved_versions = tuple(t._vc[0] if t is not None else 0 for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        saved = self._saved
        if self._released or saved is None:
            raise RuntimeError(
                f"{type(self).__name__}: trying to backward through the graph a second time "
                "(or to read saved tensors after they were freed). Pass retain_graph=True to "
                "the first backward() or autograd.grad() if you need to backward twice."
            )
        unpacked = []
        for i, (item, version) in enumerate(zip(saved, self._saved_versions)):
            if item is None:
                unpacked.append(None)
                continue
            if isinstance(item, _SavedOutput):
                now = item.version_counter[0]
                tensor = Tensor._from_graph(item.data, item.device, item.requires_grad,
                                            self, item.output_nr, item.version_counter)
            else:
                now = item._vc[0]
                tensor = item
            if now != version:
                raise RuntimeError(
                    f"{type(self).__name__}: saved tensor {i} needed for gradient computation "
                    f"was modified by an in-place operation (it was at version {version}, "
                    f"now at version {now}). Clone it before modifying it in place."
                )
            unpacked.append(tensor)
        return tuple(unpacked)

    def mark_non_differentiable(self, *tensors: Any) -> None:
        self.__dict__.setdefault("_non_differentiable", set()).update(id(t) for t in tensors)

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)

    @property
    def next_functions(self) -> tuple:
        """(node, output_nr) per input, like PyTorch; a leaf shows as the Tensor itself."""
        return self.next_edges

    def name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    def register_prehook(self, output_nr: int, hook: Any) -> None:
        if self._pre_hooks is None:  # the class default is shared: make this node's own
            self._pre_hooks = {}
        self._pre_hooks.setdefault(output_nr, []).append(hook)

    # ---- building the graph ---------------------------------------------------------------
    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        ctx = _new(cls)
        recording = False
        if state.enabled:
            for a in args:
                if isinstance(a, Tensor) and a.requires_grad:
                    recording = True
                    break
        if recording:
            _record_inputs(ctx, args)
        previous = state.enabled
        state.enabled = False
        try:
            result = cls.forward(ctx, *args, **kwargs)
        finally:
            state.enabled = previous
        if not recording:
            return result
        return _connect_outputs(ctx, result, args)


_new = object.__new__


def _edge_of(tensor: Any) -> Any:
    if not tensor.requires_grad:
        return None
    node = tensor.grad_fn
    if node is None:
        return (tensor, 0)  # a leaf: the engine accumulates into tensor.grad
    return (node, tensor._output_nr)


def _record_inputs(ctx: Function, args: tuple) -> None:
    edges = []
    needs = []
    for a in args:
        edge = _edge_of(a) if isinstance(a, Tensor) else None
        edges.append(edge)
        needs.append(edge is not None)
    ctx.next_edges = tuple(edges)
    ctx.needs_input_grad = tuple(needs)


def _connect_outputs(ctx: Function, result: Any, args: tuple) -> Any:
    """Attach the outputs of a recorded call to the node ``ctx``."""
    non_diff = ctx.__dict__.get("_non_differentiable", ())
    outputs = result if isinstance(result, tuple) else (result,)
    for nr, out in enumerate(outputs):
        if isinstance(out, Tensor) and id(out) not in non_diff and out.dtype.kind == "f":
            if out.grad_fn is not None or out.requires_grad or any(out is a for a in args):
                # forward returned an input or a tensor already in a graph: give it a fresh
                # identity so that history is not rewritten.
                out = out._alias()
                if isinstance(result, tuple):
                    result = result[:nr] + (out,) + result[nr + 1:]
                else:
                    result = out
            out.requires_grad = True
            out.grad_fn = ctx
            out._output_nr = nr
    if len(outputs) > 1:
        ctx._output_meta = tuple(
            (o.shape, o.dtype, o.device) if isinstance(o, Tensor) else None for o in outputs
        )
    saved = ctx._saved
    if saved:
        ctx._saved = tuple(
            _SavedOutput(t) if t is not None and t.grad_fn is ctx else t for t in saved
        )
    return result
