"""The communicator interface every collective backend implements (MPI on CPU, NCCL on GPU).

A communicator works on raw, C-contiguous device arrays (NumPy for MPI, CuPy for NCCL), in
place, and returns a ``Work`` handle at once; ``Work.wait()`` finishes the operation. The
tensor-level API (``gradkit.distributed.collectives``) and DistributedDataParallel are written
against this interface only, so the backends share everything above it.
"""

from __future__ import annotations

import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

REDUCE_OPS = ("sum", "avg", "max", "min")


class DistributedTimeoutError(RuntimeError):
    """A collective did not finish within the process group's timeout: a peer rank has
    probably failed, hung, or issued different collectives."""


class Work(ABC):
    """Handle of an operation in flight."""

    @abstractmethod
    def is_completed(self) -> bool:
        """True once the operation has finished (never blocks)."""

    @abstractmethod
    def wait(self) -> None:
        """Block until the operation has finished (or raise DistributedTimeoutError)."""


class Communicator(ABC):
    """One rank's end of a group of ``world_size`` processes."""

    backend: str
    rank: int
    world_size: int
    local_rank: int  # this process's index among the ranks on its machine
    timeout: float  # seconds a collective may take before DistributedTimeoutError
    device_type: str  # "cpu" (arrays are NumPy) or "cuda" (arrays are CuPy)

    @abstractmethod
    def all_reduce(self, array: Any, op: str) -> Work:
        """Reduce ``array`` over all ranks with ``op`` (one of REDUCE_OPS), in place."""

    @abstractmethod
    def broadcast(self, array: Any, src: int) -> Work:
        """Overwrite ``array`` on every rank with rank ``src``'s."""

    @abstractmethod
    def all_gather(self, out: Any, array: Any) -> Work:
        """``out[r] = array of rank r`` for every rank; ``out`` has shape (world_size,
        *array.shape)."""

    @abstractmethod
    def host_all_reduce(self, array: Any, op: str) -> Work:
        """``all_reduce`` of a small NumPy array through MPI, whatever the backend: for
        bookkeeping (stop flags, epoch metrics) that must not wait on the GPU."""

    @abstractmethod
    def barrier(self) -> None:
        """Return once every rank has called barrier (raise after the timeout)."""

    @abstractmethod
    def abort(self, code: int = 1) -> None:
        """Stop every process of the job now (never returns)."""

    @abstractmethod
    def close(self) -> None:
        """Release the communicator's resources."""


# How long a wait polls flat out (yielding the core between polls) before it starts sleeping.
# MPI's non-blocking collectives only move data inside MPI calls, so a large message in
# flight needs polls at full rate; a wait this long means a peer is far behind instead.
BUSY_POLL_S = 5.0


def wait_until(done: Callable[[], bool], timeout: float, what: str, rank: int) -> None:
    """Poll ``done()`` until it is true; raise DistributedTimeoutError after ``timeout`` s.

    Polling (rather than a blocking wait) is what lets a rank notice that a peer died or
    hung. Each poll also drives MPI's progress engine. Between polls the process yields its
    core (as Open MPI does when idle), and after ``BUSY_POLL_S`` it sleeps a millisecond, so
    that a rank waiting for a slow peer does not burn a core for minutes.
    """
    if done():
        return
    started = time.monotonic()
    deadline = started + timeout
    polls = 0
    while not done():
        polls += 1
        if polls % 64:
            _yield_core()
            continue
        now = time.monotonic()
        if now > deadline:
            raise DistributedTimeoutError(
                f"gradkit.distributed: rank {rank}: {what} did not complete within "
                f"{timeout:g} s; another rank has probably failed, hung or called different "
                "collectives (raise the limit with init_process_group(timeout=...))"
            )
        if now - started > BUSY_POLL_S:
            time.sleep(1e-3)
        else:
            _yield_core()


_yield_core = getattr(os, "sched_yield", lambda: time.sleep(0))


class ThenWork(Work):
    """``work`` followed by ``then()`` (run once, on completion): scaling for "avg",
    copying a staging buffer back, and the like."""

    def __init__(self, work: Work, then: Callable[[], None]) -> None:
        self._work = work
        self._then: Callable[[], None] | None = then

    def is_completed(self) -> bool:
        if not self._work.is_completed():
            return False
        self._run_then()
        return True

    def wait(self) -> None:
        self._work.wait()
        self._run_then()

    def _run_then(self) -> None:
        then, self._then = self._then, None
        if then is not None:
            then()
