"""The in-memory image dataset that MNIST, Fashion-MNIST and CIFAR-10 share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from ..dataset import Dataset, normalize_index
from ..transforms import ToFloat, supports_batches


class ImageDataset(Dataset):
    """Images in ``data`` (uint8, N×H×W or N×C×H×W) with labels in ``targets`` (int64).

    ``dataset[i]`` is ``(transform(image), target_transform(label))`` where ``image`` is the
    C×H×W uint8 array (grayscale images get a channel axis of 1, as convolutions expect) and
    ``label`` an int. ``transform`` defaults to ``ToFloat()``: float32 pixels in [0, 1], ready
    to train on; pass ``Compose([])`` for the raw uint8 pixels.
    """

    classes: ClassVar[list[str]] = []

    def __init__(
        self,
        data: np.ndarray,
        targets: np.ndarray,
        transform: Callable[[np.ndarray], Any] | None = None,
        target_transform: Callable[[int], Any] | None = None,
    ) -> None:
        owner = type(self).__name__
        if data.dtype != np.uint8 or data.ndim not in (3, 4):
            raise ValueError(
                f"{owner}: images must be uint8 N×H×W or N×C×H×W, "
                f"got {data.dtype} of shape {data.shape}"
            )
        if targets.ndim != 1 or len(targets) != len(data):
            raise ValueError(
                f"{owner}: expected one label per image ({len(data)}), got shape {targets.shape}"
            )
        self.data = data
        self.targets = targets.astype(np.int64, copy=False)
        self.transform = ToFloat() if transform is None else transform
        self.target_transform = target_transform

    def __len__(self) -> int:
        return int(self.data.shape[0])

    def __getitem__(self, index: int) -> tuple[Any, Any]:
        position = normalize_index(type(self).__name__, index, len(self))
        image = self.data[position]
        if image.ndim == 2:
            image = image[None]
        label: Any = int(self.targets[position])
        if self.target_transform is not None:
            label = self.target_transform(label)
        return self.transform(image), label

    @property
    def supports_batches(self) -> bool:
        return supports_batches(self.transform) and self.target_transform is None

    def get_batch(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        images = self.data[indices]
        if images.ndim == 3:
            images = images[:, None]
        return self.transform.apply_batch(images), self.targets[indices]  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} images of {self.data.shape[1:]})"
