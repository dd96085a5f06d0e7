"""Deterministic mode: select kernels whose results do not depend on thread scheduling.

On the CPU every gradkit primitive is deterministic. On the GPU the one nondeterministic
building block is scatter-add with repeated indices (indexing/gather/embedding backward), which
uses atomics: floating-point sums then depend on the order threads arrive in. With
``gk.use_deterministic_algorithms(True)`` it is replaced by a sort-based segmented sum.
"""

from __future__ import annotations

from typing import Any

_enabled = False


def use_deterministic_algorithms(mode: bool) -> None:
    """Like torch.use_deterministic_algorithms: choose deterministic kernels from now on."""
    global _enabled
    if not isinstance(mode, bool):
        raise TypeError(f"use_deterministic_algorithms: expected a bool, got {mode!r}")
    _enabled = mode


def are_deterministic_algorithms_enabled() -> bool:
    return _enabled


def deterministic_add_at(out: Any, index: Any, values: Any, xp: Any) -> None:
    """``out[index] += values`` with repeated indices accumulating, in a fixed order.

    Each value is mapped to the flat position it lands on, values are sorted by position (a
    deterministic radix/merge sort) and each run of equal positions is summed through a float64
    prefix sum, so no two threads ever add into the same element.
    """
    positions = xp.arange(out.size).reshape(out.shape)[index]
    if positions.size == 0:
        return
    flat_positions = positions.reshape(-1)
    flat_values = xp.broadcast_to(values, positions.shape).reshape(-1)
    order = xp.argsort(flat_positions, kind="stable")
    sorted_positions = flat_positions[order]
    prefix = xp.cumsum(flat_values[order].astype(xp.float64))
    run_starts = xp.flatnonzero(sorted_positions[1:] != sorted_positions[:-1]) + 1
    run_ends = xp.concatenate([run_starts, xp.asarray([sorted_positions.size])]) - 1
    totals = prefix[run_ends]
    totals[1:] -= prefix[run_ends[:-1]]
    targets = sorted_positions[run_ends]
    flat_out = out.reshape(-1)
    flat_out[targets] += totals.astype(out.dtype)
