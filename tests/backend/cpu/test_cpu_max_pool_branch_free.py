"""The branch-free max pooling passes give the reference scan's results exactly: the first
maximum on ties (padding included), NaN winning, and a scatter that never leaks a NaN/inf
gradient into positions that were not a window's maximum."""

from __future__ import annotations

import numpy as np
import pytest

from gradkit.backend.cpu import pooling

GEOMETRIES = [  # kernel, stride, padding, dilation, ceil_mode
    ((2, 2), (2, 2), (0, 0), (1, 1), False),
    ((3, 3), (2, 2), (1, 1), (1, 1), True),
    ((3, 2), (1, 2), (1, 0), (2, 1), False),
]


def _reference_forward(x, kernel, stride, padding, dilation, ceil_mode):
    """The sequential scan: a later candidate wins when larger or NaN."""
    out_hw, buf_hw = pooling._geometry(x.shape[-2:], kernel, stride, padding, dilation, ceil_mode)
    xp = pooling._padded(x, padding, buf_hw, -np.inf)
    y = offsets = None
    for k, (rows, cols) in pooling._window_slices(kernel, stride, dilation, out_hw):
        candidate = xp[..., rows, cols]
        if y is None:
            y, offsets = candidate.copy(), np.zeros(candidate.shape, np.int16)
            continue
        better = (candidate > y) | np.isnan(candidate)
        y = np.where(better, candidate, y)
        offsets = np.where(better, np.int16(k), offsets)
    return y, offsets


def _reference_backward(grad, offsets, x_shape, kernel, stride, padding, dilation, ceil_mode):
    out_hw, buf_hw = pooling._geometry(x_shape[-2:], kernel, stride, padding, dilation, ceil_mode)
    buf = np.zeros(tuple(x_shape[:-2]) + buf_hw, grad.dtype)
    for k, (rows, cols) in pooling._window_slices(kernel, stride, dilation, out_hw):
        buf[..., rows, cols] += np.where(offsets == k, grad, grad.dtype.type(0))
    h, w = x_shape[-2:]
    return buf[..., padding[0] : padding[0] + h, padding[1] : padding[1] + w]


def _tied_input(dtype, with_nan: bool) -> np.ndarray:
    rng = np.random.default_rng(0)
    x = rng.integers(-2, 3, size=(2, 3, 9, 8)).astype(dtype)  # many ties
    x[0, 0] = -np.inf  # all-(-inf) windows: the padding or the first position wins
    if with_nan:
        x[1, 2, 3, 3] = x[1, 2, 4, 4] = x[0, 1, 0, 0] = np.nan
    return x


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("with_nan", [False, True])
@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_forward_matches_the_reference_scan(geometry, with_nan, dtype):
    x = _tied_input(dtype, with_nan)
    y, offsets = pooling.max_pool2d_forward(x, *geometry)
    y_ref, offsets_ref = _reference_forward(x, *geometry)
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(offsets, offsets_ref)
    assert y.dtype == dtype


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_backward_matches_the_reference_scatter_with_non_finite_gradients(geometry):
    x = _tied_input(np.float32, with_nan=False)
    _, offsets = pooling.max_pool2d_forward(x, *geometry)
    grad = np.random.default_rng(1).standard_normal(offsets.shape).astype(np.float32)
    grad.reshape(-1)[::7] = np.inf
    grad.reshape(-1)[3::11] = np.nan
    grad.reshape(-1)[5::13] = -0.0
    out = pooling.max_pool2d_backward(grad, offsets, x.shape, *geometry)
    expected = _reference_backward(grad, offsets, x.shape, *geometry)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(np.signbit(out), np.signbit(expected))
    assert out.dtype == np.float32 and out.shape == x.shape
