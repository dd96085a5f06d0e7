"""Tensor factories: dtypes (gk, NumPy, names), the float32 default, devices, seeding."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk

DTYPE_SPELLINGS = [
    (gk.float64, np.float64),
    (np.float64, np.float64),
    (np.dtype("float64"), np.float64),
    ("float64", np.float64),
    ("double", np.float64),
    (gk.float16, np.float16),
    ("int32", np.int32),
    (gk.int64, np.int64),
    ("uint8", np.uint8),
]


def test_python_floats_become_float32_and_ints_int64(device):
    assert gk.tensor([1.0, 2.0], device=device).dtype == np.float32
    assert gk.tensor(2.5, device=device).dtype == np.float32
    assert gk.tensor([[1, 2], [3, 4]], device=device).dtype == np.int64
    assert gk.tensor([True, False], device=device).dtype == np.bool_


@pytest.mark.parametrize("dtype", [np.float64, np.float16, np.int32, np.uint8, np.bool_])
def test_numpy_arrays_keep_their_dtype(dtype):
    array = np.arange(6).reshape(2, 3).astype(dtype)
    t = gk.tensor(array)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), array)


def test_tensor_copies_its_data():
    array = np.ones(3, dtype=np.float32)
    t = gk.tensor(array)
    array[0] = 5.0
    assert t.numpy()[0] == 1.0


def test_from_numpy_shares_memory():
    array = np.ones(3, dtype=np.float32)
    t = gk.from_numpy(array)
    array[0] = 5.0
    assert t.numpy()[0] == 5.0


@pytest.mark.parametrize(("spelling", "expected"), DTYPE_SPELLINGS)
def test_dtype_spellings_in_every_factory(spelling, expected, device):
    expected = np.dtype(expected)
    made = [
        gk.tensor([1, 0], dtype=spelling, device=device),
        gk.zeros(2, 3, dtype=spelling, device=device),
        gk.ones((2, 3), dtype=spelling, device=device),
        gk.full((2,), 1, dtype=spelling, device=device),
        gk.empty(4, dtype=spelling, device=device),
        gk.arange(0, 4, dtype=spelling, device=device),
        gk.linspace(0, 1, 3, dtype=spelling, device=device),
        gk.eye(3, dtype=spelling, device=device),
    ]
    base = gk.ones(2, 2, device=device)
    made += [
        gk.zeros_like(base, dtype=spelling),
        gk.ones_like(base, dtype=spelling),
        gk.full_like(base, 1, dtype=spelling),
        gk.empty_like(base, dtype=spelling),
    ]
    for t in made:
        assert t.dtype == expected
        assert t.device == gk.Device(device)


@pytest.mark.parametrize("spelling", [np.float64, "float64", gk.float32, "float16"])
def test_random_factories_take_float_dtypes(spelling, device):
    expected = gk.backend.dtypes.as_dtype(spelling)
    base = gk.ones(2, 2, device=device)
    for t in (
        gk.rand(3, 4, dtype=spelling, device=device),
        gk.randn(3, 4, dtype=spelling, device=device),
        gk.rand_like(base, dtype=spelling),
        gk.randn_like(base, dtype=spelling),
    ):
        assert t.dtype == expected


def test_bool_factories(device):
    assert gk.zeros(2, dtype="bool", device=device).dtype == np.bool_
    assert gk.ones_like(gk.ones(2), dtype=gk.bool).numpy().all()
    assert gk.full((2,), True, device=device).dtype == np.bool_


def test_factory_defaults_are_float32(device):
    for t in (
        gk.zeros(2, device=device),
        gk.ones(2, device=device),
        gk.full((2,), 1.5, device=device),
        gk.empty(2, device=device),
        gk.linspace(0, 1, 5, device=device),
        gk.eye(2, device=device),
        gk.rand(2, device=device),
        gk.randn(2, device=device),
        gk.arange(0.0, 1.0, 0.5, device=device),
    ):
        assert t.dtype == np.float32


def test_integer_factories_default_to_int64(device):
    assert gk.arange(5, device=device).dtype == np.int64
    assert gk.full((2,), 3, device=device).dtype == np.int64
    assert gk.randint(0, 10, (3,), device=device).dtype == np.int64


def test_factory_values_match_numpy():
    np.testing.assert_array_equal(gk.zeros(2, 3).numpy(), np.zeros((2, 3)))
    np.testing.assert_array_equal(gk.ones([2, 3]).numpy(), np.ones((2, 3)))
    np.testing.assert_array_equal(gk.full((2, 2), 7.5).numpy(), np.full((2, 2), 7.5))
    np.testing.assert_array_equal(gk.arange(5).numpy(), np.arange(5))
    np.testing.assert_allclose(gk.arange(1, 2, 0.25).numpy(), [1.0, 1.25, 1.5, 1.75])
    np.testing.assert_allclose(gk.linspace(-1, 1, 5).numpy(), np.linspace(-1, 1, 5))
    np.testing.assert_array_equal(gk.eye(2, 3).numpy(), np.eye(2, 3))
    assert gk.empty(3, 2).shape == (3, 2)


def test_like_factories_copy_shape_dtype_and_device():
    base = gk.ones(2, 3, dtype=gk.float64)
    for t in (
        gk.zeros_like(base),
        gk.ones_like(base),
        gk.empty_like(base),
        gk.rand_like(base),
        gk.randn_like(base),
        gk.full_like(base, 2.0),
    ):
        assert t.shape == (2, 3) and t.dtype == np.float64 and t.device == base.device
    np.testing.assert_array_equal(gk.full_like(base, 2.0).numpy(), np.full((2, 3), 2.0))


def test_random_draws_are_in_range():
    u = gk.rand(1000).numpy()
    assert u.min() >= 0.0 and u.max() < 1.0
    n = gk.randn(10_000).numpy()
    assert abs(n.mean()) < 0.05 and abs(n.std() - 1) < 0.05
    k = gk.randint(3, 7, (1000,)).numpy()
    assert k.min() == 3 and k.max() == 6
    assert gk.randint(5, size=(10,)).numpy().max() < 5


def test_manual_seed_makes_draws_reproducible():
    gk.manual_seed(123)
    first = [gk.rand(4).numpy(), gk.randn(4).numpy(), gk.randint(0, 100, (4,)).numpy()]
    gk.manual_seed(123)
    second = [gk.rand(4).numpy(), gk.randn(4).numpy(), gk.randint(0, 100, (4,)).numpy()]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    gk.manual_seed(124)
    assert not np.array_equal(gk.rand(4).numpy(), first[0])


def test_successive_draws_differ():
    assert not np.array_equal(gk.rand(8).numpy(), gk.rand(8).numpy())


def test_requires_grad_at_creation():
    assert gk.zeros(2, requires_grad=True).requires_grad
    assert gk.tensor([1.0], requires_grad=True).is_leaf
    assert gk.randn(2, requires_grad=True).requires_grad


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="zeros"):
        gk.zeros(-1)
    with pytest.raises(TypeError, match="ones"):
        gk.ones(2.5)
    with pytest.raises(ValueError, match="arange"):
        gk.arange(0, 5, 0)
    with pytest.raises(ValueError, match="randint"):
        gk.randint(5, 5, (2,))


def test_random_factories_refuse_integer_dtypes():
    with pytest.raises(TypeError, match="randn"):
        gk.randn(2, dtype=gk.int64)


def test_tensor_refuses_ragged_or_object_data():
    with pytest.raises((ValueError, TypeError), match="tensor"):
        gk.tensor([[1.0, 2.0], [3.0]])
    with pytest.raises(TypeError, match="tensor"):
        gk.tensor(["a", object()])
