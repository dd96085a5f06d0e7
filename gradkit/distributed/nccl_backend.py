"""The NCCL communicator: GPU collectives through CuPy's ``cupy.cuda.nccl``.

MPI still launches the processes and does the rendezvous: rank 0 creates the NCCL unique id
and broadcasts it over MPI. Each process drives the GPU ``local_rank % device_count`` of its
machine (one process per GPU).

Streams: a collective runs on the communicator's own CUDA stream, after everything queued so
far on the current stream (an event orders them), so that DistributedDataParallel's bucket
all-reduces overlap the backward kernels still running on the current stream.
``Work.wait()`` makes the current stream wait for the collective without blocking the host
(later work on it sees the result, as with every other gradkit kernel); ``synchronize`` (and
``barrier``) wait on the host, with the timeout. Buffers in flight must stay alive until
``wait()`` (the blocking calls wait at once).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .communicator import Communicator, Work, wait_until
from .mpi_backend import _local_rank, import_mpi


class NCCLWork(Work):
    """A collective queued on a CUDA stream; an event marks its end."""

    def __init__(self, event: Any, owner: NCCLCommunicator, what: str) -> None:
        self._event = event
        self._owner = owner
        self._what = what

    def is_completed(self) -> bool:
        return bool(self._event.done)

    def wait(self) -> None:
        # Order, do not block: blocking the host would cost a synchronisation every step.
        self._owner._cupy.cuda.get_current_stream().wait_event(self._event)

    def synchronize(self) -> None:
        """Block the host until the collective has run (raise after the timeout)."""
        try:
            wait_until(self.is_completed, self._owner.timeout, self._what, self._owner.rank)
        except Exception:
            self._owner.abort_nccl()  # makes NCCL kernels stuck on a dead peer return
            raise


class NCCLCommunicator(Communicator):
    """Collectives over NCCL on CuPy arrays of the process's own GPU."""

    backend = "nccl"
    device_type = "cuda"

    def __init__(self, mpi_comm: Any, timeout: float) -> None:
        import_mpi()
        try:
            import cupy
            from cupy.cuda import nccl
        except ImportError as error:
            raise ImportError(
                "init_process_group(backend='nccl') needs CuPy built with NCCL "
                f"(pip install cupy-cuda12x; python -m cupyx.tools.install_library --library "
                f"nccl): {error}"
            ) from error
        self._cupy = cupy
        self._nccl = nccl
        self._mpi_comm = mpi_comm
        self.rank = mpi_comm.Get_rank()
        self.world_size = mpi_comm.Get_size()
        self.local_rank = _local_rank(mpi_comm, import_mpi())
        self.timeout = float(timeout)
        device_count = cupy.cuda.runtime.getDeviceCount()
        if device_count == 0:
            raise RuntimeError("init_process_group(backend='nccl'): no CUDA device is visible")
        cupy.cuda.Device(self.local_rank % device_count).use()
        self._stream = cupy.cuda.Stream(non_blocking=True)  # the collectives' own stream
        unique_id = nccl.get_unique_id() if self.rank == 0 else None
        unique_id = mpi_comm.bcast(unique_id, root=0)
        self._comm = nccl.NcclCommunicator(self.world_size, unique_id, self.rank)
        self._host: Any = None  # an MPI communicator for host-side values, made on first use
        self._ops = {"sum": nccl.NCCL_SUM, "max": nccl.NCCL_MAX, "min": nccl.NCCL_MIN}
        # ncclAvg exists from NCCL 2.10; without it, sum and scale.
        self._native_avg = getattr(nccl, "NCCL_AVG", None)
        self._types = {
            np.dtype(np.float16): nccl.NCCL_FLOAT16,
            np.dtype(np.float32): nccl.NCCL_FLOAT32,
            np.dtype(np.float64): nccl.NCCL_FLOAT64,
            np.dtype(np.int8): nccl.NCCL_INT8,
            np.dtype(np.uint8): nccl.NCCL_UINT8,
            np.dtype(np.int32): nccl.NCCL_INT32,
            np.dtype(np.int64): nccl.NCCL_INT64,
            np.dtype(np.bool_): nccl.NCCL_UINT8,  # max is "or", min is "and"
        }

    # ---- collectives ----------------------------------------------------------------------
    def all_reduce(self, array: Any, op: str) -> Work:
        datatype = self._type_of(array, "all_reduce")
        nccl_op = self._native_avg if op == "avg" else self._ops[op]
        scale = op == "avg" and nccl_op is None
        if scale:
            nccl_op = self._ops["sum"]
        stream = self._after_current_stream()
        self._comm.allReduce(
            array.data.ptr, array.data.ptr, array.size, datatype, nccl_op, stream.ptr
        )
        if scale:
            with stream:  # on the collectives' stream, after the sum
                array *= 1.0 / self.world_size
        return self._work(f"all_reduce({op}) of {array.size} elements")

    def host_all_reduce(self, array: Any, op: str) -> Work:
        if self._host is None:
            from .mpi_backend import MPICommunicator

            self._host = MPICommunicator(self._mpi_comm, self.timeout)
        return self._host.all_reduce(array, op)

    def broadcast(self, array: Any, src: int) -> Work:
        datatype = self._type_of(array, "broadcast")
        stream = self._after_current_stream()
        self._comm.bcast(array.data.ptr, array.size, datatype, src, stream.ptr)
        return self._work(f"broadcast from rank {src} of {array.size} elements")

    def all_gather(self, out: Any, array: Any) -> Work:
        datatype = self._type_of(array, "all_gather")
        self._type_of(out, "all_gather")
        if out.dtype != array.dtype or out.size != array.size * self.world_size:
            raise ValueError(
                f"all_gather: expected an output buffer of {array.size * self.world_size} "
                f"{array.dtype} elements, got {out.size} {out.dtype}"
            )
        stream = self._after_current_stream()
        self._comm.allGather(array.data.ptr, out.data.ptr, array.size, datatype, stream.ptr)
        return self._work(f"all_gather of {array.size} elements")

    def barrier(self) -> None:
        token = self._cupy.zeros(1, dtype=np.float32)
        work = self.all_reduce(token, "sum")
        work.synchronize()  # type: ignore[attr-defined]

    def synchronize(self) -> None:
        """Wait on the host for every collective queued so far (with the timeout)."""
        self._work("synchronize").synchronize()

    # ---- teardown -------------------------------------------------------------------------
    def abort_nccl(self) -> None:
        if self._comm is not None:
            self._comm.abort()
            self._comm = None

    def abort(self, code: int = 1) -> None:
        self.abort_nccl()
        self._mpi_comm.Abort(code)

    def close(self) -> None:
        if self._comm is not None:
            self._comm.destroy()
            self._comm = None

    # ---- helpers --------------------------------------------------------------------------
    def _after_current_stream(self) -> Any:
        """The collectives' stream, made to wait for the work queued so far on the current
        stream (which produced the data to send)."""
        ready = self._cupy.cuda.Event(disable_timing=True)
        ready.record(self._cupy.cuda.get_current_stream())
        self._stream.wait_event(ready)
        return self._stream

    def _work(self, what: str) -> NCCLWork:
        done = self._cupy.cuda.Event(disable_timing=True)
        done.record(self._stream)
        return NCCLWork(done, self, what)

    def _type_of(self, array: Any, op: str) -> int:
        if not isinstance(array, self._cupy.ndarray):
            raise TypeError(
                f"{op}: the nccl backend works on CUDA tensors, got a "
                f"{type(array).__module__}.{type(array).__name__} (use backend='mpi' for CPU "
                "tensors)"
            )
        if not array.flags.c_contiguous:
            raise ValueError(f"{op}: the nccl backend needs a C-contiguous buffer")
        datatype = self._types.get(array.dtype)
        if datatype is None:
            raise TypeError(f"{op}: NCCL has no type for {array.dtype}")
        return datatype


__all__ = ["NCCLCommunicator", "NCCLWork"]
