"""TensorDataset, Subset and random_split."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradkit as gk
from gradkit.data import Subset, TensorDataset, random_split


def test_tensor_dataset_rows_of_arrays_and_tensors():
    features = np.arange(12, dtype=np.float32).reshape(4, 3)
    labels = gk.tensor(np.array([0, 1, 2, 3]))
    dataset = TensorDataset(features, labels)
    assert len(dataset) == 4
    row, label = dataset[-1]
    np.testing.assert_array_equal(row, [9, 10, 11])
    assert int(label.item()) == 3
    batch_rows, batch_labels = dataset.get_batch(np.array([2, 0]))
    np.testing.assert_array_equal(batch_rows, features[[2, 0]])
    np.testing.assert_array_equal(batch_labels, [2, 0])


def test_tensor_dataset_shape_mismatch_names_the_shapes():
    with pytest.raises(ValueError, match=r"same first dimension.*\(4, 3\), \(5,\)"):
        TensorDataset(np.zeros((4, 3)), np.zeros(5))


@pytest.mark.parametrize(
    ("tensors", "message"),
    [((), "at least one"), ((np.float32(1.0),), "first \\(sample\\) dimension")],
    ids=["none", "scalar"],
)
def test_tensor_dataset_needs_a_sample_dimension(tensors, message):
    with pytest.raises(ValueError, match=message):
        TensorDataset(*tensors)


def test_index_errors_are_clear():
    dataset = TensorDataset(np.zeros(3))
    with pytest.raises(IndexError, match="index 3 is out of range for 3 samples"):
        dataset[3]
    with pytest.raises(TypeError, match="index must be an int"):
        dataset[1.5]


def test_subset_maps_its_indices_and_keeps_the_batch_path():
    dataset = TensorDataset(np.arange(10) * 10)
    subset = Subset(dataset, [7, -1, 2])
    assert len(subset) == 3
    assert [subset[i][0] for i in range(3)] == [70, 90, 20]
    assert subset.supports_batches
    np.testing.assert_array_equal(subset.get_batch(np.array([2, 0]))[0], [20, 70])
    with pytest.raises(IndexError, match="indices must lie in"):
        Subset(dataset, [10])
    with pytest.raises(TypeError, match="1-D sequence of ints"):
        Subset(dataset, [0.5])


def all_indices(parts):
    return np.concatenate([part.indices for part in parts])


def test_random_split_with_sizes_is_a_seeded_partition():
    dataset = TensorDataset(np.arange(10))
    parts = random_split(dataset, [3, 7], seed=1)
    assert [len(part) for part in parts] == [3, 7]
    assert sorted(all_indices(parts)) == list(range(10))
    again = random_split(dataset, [3, 7], seed=1)
    np.testing.assert_array_equal(all_indices(parts), all_indices(again))
    other = random_split(dataset, [3, 7], seed=2)
    assert not np.array_equal(all_indices(parts), all_indices(other))


def test_random_split_with_fractions_gives_the_remainder_to_the_first_parts():
    parts = random_split(TensorDataset(np.arange(10)), [0.25, 0.25, 0.5], seed=0)
    assert [len(part) for part in parts] == [3, 2, 5]  # floors 2, 2, 5 and one left over
    parts = random_split(TensorDataset(np.arange(8)), [1 / 3] * 3, seed=0)
    assert [len(part) for part in parts] == [3, 3, 2]  # floors 2, 2, 2 and two left over


@pytest.mark.parametrize(
    ("lengths", "error", "message"),
    [
        ([3, 3], ValueError, "add up to 6, but the dataset has 10"),
        ([0.5, 0.6], ValueError, "add up to 1"),
        ([5, 0.5], TypeError, "all ints or all floats"),
        ([-1, 11], ValueError, "non-negative"),
        ([], ValueError, "must not be empty"),
    ],
)
def test_random_split_rejects_bad_lengths(lengths, error, message):
    with pytest.raises(error, match=message):
        random_split(TensorDataset(np.arange(10)), lengths, seed=0)


def test_random_split_rejects_seed_and_generator_together():
    with pytest.raises(ValueError, match="either seed= or generator="):
        random_split(TensorDataset(np.arange(4)), [2, 2], seed=1, generator=2)


@settings(max_examples=50, deadline=None)
@given(
    size=st.integers(0, 200),
    fractions=st.lists(st.integers(1, 10), min_size=1, max_size=5),
    seed=st.integers(0, 2**32),
)
def test_random_split_fractions_always_partition_the_dataset(size, fractions, seed):
    weights = np.array(fractions, dtype=np.float64) / sum(fractions)
    parts = random_split(TensorDataset(np.arange(size)), [float(w) for w in weights], seed=seed)
    assert sum(len(part) for part in parts) == size
    assert sorted(all_indices(parts).tolist()) == list(range(size))
    for part, weight in zip(parts, weights):
        assert abs(len(part) - weight * size) < 1 + 1e-9
