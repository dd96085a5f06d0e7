"""DataLoader: batching, seeded per-epoch shuffling, collation, the batch fast path, devices."""

from __future__ import annotations

from collections import namedtuple
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradkit as gk
from gradkit.data import (
    BatchSampler,
    Compose,
    DataLoader,
    Dataset,
    ImageDataset,
    SequentialSampler,
    TensorDataset,
    ToFloat,
    default_collate,
)


def to_numpy(value: Any) -> Any:
    """A batch with every gradkit tensor replaced by its NumPy array (structure kept)."""
    if isinstance(value, dict):
        return {key: to_numpy(item) for key, item in value.items()}
    if isinstance(value, tuple):
        items = [to_numpy(item) for item in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    if isinstance(value, list):
        return [to_numpy(item) for item in value]
    if hasattr(value, "numpy"):
        return value.numpy()
    return value


class ListDataset(Dataset):
    """Samples kept in a Python list: always the per-sample path."""

    def __init__(self, samples):
        self.samples = samples

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, index):
        return self.samples[index]


def labels_of(loader):
    return [to_numpy(batch[-1]).tolist() for batch in loader]


def numbered(size):
    return TensorDataset(np.arange(size, dtype=np.float32)[:, None], np.arange(size))


def test_batches_are_tensors_in_order_with_a_short_last_batch():
    loader = DataLoader(numbered(10), batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    features, labels = batches[0]
    assert isinstance(features, gk.Tensor) and isinstance(labels, gk.Tensor)
    assert features.shape == (4, 1) and features.dtype == gk.float32
    assert labels.dtype == gk.int64
    assert labels_of(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_drop_last_drops_the_short_batch():
    loader = DataLoader(numbered(10), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert labels_of(loader) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(numbered(3), batch_size=4, drop_last=True)) == 0


def test_same_seed_same_batches_new_epoch_new_order_other_seed_other_order():
    first = DataLoader(numbered(50), batch_size=8, shuffle=True, seed=123)
    second = DataLoader(numbered(50), batch_size=8, shuffle=True, seed=123)
    other = DataLoader(numbered(50), batch_size=8, shuffle=True, seed=124)
    epoch0, epoch1 = labels_of(first), labels_of(first)
    assert labels_of(second) == epoch0 and labels_of(second) == epoch1
    assert epoch0 != epoch1
    assert labels_of(other) != epoch0
    assert sorted(sum(epoch1, [])) == list(range(50))


def test_set_epoch_replays_an_epoch():
    loader = DataLoader(numbered(20), batch_size=5, shuffle=True, seed=7)
    orders = [labels_of(loader) for _ in range(3)]
    loader.set_epoch(1)
    assert labels_of(loader) == orders[1]
    assert labels_of(loader) == orders[2]


def test_a_generator_seeds_the_loader_and_manual_seed_seeds_unseeded_ones():
    from_generator = [
        labels_of(DataLoader(numbered(30), batch_size=30, shuffle=True,
                             generator=np.random.default_rng(5)))
        for _ in range(2)
    ]  # fmt: skip
    assert from_generator[0] == from_generator[1]
    unseeded = []
    for _ in range(2):
        gk.manual_seed(9)
        unseeded.append(labels_of(DataLoader(numbered(30), batch_size=30, shuffle=True)))
    assert unseeded[0] == unseeded[1]


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(0, 120),
    batch_size=st.integers(1, 40),
    drop_last=st.booleans(),
    shuffle=st.booleans(),
    seed=st.integers(0, 2**31),
)
def test_batches_partition_the_dataset(size, batch_size, drop_last, shuffle, seed):
    loader = DataLoader(
        numbered(size), batch_size=batch_size, shuffle=shuffle, drop_last=drop_last, seed=seed
    )
    batches = labels_of(loader)
    assert len(batches) == len(loader)
    assert all(len(batch) == batch_size for batch in batches[:-1] if batch)
    seen = sum(batches, [])
    assert len(seen) == len(set(seen))  # no index twice
    expected = size - size % batch_size if drop_last else size
    assert len(seen) == expected
    if not drop_last:
        assert sorted(seen) == list(range(size))  # every index exactly once


def test_fast_path_matches_per_sample_collation():
    images = np.random.default_rng(0).integers(0, 256, (23, 28, 28), dtype=np.uint8)
    labels = np.arange(23) % 10
    fast = ImageDataset(images, labels)
    slow = ImageDataset(images, labels, transform=Compose([ToFloat(), lambda x: x]))
    assert fast.supports_batches and not slow.supports_batches
    fast_loader = DataLoader(fast, batch_size=5, shuffle=True, seed=1)
    slow_loader = DataLoader(slow, batch_size=5, shuffle=True, seed=1)
    assert fast_loader.uses_batch_fetch and not slow_loader.uses_batch_fetch
    for (fast_x, fast_y), (slow_x, slow_y) in zip(fast_loader, slow_loader):
        assert fast_x.shape[1:] == (1, 28, 28) and fast_x.dtype == slow_x.dtype == gk.float32
        assert fast_y.dtype == slow_y.dtype == gk.int64
        np.testing.assert_array_equal(fast_x.numpy(), slow_x.numpy())
        np.testing.assert_array_equal(fast_y.numpy(), slow_y.numpy())


def test_fast_path_does_not_call_getitem():
    class CountingDataset(TensorDataset):
        calls = 0

        def __getitem__(self, index):
            CountingDataset.calls += 1
            return super().__getitem__(index)

    for _ in DataLoader(CountingDataset(np.zeros((100, 3))), batch_size=10, shuffle=True, seed=0):
        pass
    assert CountingDataset.calls == 0


def test_collate_keeps_tuple_dict_and_namedtuple_structure():
    Pair = namedtuple("Pair", ["x", "y"])
    samples = [
        {"image": np.full((2, 2), i, np.uint8), "label": i, "weight": 0.5, "pair": Pair(i, [i])}
        for i in range(3)
    ]
    batch = default_collate(samples)
    assert set(batch) == {"image", "label", "weight", "pair"}
    assert batch["image"].shape == (3, 2, 2) and batch["image"].dtype == gk.uint8
    assert batch["label"].dtype == gk.int64 and batch["label"].numpy().tolist() == [0, 1, 2]
    assert batch["weight"].dtype == gk.float32  # a Python float never brings in float64
    assert isinstance(batch["pair"], Pair) and isinstance(batch["pair"].y, list)
    assert batch["pair"].y[0].numpy().tolist() == [0, 1, 2]


def test_collate_of_tensors_strings_and_bools():
    samples = [(gk.tensor([1.0, 2.0]), "cat", True), (gk.tensor([3.0, 4.0]), "dog", False)]
    values, names, flags = DataLoader(ListDataset(samples), batch_size=2).__iter__().__next__()
    np.testing.assert_array_equal(values.numpy(), [[1, 2], [3, 4]])
    assert values.dtype == gk.float32
    assert names == ["cat", "dog"]
    assert flags.dtype == gk.bool and flags.numpy().tolist() == [True, False]


def test_collate_errors_say_what_is_wrong():
    with pytest.raises(ValueError, match="same number of fields"):
        default_collate([(1, 2), (1,)])
    with pytest.raises(ValueError, match="keys"):
        default_collate([{"a": 1}, {"b": 1}])
    with pytest.raises(TypeError, match="default_collate.*object"):
        default_collate([object()])


def test_custom_collate_gets_the_list_of_samples():
    seen = []
    loader = DataLoader(numbered(5), batch_size=2, collate_fn=lambda s: seen.append(s) or len(s))
    assert list(loader) == [2, 2, 1]
    assert len(seen[0]) == 2 and len(seen[0][0]) == 2  # samples are (feature, label) tuples


def test_device_places_every_batch():
    loader = DataLoader(numbered(6), batch_size=3, device="cpu")
    assert loader.device == gk.device("cpu")
    for features, labels in loader:
        assert features.device == gk.device("cpu") and labels.device == gk.device("cpu")
    with pytest.raises((ValueError, TypeError)):
        DataLoader(numbered(6), device="tpu")


def test_samplers_and_batch_samplers_can_be_given():
    loader = DataLoader(numbered(6), batch_size=4, sampler=[5, 4, 3, 2, 1, 0])
    assert labels_of(loader) == [[5, 4, 3, 2], [1, 0]]
    batch_sampler = BatchSampler(SequentialSampler(range(6)), batch_size=3, drop_last=False)
    loader = DataLoader(numbered(6), batch_sampler=batch_sampler)
    assert len(loader) == 2 and labels_of(loader) == [[0, 1, 2], [3, 4, 5]]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"shuffle": True, "sampler": [0]}, ValueError, "shuffle=True or a sampler"),
        ({"batch_size": 0}, ValueError, "positive int"),
        ({"batch_size": 2.5}, TypeError, "positive int"),
        ({"seed": 1, "generator": 2}, ValueError, "either seed= or generator="),
        ({"shuffle": True, "seed": -1}, ValueError, "non-negative"),
        ({"shuffle": True, "seed": "x"}, TypeError, "seed must be an int"),
        ({"collate_fn": 3}, TypeError, "collate_fn must be callable"),
    ],
)
def test_bad_arguments_fail_at_construction(kwargs, error, message):
    with pytest.raises(error, match=message):
        DataLoader(numbered(4), **kwargs)


def test_a_dataset_must_be_map_style():
    with pytest.raises(TypeError, match="map-style"):
        DataLoader(iter(range(3)))
