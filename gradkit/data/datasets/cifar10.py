"""CIFAR-10: 50,000 training and 10,000 test colour images, 32×32, in ten classes."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .cifar10_binary import read_cifar10_binary
from .image_dataset import ImageDataset

TRAIN_FILES = [f"data_batch_{number}.bin" for number in range(1, 6)]
TEST_FILES = ["test_batch.bin"]
ARCHIVE_FOLDER = "cifar-10-batches-bin"


class CIFAR10(ImageDataset):
    """CIFAR-10 from its binary files: ``data_batch_1.bin`` … ``data_batch_5.bin`` (train) and
    ``test_batch.bin`` (test), in ``root`` or in ``root/cifar-10-batches-bin`` (the folder the
    ``cifar-10-binary.tar.gz`` archive unpacks to). ``.data`` is N×3×32×32 uint8."""

    classes = [
        "airplane", "automobile", "bird", "cat", "deer",
        "dog", "frog", "horse", "ship", "truck",
    ]  # fmt: skip

    def __init__(
        self,
        root: str | os.PathLike[str],
        train: bool = True,
        transform: Callable[[np.ndarray], Any] | None = None,
        target_transform: Callable[[int], Any] | None = None,
    ) -> None:
        folder = find_batches_folder(Path(root))
        names = TRAIN_FILES if train else TEST_FILES
        missing = [name for name in names if not (folder / name).is_file()]
        if missing:
            hint = ""
            if (folder / "data_batch_1").exists():
                hint = (
                    "; found the pickled Python version instead, which is not read: "
                    "use cifar-10-binary.tar.gz"
                )
            raise FileNotFoundError(
                f"CIFAR10: {folder} lacks {', '.join(missing)}; expected the binary version's "
                f"files {', '.join(TRAIN_FILES + TEST_FILES)} there or in {ARCHIVE_FOLDER}/{hint}"
            )
        parts = [read_cifar10_binary(folder / name) for name in names]
        images = np.concatenate([images for images, _ in parts])
        labels = np.concatenate([labels for _, labels in parts])
        self.train = train
        super().__init__(images, labels, transform, target_transform)


def find_batches_folder(root: Path) -> Path:
    nested = root / ARCHIVE_FOLDER
    return nested if nested.is_dir() else root
