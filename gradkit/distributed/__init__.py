"""Distributed data-parallel training over processes and GPUs, on MPI and NCCL.

gradkit does no networking of its own: MPI (mpi4py over Open MPI) launches the processes,
does the rendezvous and the CPU collectives; NCCL (CuPy's ``cupy.cuda.nccl``) does the GPU
collectives. Launch with ``mpirun -n N python train.py``::

    import gradkit as gk
    from gradkit import distributed as dist

    dist.init_process_group("mpi")            # or "nccl": one GPU per process
    t = gk.ones(3) * dist.get_rank()
    dist.all_reduce(t, op="sum")              # in place, as in torch.distributed
    model = gk.nn.parallel.DistributedDataParallel(net)
    sampler = gk.data.DistributedSampler(train_set, seed=0)
    loader = gk.data.DataLoader(train_set, batch_size=64, sampler=sampler)
"""

from .collectives import all_gather, all_reduce, all_reduce_found_inf, barrier, broadcast
from .communicator import REDUCE_OPS, Communicator, DistributedTimeoutError, Work
from .launch import add_distributed_arguments, backend_for_device, setup_from_cli
from .process_group import (
    destroy_process_group,
    get_backend,
    get_local_rank,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
)
from .rank_zero import (
    any_rank,
    is_main_process,
    quiet_unless_main,
    rank_zero_only,
    sum_over_ranks,
    wait_for_everyone,
)

__all__ = [
    "REDUCE_OPS",
    "Communicator",
    "DistributedTimeoutError",
    "Work",
    "add_distributed_arguments",
    "all_gather",
    "any_rank",
    "all_reduce",
    "all_reduce_found_inf",
    "backend_for_device",
    "barrier",
    "broadcast",
    "destroy_process_group",
    "get_backend",
    "get_local_rank",
    "get_rank",
    "get_world_size",
    "init_process_group",
    "is_available",
    "is_initialized",
    "is_main_process",
    "quiet_unless_main",
    "rank_zero_only",
    "setup_from_cli",
    "sum_over_ranks",
    "wait_for_everyone",
]
