"""kernels/softmax.cu through its launchers on the CPU executor: the forward against the
NumPy twin (gradkit.backend.cpu.softmax), the backward against the formulas of
gradkit/ops/softmax.py evaluated in float64."""

from __future__ import annotations

import numpy as np
import pytest

from gradkit.backend.cpu import softmax as twin
from gradkit.backend.cuda import softmax as kernels

DTYPES = (np.float16, np.float32, np.float64)
# Summation order (tree vs NumPy's pairwise) and the online max rescaling differ from the
# twin by a few ulp of the computing dtype; float16 may then round one ulp apart.
TOLERANCES = {
    np.float16: {"rtol": 2e-3, "atol": 1e-4},
    np.float32: {"rtol": 2e-5, "atol": 1e-6},
    np.float64: {"rtol": 1e-12, "atol": 1e-14},
}
FORWARDS = [
    ("softmax", kernels.softmax_forward, twin.softmax_forward),
    ("log_softmax", kernels.log_softmax_forward, twin.log_softmax_forward),
]


def _close(actual, expected, dtype) -> None:
    assert actual.dtype == np.dtype(dtype), (actual.dtype, dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    np.testing.assert_allclose(
        actual.astype(np.float64), expected.astype(np.float64), **TOLERANCES[np.dtype(dtype).type]
    )


def _logits(shape, dtype, seed=0, scale=4.0):
    return (np.random.default_rng(seed).normal(scale=scale, size=shape)).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "kernel", "reference"), FORWARDS, ids=[f[0] for f in FORWARDS])
def test_forward_matches_twin_on_every_axis(executor, name, kernel, reference, dtype):
    x = _logits((5, 37, 3), dtype)
    for axis in range(3):
        _close(kernel(x, axis, runtime=executor), reference(x, axis), dtype)


@pytest.mark.parametrize("cols", [1, 31, 32, 33, 257, 1025, 5000])
@pytest.mark.parametrize(("name", "kernel", "reference"), FORWARDS, ids=[f[0] for f in FORWARDS])
def test_row_lengths_around_warp_and_block_sizes(executor, name, kernel, reference, cols):
    rows = 3 if cols >= 1025 else 11  # 11 rows > the executor's 8 blocks: the row loop
    x = _logits((rows, cols), np.float32, seed=cols)
    _close(kernel(x, 1, runtime=executor), reference(x, 1), np.float32)


@pytest.mark.parametrize(("name", "kernel", "reference"), FORWARDS, ids=[f[0] for f in FORWARDS])
def test_large_logits_do_not_overflow(executor, name, kernel, reference):
    x = np.array([[1e4, 1e4 - 1, -1e4], [-3e4, -3e4, -3e4]], np.float32)
    result = kernel(x, 1, runtime=executor)
    assert np.isfinite(result).all()
    _close(result, reference(x, 1), np.float32)


@pytest.mark.parametrize(("name", "kernel", "reference"), FORWARDS, ids=[f[0] for f in FORWARDS])
def test_infinities_and_nan_as_the_twin(executor, name, kernel, reference):
    inf, nan = np.inf, np.nan
    x = np.array(
        [[-inf, 1.0, 2.0, -inf], [-inf] * 4, [1.0, nan, 2.0, 3.0], [inf, 0.0, 1.0, 2.0]],
        np.float32,
    )
    with np.errstate(invalid="ignore"):
        expected = reference(x, 1)
    actual = kernel(x, 1, runtime=executor)
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    finite = ~np.isnan(expected)
    np.testing.assert_allclose(actual[finite], expected[finite], rtol=2e-6, atol=1e-7)


@pytest.mark.parametrize("shape", [(0,), (3, 0), (0, 4), (2, 0, 5)])
@pytest.mark.parametrize(("name", "kernel", "reference"), FORWARDS, ids=[f[0] for f in FORWARDS])
def test_empty_inputs(executor, name, kernel, reference, shape):
    x = np.zeros(shape, np.float32)
    for axis in range(len(shape)):
        result = kernel(x, axis, runtime=executor)
        assert result.shape == shape and result.dtype == np.float32


@pytest.mark.parametrize(("name", "kernel", "reference"), FORWARDS, ids=[f[0] for f in FORWARDS])
def test_one_element_and_non_contiguous_inputs(executor, name, kernel, reference):
    one = np.array([3.5], np.float64)
    _close(kernel(one, 0, runtime=executor), reference(one, 0), np.float64)
    x = _logits((40, 30), np.float32).T[::2, ::-1]
    assert not x.flags.c_contiguous
    for axis in (0, 1):
        _close(kernel(x, axis, runtime=executor), reference(x, axis), np.float32)


def _softmax_backward_reference(g, y, axis):
    g, y = g.astype(np.float64), y.astype(np.float64)
    return y * (g - (g * y).sum(axis=axis, keepdims=True))


def _log_softmax_backward_reference(g, y, axis):
    g, y = g.astype(np.float64), y.astype(np.float64)
    return g - np.exp(y) * g.sum(axis=axis, keepdims=True)


BACKWARDS = [
    ("softmax", kernels.softmax_backward, twin.softmax_forward, _softmax_backward_reference),
    (
        "log_softmax",
        kernels.log_softmax_backward,
        twin.log_softmax_forward,
        _log_softmax_backward_reference,
    ),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(4, 1), (9, 33), (2, 5000), (3, 4, 5)])
@pytest.mark.parametrize(
    ("name", "kernel", "forward", "reference"), BACKWARDS, ids=[b[0] for b in BACKWARDS]
)
def test_backward_matches_the_formula(executor, name, kernel, forward, reference, shape, dtype):
    axis = len(shape) - 1 if shape != (3, 4, 5) else 1
    y = forward(_logits(shape, dtype), axis)
    g = _logits(shape, dtype, seed=1, scale=1.0)
    expected = reference(g, y, axis)
    actual = kernel(g, y, axis, runtime=executor)
    assert actual.dtype == np.dtype(dtype)
    tolerance = TOLERANCES[np.dtype(dtype).type]
    np.testing.assert_allclose(actual.astype(np.float64), expected, **tolerance)


def test_backward_agrees_with_pytorch(executor):
    torch = pytest.importorskip("torch")
    x = _logits((6, 300), np.float64)
    g = _logits((6, 300), np.float64, seed=2)
    for name, kernel, forward, _ in BACKWARDS:
        t = torch.tensor(x, requires_grad=True)
        out = torch.softmax(t, 1) if name == "softmax" else torch.log_softmax(t, 1)
        out.backward(torch.tensor(g))
        actual = kernel(g, forward(x, 1), 1, runtime=executor)
        np.testing.assert_allclose(actual, t.grad.numpy(), rtol=1e-10, atol=1e-13)


def test_bad_arguments_name_the_op(executor):
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match="softmax_forward: expected a non-negative axis"):
        kernels.softmax_forward(x, 2, runtime=executor)
    with pytest.raises(TypeError, match="log_softmax_forward: x must have dtype"):
        kernels.log_softmax_forward(x.astype(np.int32), 1, runtime=executor)
    with pytest.raises(ValueError, match="softmax_backward: expected grad_out"):
        kernels.softmax_backward(x[:, :2], x, 1, runtime=executor)
