"""kernels/global_norm.cu through its launcher on the CPU executor, against the NumPy twin
gradkit.backend.cpu.global_norm and an independent float64 computation."""

from __future__ import annotations

import numpy as np
import pytest

from gradkit.backend.cpu import global_norm as twin
from gradkit.backend.cuda import global_norm as kernels


def _exact(arrays) -> float:
    return float(np.sqrt(sum(np.sum(a.astype(np.float64) ** 2) for a in arrays)))


def _arrays(shapes, dtypes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=s).astype(d) for s, d in zip(shapes, dtypes)]


@pytest.mark.parametrize(
    ("shapes", "dtypes", "expected_dtype"),
    [
        ([(3,)], [np.float32], np.float32),
        ([(1,), (7, 5), (256,), (257, 3)], [np.float32] * 4, np.float32),
        ([(100,), (9, 9)], [np.float16, np.float16], np.float32),
        ([(100,), (30,), (5, 5)], [np.float16, np.float32, np.float64], np.float64),
        ([(70_000,), (3,), (2 * 65_536 + 1,)], [np.float32] * 3, np.float32),  # many chunks
    ],
)
def test_matches_twin_and_exact_sum(executor, shapes, dtypes, expected_dtype):
    arrays = _arrays(shapes, dtypes)
    actual = kernels.global_l2_norm(arrays, runtime=executor)
    expected = twin.global_l2_norm(arrays)
    assert actual.shape == expected.shape == ()
    assert actual.dtype == expected.dtype == np.dtype(expected_dtype)
    rtol = 1e-12 if expected_dtype == np.float64 else 1e-5
    np.testing.assert_allclose(actual, expected, rtol=rtol)
    np.testing.assert_allclose(actual, _exact(arrays), rtol=rtol)


def test_empty_list_and_empty_tensors_give_zero(executor):
    assert kernels.global_l2_norm([], runtime=executor) == 0
    arrays = [np.zeros((0, 3), np.float32), np.array([3.0, 4.0], np.float32)]
    result = kernels.global_l2_norm(arrays, runtime=executor)
    assert result == pytest.approx(5.0) and result.dtype == np.float32


def test_float16_values_whose_squares_overflow_float16(executor):
    arrays = [np.full(10, 60000.0, np.float16)]
    result = kernels.global_l2_norm(arrays, runtime=executor)
    assert np.isfinite(result)
    np.testing.assert_allclose(result, _exact(arrays), rtol=1e-6)


def test_non_contiguous_inputs_and_nonfinite_values(executor):
    base = _arrays([(40, 30)], [np.float64])[0]
    strided = base.T[::3]
    np.testing.assert_allclose(
        kernels.global_l2_norm([strided], runtime=executor), _exact([strided]), rtol=1e-12
    )
    with_inf = [np.array([1.0, np.inf], np.float32)]
    assert np.isinf(kernels.global_l2_norm(with_inf, runtime=executor))
    with_nan = [np.array([1.0], np.float32), np.array([np.nan], np.float32)]
    assert np.isnan(kernels.global_l2_norm(with_nan, runtime=executor))


def test_rejects_integer_tensors(executor):
    with pytest.raises(TypeError, match=r"global_l2_norm: arrays\[1\] must have dtype"):
        kernels.global_l2_norm([np.ones(2, np.float32), np.ones(2, np.int64)], runtime=executor)
