"""The MPI communicator: mpi4py over Open MPI, on NumPy buffers, with non-blocking collectives.

Every collective is issued as its non-blocking MPI form (Iallreduce, Ibcast, Iallgather,
Ibarrier) so that DistributedDataParallel can overlap gradient reduction with the rest of
backward, and so that waiting can time out instead of hanging when a peer has died.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .communicator import Communicator, ThenWork, Work, wait_until


def import_mpi() -> Any:
    """mpi4py's MPI module, or an ImportError that says how to get it."""
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise ImportError(
            "gradkit.distributed needs mpi4py over an MPI library for process launch and CPU "
            "collectives: apt-get install openmpi-bin libopenmpi-dev && pip install mpi4py "
            f"({error})"
        ) from error
    return MPI


# MPI has no float16 reductions (before MPI 4.1) and no max/min on booleans: those reduce a
# staging copy in a type it has.
_STAGING_DTYPE = {
    np.dtype(np.float16): np.dtype(np.float32),
    np.dtype(np.bool_): np.dtype(np.uint8),
}


class MPIWork(Work):
    """A pending MPI request."""

    def __init__(self, request: Any, owner: MPICommunicator, what: str) -> None:
        self._request = request
        self._owner = owner
        self._what = what
        self._done = False

    def is_completed(self) -> bool:
        if not self._done:
            self._done = bool(self._request.Test())
        return self._done

    def wait(self) -> None:
        wait_until(self.is_completed, self._owner.timeout, self._what, self._owner.rank)


class MPICommunicator(Communicator):
    """Collectives over an MPI communicator (COMM_WORLD by default) on CPU arrays."""

    backend = "mpi"
    device_type = "cpu"

    def __init__(self, comm: Any, timeout: float) -> None:
        MPI = import_mpi()
        self._mpi = MPI
        self.comm = comm
        self.rank = comm.Get_rank()
        self.world_size = comm.Get_size()
        self.local_rank = _local_rank(comm, MPI)
        self.timeout = float(timeout)
        self._ops = {"sum": MPI.SUM, "avg": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN}

    def all_reduce(self, array: Any, op: str) -> Work:
        self._check(array, "all_reduce")
        staging = _STAGING_DTYPE.get(array.dtype)
        buffer = array if staging is None else array.astype(staging)
        request = self.comm.Iallreduce(self._mpi.IN_PLACE, buffer, op=self._ops[op])
        work = MPIWork(request, self, f"all_reduce({op}) of {array.size} elements")
        scale = 1.0 / self.world_size if op == "avg" else None
        if buffer is array and scale is None:
            return work

        def finish() -> None:
            if scale is not None:
                np.multiply(buffer, scale, out=buffer, casting="unsafe")
            if buffer is not array:
                array[...] = buffer

        return ThenWork(work, finish)

    def host_all_reduce(self, array: Any, op: str) -> Work:
        return self.all_reduce(array, op)

    def broadcast(self, array: Any, src: int) -> Work:
        self._check(array, "broadcast")
        request = self.comm.Ibcast(_as_bytes(array), root=src)
        return MPIWork(request, self, f"broadcast from rank {src} of {array.size} elements")

    def all_gather(self, out: Any, array: Any) -> Work:
        self._check(array, "all_gather")
        self._check(out, "all_gather")
        if out.dtype != array.dtype or out.size != array.size * self.world_size:
            raise ValueError(
                f"all_gather: expected an output buffer of {array.size * self.world_size} "
                f"{array.dtype} elements, got {out.size} {out.dtype}"
            )
        request = self.comm.Iallgather(_as_bytes(array), _as_bytes(out))
        return MPIWork(request, self, f"all_gather of {array.size} elements")

    def barrier(self) -> None:
        MPIWork(self.comm.Ibarrier(), self, "barrier").wait()

    def abort(self, code: int = 1) -> None:
        self.comm.Abort(code)

    def close(self) -> None:
        # COMM_WORLD is MPI's own and is finalised by mpi4py at exit; only duplicates are freed.
        if self.comm != self._mpi.COMM_WORLD:
            self.comm.Free()

    def _check(self, array: Any, op: str) -> None:
        if not isinstance(array, np.ndarray):
            raise TypeError(
                f"{op}: the mpi backend works on CPU tensors, got a {type(array).__module__}."
                f"{type(array).__name__} (use backend='nccl' for CUDA tensors)"
            )
        if not array.flags.c_contiguous:
            raise ValueError(f"{op}: the mpi backend needs a C-contiguous buffer")


def _local_rank(comm: Any, MPI: Any) -> int:
    """This process's index among the ranks that share its machine."""
    node = comm.Split_type(MPI.COMM_TYPE_SHARED, key=comm.Get_rank())
    try:
        return node.Get_rank()
    finally:
        node.Free()


def _as_bytes(array: np.ndarray) -> np.ndarray:
    """The bytes of a contiguous array (moving data needs no MPI type, and MPI has none for
    float16)."""
    return array.reshape(-1).view(np.uint8)
