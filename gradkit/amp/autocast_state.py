"""Autocast's per-thread state and its dtype policy, consulted at the public op entry points.

Kept free of gradkit imports at module level: the op modules import it while gradkit is still
being imported. An entry point costs one module-attribute test when no autocast region is
open anywhere:

    if _amp.active:
        x, w = _amp.cast_inputs("matmul", x, w)

Policy (PyTorch's for the same ops on CUDA):
- LOWER: matmul, linear, conv (and batched forms) run in the autocast dtype (float16) with
  float32 accumulation where the backend offers it.
- FP32: softmax, log_softmax, exp, log, sum, mean, norms and every loss run in float32.
- anything else listed under PROMOTE runs in the widest floating dtype among its inputs.
Only float32 (and float16/bfloat16) tensors are eligible for casting: float64 stays float64,
as in PyTorch, and integer tensors are never touched. Casts are the differentiable Cast op,
so each gradient flows back in its own tensor's dtype.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

LOWER = "lower_precision"
FP32 = "float32"
PROMOTE = "promote"

POLICY: dict[str, str] = {
    **dict.fromkeys(
        ("matmul", "mm", "bmm", "linear", "conv1d", "conv2d", "conv_transpose2d"), LOWER
    ),
    **dict.fromkeys(
        (
            "softmax",
            "log_softmax",
            "exp",
            "log",
            "sum",
            "mean",
            "norm",
            "batch_norm",
            "layer_norm",
            "group_norm",
            "cross_entropy",
            "nll_loss",
            "mse_loss",
            "l1_loss",
            "huber_loss",
            "smooth_l1_loss",
            "binary_cross_entropy",
            "binary_cross_entropy_with_logits",
            "kl_div",
        ),
        FP32,
    ),
    **dict.fromkeys(("concat", "stack", "where"), PROMOTE),
}

_FLOAT32 = np.dtype(np.float32)
_FLOAT64 = np.dtype(np.float64)
_RANK = {np.dtype(np.float16): 1, _FLOAT32: 2, _FLOAT64: 3}

# Open autocast regions in all threads (enabled or not): zero keeps entry points on the
# fast path. Per thread: {device type: autocast dtype} for the enabled device types.
active = 0
_active_lock = threading.Lock()
_local = threading.local()


def enabled_modes() -> dict[str, np.dtype]:
    return getattr(_local, "modes", None) or {}


def is_autocast_enabled(device_type: str = "cuda") -> bool:
    """Whether autocast is on for ``device_type`` in this thread."""
    return device_type in enabled_modes()


def get_autocast_dtype(device_type: str = "cuda") -> np.dtype:
    """The dtype autocast uses for ``device_type`` here (float16 when none is set)."""
    return enabled_modes().get(device_type, np.dtype(np.float16))


def enter(device_type: str, dtype: np.dtype, enabled: bool, cache_enabled: bool) -> None:
    global active
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
        _local.cache = {}
    previous = (enabled_modes(), getattr(_local, "cache_enabled", True))
    stack.append(previous)
    modes = dict(previous[0])
    if enabled:
        modes[device_type] = dtype
    else:
        modes.pop(device_type, None)
    _local.modes = modes
    _local.cache_enabled = cache_enabled
    with _active_lock:
        active += 1


def leave() -> None:
    global active
    stack = _local.stack
    _local.modes, _local.cache_enabled = stack.pop()
    if not stack:
        _local.cache = {}  # the cast-weight cache lives for the outermost region only
    with _active_lock:
        active -= 1


def cast_inputs(op: str, *args: Any) -> tuple:
    """``args`` with the tensors cast as ``op``'s policy asks when autocast is on for their
    device type in this thread; otherwise ``args`` unchanged."""
    modes = enabled_modes()
    if not modes:
        return args
    tensors = [a for a in args if hasattr(a, "_vc") and a.dtype.kind == "f"]
    if not tensors:
        return args
    fast_dtype = modes.get(tensors[0].device.type)
    if fast_dtype is None:
        return args
    policy = POLICY.get(op, PROMOTE)
    if policy == LOWER:
        target = fast_dtype
        eligible = [t.dtype != target and t.dtype != _FLOAT64 for t in tensors]
    elif policy == FP32:
        target = _FLOAT32
        eligible = [t.dtype not in (_FLOAT32, _FLOAT64) for t in tensors]
    else:
        target = max((t.dtype for t in tensors), key=lambda d: _RANK.get(d, 0))
        eligible = [t.dtype != target for t in tensors]
    if not any(eligible):
        return args
    cast = dict(zip(map(id, tensors), eligible))
    return tuple(_cast(a, target, policy == LOWER) if cast.get(id(a), False) else a for a in args)


def _cast(tensor: Any, dtype: np.dtype, cacheable: bool) -> Any:
    from ..ops.cast import cast  # at call time: the op modules import this one

    # PyTorch caches the lower-precision copies of leaves that require grad (parameters):
    # a weight used by several ops in one region is cast once. Keyed by identity + version.
    if not (cacheable and getattr(_local, "cache_enabled", True)):
        return cast(tensor, dtype)
    if not (tensor.requires_grad and tensor.grad_fn is None):
        return cast(tensor, dtype)
    cache = _local.cache
    key = (id(tensor), dtype)
    found = cache.get(key)
    if found is not None and found[0] is tensor and found[1] == tensor._vc[0]:
        return found[2]
    result = cast(tensor, dtype)
    cache[key] = (tensor, tensor._vc[0], result)
    return result
