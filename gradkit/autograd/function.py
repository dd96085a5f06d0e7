"""Function: one differentiable operation; each call's instance is the node in the graph.

A subclass defines ``forward(ctx, *args)`` (runs on Tensors without recording) and
``backward(ctx, *grad_outputs)`` written with differentiable Tensor ops, so that
``create_graph=True`` differentiates the backward pass itself.
"""

from __future__ import annotations

from typing import Any

from . import forward_state as _fw
from .grad_mode import state

# Bound by gradkit.tensor when it is imported (it sits above this layer).
Tensor: Any = None


class _SavedOutput:
    """An output saved for backward. Holding the Tensor itself would make a reference cycle
    (node -> output -> node), so keep its array and rebuild the Tensor when unpacked."""

    __slots__ = ("data", "device", "version_counter", "output_nr", "requires_grad", "tangents")

    def __init__(self, tensor: Any) -> None:
        self.data = tensor.data
        self.device = tensor.device
        self.version_counter = tensor._vc
        self.output_nr = tensor._output_nr
        self.requires_grad = tensor.requires_grad
        # forward-mode tangents travel with the saved output, so a backward pass run inside
        # a dual level (forward over reverse: Hessian-vector products) sees them
        self.tangents = tensor._fw


class Function:
    """Base of every differentiable op. Use it the PyTorch way: subclass and call ``apply``.

    Instances are created without ``__init__`` on the hot path; the class attributes below
    are the defaults that a call overrides only when it needs to.
    """

    next_edges: tuple = ()
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
        # Versions are read when the call is connected to the graph (nothing changes a saved
        # tensor before forward returns); a call that records nothing pays nothing here.
        self._saved = tensors

    @property
    def needs_input_grad(self) -> tuple:
        return tuple(edge is not None for edge in self.next_edges)

    @property
    def saved_tensors(self) -> tuple:
        saved = self._saved
        if saved and not self._saved_versions and not self._released:
            return saved  # not recorded (e.g. read by a jvp rule): the tensors themselves
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
                tensor = Tensor._from_graph(
                    item.data,
                    item.device,
                    item.requires_grad,
                    self,
                    item.output_nr,
                    item.version_counter,
                )
                tensor._fw = item.tangents
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
        hooks = self._pre_hooks.setdefault(output_nr, [])
        if hooks and getattr(hooks[-1], "retains_grad", False):
            # retain_grad's hook stays last: .grad shows the gradient after every user hook
            hooks.insert(len(hooks) - 1, hook)
        else:
            hooks.append(hook)

    # ---- building the graph ---------------------------------------------------------------
    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        ctx = _new(cls)
        recording = False
        if state.enabled:
            for a in args:
                if isinstance(a, Tensor):
                    if a._view_base is not None and a._vc[0] != a._view_version:
                        refresh_view(a)  # its base changed in place since its grad_fn was made
                    if a.requires_grad:
                        recording = True
                        break
        if recording:
            edges = []
            for a in args:
                if isinstance(a, Tensor):
                    if a._view_base is not None and a._vc[0] != a._view_version:
                        refresh_view(a)
                    if not a.requires_grad:
                        edges.append(None)
                        continue
                    node = a.grad_fn
                    # a leaf's edge points at the tensor itself: the engine accumulates into
                    # its .grad
                    edges.append((a, 0) if node is None else (node, a._output_nr))
                else:
                    edges.append(None)
            ctx.next_edges = tuple(edges)
        previous = state.enabled
        state.enabled = False
        forward_mode = False
        if _fw.state.levels:
            for a in args:
                if isinstance(a, Tensor) and a._view_base is not None:
                    sync_view(a)  # a stale view's tangent is rebuilt with its grad_fn
            forward_mode = _fw.has_tangents(args)
        try:
            if forward_mode:
                with _fw.hidden_levels(-1):  # tangents come from the jvp rule, not from inside
                    result = cls.forward(ctx, *args, **kwargs)
            else:
                result = cls.forward(ctx, *args, **kwargs)
        finally:
            state.enabled = previous
        if recording:
            if result.__class__ is Tensor and "_non_differentiable" not in ctx.__dict__:
                result = _connect_one(ctx, result, args)
            else:
                result = _connect_outputs(ctx, result, args)
        if forward_mode:
            _fw.propagate(cls, ctx, args, result)
        if recording and ctx._saved:
            _pack_saved(ctx)
        return result


_new = object.__new__


def refresh_view(view: Any) -> None:
    """Give a view whose base was changed in place since its grad_fn was made (the shared
    version counter moved on) the history it has now: its view function applied to the
    base's current graph. PyTorch regenerates a view's grad_fn the same way, lazily."""
    base = view._view_base
    view._view_version = view._vc[0]
    if view.grad_fn is None and view.requires_grad:
        return  # the user made this view a leaf of its own
    if not (base.requires_grad or view.requires_grad or base._fw or view._fw):
        return  # no history or tangent on either side: nothing to rebuild
    fresh = base
    previous = state.enabled
    state.enabled = not view._view_no_grad  # a view made under no_grad stays a constant
    try:
        for cls, arg in view._view_fn:
            fresh = cls.apply(fresh, arg)
    finally:
        state.enabled = previous
    view.grad_fn = fresh.grad_fn
    view._output_nr = fresh._output_nr
    view.requires_grad = fresh.requires_grad
    view._fw = fresh._fw


def sync_view(tensor: Any) -> None:
    """Bring a view's grad_fn up to date before it is read (backward roots, hooks)."""
    if tensor._view_base is not None and tensor._vc[0] != tensor._view_version:
        refresh_view(tensor)


def _is_one_of(out: Any, args: tuple) -> bool:
    for a in args:  # identity, not ==: Tensor's == is elementwise
        if out is a:
            return True
    return False


def _connect_one(ctx: Function, out: Any, args: tuple) -> Any:
    if out.data.dtype.kind != "f":
        return out
    if out.grad_fn is not None or out.requires_grad or _is_one_of(out, args):
        # forward returned an input or a tensor already in a graph: give it a fresh identity
        # so that history is not rewritten.
        out = out._alias()
    out.requires_grad = True
    out.grad_fn = ctx
    return out


def _connect_outputs(ctx: Function, result: Any, args: tuple) -> Any:
    """Attach the outputs of a recorded call to the node ``ctx``."""
    non_diff = ctx.__dict__.get("_non_differentiable", ())
    outputs = result if isinstance(result, tuple) else (result,)
    for nr, out in enumerate(outputs):
        if isinstance(out, Tensor) and id(out) not in non_diff and out.dtype.kind == "f":
            if out.grad_fn is not None or out.requires_grad or _is_one_of(out, args):
                out = out._alias()
                if isinstance(result, tuple):
                    result = result[:nr] + (out,) + result[nr + 1 :]
                else:
                    result = out
            out.requires_grad = True
            out.grad_fn = ctx
            out._output_nr = nr
    if len(outputs) > 1:
        ctx._output_meta = tuple(
            (o.shape, o.dtype, o.device) if isinstance(o, Tensor) else None for o in outputs
        )
    return result


def _pack_saved(ctx: Function) -> None:
    """Record saved tensors' versions; keep outputs as _SavedOutput to avoid a cycle."""
    packed = []
    versions = []
    for t in ctx._saved:
        if t is None:
            packed.append(None)
            versions.append(0)
        else:
            versions.append(t._vc[0])
            packed.append(_SavedOutput(t) if t.grad_fn is ctx else t)
    ctx._saved = tuple(packed)
    ctx._saved_versions = tuple(versions)
