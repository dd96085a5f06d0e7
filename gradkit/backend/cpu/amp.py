"""Dynamic loss scaling primitives (NumPy): the twins of kernels/amp.cu, with PyTorch's
semantics (torch._amp_foreach_non_finite_check_and_unscale_ and torch._amp_update_scale_).

State is held in 0-d arrays that the primitives update in place: ``found_inf`` (float32, 1.0
after an inf/NaN), ``scale`` (float32) and ``growth_tracker`` (int32), so that on a GPU the
same calls never copy a value to the host.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

Array = Any


def non_finite_check_and_unscale(
    grads: Sequence[Array],
    found_inf: Array,
    inv_scale: Array,
    out: Sequence[Array] | None = None,
) -> None:
    """out[i] = grads[i] * inv_scale (in place when ``out`` is None), computed in float32 for
    float16 gradients; sets found_inf to 1 when any gradient holds an inf or a NaN. The
    input is tested, not the product (a huge finite gradient times a tiny inverse scale
    does not count), and the product is written regardless."""
    outputs = grads if out is None else out
    for g, result in zip(grads, outputs):
        if g.size == 0:
            continue
        if not np.isfinite(g).all():
            found_inf[...] = 1.0
        factor = inv_scale if g.dtype != np.float64 else inv_scale.astype(np.float64)
        np.multiply(g, factor, out=result, casting="unsafe")


def non_finite_check(arrays: Sequence[Array], found_inf: Array) -> None:
    """Set found_inf to 1 when any array holds an inf or a NaN; nothing else is written (the
    optimizer then unscales inside its own update, reading ``inv_scale``)."""
    for a in arrays:
        if a.size and not np.isfinite(a).all():
            found_inf[...] = 1.0
            return


def multi_tensor_scale(
    arrays: Sequence[Array], coef: Array, out: Sequence[Array] | None = None
) -> None:
    """out[i] = arrays[i] * coef (in place when ``out`` is None) with a 0-d device ``coef``
    (gradient clipping by a total norm), the coefficient rounded to each array's dtype
    first, as ``a * coef.astype(a.dtype)`` does."""
    outputs = arrays if out is None else out
    for a, result in zip(arrays, outputs):
        np.multiply(a, coef.astype(a.dtype), out=result)


def update_scale(
    scale: Array,
    growth_tracker: Array,
    found_inf: Array,
    *,
    growth_factor: float,
    backoff_factor: float,
    growth_interval: int,
) -> None:
    """scale *= backoff_factor after an overflow (and the tracker restarts), else count a
    clean step and, after ``growth_interval`` of them in a row, scale *= growth_factor unless
    that would be infinite."""
    if bool(found_inf):
        np.multiply(scale, np.float32(backoff_factor), out=scale)
        growth_tracker[...] = 0
        return
    successful = int(growth_tracker) + 1
    if successful == growth_interval:
        grown = scale * np.float32(growth_factor)
        if np.isfinite(grown):
            scale[...] = grown
        growth_tracker[...] = 0
    else:
        growth_tracker[...] = successful
