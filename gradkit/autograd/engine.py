"""The backward engine: iterative, dependency-counted, so graph depth is never a recursion limit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import function as _function
from .function import Function
from .grad_mode import state


def _tensor_cls() -> Any:
    return _function.Tensor


def _check_grad(name: str, grad: Any, like: Any) -> None:
    if grad.shape != like.shape:
        raise RuntimeError(
            f"{name}: gradient has shape {tuple(grad.shape)} but the tensor has shape "
            f"{tuple(like.shape)}"
        )


def _root_grads(outputs: Sequence[Any], grad_outputs: Sequence[Any] | None, op: str) -> list:
    Tensor = _tensor_cls()
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"{op}: got {len(grad_outputs)} gradients for {len(outputs)} outputs")
    roots = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not isinstance(out, Tensor):
            raise TypeError(f"{op}: outputs must be Tensors, got {type(out).__name__} at {i}")
        _function.sync_view(out)  # a view whose base changed in place: use its current history
        if not out.requires_grad:
            raise RuntimeError(
                f"{op}: element {i} of tensors does not require grad and does not have a grad_fn"
            )
        if g is None:
            if out.data.size != 1:
                raise RuntimeError(
                    f"{op}: grad can be implicitly created only for scalar outputs; output "
                    f"{i} has shape {tuple(out.shape)}, so pass a gradient of that shape"
                )
            g = Tensor._make(out.device.xp.ones_like(out.data), out.device)
        else:
            if not isinstance(g, Tensor):
                g = Tensor._make(out.device.xp.asarray(g, dtype=out.dtype), out.device)
            if g.device is not out.device:
                raise RuntimeError(
                    f"{op}: gradient {i} is on {g.device} but the output is on {out.device}"
                )
            _check_grad(f"{op} (gradient {i})", g, out)
        roots.append((out, g))
    return roots


class PostAccumulateGradHook:
    """A leaf hook ``fn(leaf)`` that runs after a gradient was accumulated into ``leaf.grad``.

    Kept in the leaf's ``_hooks`` list beside the gradient hooks (told apart by class), so a
    leaf without hooks pays nothing for this.
    """

    __slots__ = ("fn",)

    def __init__(self, fn: Any) -> None:
        self.fn = fn


def _accumulate_into_leaf(leaf: Any, grad: Any, create_graph: bool) -> None:
    hooks = leaf._hooks
    if hooks:
        for hook in hooks:
            if hook.__class__ is PostAccumulateGradHook:
                continue
            new = hook(grad)
            if new is not None:
                grad = new
    if not create_graph:
        grad = grad.detach() if grad.requires_grad else grad
    if grad.dtype != leaf.dtype:
        grad = grad.to(leaf.dtype)
    old = leaf.grad
    if old is None:
        leaf.grad = grad
        leaf._grad_owned = False
    elif create_graph or old.requires_grad:
        leaf.grad = old + grad
        leaf._grad_owned = True
    elif leaf._grad_owned:
        # Accumulate in place only into a buffer this engine allocated itself: the first
        # gradient may share memory with other gradients of the same backward pass.
        old.data += grad.data
    else:
        leaf.grad = old + grad
        leaf._grad_owned = True
    if hooks:
        for hook in hooks:
            if hook.__class__ is PostAccumulateGradHook:
                hook.fn(leaf)


def _discover(roots: list, captures: dict | None) -> tuple[dict, set | None, set | None]:
    """Count, for each node, how many edges from executed nodes lead into it.

    With ``captures`` (autograd.grad), only nodes on a path to a captured input execute
    (``needed``); nodes whose own outputs are captured are also visited (``visit``).
    """
    dependencies: dict[Function, int] = {}
    if captures is None:
        return _count_dependencies(roots), None, None
    seen: set = set()
    order: list = []
    stack = [node for node in roots]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        order.append(node)
        for edge in node.next_edges:
            if edge is not None:
                target = edge[0]
                if isinstance(target, Function) and target not in seen:
                    stack.append(target)
    needed = None
    if captures is not None:
        needed = set()
        # `order` is a pre-order; reversing it visits children before parents in a DAG walk
        # only approximately, so iterate to a fixed point (cheap: graphs are small here).
        changed = True
        while changed:
            changed = False
            for node in reversed(order):
                if node in needed:
                    continue
                for edge in node.next_edges:
                    if edge is None:
                        continue
                    target = edge[0]
                    if (id(target), edge[1]) in captures or target in needed:
                        needed.add(node)
                        changed = True
                        break
    visit = None
    if needed is not None:
        captured_ids = {key[0] for key in captures}
        visit = needed | {node for node in order if id(node) in captured_ids}
    for node in order:
        if needed is not None and node not in needed:
            continue
        for edge in node.next_edges:
            if edge is not None:
                target = edge[0]
                if isinstance(target, Function) and (visit is None or target in visit):
                    dependencies[target] = dependencies.get(target, 0) + 1
    return dependencies, needed, visit


def _count_dependencies(roots: list) -> dict:
    """backward() runs every reachable node: one walk counts the edges into each."""
    dependencies: dict[Function, int] = {}
    seen = set(roots)
    stack = list(roots)
    while stack:
        for edge in stack.pop().next_edges:
            if edge is not None:
                target = edge[0]
                if isinstance(target, Function):
                    dependencies[target] = dependencies.get(target, 0) + 1
                    if target not in seen:
                        seen.add(target)
                        stack.append(target)
    return dependencies


def _materialize(node: Function, grads: list) -> list:
    meta = node._output_meta
    Tensor = _tensor_cls()
    for i, g in enumerate(grads):
        if g is None and meta is not None and meta[i] is not None and node.materialize_grads:
            shape, dtype, device = meta[i]
            grads[i] = Tensor._make(device.xp.zeros(shape, dtype=dtype), device)
    return grads


def _run_node(node: Function, grads: list, create_graph: bool) -> tuple:
    previous = state.enabled
    state.enabled = create_graph
    try:
        result = type(node).backward(node, *grads)
    finally:
        state.enabled = previous
    if result.__class__ is not tuple:
        result = (result,)
    edges = node.next_edges
    if len(result) != len(edges):
        result = _fix_arity(node, result)
    Tensor = _tensor_cls()
    for g in result:
        if g is not None and g.__class__ is not Tensor and not isinstance(g, Tensor):
            _refuse_non_tensor(node, result)
    if state.anomaly:
        _check_finite(node, result)
    return result


def _refuse_non_tensor(node: Function, result: tuple) -> None:
    Tensor = _tensor_cls()
    for i, g in enumerate(result):
        if g is not None and not isinstance(g, Tensor):
            raise TypeError(
                f"{type(node).__name__}.backward must return Tensors or None, got "
                f"{type(g).__name__} for input {i}"
            )


def _fix_arity(node: Function, result: tuple) -> tuple:
    n_inputs = len(node.next_edges)
    if len(result) > n_inputs and all(r is None for r in result[n_inputs:]):
        return result[:n_inputs]
    raise RuntimeError(
        f"{type(node).__name__}.backward returned {len(result)} gradients, expected "
        f"{n_inputs} (one per forward input)"
    )


def _check_finite(node: Function, result: tuple) -> None:
    for i, g in enumerate(result):
        if g is not None and g.dtype.kind == "f":
            if not bool(g.device.xp.isfinite(g.data).all()):
                raise RuntimeError(
                    f"anomaly detected: {type(node).__name__}.backward returned a NaN/Inf "
                    f"gradient for input {i}"
                )


# Callbacks queued during a backward pass (e.g. by a gradient hook) run once the outermost
# pass has finished; DistributedDataParallel waits for its gradient all-reduces there.
_final_callbacks: list = []
_depth = 0


def queue_callback(callback: Any) -> None:
    """Run ``callback()`` when the backward pass now running has finished (PyTorch's
    ``Variable._execution_engine.queue_callback``). Dropped if that pass raises."""
    _final_callbacks.append(callback)


def execute(
    outputs: Sequence[Any],
    grad_outputs: Sequence[Any] | None,
    retain_graph: bool,
    create_graph: bool,
    inputs: Sequence[Any] | None = None,
    accumulate: bool = True,
    op: str = "backward",
) -> list | None:
    """Run backward from ``outputs``. With ``accumulate`` add into leaves' ``.grad``;
    otherwise return the gradients of ``inputs`` (None where unreachable). Callbacks queued
    meanwhile run at the end of the outermost pass."""
    global _depth
    _depth += 1
    try:
        result = _execute(outputs, grad_outputs, retain_graph, create_graph, inputs, accumulate, op)
    except BaseException:
        _depth -= 1
        if _depth == 0:
            _final_callbacks.clear()
        raise
    _depth -= 1
    if _depth == 0 and _final_callbacks:
        _run_final_callbacks()
    return result


def _run_final_callbacks() -> None:
    # A callback may queue another; run until none is left, each exactly once.
    while _final_callbacks:
        callbacks = list(_final_callbacks)
        _final_callbacks.clear()
        for callback in callbacks:
            callback()


def _execute(
    outputs: Sequence[Any],
    grad_outputs: Sequence[Any] | None,
    retain_graph: bool,
    create_graph: bool,
    inputs: Sequence[Any] | None,
    accumulate: bool,
    op: str,
) -> list | None:
    roots = _root_grads(outputs, grad_outputs, op)
    captures: dict | None = None
    captured: list | None = None
    only_inputs: set | None = None
    if inputs is not None:
        captured = [None] * len(inputs)
        captures = {}
        for i, t in enumerate(inputs):
            _function.sync_view(t)
            if t.grad_fn is None:
                captures[(id(t), 0)] = i
            else:
                captures[(id(t.grad_fn), t._output_nr)] = i
        if accumulate:
            only_inputs = {id(t) for t in inputs}

    buffers: dict[Function, list] = {}
    root_nodes = []
    for out, g in roots:
        node = out.grad_fn
        if node is None:
            _deliver_to_leaf(out, g, captures, captured, accumulate, only_inputs, create_graph)
            continue
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = [None] * _n_outputs(node)
            root_nodes.append(node)
        nr = out._output_nr
        buf[nr] = g if buf[nr] is None else buf[nr] + g

    # Keys of `captures` use id(); `inputs` keeps those objects alive meanwhile.
    dependencies, needed, visit = _discover(root_nodes, captures)

    ready = [n for n in root_nodes if dependencies.get(n, 0) == 0]
    while ready:
        node = ready.pop()
        grads = buffers.pop(node)
        if node._pre_hooks:
            for nr, hooks in node._pre_hooks.items():
                if grads[nr] is not None:
                    for hook in hooks:
                        new = hook(grads[nr])
                        if new is not None:
                            grads[nr] = new
        if captures is not None:
            for nr, g in enumerate(grads):
                index = captures.get((id(node), nr))
                if index is not None and g is not None:
                    captured[index] = g if captured[index] is None else captured[index] + g
            if node not in needed:
                continue
        if node._released:
            raise RuntimeError(
                f"{type(node).__name__}: trying to backward through the graph a second time "
                "(or directly access saved tensors after they have already been freed). "
                "Pass retain_graph=True to the first backward() or autograd.grad() call."
            )
        if node._output_meta is not None:
            grads = _materialize(node, grads)
        results = _run_node(node, grads, create_graph)
        if not retain_graph:
            node._saved = None
            node._released = True
        for edge, g in zip(node.next_edges, results):
            if g is None or edge is None:
                continue
            target, nr = edge
            if not isinstance(target, Function):
                _check_grad(f"{type(node).__name__}.backward", g, target)
                _deliver_to_leaf(
                    target, g, captures, captured, accumulate, only_inputs, create_graph
                )
                continue
            if visit is not None and target not in visit:
                continue
            buf = buffers.get(target)
            if buf is None:
                buf = buffers[target] = [None] * _n_outputs(target)
            buf[nr] = g if buf[nr] is None else buf[nr] + g
            left = dependencies[target] - 1
            dependencies[target] = left
            if left == 0:
                ready.append(target)
    return captured


def _n_outputs(node: Function) -> int:
    meta = node._output_meta
    return 1 if meta is None else len(meta)


def _deliver_to_leaf(
    leaf: Any,
    grad: Any,
    captures: dict | None,
    captured: list | None,
    accumulate: bool,
    only_inputs: set | None,
    create_graph: bool,
) -> None:
    if captures is not None:
        index = captures.get((id(leaf), 0))
        if index is not None:
            captured[index] = grad if captured[index] is None else captured[index] + grad
        if not accumulate:
            return
    if only_inputs is not None and id(leaf) not in only_inputs:
        return
    if accumulate:
        _accumulate_into_leaf(leaf, grad, create_graph)
