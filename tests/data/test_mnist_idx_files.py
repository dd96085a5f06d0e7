"""MNIST and Fashion-MNIST from IDX files in a folder."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from gradkit.data import MNIST, Compose, FashionMNIST
from gradkit.data.datasets import mnist as mnist_module

FASHION_ROOT = Path("/usr/share/datasets/fashion-mnist")


def write_idx_by_hand(path, array, compress):
    type_code = 0x08  # uint8: every MNIST file
    raw = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    raw += array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(raw) if compress else raw)


def make_mnist_folder(folder, train_count=7, test_count=3):
    rng = np.random.default_rng(0)
    arrays = {}
    for prefix, count, compress in [("train", train_count, True), ("t10k", test_count, False)]:
        images = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, count, dtype=np.uint8)
        suffix = ".gz" if compress else ""
        write_idx_by_hand(folder / f"{prefix}-images-idx3-ubyte{suffix}", images, compress)
        write_idx_by_hand(folder / f"{prefix}-labels-idx1-ubyte{suffix}", labels, compress)
        arrays[prefix] = (images, labels)
    return arrays


@pytest.mark.parametrize("train", [True, False])
def test_mnist_reads_plain_and_gzipped_idx_files_from_root(tmp_path, train):
    arrays = make_mnist_folder(tmp_path)
    images, labels = arrays["train" if train else "t10k"]
    dataset = MNIST(tmp_path, train=train, transform=Compose([]))
    np.testing.assert_array_equal(dataset.data, images)
    np.testing.assert_array_equal(dataset.targets, labels)
    assert dataset.targets.dtype == np.int64
    image, label = dataset[-1]
    assert image.shape == (1, 28, 28) and image.dtype == np.uint8
    np.testing.assert_array_equal(image[0], images[-1])
    assert isinstance(label, int) and label == labels[-1]


def test_target_transform_is_applied_to_the_label(tmp_path):
    arrays = make_mnist_folder(tmp_path)
    dataset = MNIST(tmp_path, train=False, target_transform=lambda label: label + 100)
    assert dataset[0][1] == arrays["t10k"][1][0] + 100
    assert not dataset.supports_batches  # a user's target_transform runs per sample


def test_missing_files_say_which_and_where(tmp_path):
    make_mnist_folder(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match=r"t10k-labels-idx1-ubyte\(\.gz\)") as raised:
        MNIST(tmp_path, train=False)
    assert str(tmp_path) in str(raised.value)


def test_label_count_must_match_image_count(tmp_path):
    make_mnist_folder(tmp_path)
    write_idx_by_hand(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(2, np.uint8), False)
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte.*3 uint8 labels"):
        MNIST(tmp_path, train=False)


def test_labels_must_be_digits(tmp_path):
    make_mnist_folder(tmp_path)
    write_idx_by_hand(tmp_path / "t10k-labels-idx1-ubyte", np.array([1, 2, 10]), False)
    with pytest.raises(ValueError, match="label 10"):
        MNIST(tmp_path, train=False)


def test_fashion_mnist_without_the_system_files_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist_module, "FASHION_MNIST_SYSTEM_ROOT", tmp_path / "absent")
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        FashionMNIST()


@pytest.mark.skipif(
    not FASHION_ROOT.is_dir(),
    reason=f"{FASHION_ROOT} is absent (apt-get install dataset-fashion-mnist)",
)
def test_fashion_mnist_reads_the_debian_package_files():
    train, test = FashionMNIST(train=True), FashionMNIST(train=False)
    assert (len(train), len(test)) == (60_000, 10_000)
    assert train.data.shape == (60_000, 28, 28) and train.data.dtype == np.uint8
    # Fashion-MNIST is exactly balanced: 6,000 and 1,000 images per class.
    np.testing.assert_array_equal(np.bincount(train.targets), [6_000] * 10)
    np.testing.assert_array_equal(np.bincount(test.targets), [1_000] * 10)
    assert train.classes[9] == "Ankle boot"
    assert 50 < train.data.mean() < 100  # real clothes, not an empty or random file
