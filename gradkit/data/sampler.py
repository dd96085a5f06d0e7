"""Samplers: which sample indices an epoch visits, in which order, and in which batches.

Index batches are int64 NumPy arrays rather than lists of Python ints, so that in-memory
datasets can fancy-index a whole batch in one call.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sized

import numpy as np

from ._seeding import SeedLike, base_seed_of, resolve_seed_argument


class Sampler:
    """Yields sample indices. ``epoch_indices()`` may return them all at once as an array."""

    def __iter__(self) -> Iterator[int]:
        return iter(int(i) for i in self.epoch_indices())

    def epoch_indices(self) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must implement epoch_indices or __iter__")


class SequentialSampler(Sampler):
    """0, 1, ..., n-1 every epoch."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def __len__(self) -> int:
        return len(self.data_source)

    def epoch_indices(self) -> np.ndarray:
        return np.arange(len(self.data_source), dtype=np.int64)


class RandomSampler(Sampler):
    """A fresh random permutation every epoch, reproducible from ``seed``.

    The order of epoch ``e`` depends only on ``(seed, e)``: iterating starts the next epoch, and
    ``set_epoch(e)`` jumps to any epoch (to resume training at the same order, say).
    """

    def __init__(
        self, data_source: Sized, seed: SeedLike = None, generator: SeedLike = None
    ) -> None:
        self.data_source = data_source
        self.seed = base_seed_of(
            "RandomSampler", resolve_seed_argument("RandomSampler", seed, generator)
        )
        self.epoch = 0

    def __len__(self) -> int:
        return len(self.data_source)

    def set_epoch(self, epoch: int) -> None:
        if epoch < 0:
            raise ValueError(f"RandomSampler.set_epoch: epoch must be non-negative, got {epoch}")
        self.epoch = int(epoch)

    def epoch_indices(self) -> np.ndarray:
        rng = np.random.default_rng([self.seed, self.epoch])
        self.epoch += 1
        return rng.permutation(len(self.data_source)).astype(np.int64, copy=False)


class BatchSampler:
    """Groups the indices of ``sampler`` into arrays of ``batch_size`` (the last may be short
    unless ``drop_last``)."""

    def __init__(self, sampler: Sampler | Iterable[int], batch_size: int, drop_last: bool) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(
                f"BatchSampler: batch_size must be a positive int, got {type(batch_size).__name__}"
            )
        if batch_size <= 0:
            raise ValueError(f"BatchSampler: batch_size must be a positive int, got {batch_size}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = bool(drop_last)

    def __len__(self) -> int:
        if not isinstance(self.sampler, Sized):
            raise TypeError(
                "BatchSampler: len() needs a sampler with a length, "
                f"got {type(self.sampler).__name__}"
            )
        count = len(self.sampler)
        if self.drop_last:
            return count // self.batch_size
        return -(-count // self.batch_size)

    def __iter__(self) -> Iterator[np.ndarray]:
        if isinstance(self.sampler, Sampler):
            yield from self._slices_of(self.sampler.epoch_indices())
            return
        # A user's sampler is only an iterable of ints: gather them a batch at a time.
        batch: list[int] = []
        for index in self.sampler:
            batch.append(int(index))
            if len(batch) == self.batch_size:
                yield np.asarray(batch, dtype=np.int64)
                batch = []
        if batch and not self.drop_last:
            yield np.asarray(batch, dtype=np.int64)

    def _slices_of(self, indices: np.ndarray) -> Iterator[np.ndarray]:
        stop = len(indices) - len(indices) % self.batch_size if self.drop_last else len(indices)
        for start in range(0, stop, self.batch_size):
            yield indices[start : start + self.batch_size]
