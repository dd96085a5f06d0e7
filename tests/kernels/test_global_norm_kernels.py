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
        ([(70_000,), (3,), (2 * 32_768 + 1,)], [np.float32] * 3, np.float32),  # many chunks
    ],
)
@pytest.mark.parametrize("max_norm", [1.0, 1e6])
def test_matches_twin_and_exact_sum(executor, shapes, dtypes, expected_dtype, max_norm):
    arrays = _arrays(shapes, dtypes)
    norm, coef = kernels.multi_tensor_l2norm(arrays, max_norm, runtime=executor)
    norm_twin, coef_twin = twin.multi_tensor_l2norm(arrays, max_norm)
    for actual, expected in ((norm, norm_twin), (coef, coef_twin)):
        assert actual.shape == expected.shape == ()
        assert actual.dtype == expected.dtype == np.dtype(expected_dtype)
    rtol = 1e-12 if expected_dtype == np.float64 else 1e-5
    np.testing.assert_allclose(norm, norm_twin, rtol=rtol)
    np.testing.assert_allclose(norm, _exact(arrays), rtol=rtol)
    np.testing.assert_allclose(coef, coef_twin, rtol=rtol)
    np.testing.assert_allclose(coef, min(max_norm / (_exact(arrays) + 1e-6), 1.0), rtol=rtol)


def test_empty_list_and_empty_tensors(executor):
    norm, coef = kernels.multi_tensor_l2norm([], 1.0, runtime=executor)
    assert norm == 0 and coef == 1 and norm.dtype == np.float32
    arrays = [np.zeros((0, 3), np.float32), np.array([3.0, 4.0], np.float32)]
    norm, coef = kernels.multi_tensor_l2norm(arrays, 1.0, runtime=executor)
    assert norm == pytest.approx(5.0) and coef == pytest.approx(1 / (5 + 1e-6))


def test_float16_values_whose_squares_overflow_float16(executor):
    arrays = [np.full(10, 60000.0, np.float16)]
    norm, _ = kernels.multi_tensor_l2norm(arrays, 1.0, runtime=executor)
    np.testing.assert_allclose(norm, _exact(arrays), rtol=1e-6)


def test_non_contiguous_inputs_and_nonfinite_values(executor):
    strided = _arrays([(40, 30)], [np.float64])[0].T[::3]
    norm, _ = kernels.multi_tensor_l2norm([strided], 1.0, runtime=executor)
    np.testing.assert_allclose(norm, _exact([strided]), rtol=1e-12)
    norm, coef = kernels.multi_tensor_l2norm(
        [np.array([1.0, np.inf], np.float32)], 1.0, runtime=executor
    )
    assert np.isinf(norm) and coef == 0
    norm, coef = kernels.multi_tensor_l2norm(
        [np.array([np.nan], np.float32)], 1.0, runtime=executor
    )
    assert np.isnan(norm) and np.isnan(coef)
    twin_norm, twin_coef = twin.multi_tensor_l2norm([np.array([np.nan], np.float32)], 1.0)
    assert np.isnan(twin_norm) and np.isnan(twin_coef)


def test_rejects_integer_tensors(executor):
    with pytest.raises(TypeError, match=r"multi_tensor_l2norm: arrays\[1\] must have dtype"):
        kernels.multi_tensor_l2norm(
            [np.ones(2, np.float32), np.ones(2, np.int64)], 1.0, runtime=executor
        )
