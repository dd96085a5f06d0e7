"""DataLoader: iterate a dataset in (shuffled) batches of gradkit tensors on a device."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from ._seeding import SeedLike, resolve_seed_argument
from .collate import stack_samples, to_tensors
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler


class DataLoader:
    """Batches of ``dataset``, reshuffled every epoch when ``shuffle=True``.

    - Reproducible: with ``seed`` (an int, or a ``numpy.random.Generator`` to draw it from) the
      order of epoch ``e`` is a function of ``(seed, e)``; each ``iter(loader)`` starts the next
      epoch, and ``set_epoch(e)`` picks one explicitly.
    - Fast: a dataset that can fetch whole batches (``TensorDataset``, the image datasets,
      ``Subset`` of those) is fancy-indexed once per batch instead of collated sample by sample;
      a custom ``collate_fn`` always gets the list of samples.
    - ``device`` puts every tensor of every batch on that device (e.g. ``"cuda"``).
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        seed: SeedLike = None,
        generator: SeedLike = None,
        device: Any = None,
        sampler: Sampler | Iterable[int] | None = None,
        batch_sampler: Iterable[Sequence[int]] | None = None,
    ) -> None:
        if not (hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__")):
            raise TypeError(
                "DataLoader: dataset must be map-style (define __getitem__ and __len__), "
                f"got {type(dataset).__name__}"
            )
        if shuffle and sampler is not None:
            raise ValueError("DataLoader: pass shuffle=True or a sampler, not both")
        if batch_sampler is not None and (
            batch_size != 1 or shuffle or sampler is not None or drop_last
        ):
            raise ValueError(
                "DataLoader: batch_sampler decides the batches itself; do not also pass "
                "batch_size, shuffle, sampler or drop_last"
            )
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got {collate_fn!r}")
        seed = resolve_seed_argument("DataLoader", seed, generator)
        if sampler is None:
            sampler = RandomSampler(dataset, seed=seed) if shuffle else SequentialSampler(dataset)
        self.dataset = dataset
        self.sampler = sampler
        self.batch_sampler = (
            batch_sampler
            if batch_sampler is not None
            else BatchSampler(sampler, batch_size, drop_last)
        )
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.collate_fn = collate_fn
        self.device = check_device(device)

    def __len__(self) -> int:
        return len(self.batch_sampler)  # type: ignore[arg-type]

    def set_epoch(self, epoch: int) -> None:
        """Make the next ``iter(loader)`` produce the order of ``epoch``."""
        if not hasattr(self.sampler, "set_epoch"):
            raise TypeError(
                f"DataLoader.set_epoch: the sampler {type(self.sampler).__name__} has no epochs"
            )
        self.sampler.set_epoch(epoch)

    @property
    def uses_batch_fetch(self) -> bool:
        """Whether batches come from one ``dataset.get_batch`` call (the fast path)."""
        return self.collate_fn is None and bool(getattr(self.dataset, "supports_batches", False))

    def __iter__(self) -> Iterator[Any]:
        fetch_whole_batches = self.uses_batch_fetch
        for indices in self.batch_sampler:
            if fetch_whole_batches:
                batch = self.dataset.get_batch(np.asarray(indices, dtype=np.int64))
                yield to_tensors(batch, self.device, owned=True)
                continue
            samples = [self.dataset[int(i)] for i in indices]
            if self.collate_fn is None:
                yield to_tensors(stack_samples(samples), self.device, owned=True)
            else:
                batch = self.collate_fn(samples)
                yield batch if self.device is None else to_tensors(batch, self.device)


def check_device(device: Any) -> Any:
    """Parse ``device`` now so that a typo fails at construction, not in the first batch."""
    if device is None:
        return None
    try:
        from gradkit.backend import as_device
    except ImportError:  # the backend is not importable (yet): leave parsing to gradkit.tensor
        return device
    return as_device(device)
