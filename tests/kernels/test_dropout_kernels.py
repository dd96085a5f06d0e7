"""kernels/dropout.cu through its launchers on the CPU executor: random bits and masks
bit-identical to the NumPy twin gradkit.backend.cpu.dropout, for any launch geometry."""

from __future__ import annotations

import numpy as np
import pytest

from gradkit.backend.cpu import dropout as twin
from gradkit.backend.cuda import dropout as kernels
from gradkit.testing.cuda_executor import CpuExecutorRuntime


def test_philox_matches_the_published_known_answers(executor):
    # Random123's kat_vectors for philox4x32_10 (independent of our twin).
    counters = np.array(
        [[0, 0, 0, 0], [0xFFFFFFFF] * 4, [0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344]],
        np.uint32,
    )
    keys = [(0, 0), (0xFFFFFFFF, 0xFFFFFFFF), (0xA4093822, 0x299F31D0)]
    expected = [
        [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8],
        [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD],
        [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1],
    ]
    for row, key, words in zip(counters, keys, expected):
        result = kernels.philox4x32(row[None], key, runtime=executor)
        assert result.tolist() == [words]
        assert twin.philox4x32(row[None], key).tolist() == [words]


def test_philox_blocks_match_twin(executor):
    counters = np.random.default_rng(0).integers(0, 2**32, size=(1001, 4), dtype=np.uint32)
    key = (0x12345678, 0x9ABCDEF0)
    np.testing.assert_array_equal(
        kernels.philox4x32(counters, key, runtime=executor), twin.philox4x32(counters, key)
    )


@pytest.mark.parametrize("count", [0, 1, 3, 4, 5, 1023, 8 * 256 * 4 + 7])
@pytest.mark.parametrize(("seed", "offset"), [(0, 0), (2**63 - 1, 5), (123456789, 2**40 + 3)])
def test_random_bits_match_twin(executor, count, seed, offset):
    np.testing.assert_array_equal(
        kernels.random_bits(count, seed, offset, runtime=executor),
        twin.random_bits(count, seed, offset),
    )


@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 0.999, 1.0])
@pytest.mark.parametrize("shape", [(0,), (1,), (7, 13), (3, 4, 1, 1), (5000,)])
def test_masks_are_bit_identical(executor, shape, p):
    actual = kernels.dropout_mask(shape, p, 987654321, 17, runtime=executor)
    expected = twin.dropout_mask(shape, p, 987654321, 17)
    assert actual.dtype == np.bool_ and actual.shape == expected.shape
    np.testing.assert_array_equal(actual, expected)


def test_mask_does_not_depend_on_the_launch_geometry():
    wide = CpuExecutorRuntime(max_grid_blocks=64)
    narrow = CpuExecutorRuntime(max_grid_blocks=1)
    masks = [kernels.dropout_mask((3001,), 0.3, 42, 9, runtime=rt) for rt in (wide, narrow)]
    np.testing.assert_array_equal(*masks)


def test_keep_rate_and_independence_of_seed_and_offset(executor):
    p = 0.3
    mask = kernels.dropout_mask((20000,), p, 1, 0, runtime=executor)
    assert abs(mask.mean() - (1 - p)) < 0.015  # ~4.6 standard deviations
    other_offset = kernels.dropout_mask((20000,), p, 1, 1, runtime=executor)
    other_seed = kernels.dropout_mask((20000,), p, 2, 0, runtime=executor)
    for other in (other_offset, other_seed):
        agreement = (mask == other).mean()
        assert abs(agreement - (p * p + (1 - p) ** 2)) < 0.02


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.7])
def test_forward_matches_twin_exactly(executor, dtype, p):
    x = np.random.default_rng(3).normal(size=(37, 29)).astype(dtype)
    mask = twin.dropout_mask(x.shape, p, 5, 0)
    actual = kernels.dropout_forward(x, mask, p, runtime=executor)
    expected = twin.dropout_forward(x, mask, p)
    assert actual.dtype == expected.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(actual, expected)


def test_forward_with_broadcast_mask_and_strided_input(executor):
    x = np.random.default_rng(4).normal(size=(4, 6, 5, 5)).astype(np.float32)
    channel_mask = twin.dropout_mask((4, 6, 1, 1), 0.5, 11, 0)
    np.testing.assert_array_equal(
        kernels.dropout_forward(x, channel_mask, 0.5, runtime=executor),
        twin.dropout_forward(x, channel_mask, 0.5),
    )
    strided = x.transpose(0, 2, 3, 1)
    mask = twin.dropout_mask(strided.shape, 0.25, 12, 0)
    np.testing.assert_array_equal(
        kernels.dropout_forward(strided, mask, 0.25, runtime=executor),
        twin.dropout_forward(strided, mask, 0.25),
    )


def test_empty_and_bad_input(executor):
    x = np.zeros((0, 3), np.float32)
    out = kernels.dropout_forward(x, np.zeros((0, 3), bool), 0.5, runtime=executor)
    assert out.shape == (0, 3) and out.dtype == np.float32
    with pytest.raises(TypeError, match="dropout_forward: x must have dtype"):
        kernels.dropout_forward(np.zeros(3, np.int64), np.ones(3, bool), 0.5, runtime=executor)
    with pytest.raises(ValueError, match=r"philox4x32: expected counters of shape \(n, 4\)"):
        kernels.philox4x32(np.zeros((2, 3), np.uint32), (0, 0), runtime=executor)
