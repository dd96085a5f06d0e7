"""Joining a job started by ``mpirun`` from the command line (``gradkit train --distributed``).

mpirun -n 4 gradkit train --distributed --device cpu     # 4 processes, MPI all-reduce
mpirun -n 8 gradkit train --distributed --device cuda    # one process per GPU, NCCL
"""

from __future__ import annotations

import argparse
from typing import Any

from .process_group import DEFAULT_TIMEOUT_S, init_process_group, is_initialized


def add_distributed_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--distributed`` and ``--dist-timeout`` to a command's parser."""
    parser.add_argument(
        "--distributed",
        action="store_true",
        help="data-parallel training over the processes of `mpirun -n N gradkit train ...` "
        "(MPI on CPU, NCCL on GPUs; --batch-size is per process)",
    )
    parser.add_argument(
        "--dist-timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        metavar="SECONDS",
        help=f"with --distributed: how long a collective may wait for the other ranks before "
        f"the job is aborted (default: {DEFAULT_TIMEOUT_S:g})",
    )


def backend_for_device(device: str) -> str:
    """ "mpi" for CPU training, "nccl" for CUDA ("auto" means CUDA when it is usable)."""
    spec = str(device)
    if spec == "auto":
        from ..cuda import is_available

        return "nccl" if is_available() else "mpi"
    return "nccl" if spec.startswith("cuda") else "mpi"


def setup_from_cli(args: Any) -> bool:
    """Initialise the process group when ``args.distributed`` is set (``args.device`` picks
    the backend); return whether this run is distributed. Call it before building the model:
    with NCCL it selects this process's GPU, which a plain "cuda" then means."""
    if not getattr(args, "distributed", False):
        return False
    if not is_initialized():
        init_process_group(
            backend_for_device(getattr(args, "device", "cpu")),
            timeout=getattr(args, "dist_timeout", DEFAULT_TIMEOUT_S),
        )
    return True
