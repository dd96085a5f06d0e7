"""The default process group: which backend, this process's rank, and the job-wide failure rule.

MPI launches the processes (``mpirun -n N python train.py``) and gives each its rank;
``init_process_group`` wraps a private duplicate of MPI's COMM_WORLD (so that a program's own
MPI traffic never interleaves with gradkit's) in the chosen backend's communicator.

Failure rule: a rank that dies with an uncaught exception takes the whole job down with
``MPI_Abort`` (after printing its traceback), so that the other ranks do not wait forever in
a collective; a rank that hangs makes the others' collectives raise DistributedTimeoutError
after ``timeout`` seconds, which, uncaught, aborts the job the same way.
"""

from __future__ import annotations

import datetime
import sys
from typing import Any

from .communicator import Communicator

BACKENDS = ("mpi", "nccl")
DEFAULT_TIMEOUT_S = 1800.0  # PyTorch's default: 30 minutes

_group: Communicator | None = None
_previous_excepthook: Any = None


def is_available() -> bool:
    """Whether mpi4py (and so an MPI library) can be imported."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return False
    return True


def init_process_group(
    backend: str = "mpi",
    timeout: float | datetime.timedelta = DEFAULT_TIMEOUT_S,
    abort_on_exception: bool = True,
) -> None:
    """Join the job's process group.

    ``backend``: "mpi" (CPU tensors, mpi4py) or "nccl" (CUDA tensors, one GPU per process:
    rank ``r`` uses GPU ``local_rank % device_count``, made the current device). ``timeout``
    (seconds or a timedelta) bounds every collective's wait. With ``abort_on_exception`` an
    uncaught exception in any rank aborts every rank (see the module docstring).
    """
    global _group
    if backend not in BACKENDS:
        raise ValueError(
            f"init_process_group: expected backend to be one of {BACKENDS}, got {backend!r}"
        )
    seconds = timeout.total_seconds() if isinstance(timeout, datetime.timedelta) else timeout
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds <= 0:
        raise ValueError(
            f"init_process_group: timeout must be a positive number of seconds, got {timeout!r}"
        )
    if _group is not None:
        raise RuntimeError(
            "init_process_group: the default process group is already initialized; call "
            "destroy_process_group() first"
        )
    from .mpi_backend import import_mpi

    MPI = import_mpi()
    comm = MPI.COMM_WORLD.Dup()
    if backend == "mpi":
        from .mpi_backend import MPICommunicator

        group: Communicator = MPICommunicator(comm, float(seconds))
    else:
        from .nccl_backend import NCCLCommunicator

        group = NCCLCommunicator(comm, float(seconds))
    _group = group
    if abort_on_exception and group.world_size > 1:
        _install_abort_hook()


def destroy_process_group() -> None:
    """Leave the process group and free its communicator."""
    global _group
    group = _require("destroy_process_group")
    _group = None
    _remove_abort_hook()
    group.close()


def is_initialized() -> bool:
    return _group is not None


def get_rank() -> int:
    """This process's rank in [0, world_size)."""
    return _require("get_rank").rank


def get_world_size() -> int:
    """How many processes take part."""
    return _require("get_world_size").world_size


def get_local_rank() -> int:
    """This process's index among the ranks on its machine (which GPU it drives)."""
    return _require("get_local_rank").local_rank


def get_backend() -> str:
    return _require("get_backend").backend


def default_communicator(op: str) -> Communicator:
    """The default group's communicator (for DistributedDataParallel and collectives)."""
    return _require(op)


def _require(op: str) -> Communicator:
    if _group is None:
        raise RuntimeError(
            f"{op}: the default process group has not been initialized; call "
            "gradkit.distributed.init_process_group() first (and launch with mpirun -n N)"
        )
    return _group


# ---- one failing rank stops the job ---------------------------------------------------------
def _install_abort_hook() -> None:
    global _previous_excepthook
    if _previous_excepthook is None:
        _previous_excepthook = sys.excepthook
        sys.excepthook = _abort_on_uncaught_exception


def _remove_abort_hook() -> None:
    global _previous_excepthook
    if _previous_excepthook is not None:
        sys.excepthook = _previous_excepthook
        _previous_excepthook = None


def _abort_on_uncaught_exception(kind: type, error: BaseException, traceback: Any) -> None:
    previous = _previous_excepthook or sys.__excepthook__
    previous(kind, error, traceback)
    group = _group
    if group is None or issubclass(kind, KeyboardInterrupt):
        return  # mpirun forwards Ctrl-C to every rank itself
    sys.stderr.write(
        f"gradkit.distributed: rank {group.rank} of {group.world_size} failed with "
        f"{kind.__name__}: {error}; aborting all ranks (MPI_Abort)\n"
    )
    sys.stderr.flush()
    sys.stdout.flush()
    group.abort(1)
