"""Collectives on Tensors, in place, with torch.distributed's names and semantics.

Each call checks its arguments, hands the tensor's array to the default group's communicator
and, unless ``async_op=True``, waits for the result. The writes are not recorded by autograd
(as in PyTorch), but they bump the tensor's version counter, so a tensor saved for backward
and then overwritten by a collective is caught.
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .communicator import REDUCE_OPS, Communicator, ThenWork, Work
from .process_group import default_communicator


def all_reduce(tensor: Tensor, op: str = "sum", async_op: bool = False) -> Work | None:
    """Reduce ``tensor`` over all ranks (``op``: "sum", "avg", "max" or "min"); every rank
    ends with the result in ``tensor``. Returns a Work to ``wait()`` on when ``async_op``."""
    group = default_communicator("all_reduce")
    _check_tensor(tensor, group, "all_reduce")
    if op not in REDUCE_OPS:
        raise ValueError(f"all_reduce: expected op to be one of {REDUCE_OPS}, got {op!r}")
    if op == "avg" and tensor.dtype.kind not in "fc":
        raise TypeError(f"all_reduce: op='avg' needs a floating-point tensor, got {tensor.dtype}")
    buffer, copy_back = _contiguous(tensor)
    work = group.all_reduce(buffer, op)
    return _finish(tensor, work, buffer, copy_back, async_op)


def broadcast(tensor: Tensor, src: int = 0, async_op: bool = False) -> Work | None:
    """Overwrite ``tensor`` on every rank with the one of rank ``src``."""
    group = default_communicator("broadcast")
    _check_tensor(tensor, group, "broadcast")
    _check_rank(src, group, "broadcast", "src")
    buffer, copy_back = _contiguous(tensor)
    work = group.broadcast(buffer, src)
    return _finish(tensor, work, buffer, copy_back, async_op)


def all_gather(tensor_list: list[Tensor], tensor: Tensor, async_op: bool = False) -> Work | None:
    """Fill ``tensor_list[r]`` (world_size tensors shaped like ``tensor``) with rank r's
    ``tensor``, on every rank."""
    group = default_communicator("all_gather")
    _check_tensor(tensor, group, "all_gather")
    if not isinstance(tensor_list, (list, tuple)) or len(tensor_list) != group.world_size:
        got = len(tensor_list) if isinstance(tensor_list, (list, tuple)) else tensor_list
        raise ValueError(
            f"all_gather: expected a list of {group.world_size} tensors (one per rank), got {got!r}"
        )
    for i, out in enumerate(tensor_list):
        _check_tensor(out, group, f"all_gather (output {i})")
        if out.shape != tensor.shape or out.dtype != tensor.dtype:
            raise ValueError(
                f"all_gather: output {i} must match the input's shape {tuple(tensor.shape)} "
                f"and dtype {tensor.dtype}, got {tuple(out.shape)} {out.dtype}"
            )
    xp = tensor.device.xp
    source, _ = _contiguous(tensor)
    gathered = xp.empty((group.world_size,) + tuple(tensor.shape), dtype=tensor.dtype)
    work = group.all_gather(gathered, source)

    def scatter_into_outputs() -> None:
        for r, out in enumerate(tensor_list):
            out.data[...] = gathered[r]
            out._vc[0] += 1

    work = ThenWork(work, scatter_into_outputs)
    if async_op:
        return work
    work.wait()
    return None


def barrier() -> None:
    """Wait until every rank has reached this point."""
    default_communicator("barrier").barrier()


def all_reduce_found_inf(scaler: Any, optimizer: Any = None) -> None:
    """Make a GradScaler's found-inf flags agree on every rank (max over ranks), so that every
    rank skips the same steps and the replicas stay identical.

    With ``optimizer``, its flags (running ``scaler.unscale_(optimizer)`` first if it has not
    run yet); without, the flags of every optimizer unscaled so far. Call it between backward
    and ``scaler.step``. Needed when the ranks' gradients may differ (not all-reduced, e.g.
    under ``no_sync``); with DistributedDataParallel the averaged gradients, NaN/Inf included,
    are identical on every rank, and so are the flags already.
    """
    if not scaler.is_enabled():
        return
    group = default_communicator("all_reduce_found_inf")
    if optimizer is not None:
        state = scaler._state(optimizer)
        if not state["found_inf_per_device"]:
            scaler.unscale_(optimizer)
        states = [state]
    else:
        states = list(scaler._per_optimizer.values())
    flags = [flag for state in states for flag in state["found_inf_per_device"].values()]
    works = [group.all_reduce(flag, "max") for flag in flags]
    for work in works:
        work.wait()


# ---- helpers ----------------------------------------------------------------------------------
def _check_tensor(tensor: Any, group: Communicator, op: str) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{op}: expected a gradkit Tensor, got {type(tensor).__name__}")
    if tensor.device.type != group.device_type:
        raise ValueError(
            f"{op}: the {group.backend} backend works on {group.device_type} tensors, got a "
            f"tensor on {tensor.device}"
        )


def _check_rank(rank: Any, group: Communicator, op: str, name: str) -> None:
    if isinstance(rank, bool) or not isinstance(rank, int) or not 0 <= rank < group.world_size:
        raise ValueError(
            f"{op}: expected {name} to be a rank in [0, {group.world_size}), got {rank!r}"
        )


def _contiguous(tensor: Tensor) -> tuple[Any, bool]:
    """The array to communicate: the tensor's own when C-contiguous, else a copy that must
    be copied back."""
    data = tensor.data
    if data.flags.c_contiguous:
        return data, False
    return tensor.device.xp.ascontiguousarray(data), True


def _finish(
    tensor: Tensor, work: Work, buffer: Any, copy_back: bool, async_op: bool
) -> Work | None:
    def publish() -> None:
        if copy_back:
            tensor.data[...] = buffer
        tensor._vc[0] += 1

    work = ThenWork(work, publish)
    if async_op:
        return work
    work.wait()
    return None
