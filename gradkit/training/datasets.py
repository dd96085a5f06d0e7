"""The datasets ``gradkit train`` knows, loaded as (train, test) with their image shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from gradkit import data

# Per-channel pixel statistics of each training split, for normalising inputs to ~N(0, 1).
STATISTICS = {
    "mnist": ((0.1307,), (0.3081,)),
    "fashion-mnist": ((0.2860,), (0.3530,)),
    "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
}
DATASETS = tuple(STATISTICS)


@dataclass
class DataSplits:
    train: Any
    test: Any
    image_shape: tuple[int, int, int]
    num_classes: int


def load_datasets(
    name: str,
    data_dir: str | None = None,
    limit_train: int | None = None,
    limit_test: int | None = None,
) -> DataSplits:
    """Train and test splits of ``name`` as normalised float32 images, optionally cut to their
    first ``limit_train`` / ``limit_test`` samples (for quick runs)."""
    if name not in STATISTICS:
        raise ValueError(f"load_datasets: unknown dataset {name!r}; expected one of {DATASETS}")
    mean, std = STATISTICS[name]
    transform = data.Compose([data.ToFloat(), data.Normalize(mean, std)])
    if name == "cifar10":
        if data_dir is None:
            raise ValueError(
                "load_datasets: cifar10 needs --data-dir, a folder with the CIFAR-10 binary "
                "files (data_batch_1.bin ... test_batch.bin)"
            )
        train = data.CIFAR10(data_dir, train=True, transform=transform)
        test = data.CIFAR10(data_dir, train=False, transform=transform)
    else:
        cls = data.MNIST if name == "mnist" else data.FashionMNIST
        train = cls(data_dir, train=True, transform=transform)
        test = cls(data_dir, train=False, transform=transform)
    image = train.data[0]
    image_shape = (1, *image.shape) if image.ndim == 2 else tuple(image.shape)
    num_classes = len(train.classes)
    return DataSplits(first(train, limit_train), first(test, limit_test), image_shape, num_classes)


def first(dataset: Any, limit: int | None) -> Any:
    """The first ``limit`` samples of ``dataset`` (all of them when limit is None or larger)."""
    if limit is None or limit >= len(dataset):
        return dataset
    if limit <= 0:
        raise ValueError(f"load_datasets: limits must be positive, got {limit}")
    return data.Subset(dataset, np.arange(limit, dtype=np.int64))
