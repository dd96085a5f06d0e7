"""DistributedSampler: each of ``num_replicas`` processes visits its own shard of the dataset.

The ranks draw the same permutation (from ``(seed, epoch)``), pad it by repeating its first
indices until it divides evenly (or, with ``drop_last``, cut the tail), and rank ``r`` takes
every ``num_replicas``-th index starting at ``r``: together the shards cover the dataset
exactly once per epoch (plus the few padding repeats), and every rank gets the same number
of samples, so the ranks run the same number of steps. This is PyTorch's scheme.

Like gradkit's RandomSampler, each iteration moves on to the next epoch and ``set_epoch(e)``
selects one (PyTorch code calls ``set_epoch`` before every epoch; both ways agree).
"""

from __future__ import annotations

import math
from collections.abc import Sized

import numpy as np

from ._seeding import check_seed
from .sampler import Sampler


class DistributedSampler(Sampler):
    """Indices of this rank's shard of ``dataset`` (``num_replicas``/``rank`` default to the
    initialised process group's world size and rank)."""

    def __init__(
        self,
        dataset: Sized,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if num_replicas is None or rank is None:
            group_size, group_rank = _process_group_defaults()
            num_replicas = group_size if num_replicas is None else num_replicas
            rank = group_rank if rank is None else rank
        for name, value in (("num_replicas", num_replicas), ("rank", rank)):
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
                raise TypeError(
                    f"DistributedSampler: {name} must be an int, got {type(value).__name__}"
                )
        if num_replicas < 1:
            raise ValueError(
                f"DistributedSampler: num_replicas must be at least 1, got {num_replicas}"
            )
        if not 0 <= rank < num_replicas:
            raise ValueError(f"DistributedSampler: rank must be in [0, {num_replicas}), got {rank}")
        self.dataset = dataset
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.shuffle = bool(shuffle)
        self.seed = check_seed("DistributedSampler", seed)
        self.drop_last = bool(drop_last)
        self.epoch = 0
        size = len(dataset)
        if self.drop_last and size % self.num_replicas:
            self.num_samples = size // self.num_replicas
        else:
            self.num_samples = math.ceil(size / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration produce the shard of ``epoch`` (same on every rank)."""
        if epoch < 0:
            raise ValueError(
                f"DistributedSampler.set_epoch: epoch must be non-negative, got {epoch}"
            )
        self.epoch = int(epoch)

    def epoch_indices(self) -> np.ndarray:
        size = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng([self.seed, self.epoch]).permutation(size)
        else:
            order = np.arange(size)
        self.epoch += 1
        order = order.astype(np.int64, copy=False)
        if self.total_size > size:  # pad with the first indices (again, if need be)
            repeats = math.ceil((self.total_size - size) / max(size, 1))
            order = np.concatenate([order] + [order] * repeats)[: self.total_size]
        else:
            order = order[: self.total_size]
        return order[self.rank : self.total_size : self.num_replicas]


def _process_group_defaults() -> tuple[int, int]:
    try:
        from gradkit import distributed
    except ImportError as error:  # pragma: no cover - the package is part of gradkit
        raise RuntimeError(
            f"DistributedSampler: gradkit.distributed is unavailable: {error}"
        ) from error
    if not distributed.is_initialized():
        raise RuntimeError(
            "DistributedSampler: pass num_replicas and rank, or call "
            "gradkit.distributed.init_process_group() first"
        )
    return distributed.get_world_size(), distributed.get_rank()
