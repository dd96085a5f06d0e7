"""Launchers for kernels/optimizer.cu: fused multi-tensor SGD, Adam/AdamW, RMSprop and
Adagrad steps with the signatures of the NumPy twins in gradkit.backend.cpu.optimizer, plus
``runtime`` (default: the one set by kernel_args.use_runtime, else CuPy).

One launch updates a whole group (more tensors than fit in kernel arguments are fine: the
metadata lives in device memory), a second one advances the step counters. The learning rate,
``found_inf`` and ``inv_scale`` are read by the kernels from device memory, so changing the
learning rate or skipping a step after an overflow needs neither a recompilation nor a sync.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from gradkit.backend.cuda import multi_tensor
from gradkit.backend.cuda.kernel_args import c_contiguous, resolve_runtime
from gradkit.backend.cuda.launch import KernelRuntime, launch

KERNEL_FILE = "optimizer.cu"
_KERNELS = ("sgd_multi_tensor", "adam_multi_tensor", "rmsprop_multi_tensor", "adagrad_multi_tensor")
# (parameter storage type, update/state type): plain float32 and float64, and float16
# parameters with float32 master copies.
_TYPE_PAIRS = {
    (np.dtype(np.float32), None): ("float", "float"),
    (np.dtype(np.float64), None): ("double", "double"),
    (np.dtype(np.float16), np.dtype(np.float32)): ("__half", "float"),
}
NAME_EXPRESSIONS = tuple(
    f"{kernel}<{p}, {m}>" for kernel in _KERNELS for p, m in _TYPE_PAIRS.values()
) + ("increment_steps",)

Array = Any
OptionalArrays = Sequence[Array | None] | None


class _Group:
    """A validated call: the arrays in kernel order and the device scalars."""

    def __init__(
        self,
        op: str,
        runtime: KernelRuntime,
        params: Sequence[Array],
        grads: Sequence[Array],
        master_params: Sequence[Array] | None,
        lr: Any,
        found_inf: Array | None,
        inv_scale: Array | None,
    ) -> None:
        self.op, self.runtime = op, runtime
        self.params = list(params)
        n = len(self.params)
        _check_count(op, "grads", grads, n)
        dtype = self.params[0].dtype if n else np.dtype(np.float32)
        master_dtype = None
        if master_params is not None:
            _check_count(op, "master_params", master_params, n)
            master_dtype = master_params[0].dtype if n else np.dtype(np.float32)
        pair = _TYPE_PAIRS.get((dtype, master_dtype))
        if pair is None:
            raise TypeError(
                f"{op}: supported are float32 or float64 parameters, or float16 parameters with "
                f"float32 master_params; got {dtype} parameters with "
                f"{'no master_params' if master_dtype is None else f'{master_dtype} master_params'}"
            )
        self.name_types = f"<{pair[0]}, {pair[1]}>"
        self.state_dtype = np.dtype(np.float64 if pair[1] == "double" else np.float32)
        for i, p in enumerate(self.params):
            _check_written(op, f"params[{i}]", p, dtype, p.size)
        self.sizes = [int(p.size) for p in self.params]
        self.grads = []
        for i, (g, size) in enumerate(zip(grads, self.sizes)):
            if g.dtype != dtype or g.size != size:
                raise ValueError(
                    f"{op}: grads[{i}] must be {dtype} with {size} elements like its parameter; "
                    f"got {g.dtype} with {g.size}"
                )
            self.grads.append(c_contiguous(runtime, g))
        self.master = (
            None if master_params is None else self.state_list("master_params", master_params)
        )
        xp_scalar = multi_tensor.device_scalar
        self.lr = xp_scalar(runtime, lr, np.float64)
        self.found_inf = (
            xp_scalar(runtime, 0.0, np.float32)
            if found_inf is None
            else _check_scalar(op, "found_inf", found_inf)
        )
        self.inv_scale = (
            xp_scalar(runtime, 1.0, np.float32)
            if inv_scale is None
            else _check_scalar(op, "inv_scale", inv_scale)
        )

    def state_list(self, name: str, arrays: Sequence[Array]) -> list[Array]:
        _check_count(self.op, name, arrays, len(self.params))
        for i, (a, size) in enumerate(zip(arrays, self.sizes)):
            _check_written(self.op, f"{name}[{i}]", a, self.state_dtype, size)
        return list(arrays)

    def steps(self, steps: Sequence[Array]) -> list[Array]:
        _check_count(self.op, "steps", steps, len(self.params))
        for i, s in enumerate(steps):
            _check_written(self.op, f"steps[{i}]", s, np.dtype(np.float32), 1)
        return list(steps)

    def run(self, kernel: str, lists: list, scalars: tuple, step_list: int | None) -> None:
        runtime = self.runtime
        meta, chunks = multi_tensor.metadata(runtime, lists, self.sizes)
        common = (meta, np.int32(len(self.params)))
        if chunks:
            launch(
                runtime,
                KERNEL_FILE,
                kernel + self.name_types,
                *multi_tensor.geometry(runtime, chunks),
                (
                    *common,
                    np.int64(chunks),
                    np.int64(multi_tensor.CHUNK_SIZE),
                    self.lr,
                    self.found_inf,
                    self.inv_scale,
                    *scalars,
                ),
            )
        if step_list is not None and self.params:
            launch(
                runtime,
                KERNEL_FILE,
                "increment_steps",
                (max(min(-(-len(self.params) // 256), runtime.max_grid_blocks), 1), 1, 1),
                (256, 1, 1),
                (*common, np.int32(step_list), self.found_inf),
            )


def sgd_step(
    params: Sequence[Array],
    grads: Sequence[Array],
    momentum_buffers: OptionalArrays,
    *,
    lr: Any,
    weight_decay: float,
    momentum: float,
    dampening: float,
    nesterov: bool,
    maximize: bool,
    found_inf: Array | None = None,
    inv_scale: Array | None = None,
    master_params: Sequence[Array] | None = None,
    runtime: KernelRuntime | None = None,
) -> None:
    """SGD with optional momentum/dampening/Nesterov (see the twin)."""
    runtime = resolve_runtime(runtime)
    group = _Group("sgd_step", runtime, params, grads, master_params, lr, found_inf, inv_scale)
    if not group.params:
        return
    has_momentum = momentum != 0
    buffers = group.state_list("momentum_buffers", momentum_buffers) if has_momentum else None
    group.run(
        "sgd_multi_tensor",
        [group.params, group.grads, buffers, group.master],
        (
            np.float64(weight_decay),
            np.float64(momentum),
            np.float64(dampening),
            np.int32(bool(nesterov)),
            np.int32(bool(maximize)),
            np.int32(has_momentum),
        ),
        step_list=None,
    )


def adam_step(
    params: Sequence[Array],
    grads: Sequence[Array],
    exp_avgs: Sequence[Array],
    exp_avg_sqs: Sequence[Array],
    max_exp_avg_sqs: OptionalArrays,
    steps: Sequence[Array],
    *,
    lr: Any,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    amsgrad: bool,
    maximize: bool,
    decoupled_weight_decay: bool,
    found_inf: Array | None = None,
    inv_scale: Array | None = None,
    master_params: Sequence[Array] | None = None,
    runtime: KernelRuntime | None = None,
) -> None:
    """Adam (``decoupled_weight_decay=False``) or AdamW (``True``), see the twin."""
    runtime = resolve_runtime(runtime)
    group = _Group("adam_step", runtime, params, grads, master_params, lr, found_inf, inv_scale)
    if not group.params:
        return
    lists = [
        group.params,
        group.grads,
        group.state_list("exp_avgs", exp_avgs),
        group.state_list("exp_avg_sqs", exp_avg_sqs),
        group.state_list("max_exp_avg_sqs", max_exp_avg_sqs) if amsgrad else None,
        group.steps(steps),
        group.master,
    ]
    group.run(
        "adam_multi_tensor",
        lists,
        (
            np.float64(beta1),
            np.float64(beta2),
            np.float64(eps),
            np.float64(weight_decay),
            np.int32(bool(amsgrad)),
            np.int32(bool(maximize)),
            np.int32(bool(decoupled_weight_decay)),
        ),
        step_list=5,
    )


def rmsprop_step(
    params: Sequence[Array],
    grads: Sequence[Array],
    square_avgs: Sequence[Array],
    grad_avgs: OptionalArrays,
    momentum_buffers: OptionalArrays,
    steps: Sequence[Array],
    *,
    lr: Any,
    alpha: float,
    eps: float,
    weight_decay: float,
    momentum: float,
    centered: bool,
    maximize: bool,
    found_inf: Array | None = None,
    inv_scale: Array | None = None,
    master_params: Sequence[Array] | None = None,
    runtime: KernelRuntime | None = None,
) -> None:
    """RMSprop, optionally centered and with momentum (see the twin)."""
    runtime = resolve_runtime(runtime)
    group = _Group("rmsprop_step", runtime, params, grads, master_params, lr, found_inf, inv_scale)
    if not group.params:
        return
    has_momentum = momentum > 0
    lists = [
        group.params,
        group.grads,
        group.state_list("square_avgs", square_avgs),
        group.state_list("grad_avgs", grad_avgs) if centered else None,
        group.state_list("momentum_buffers", momentum_buffers) if has_momentum else None,
        group.steps(steps),
        group.master,
    ]
    group.run(
        "rmsprop_multi_tensor",
        lists,
        (
            np.float64(alpha),
            np.float64(eps),
            np.float64(weight_decay),
            np.float64(momentum),
            np.int32(bool(centered)),
            np.int32(bool(maximize)),
            np.int32(has_momentum),
        ),
        step_list=5,
    )


def adagrad_step(
    params: Sequence[Array],
    grads: Sequence[Array],
    state_sums: Sequence[Array],
    steps: Sequence[Array],
    *,
    lr: Any,
    lr_decay: float,
    weight_decay: float,
    eps: float,
    maximize: bool,
    found_inf: Array | None = None,
    inv_scale: Array | None = None,
    master_params: Sequence[Array] | None = None,
    runtime: KernelRuntime | None = None,
) -> None:
    """Adagrad with learning-rate decay (see the twin)."""
    runtime = resolve_runtime(runtime)
    group = _Group("adagrad_step", runtime, params, grads, master_params, lr, found_inf, inv_scale)
    if not group.params:
        return
    lists = [
        group.params,
        group.grads,
        group.state_list("state_sums", state_sums),
        group.steps(steps),
        group.master,
    ]
    group.run(
        "adagrad_multi_tensor",
        lists,
        (
            np.float64(lr_decay),
            np.float64(weight_decay),
            np.float64(eps),
            np.int32(bool(maximize)),
        ),
        step_list=3,
    )


def _check_count(op: str, name: str, arrays: Any, n: int) -> None:
    if arrays is None or len(arrays) != n:
        got = "None" if arrays is None else len(arrays)
        raise ValueError(f"{op}: expected {n} {name} (one per parameter), got {got}")


def _check_written(op: str, name: str, array: Array, dtype: np.dtype, size: int) -> None:
    """Arrays the kernel writes in place must be dense, of the right dtype and size."""
    if array.dtype != dtype or array.size != size:
        raise ValueError(
            f"{op}: {name} must be {dtype} with {size} elements; got {array.dtype} with "
            f"{array.size}"
        )
    if not array.flags.c_contiguous:
        raise ValueError(f"{op}: {name} must be C-contiguous (it is updated in place)")


def _check_scalar(op: str, name: str, array: Array) -> Array:
    if getattr(array, "dtype", None) != np.float32 or getattr(array, "size", 0) != 1:
        raise TypeError(f"{op}: {name} must be a one-element float32 device array; got {array!r}")
    return array
