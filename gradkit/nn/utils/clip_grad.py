"""Gradient clipping by global norm and by value (PyTorch's semantics), in place on ``.grad``."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from ...backend.device import cpu
from ...tensor import Tensor


def _with_grads(parameters: Tensor | Iterable[Tensor], op: str) -> list[Tensor]:
    """The parameters that have a gradient."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    found = []
    for p in parameters:
        if not isinstance(p, Tensor):
            raise TypeError(f"{op}: expected Tensors, got {type(p).__name__}")
        if p.grad is not None:
            if p.grad.device is not p.device:
                raise RuntimeError(
                    f"{op}: a gradient is on {p.grad.device} but its parameter is on {p.device}"
                )
            found.append(p)
    return found


def _norm(data: Any, norm_type: float, xp: Any) -> Any:
    """The ``norm_type`` vector norm of an array, as a 0-d array of its dtype."""
    flat = data.reshape(-1)
    if norm_type == 2.0:
        return xp.sqrt(xp.dot(flat, flat))
    if math.isinf(norm_type):
        if flat.size == 0:
            return xp.zeros((), dtype=data.dtype)
        magnitudes = xp.abs(flat)
        return magnitudes.max() if norm_type > 0 else magnitudes.min()
    if norm_type == 0.0:
        return xp.asarray(xp.count_nonzero(flat), dtype=data.dtype)
    return (xp.abs(flat) ** norm_type).sum() ** (1.0 / norm_type)


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Scale all gradients together so that their joint ``norm_type`` norm is at most
    ``max_norm``; returns the norm before clipping (a 0-d Tensor on the first gradient's
    device)."""
    params = _with_grads(parameters, "clip_grad_norm_")
    grads = [p.grad for p in params]
    max_norm, norm_type = float(max_norm), float(norm_type)
    if math.isnan(max_norm) or max_norm < 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be non-negative, got {max_norm}")
    if not grads:
        return Tensor._make(cpu.xp.zeros((), dtype=cpu.xp.float32), cpu)
    device = grads[0].device
    xp = device.xp
    if norm_type == 2.0 and _has_fused_clip(device, grads):
        return _fused_clip_l2(params, max_norm, error_if_nonfinite, device)
    norms = [_norm(g.data, norm_type, g.device.xp) for g in grads]
    stacked = xp.stack(
        [
            xp.asarray(n, dtype=grads[0].dtype)
            if g.device is device
            else xp.asarray(n.item(), dtype=grads[0].dtype)
            for n, g in zip(norms, grads)
        ]
    )
    total = _norm(stacked, norm_type, xp)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
            "non-finite, so it cannot be clipped; pass error_if_nonfinite=False to scale by it "
            "anyway"
        )
    coef = xp.minimum(max_norm / (total + 1e-6), 1.0).astype(total.dtype)
    with np.errstate(invalid="ignore"):  # inf * 0 -> nan is the documented result
        for p in params:
            g = p.grad
            scale = coef if g.device is device else g.device.xp.asarray(coef.item())
            _replace_grad(p, g.data * scale.astype(g.dtype))
    return Tensor._make(xp.asarray(total), device)


def _has_fused_clip(device: Any, grads: list[Tensor]) -> bool:
    """One device and a backend with the multi-tensor norm and scale primitives."""
    primitives = device.primitives
    return (
        hasattr(primitives, "multi_tensor_l2norm")
        and hasattr(primitives, "multi_tensor_scale")
        and all(g.device is device for g in grads)
    )


def _fused_clip_l2(
    params: list[Tensor], max_norm: float, error_if_nonfinite: bool, device: Any
) -> Tensor:
    """The L2 case as one multi-tensor reduction and one multi-tensor scale, with the
    coefficient kept on the device: no host sync unless error_if_nonfinite asks for one."""
    xp, primitives = device.xp, device.primitives
    grads = [p.grad.data for p in params]
    dtype = grads[0].dtype
    total, coef = primitives.multi_tensor_l2norm(grads, max_norm)
    if error_if_nonfinite and not bool(Tensor._make(xp.isfinite(total), device)):
        raise RuntimeError(
            "clip_grad_norm_: the total norm of order 2.0 of the gradients is non-finite, so "
            "it cannot be clipped; pass error_if_nonfinite=False to scale by it anyway"
        )
    dense = [g if g.flags.c_contiguous else xp.ascontiguousarray(g) for g in grads]
    outputs = [xp.empty_like(g) for g in dense]  # fresh: a gradient array may be shared
    with np.errstate(invalid="ignore"):  # inf * 0 -> nan is the documented result
        primitives.multi_tensor_scale(dense, coef, outputs)
    for p, out in zip(params, outputs):
        _replace_grad(p, out)
    return Tensor._make(xp.asarray(total, dtype=dtype), device)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient element into [-clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    if math.isnan(clip_value):
        raise ValueError("clip_grad_value_: clip_value is NaN")
    for p in _with_grads(parameters, "clip_grad_value_"):
        _replace_grad(p, p.grad.device.xp.clip(p.grad.data, -clip_value, clip_value))


def _replace_grad(param: Tensor, data: Any) -> None:
    # A fresh gradient rather than an in-place write: the engine may hand one gradient array
    # (or a read-only broadcast view) to several leaves.
    param.grad = Tensor._make(data, param.grad.device)
