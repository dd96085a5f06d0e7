"""DistributedDataParallel: one model replica per process, gradients averaged over processes.

    gk.distributed.init_process_group("mpi")          # launched with mpirun -n N
    model = DistributedDataParallel(Net())
    opt = gk.optim.SGD(model.parameters(), lr=0.1)
    for x, y in loader:                               # loader with a DistributedSampler
        loss = loss_fn(model(x), y)
        opt.zero_grad(); loss.backward(); opt.step()  # .grad is the average over ranks

Every rank starts from rank 0's parameters and buffers, feeds its own shard of the batch,
and, because the gradients are averaged during backward (see reducer.py), takes the same
optimizer step, so the replicas stay identical without ever sending parameters again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from ...autograd.grad_mode import no_grad
from ...distributed.process_group import default_communicator
from ..module import Module
from .reducer import GradientReducer


class DistributedDataParallel(Module):
    """Wraps ``module``: ``forward`` delegates to it, ``backward`` averages its gradients.

    - ``bucket_cap_mb``: gradients travel in flat buckets of about this many MiB (fewer,
      larger messages; a bucket starts as soon as all its gradients exist).
    - ``broadcast_buffers``: before each forward, copy rank 0's buffers (e.g. BatchNorm's
      running statistics) to every rank.
    - ``no_sync()``: a context in which backward accumulates gradients locally only.

    A parameter that gets no gradient on a rank contributes zeros, and after every
    synchronised backward every parameter has a ``.grad`` (the average over ranks).
    The wrapped model's state_dict keys are prefixed with ``module.``, as in PyTorch;
    save ``ddp.module.state_dict()`` for a checkpoint that loads into the bare model.
    """

    def __init__(
        self, module: Module, bucket_cap_mb: float = 25, broadcast_buffers: bool = True
    ) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(
                f"DistributedDataParallel: expected a gradkit.nn.Module, got "
                f"{type(module).__name__}"
            )
        if isinstance(bucket_cap_mb, bool) or not bucket_cap_mb > 0:
            raise ValueError(
                f"DistributedDataParallel: bucket_cap_mb must be positive, got {bucket_cap_mb!r}"
            )
        communicator = default_communicator("DistributedDataParallel")
        params = _unique(p for p in module.parameters() if p.requires_grad)
        for name, tensor in list(module.named_parameters()) + list(module.named_buffers()):
            if tensor.device.type != communicator.device_type:
                raise ValueError(
                    f"DistributedDataParallel: the {communicator.backend} backend needs every "
                    f"parameter and buffer on {communicator.device_type}, but {name!r} is on "
                    f"{tensor.device}"
                )
        self.module = module
        self.broadcast_buffers = bool(broadcast_buffers)
        object.__setattr__(self, "_communicator", communicator)
        _check_same_model(module, communicator)
        _broadcast_from_rank0(list(module.parameters()) + list(module.buffers()), communicator)
        object.__setattr__(
            self,
            "_reducer",
            GradientReducer(params, communicator, int(bucket_cap_mb * 1024 * 1024)),
        )

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        self._reducer.abandon()  # only does anything after a backward that raised
        if self.broadcast_buffers and self._communicator.world_size > 1:
            buffers = list(self.module.buffers())
            if buffers:
                _broadcast_from_rank0(buffers, self._communicator)
        return self.module(*args, **kwargs)

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Backward passes inside accumulate gradients locally, without communication; the
        first synchronised backward after it averages the accumulated gradients."""
        previous = self._reducer.enabled
        self._reducer.enabled = False
        try:
            yield
        finally:
            self._reducer.enabled = previous

    @property
    def require_backward_grad_sync(self) -> bool:
        return self._reducer.enabled

    @property
    def bucket_sizes(self) -> list[int]:
        """Number of gradient elements in each bucket, in the order they are reduced."""
        return [int(bucket.buffer.size) for bucket in self._reducer.buckets]


def _unique(tensors: Any) -> list:
    seen: set[int] = set()
    result = []
    for t in tensors:
        if id(t) not in seen:
            seen.add(id(t))
            result.append(t)
    return result


def _broadcast_from_rank0(tensors: list, communicator: Any) -> None:
    with no_grad():
        works = []
        for t in _unique(tensors):
            if t.data.flags.c_contiguous:
                works.append(communicator.broadcast(t.data, 0))
            else:
                staged = t.device.xp.ascontiguousarray(t.data)
                communicator.broadcast(staged, 0).wait()
                t.data[...] = staged
            t._vc[0] += 1
        for work in works:
            work.wait()


def _check_same_model(module: Module, communicator: Any) -> None:
    """Fail fast, on every rank, when the ranks built different models (otherwise the
    bucket collectives would mismatch and hang or mix up gradients)."""
    if communicator.world_size == 1:
        return
    params = list(module.parameters())
    xp = params[0].device.xp if params else _cpu_xp()
    mine = xp.asarray([len(params), sum(p.data.size for p in params)], dtype="int64")
    everyone = xp.empty((communicator.world_size, 2), dtype="int64")
    work = communicator.all_gather(everyone, mine)
    work.wait()
    if hasattr(work, "synchronize"):
        work.synchronize()
    table = everyone.tolist()
    if any(row != table[0] for row in table):
        raise RuntimeError(
            "DistributedDataParallel: the ranks' models differ: [parameter count, element "
            f"count] per rank = {table}"
        )


def _cpu_xp() -> Any:
    import numpy

    return numpy
