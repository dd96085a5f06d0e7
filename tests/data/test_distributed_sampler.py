"""DistributedSampler: each rank's shard, exact coverage per epoch, padding, reshuffling."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gradkit as gk
from gradkit.data import DataLoader, DistributedSampler, TensorDataset


def shards(size: int, replicas: int, epoch: int = 0, **options) -> list[np.ndarray]:
    result = []
    for rank in range(replicas):
        sampler = DistributedSampler(range(size), num_replicas=replicas, rank=rank, **options)
        sampler.set_epoch(epoch)
        result.append(sampler.epoch_indices())
    return result


@given(
    size=st.integers(1, 60),
    replicas=st.integers(1, 7),
    shuffle=st.booleans(),
    seed=st.integers(0, 2**31),
    epoch=st.integers(0, 5),
)
def test_shards_cover_the_dataset_exactly_once_plus_padding(size, replicas, shuffle, seed, epoch):
    parts = shards(size, replicas, epoch, shuffle=shuffle, seed=seed)
    per_rank = -(-size // replicas)
    assert all(len(p) == per_rank for p in parts)
    assert all(p.dtype == np.int64 for p in parts)
    merged = np.concatenate(parts)
    counts = np.bincount(merged, minlength=size)
    assert counts.min() >= 1  # every sample is visited ...
    assert counts.sum() - size == per_rank * replicas - size  # ... and only padding repeats
    assert counts.max() <= 1 + -(-(per_rank * replicas - size) // size)


@given(size=st.integers(1, 60), replicas=st.integers(1, 7), seed=st.integers(0, 100))
def test_drop_last_gives_disjoint_equal_shards(size, replicas, seed):
    parts = shards(size, replicas, drop_last=True, seed=seed)
    per_rank = size // replicas
    assert all(len(p) == per_rank for p in parts)
    merged = np.concatenate(parts)
    assert len(np.unique(merged)) == len(merged) == per_rank * replicas


def test_padding_repeats_the_first_indices_like_pytorch():
    parts = shards(10, 4, shuffle=False)
    assert [p.tolist() for p in parts] == [[0, 4, 8], [1, 5, 9], [2, 6, 0], [3, 7, 1]]


def test_padding_when_there_are_fewer_samples_than_ranks():
    parts = shards(2, 5, shuffle=False)
    assert [p.tolist() for p in parts] == [[0], [1], [0], [1], [0]]


def test_same_epoch_same_order_on_every_rank_and_new_epochs_reshuffle():
    first = shards(50, 3, epoch=0, seed=7)
    again = shards(50, 3, epoch=0, seed=7)
    second = shards(50, 3, epoch=1, seed=7)
    other_seed = shards(50, 3, epoch=0, seed=8)
    assert all((a == b).all() for a, b in zip(first, again))
    assert any((a != b).any() for a, b in zip(first, second))
    assert any((a != b).any() for a, b in zip(first, other_seed))
    # Shards are complementary slices of one shared permutation in every epoch.
    merged = np.concatenate(second)
    assert len(merged) == 51 and sorted(set(merged.tolist())) == list(range(50))  # one pad


def test_iterating_moves_to_the_next_epoch_and_set_epoch_jumps():
    sampler = DistributedSampler(range(20), num_replicas=2, rank=1, seed=3)
    epoch0, epoch1 = list(sampler), list(sampler)
    sampler.set_epoch(0)
    assert list(sampler) == epoch0
    sampler.set_epoch(1)
    assert list(sampler) == epoch1
    assert epoch0 != epoch1


def test_works_as_a_dataloader_sampler():
    data = TensorDataset(gk.arange(10, dtype=gk.float32), gk.arange(10))
    seen = []
    for rank in range(3):
        sampler = DistributedSampler(data, num_replicas=3, rank=rank, seed=1)
        loader = DataLoader(data, batch_size=2, sampler=sampler)
        assert len(loader) == 2  # 4 samples per rank
        loader.set_epoch(4)
        seen += [int(i) for _, labels in loader for i in labels.numpy()]
    assert sorted(set(seen)) == list(range(10))
    assert len(seen) == 12


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"num_replicas": 0, "rank": 0}, ValueError, "num_replicas"),
        ({"num_replicas": 2, "rank": 2}, ValueError, r"rank must be in \[0, 2\)"),
        ({"num_replicas": 2, "rank": -1}, ValueError, "rank"),
        ({"num_replicas": 2.0, "rank": 0}, TypeError, "num_replicas"),
        ({"num_replicas": 2, "rank": 0, "seed": -1}, ValueError, "seed"),
    ],
)
def test_bad_arguments(kwargs, error, words):
    with pytest.raises(error, match=words):
        DistributedSampler(range(4), **kwargs)


def test_without_a_process_group_the_ranks_must_be_given():
    assert not gk.distributed.is_initialized()
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedSampler(range(4))
    with pytest.raises(ValueError, match="epoch"):
        DistributedSampler(range(4), num_replicas=1, rank=0).set_epoch(-1)
