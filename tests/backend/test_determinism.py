"""Deterministic mode: the API, and the sort-based scatter-add that replaces atomics on the GPU
(the algorithm is array-module generic, so it is checked here with NumPy)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gradkit as gk
from gradkit.backend.determinism import deterministic_add_at


@pytest.fixture
def restore_mode():
    before = gk.are_deterministic_algorithms_enabled()
    yield
    gk.use_deterministic_algorithms(before)


def test_mode_toggles_and_rejects_non_bools(restore_mode):
    gk.use_deterministic_algorithms(True)
    assert gk.are_deterministic_algorithms_enabled()
    gk.use_deterministic_algorithms(False)
    assert not gk.are_deterministic_algorithms_enabled()
    with pytest.raises(TypeError, match="use_deterministic_algorithms"):
        gk.use_deterministic_algorithms(1)
    assert not gk.are_deterministic_algorithms_enabled()


@given(
    rows=st.integers(1, 6),
    cols=st.integers(1, 4),
    picks=st.lists(st.integers(0, 5), min_size=0, max_size=12),
)
def test_sort_based_scatter_add_equals_np_add_at_on_rows(rows, cols, picks):
    picks = [p % rows for p in picks]
    rng = np.random.default_rng(len(picks))
    values = rng.standard_normal((len(picks), cols)).astype(np.float32)
    expected = np.zeros((rows, cols), np.float32)
    np.add.at(expected, np.asarray(picks, dtype=np.int64), values)
    out = np.zeros((rows, cols), np.float32)
    deterministic_add_at(out, np.asarray(picks, dtype=np.int64), values, np)
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-6)


def test_sort_based_scatter_add_with_a_multi_axis_index_and_broadcast_values():
    out = np.zeros((3, 4), np.float64)
    index = (np.array([0, 2, 0, 0]), np.array([1, 3, 1, 2]))
    values = np.array([1.0, 2.0, 3.0, 4.0])
    expected = np.zeros_like(out)
    np.add.at(expected, index, values)
    deterministic_add_at(out, index, values, np)
    np.testing.assert_array_equal(out, expected)
    scalar_out = np.zeros(5)
    deterministic_add_at(scalar_out, np.array([4, 4, 1]), 0.5, np)
    np.testing.assert_array_equal(scalar_out, [0, 0.5, 0, 0, 1.0])


@pytest.mark.gpu
def test_gpu_index_backward_is_bit_identical_run_to_run_in_deterministic_mode(restore_mode):
    if not gk.cuda.is_available():
        pytest.skip("no usable GPU (CuPy/CUDA)")
    gk.use_deterministic_algorithms(True)
    index = gk.randint(0, 8, (100_000,), device="cuda")
    grads = []
    for _ in range(3):
        x = gk.zeros(8, 16, device="cuda", requires_grad=True)
        gk.manual_seed(1)
        (x[index] * gk.randn(100_000, 16, device="cuda")).sum().backward()
        grads.append(x.grad.cpu().numpy())
    assert all(np.array_equal(grads[0], g) for g in grads[1:])
