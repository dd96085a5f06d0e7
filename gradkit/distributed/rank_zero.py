"""Helpers for a training loop run by every rank, where only rank 0 speaks and writes.

Every rank computes (same model, its own data shard); rank 0 alone prints progress, writes
metrics and checkpoints; the others wait at a barrier where a file must exist before they go
on. All of these also work, as no-ops, when no process group is initialised.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import Any, TextIO, TypeVar

import numpy as np

from .process_group import default_communicator, get_rank, is_initialized

F = TypeVar("F", bound=Callable[..., Any])


def is_main_process() -> bool:
    """True on rank 0, and in a program that is not distributed."""
    return not is_initialized() or get_rank() == 0


def rank_zero_only(fn: F) -> F:
    """Decorate ``fn`` to run on rank 0 only (returning None on the other ranks)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs) if is_main_process() else None

    return wrapper  # type: ignore[return-value]


def quiet_unless_main(stream: TextIO) -> TextIO:
    """``stream`` on rank 0, a sink on the other ranks (their progress would repeat rank 0's).
    Uncaught errors still reach every rank's stderr through sys.excepthook."""
    if is_main_process():
        return stream
    return open(os.devnull, "w")  # noqa: SIM115 - lives as long as the run


def sum_over_ranks(*values: float) -> tuple[float, ...]:
    """Each value summed over all ranks (one host all-reduce for all of them), e.g. the epoch's
    loss sum, correct count and sample count, for metrics of the whole global batch."""
    if not is_initialized():
        return tuple(float(v) for v in values)
    host = np.asarray([float(v) for v in values], dtype=np.float64)
    default_communicator("sum_over_ranks").host_all_reduce(host, "sum").wait()
    return tuple(float(v) for v in host)


def any_rank(flag: bool) -> bool:
    """True on every rank when ``flag`` is true on any rank: lets all ranks agree, at the same
    step, to stop (a signal may reach only some of them, or reach them at different steps)."""
    if not is_initialized():
        return bool(flag)
    value = np.asarray([1 if flag else 0], dtype=np.int32)
    default_communicator("any_rank").host_all_reduce(value, "max").wait()
    return bool(value[0])


def wait_for_everyone() -> None:
    """A barrier when distributed (e.g. after rank 0 wrote a checkpoint), else nothing."""
    if is_initialized():
        default_communicator("wait_for_everyone").barrier()
