"""GradientReducer: averages gradients over ranks in buckets, while backward is still running.

How one backward pass goes:

1. Parameters are packed, in reverse registration order (roughly the order in which backward
   produces their gradients), into buckets of at most ``bucket_cap_bytes`` per (device,
   dtype). Each bucket owns one flat buffer, allocated once.
2. A post-accumulate-grad hook on every parameter marks it ready. When a bucket's last
   parameter is ready, its gradients are copied into the flat buffer (scaled by
   1/world_size on the way) and a non-blocking all-reduce(sum) of the buffer starts, so it
   overlaps the rest of backward. Buckets start strictly in index order, on every rank, so
   the ranks' collectives always match.
3. The first hook of the pass queues ``finalize`` with the autograd engine
   (``engine.queue_callback``); it runs when the whole backward pass has finished: it
   starts any bucket not started yet (a parameter that got no gradient contributes zeros),
   waits for all of them, and copies the averages back into every parameter's ``.grad``.
   Hence, after ``loss.backward()`` returns, the gradients are averaged: optimizers, grad
   clipping and GradScaler need no change.

A parameter used twice in the graph gets two accumulations; if its bucket had already
started, the bucket is reduced again (synchronously) in ``finalize``, so the result stays
right, only slower. While ``enabled`` is False (DistributedDataParallel.no_sync) the hooks
do nothing and gradients accumulate locally; the next synchronised backward averages the
accumulated gradients.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

from ...autograd import engine
from ...tensor import Tensor


class _Bucket:
    """Parameters whose gradients travel together in one flat buffer."""

    __slots__ = ("params", "slices", "buffer", "ready", "pending", "work", "stale")

    def __init__(self, params: list[Tensor]) -> None:
        self.params = params
        self.slices: list[tuple[int, int]] = []
        start = 0
        for p in params:
            self.slices.append((start, start + p.data.size))
            start += p.data.size
        first = params[0]
        self.buffer = first.device.xp.empty(start, dtype=first.dtype)
        self.ready = [False] * len(params)
        self.pending = len(params)
        self.work: Any = None
        self.stale = False

    def reset(self) -> None:
        self.ready = [False] * len(self.params)
        self.pending = len(self.params)
        self.work = None
        self.stale = False


class GradientReducer:
    """Averages the gradients of ``params`` over the ranks of ``communicator``."""

    def __init__(self, params: Sequence[Tensor], communicator: Any, bucket_cap_bytes: int) -> None:
        self.communicator = communicator
        self.enabled = True
        self.buckets = _make_buckets(params, bucket_cap_bytes)
        self._where: dict[int, tuple[_Bucket, int]] = {}
        for bucket in self.buckets:
            for slot, p in enumerate(bucket.params):
                self._where[id(p)] = (bucket, slot)
        self._scale = 1.0 / communicator.world_size
        self._next_bucket = 0  # buckets start in this order on every rank
        self._in_backward = False
        # The hooks reach the reducer through a weak reference: once the wrapper is gone, the
        # bare model trains without communicating.
        reducer = weakref.ref(self)

        def on_gradient_ready(param: Tensor) -> None:
            owner = reducer()
            if owner is not None:
                owner._on_gradient_ready(param)

        self._handles = [
            p.register_post_accumulate_grad_hook(on_gradient_ready)
            for bucket in self.buckets
            for p in bucket.params
        ]

    # ---- during backward --------------------------------------------------------------------
    def _on_gradient_ready(self, param: Tensor) -> None:
        if not self.enabled:
            return
        if not self._in_backward:
            self._in_backward = True
            engine.queue_callback(self.finalize)
        bucket, slot = self._where[id(param)]
        if bucket.ready[slot]:
            # A second accumulation (a parameter used twice): fine unless already sent.
            if bucket.work is not None:
                bucket.stale = True
            return
        bucket.ready[slot] = True
        bucket.pending -= 1
        if bucket.pending == 0:
            self._start_ready_buckets()
        elif self._next_bucket:
            # MPI moves data only inside MPI calls: testing any request in flight runs its
            # progress engine for all of them.
            self.buckets[self._next_bucket - 1].work.is_completed()

    def _start_ready_buckets(self) -> None:
        buckets = self.buckets
        while self._next_bucket < len(buckets) and buckets[self._next_bucket].pending == 0:
            self._start(buckets[self._next_bucket])
            self._next_bucket += 1

    def _start(self, bucket: _Bucket) -> None:
        xp = bucket.params[0].device.xp
        buffer, scale = bucket.buffer, self._scale
        for p, (start, stop) in zip(bucket.params, bucket.slices):
            part = buffer[start:stop].reshape(p.data.shape)
            if p.grad is None:
                part.fill(0)
            else:
                xp.multiply(p.grad.data, scale, out=part)  # copy and pre-divide in one pass
        bucket.work = self.communicator.all_reduce(buffer, "sum")

    # ---- at the end of backward -----------------------------------------------------------
    def finalize(self) -> None:
        """Start what is left, wait for every bucket and write the averaged gradients."""
        if not self._in_backward:
            return
        try:
            while self._next_bucket < len(self.buckets):
                self._start(self.buckets[self._next_bucket])
                self._next_bucket += 1
            for bucket in self.buckets:
                bucket.work.wait()
                if bucket.stale:  # gradients changed after the bucket was sent: send again
                    self._start(bucket)
                    bucket.work.wait()
                _write_back(bucket)
        finally:
            self._reset()

    def abandon(self) -> None:
        """Forget a pass that never finished (its backward raised): wait for what is in
        flight, so no collective is left half-done, and start clean."""
        if not self._in_backward:
            return
        try:
            for bucket in self.buckets[: self._next_bucket]:
                bucket.work.wait()
        finally:
            self._reset()

    def _reset(self) -> None:
        for bucket in self.buckets:
            bucket.reset()
        self._next_bucket = 0
        self._in_backward = False

    def remove_hooks(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []


def _make_buckets(params: Sequence[Tensor], cap_bytes: int) -> list[_Bucket]:
    """Pack ``params`` in reverse order into buckets of at most ``cap_bytes`` (a larger
    parameter gets a bucket of its own), one open bucket per (device, dtype)."""
    open_buckets: dict[tuple, list[Tensor]] = {}
    sizes: dict[tuple, int] = {}
    closed: list[list[Tensor]] = []
    for p in reversed(list(params)):
        key = (p.device, p.dtype)
        nbytes = p.data.nbytes
        members = open_buckets.get(key)
        if members and sizes[key] + nbytes > cap_bytes:
            closed.append(members)
            members = None
        if not members:
            members = open_buckets[key] = []
            sizes[key] = 0
        members.append(p)
        sizes[key] += nbytes
    closed.extend(m for m in open_buckets.values() if m)
    return [_Bucket(members) for members in closed]


def _write_back(bucket: _Bucket) -> None:
    buffer = bucket.buffer
    for p, (start, stop) in zip(bucket.params, bucket.slices):
        average = buffer[start:stop].reshape(p.data.shape)
        grad = p.grad
        if (
            grad is not None
            and p._grad_owned
            and grad.data.flags.c_contiguous
            and grad.data.flags.writeable
        ):
            grad.data[...] = average
        else:
            # The engine may share the first gradient array between leaves: never write
            # into one we do not own.
            p.grad = Tensor._make(average.copy(), p.device)
            p._grad_owned = True
