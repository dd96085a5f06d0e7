"""The CPU executor emulates CUDA faithfully enough for the kernel tests to mean something:
barriers, shared memory, warp shuffles, atomics, built-ins, __half, and loud failures."""

from __future__ import annotations

import numpy as np
import pytest

from gradkit.testing.cuda_executor import ExecutorLaunchError


def test_static_shared_memory_reduction_needs_a_real_barrier(selftest_library):
    x = np.random.default_rng(0).normal(size=5 * 256 - 17).astype(np.float32)
    sums = np.zeros(5, np.float32)
    selftest_library.launch(
        "block_sum_static_shared", (5, 1, 1), (256, 1, 1), (x, sums, np.int64(x.size))
    )
    expected = np.pad(x, (0, 17)).reshape(5, 256).sum(axis=1)
    np.testing.assert_allclose(sums, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("threads", [32, 128, 1024])
def test_dynamic_shared_memory_reduction(selftest_library, threads):
    blocks = 3
    x = np.random.default_rng(1).normal(size=blocks * threads).astype(np.float32)
    sums = np.zeros(blocks, np.float32)
    selftest_library.launch(
        "block_sum_dynamic_shared",
        (blocks, 1, 1),
        (threads, 1, 1),
        (x, sums, np.int64(x.size)),
        shared_mem=threads * 4,
    )
    np.testing.assert_allclose(sums, x.reshape(blocks, threads).sum(axis=1), rtol=1e-5, atol=1e-5)


def test_warp_shuffle_reductions(selftest_library):
    x = np.arange(4 * 96, dtype=np.float32)  # 4 blocks of 3 warps; exact integer sums
    down_sums = np.zeros(x.size // 32, np.float32)
    xor_sums = np.zeros_like(x)
    selftest_library.launch("warp_sums", (4, 1, 1), (96, 1, 1), (x, down_sums, xor_sums))
    per_warp = x.reshape(-1, 32).sum(axis=1)
    np.testing.assert_array_equal(down_sums, per_warp)
    np.testing.assert_array_equal(xor_sums, np.repeat(per_warp, 32))


def _cuda_shuffles(delta: int, width: int, threads: int):
    """The results CUDA's programming guide defines for shuffle_patterns."""
    lane = np.arange(threads) % 32
    value = 100 + lane
    segment = lane & ~(width - 1)
    position = lane & (width - 1)
    indexed = 100 + segment + (delta & (width - 1))
    up = np.where(position >= delta, value - delta, value)
    down = np.where(position + delta < width, value + delta, value)
    source = lane ^ delta
    xored = np.where(source < segment + width, 100 + source, value)
    return indexed, up, down, xored


@pytest.mark.parametrize(("delta", "width"), [(1, 32), (5, 32), (3, 8), (16, 16), (7, 4)])
def test_shuffle_and_ballot_semantics(selftest_library, delta, width):
    threads = 64
    results = [np.zeros(threads, np.int32) for _ in range(4)]
    ballots = np.zeros(threads // 32, np.uint32)
    selftest_library.launch(
        "shuffle_patterns",
        (1, 1, 1),
        (threads, 1, 1),
        (*results, ballots, np.int32(delta), np.int32(width)),
    )
    for name, got, want in zip(
        ("shfl", "up", "down", "xor"), results, _cuda_shuffles(delta, width, threads)
    ):
        np.testing.assert_array_equal(got, want, err_msg=f"__shfl_{name}_sync")
    every_third_lane = sum(1 << lane for lane in range(0, 32, 3))
    np.testing.assert_array_equal(ballots, every_third_lane)


def test_atomics_across_blocks_and_grid_stride(selftest_library):
    rng = np.random.default_rng(2)
    n = 10_000
    bins = rng.integers(0, 37, size=n).astype(np.int32)
    x = rng.normal(size=n).astype(np.float32)
    counts = np.zeros(37, np.int32)
    sum32, sum64 = np.zeros(1, np.float32), np.zeros(1, np.float64)
    max_bin, max_x = np.full(1, -1, np.int32), np.full(1, -np.inf, np.float32)
    selftest_library.launch(
        "atomic_reductions",
        (3, 1, 1),
        (128, 1, 1),
        (bins, x, np.int64(n), counts, sum32, sum64, max_bin, max_x),
    )
    np.testing.assert_array_equal(counts, np.bincount(bins, minlength=37))
    np.testing.assert_allclose(sum64[0], x.astype(np.float64).sum(), rtol=1e-12)
    np.testing.assert_allclose(sum32[0], x.astype(np.float64).sum(), rtol=1e-4, atol=1e-3)
    assert max_bin[0] == bins.max()
    assert max_x[0] == x.max()


def test_multidimensional_grid_and_block_builtins(selftest_library):
    grid, block = (2, 3, 2), (4, 2, 3)
    out = np.zeros((np.prod(grid) * np.prod(block), 6), np.uint32)
    selftest_library.launch("thread_coordinates", grid, block, (out,))
    expected = [
        (tx, ty, tz, bx, by, bz)
        for bz in range(grid[2])
        for by in range(grid[1])
        for bx in range(grid[0])
        for tz in range(block[2])
        for ty in range(block[1])
        for tx in range(block[0])
    ]
    np.testing.assert_array_equal(out, np.array(expected, np.uint32))


def test_half_conversions_round_like_numpy(selftest_library):
    specials = [0.0, -0.0, 1.0, 65504.0, 65520.0, 1e6, -1e6, 6e-8, 3e-8, 1e-10, np.inf, -np.inf]
    ties = (np.arange(-20, 20) * 2.0**-11 + 1.0).tolist()  # halfway between float16 values
    x = np.array(specials + ties, np.float32)
    x = np.concatenate(
        [x, np.random.default_rng(3).normal(scale=100, size=1000).astype(np.float32)]
    )
    halves = np.zeros(x.size, np.float16)
    back = np.zeros(x.size, np.float32)
    selftest_library.launch(
        "half_round_trip", (2, 1, 1), (64, 1, 1), (x, halves, back, np.int64(x.size))
    )
    with np.errstate(over="ignore"):  # 65520 and 1e6 overflow to inf, as they should
        expected = x.astype(np.float16)
    np.testing.assert_array_equal(halves.view(np.uint16), expected.view(np.uint16))
    np.testing.assert_array_equal(back, expected.astype(np.float32))


def test_divergent_barrier_is_reported_as_deadlock(selftest_library):
    out = np.zeros(64, np.int32)
    with pytest.raises(ExecutorLaunchError, match=r"divergent_barrier.*deadlock"):
        selftest_library.launch("divergent_barrier", (1, 1, 1), (64, 1, 1), (out,))


def test_trap_names_the_thread_and_the_executor_recovers(selftest_library):
    with pytest.raises(ExecutorLaunchError, match=r"block \(1, 0, 0\) thread \(3, 0, 0\).*__trap"):
        selftest_library.launch("trap_at", (2, 1, 1), (32, 1, 1), (np.int64(35),))
    selftest_library.launch("trap_at", (2, 1, 1), (32, 1, 1), (np.int64(-1),))


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (
            (np.zeros(4, np.float64), np.zeros(1, np.float32), np.int64(4)),
            TypeError,
            "float32 pointer",
        ),
        ((np.zeros(4, np.float32), np.zeros(1, np.float32), 4), TypeError, "int64 scalar"),
        (
            (np.zeros(4, np.float32), np.zeros(1, np.float32), np.int32(4)),
            TypeError,
            "int64 scalar",
        ),
        (
            (np.zeros(8, np.float32)[::2], np.zeros(1, np.float32), np.int64(4)),
            ValueError,
            "strided",
        ),
        ((np.zeros(4, np.float32), np.zeros(1, np.float32)), TypeError, "takes 3 arguments"),
    ],
)
def test_arguments_are_checked_against_the_kernel_signature(selftest_library, args, error, message):
    with pytest.raises(error, match=message):
        selftest_library.launch("block_sum_static_shared", (1, 1, 1), (256, 1, 1), args)


def test_read_only_output_is_rejected(selftest_library):
    sums = np.zeros(1, np.float32)
    sums.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        selftest_library.launch(
            "block_sum_static_shared",
            (1, 1, 1),
            (256, 1, 1),
            (np.zeros(4, np.float32), sums, np.int64(4)),
        )


@pytest.mark.parametrize(
    ("grid", "block", "shared", "message"),
    [
        ((1, 1, 1), (2048, 1, 1), 0, "invalid block"),
        ((1, 1, 1), (16, 16, 65), 0, "invalid block"),
        ((1, 70000, 1), (32, 1, 1), 0, "invalid grid"),
        ((1, 1, 1), (32, 1, 1), 1 << 20, "shared memory"),
    ],
)
def test_invalid_launch_geometry_is_an_error(selftest_library, grid, block, shared, message):
    with pytest.raises(ExecutorLaunchError, match=message):
        selftest_library.launch("trap_at", grid, block, (np.int64(-1),), shared_mem=shared)
