"""kernels/pooling.cu through the launchers of gradkit.backend.cuda.pooling on the CPU
executor, against the NumPy twin gradkit.backend.cpu.pooling."""

from __future__ import annotations

import numpy as np
import pytest

from gradkit.backend.cpu import pooling as twin
from gradkit.backend.cuda import pooling as kernels

DTYPES = (np.float16, np.float32, np.float64)
# (x shape, kernel, stride, padding, dilation, ceil_mode)
MAX_GEOMETRIES = [
    ((2, 3, 8, 8), (2, 2), (2, 2), (0, 0), (1, 1), False),
    ((1, 2, 7, 9), (3, 3), (2, 2), (1, 1), (1, 1), True),  # ceil_mode reaches past padding
    ((2, 1, 10, 11), (3, 2), (1, 3), (1, 0), (2, 2), False),  # dilation
    ((3, 5, 5), (5, 5), (1, 1), (2, 2), (1, 1), False),  # 3-D input, overlapping windows
    ((1, 1, 1, 1), (1, 1), (1, 1), (0, 0), (1, 1), False),  # one element
]
AVG_GEOMETRIES = [  # (x shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor)
    ((2, 3, 8, 8), (2, 2), (2, 2), (0, 0), False, True, None),
    ((1, 2, 7, 9), (3, 3), (2, 2), (1, 1), True, True, None),
    ((1, 2, 7, 9), (3, 3), (2, 2), (1, 1), True, False, None),
    ((2, 1, 6, 5), (3, 2), (1, 2), (1, 1), False, False, 7),
    ((4, 4), (4, 4), (1, 1), (0, 0), False, True, None),
]


def _exact_or_close(actual, expected) -> None:
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    if actual.dtype == np.float16:  # the twin accumulates in float16, the kernels in float32
        np.testing.assert_allclose(
            actual.astype(np.float32), expected.astype(np.float32), rtol=4e-3, atol=4e-3
        )
    else:
        np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geometry", MAX_GEOMETRIES, ids=lambda g: str(g[0]))
def test_max_pooling_matches_twin(executor, geometry, dtype):
    x_shape, kernel, stride, padding, dilation, ceil_mode = geometry
    rng = np.random.default_rng(0)
    x = rng.normal(size=x_shape).astype(dtype)
    x.reshape(-1)[::5] = x.reshape(-1)[-1]  # ties: the first maximum must win
    args = (kernel, stride, padding, dilation, ceil_mode)
    y, offsets = kernels.max_pool2d_forward(x, *args, runtime=executor)
    y_twin, offsets_twin = twin.max_pool2d_forward(x, *args)
    np.testing.assert_array_equal(y, y_twin)
    assert offsets.dtype == offsets_twin.dtype
    np.testing.assert_array_equal(offsets, offsets_twin)
    g = rng.normal(size=y.shape).astype(dtype)
    _exact_or_close(
        kernels.max_pool2d_backward(g, offsets, x.shape, *args, runtime=executor),
        twin.max_pool2d_backward(g, offsets_twin, x.shape, *args),
    )
    grad_in = rng.normal(size=x.shape).astype(dtype)
    np.testing.assert_array_equal(
        kernels.max_pool2d_gather(grad_in, offsets, *args, runtime=executor),
        twin.max_pool2d_gather(grad_in, offsets_twin, *args),
    )
    np.testing.assert_array_equal(
        kernels.max_pool2d_flat_indices(
            offsets, x_shape[-2:], kernel, stride, padding, dilation, runtime=executor
        ),
        twin.max_pool2d_flat_indices(offsets_twin, x_shape[-2:], kernel, stride, padding, dilation),
    )


def test_max_pooling_nan_wins_like_the_twin(executor):
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    x[0, 0, 0, 1] = np.nan
    x[0, 0, 1, 0] = np.nan
    x[0, 0, 3, 3] = np.nan
    args = ((2, 2), (2, 2), (0, 0), (1, 1), False)
    y, offsets = kernels.max_pool2d_forward(x, *args, runtime=executor)
    y_twin, offsets_twin = twin.max_pool2d_forward(x, *args)
    np.testing.assert_array_equal(y, y_twin)  # assert_array_equal treats NaN == NaN
    np.testing.assert_array_equal(offsets, offsets_twin)


def test_max_pooling_agrees_with_pytorch(executor):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).normal(size=(2, 3, 9, 7))
    args = ((3, 2), (2, 1), (1, 1), (1, 2), True)
    y, offsets = kernels.max_pool2d_forward(x, *args, runtime=executor)
    t = torch.tensor(x, requires_grad=True)
    ty, indices = torch.nn.functional.max_pool2d(t, *args[:4], ceil_mode=True, return_indices=True)
    np.testing.assert_array_equal(y, ty.detach().numpy())
    np.testing.assert_array_equal(
        kernels.max_pool2d_flat_indices(offsets, (9, 7), *args[:4], runtime=executor),
        indices.numpy(),
    )
    g = np.random.default_rng(2).normal(size=y.shape)
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(
        kernels.max_pool2d_backward(g, offsets, x.shape, *args, runtime=executor),
        t.grad.numpy(),
        rtol=1e-12,
        atol=1e-12,
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("geometry", AVG_GEOMETRIES, ids=lambda g: f"{g[0]}-{g[5]}-{g[6]}")
def test_avg_pooling_matches_twin(executor, geometry, dtype):
    x_shape, kernel, stride, padding, ceil_mode, include_pad, divisor = geometry
    rng = np.random.default_rng(3)
    x = rng.normal(size=x_shape).astype(dtype)
    args = (kernel, stride, padding, ceil_mode, include_pad, divisor)
    y = kernels.avg_pool2d_forward(x, *args, runtime=executor)
    _exact_or_close(y, twin.avg_pool2d_forward(x, *args))
    g = rng.normal(size=y.shape).astype(dtype)
    _exact_or_close(
        kernels.avg_pool2d_backward(g, x.shape, *args, runtime=executor),
        twin.avg_pool2d_backward(g, x.shape, *args),
    )


def test_avg_pooling_agrees_with_pytorch(executor):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(4).normal(size=(2, 2, 7, 9))
    args = ((3, 3), (2, 2), (1, 1), True, False, None)
    t = torch.tensor(x, requires_grad=True)
    ty = torch.nn.functional.avg_pool2d(t, *args[:3], ceil_mode=True, count_include_pad=False)
    y = kernels.avg_pool2d_forward(x, *args, runtime=executor)
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-12)
    g = np.random.default_rng(5).normal(size=y.shape)
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(
        kernels.avg_pool2d_backward(g, x.shape, *args, runtime=executor),
        t.grad.numpy(),
        rtol=1e-12,
        atol=1e-14,
    )


def test_non_contiguous_and_empty_inputs(executor):
    x = np.random.default_rng(6).normal(size=(6, 6, 2, 3)).astype(np.float32).transpose(2, 3, 0, 1)
    assert not x.flags.c_contiguous
    args = ((2, 2), (2, 2), (0, 0), (1, 1), False)
    np.testing.assert_array_equal(
        kernels.max_pool2d_forward(x, *args, runtime=executor)[0],
        twin.max_pool2d_forward(x, *args)[0],
    )
    empty = np.zeros((0, 3, 4, 4), np.float32)
    y, offsets = kernels.max_pool2d_forward(empty, *args, runtime=executor)
    assert y.shape == offsets.shape == (0, 3, 2, 2)
    avg = kernels.avg_pool2d_forward(
        empty, (2, 2), (2, 2), (0, 0), False, True, None, runtime=executor
    )
    assert avg.shape == (0, 3, 2, 2)


def test_separable_apply_matches_twin(executor):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2, 3, 7, 5)).astype(np.float32)
    rows = twin.adaptive_pool_matrix(7, 3, np.dtype(np.float32))
    cols = twin.adaptive_pool_matrix(5, 2, np.dtype(np.float32))
    np.testing.assert_allclose(
        kernels.separable_apply(x, rows, cols, runtime=executor),
        twin.separable_apply(x, rows, cols),
        rtol=1e-6,
    )


def test_rejects_integer_input(executor):
    with pytest.raises(TypeError, match="max_pool2d_forward: x must have dtype"):
        kernels.max_pool2d_forward(
            np.zeros((1, 1, 2, 2), np.int64),
            (1, 1),
            (1, 1),
            (0, 0),
            (1, 1),
            False,
            runtime=executor,
        )
