"""CIFAR-10's binary format, written here byte by byte, read back exactly."""

from __future__ import annotations

import numpy as np
import pytest

from gradkit.data import CIFAR10, Compose, read_cifar10_binary


def write_cifar_batch(path, labels, seed):
    """Records of one label byte and 3,072 pixel bytes (R plane, G plane, B plane)."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(len(labels), 3, 32, 32), dtype=np.uint8)
    with open(path, "wb") as stream:
        for label, image in zip(labels, images):
            stream.write(bytes([label]))
            for channel in range(3):
                for row in range(32):
                    stream.write(bytes(image[channel, row].tolist()))
    return images


def make_cifar_folder(folder, per_file=4):
    folder.mkdir(parents=True, exist_ok=True)
    train_images, train_labels = [], []
    for number in range(1, 6):
        labels = [(number + i) % 10 for i in range(per_file)]
        train_images.append(write_cifar_batch(folder / f"data_batch_{number}.bin", labels, number))
        train_labels += labels
    test_labels = [9, 0, 5]
    test_images = write_cifar_batch(folder / "test_batch.bin", test_labels, 99)
    return (np.concatenate(train_images), np.array(train_labels)), (test_images, test_labels)


def test_train_split_reads_the_five_batches_in_order(tmp_path):
    (images, labels), _ = make_cifar_folder(tmp_path)
    dataset = CIFAR10(tmp_path, train=True)
    assert dataset.data.dtype == np.uint8 and dataset.data.shape == (20, 3, 32, 32)
    assert dataset.targets.dtype == np.int64
    np.testing.assert_array_equal(dataset.data, images)
    np.testing.assert_array_equal(dataset.targets, labels)
    assert len(dataset) == 20 and len(dataset.classes) == 10 and dataset.classes[0] == "airplane"


def test_test_split_and_the_archive_subfolder(tmp_path):
    _, (images, labels) = make_cifar_folder(tmp_path / "cifar-10-batches-bin")
    dataset = CIFAR10(tmp_path, train=False, transform=Compose([]))
    np.testing.assert_array_equal(dataset.data, images)
    image, label = dataset[2]
    np.testing.assert_array_equal(image, images[2])
    assert label == labels[2] == 5


def test_default_transform_gives_float_pixels_in_unit_range(tmp_path):
    _, (images, _) = make_cifar_folder(tmp_path)
    image, _ = CIFAR10(tmp_path, train=False)[0]
    assert image.dtype == np.float32 and image.shape == (3, 32, 32)
    np.testing.assert_allclose(image, images[0] / 255.0, rtol=1e-6)


def test_a_truncated_file_names_the_file_and_the_record_size(tmp_path):
    make_cifar_folder(tmp_path)
    path = tmp_path / "data_batch_3.bin"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ValueError, match=r"data_batch_3\.bin.*3073-byte record"):
        CIFAR10(tmp_path)


def test_a_label_out_of_range_is_reported_with_its_record(tmp_path):
    path = tmp_path / "test_batch.bin"
    write_cifar_batch(path, [1, 2, 3], seed=0)
    raw = bytearray(path.read_bytes())
    raw[2 * 3073] = 200
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"test_batch\.bin: record 2 has label 200"):
        read_cifar10_binary(path)


def test_an_empty_file_is_an_error(tmp_path):
    path = tmp_path / "test_batch.bin"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="wrong size"):
        read_cifar10_binary(path)


def test_missing_files_are_listed_and_the_pickled_version_is_recognised(tmp_path):
    (tmp_path / "data_batch_1").write_bytes(b"pickle")
    with pytest.raises(FileNotFoundError, match=r"data_batch_1\.bin.*pickled Python version"):
        CIFAR10(tmp_path, train=True)
