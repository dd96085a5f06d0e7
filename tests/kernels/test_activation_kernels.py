"""kernels/activation.cu, run through the real launchers on the CPU executor, against the
NumPy twins in gradkit.backend.cpu.activation."""

from __future__ import annotations

import numpy as np
import pytest

from gradkit.backend.cpu import activation as twin
from gradkit.backend.cpu.activation_spec import ACTIVATION_KINDS, KINDS_NEEDING_OUTPUT
from gradkit.backend.cuda import activation as kernels

DTYPES = (np.float16, np.float32, np.float64)
# Kinds with no transcendental function: kernel and twin must agree bit for bit.
EXACT_KINDS = {"relu", "leaky_relu"}
# Executor (C library) vs NumPy: a few ulp apart in float32/float64, which can also flip the
# final rounding to float16 by one ulp. atol covers results that are a difference of nearly
# equal terms, e.g. gelu_tanh's derivative for x << 0, where 1 + tanh(.) and 1 - tanh(.)**2
# inherit tanh's last-ulp error (~1e-7 in float32) times |x| * |grad_out|.
TOLERANCES = {
    np.float16: {"rtol": 2e-3, "atol": 1e-5},
    np.float32: {"rtol": 1e-5, "atol": 1e-5},
    np.float64: {"rtol": 1e-12, "atol": 1e-13},
}
EDGE_VALUES = [0.0, -0.0, 1e-4, -1e-4, 0.5, -0.5, 1.0, -1.0, 3.0, -3.0, 8.0, -8.0, 15.0, -15.0]
EDGE_VALUES += [19.99, 20.0, 20.01, 30.0, -30.0]  # around softplus's default threshold


def _inputs(size: int, dtype, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = np.concatenate([EDGE_VALUES, rng.normal(scale=4.0, size=max(size, 0))])[:size]
    return rng.permutation(values).astype(dtype)


def _assert_matches(actual: np.ndarray, expected: np.ndarray, kind: str) -> None:
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    if kind in EXACT_KINDS:
        np.testing.assert_array_equal(actual, expected)
    else:
        tolerance = TOLERANCES[expected.dtype.type]
        np.testing.assert_allclose(
            actual.astype(np.float64), expected.astype(np.float64), **tolerance
        )


def _backward_args(x: np.ndarray, kind: str, seed: int = 1):
    grad_out = np.random.default_rng(seed).normal(size=x.shape).astype(x.dtype)
    out = twin.activation_forward(x, kind) if kind in KINDS_NEEDING_OUTPUT else None
    return grad_out, out


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ACTIVATION_KINDS)
def test_forward_matches_twin(executor, kind, dtype):
    x = _inputs(1000, dtype)  # 1000: not a multiple of the block size
    actual = kernels.activation_forward(x, kind, runtime=executor)
    _assert_matches(actual, twin.activation_forward(x, kind), kind)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ACTIVATION_KINDS)
def test_backward_matches_twin(executor, kind, dtype):
    x = _inputs(1000, dtype)
    grad_out, out = _backward_args(x, kind)
    actual = kernels.activation_backward(grad_out, x, out, kind, runtime=executor)
    _assert_matches(actual, twin.activation_backward(grad_out, x, out, kind), kind)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", ACTIVATION_KINDS)
def test_bias_activation_forward_matches_twin(executor, kind, dtype):
    x = _inputs(37 * 29, dtype).reshape(37, 29)
    bias = _inputs(29, dtype, seed=5)
    actual = kernels.bias_activation_forward(x, bias, kind, runtime=executor)
    _assert_matches(actual, twin.bias_activation_forward(x, bias, kind), kind)


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("leaky_relu", {"negative_slope": 0.2}),
        ("leaky_relu", {"negative_slope": -1.5}),
        ("softplus", {"beta": 2.0, "threshold": 5.0}),
        ("softplus", {"beta": 0.5, "threshold": 1.0}),
    ],
)
@pytest.mark.parametrize("dtype", DTYPES)
def test_parameters_reach_the_kernel(executor, kind, params, dtype):
    x = _inputs(500, dtype)
    grad_out, out = _backward_args(x, kind)
    forward = kernels.activation_forward(x, kind, **params, runtime=executor)
    _assert_matches(forward, twin.activation_forward(x, kind, **params), kind)
    assert not np.allclose(forward, twin.activation_forward(x, kind), equal_nan=True)
    backward = kernels.activation_backward(grad_out, x, out, kind, **params, runtime=executor)
    _assert_matches(backward, twin.activation_backward(grad_out, x, out, kind, **params), kind)


@pytest.mark.parametrize("size", [1, 255, 256, 257, 8 * 256 + 1])
@pytest.mark.parametrize("kind", ["relu", "gelu", "sigmoid"])
def test_sizes_around_block_and_grid_boundaries(executor, kind, size):
    # 8 * 256 + 1 needs one more element than the executor's whole grid: the grid-stride loop.
    x = _inputs(size, np.float32)
    grad_out, out = _backward_args(x, kind)
    _assert_matches(
        kernels.activation_forward(x, kind, runtime=executor),
        twin.activation_forward(x, kind),
        kind,
    )
    _assert_matches(
        kernels.activation_backward(grad_out, x, out, kind, runtime=executor),
        twin.activation_backward(grad_out, x, out, kind),
        kind,
    )


@pytest.mark.parametrize("shape", [(0,), (3, 0), (0, 5)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_empty_inputs(executor, shape, dtype):
    x = np.zeros(shape, dtype)
    forward = kernels.activation_forward(x, "gelu", runtime=executor)
    backward = kernels.activation_backward(x, x, x, "tanh", runtime=executor)
    assert forward.shape == backward.shape == shape
    assert forward.dtype == backward.dtype == dtype
    if shape[-1] != 0:
        return
    bias = np.zeros(shape[-1], dtype)
    assert kernels.bias_activation_forward(x, bias, "relu", runtime=executor).shape == shape


@pytest.mark.parametrize("kind", ACTIVATION_KINDS)
def test_large_input(executor, kind):
    x = _inputs(1 << 20, np.float32, seed=7)
    grad_out, out = _backward_args(x, kind)
    _assert_matches(
        kernels.activation_forward(x, kind, runtime=executor),
        twin.activation_forward(x, kind),
        kind,
    )
    _assert_matches(
        kernels.activation_backward(grad_out, x, out, kind, runtime=executor),
        twin.activation_backward(grad_out, x, out, kind),
        kind,
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_non_contiguous_inputs_keep_their_shape(executor, dtype):
    base = _inputs(40 * 30, dtype).reshape(40, 30)
    x = base.T[::2]  # transposed and strided
    assert not x.flags.c_contiguous
    grad_out = _inputs(2 * x.size, dtype, seed=3).reshape(30, 40)[:, ::-1][::2]
    _assert_matches(
        kernels.activation_forward(x, "silu", runtime=executor),
        twin.activation_forward(x, "silu"),
        "silu",
    )
    _assert_matches(
        kernels.activation_backward(grad_out, x, None, "gelu_tanh", runtime=executor),
        twin.activation_backward(grad_out, x, None, "gelu_tanh"),
        "gelu_tanh",
    )
    bias = _inputs(80, dtype)[::2]
    _assert_matches(
        kernels.bias_activation_forward(x, bias, "softplus", runtime=executor),
        twin.bias_activation_forward(x, bias, "softplus"),
        "softplus",
    )


@pytest.mark.parametrize("kind", ACTIVATION_KINDS)
def test_nan_propagates(executor, kind):
    x = np.array([np.nan, 1.0, -1.0], np.float32)
    result = kernels.activation_forward(x, kind, runtime=executor)
    assert np.isnan(result[0])
    _assert_matches(result, twin.activation_forward(x, kind), kind)


def test_multidimensional_bias_activation_uses_the_last_axis(executor):
    x = _inputs(2 * 3 * 7, np.float32).reshape(2, 3, 7)
    bias = _inputs(7, np.float32, seed=9)
    _assert_matches(
        kernels.bias_activation_forward(x, bias, "gelu", runtime=executor),
        twin.bias_activation_forward(x, bias, "gelu"),
        "gelu",
    )


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda rt: kernels.activation_forward(np.zeros(3, np.float32), "swish", runtime=rt),
            ValueError,
            "unknown activation kind 'swish'",
        ),
        (
            lambda rt: kernels.activation_forward(np.zeros(3, np.int32), "relu", runtime=rt),
            TypeError,
            "int32",
        ),
        (
            lambda rt: kernels.activation_backward(
                np.zeros(3, np.float32), np.zeros(3, np.float32), None, "tanh", runtime=rt
            ),
            ValueError,
            "needs out",
        ),
        (
            lambda rt: kernels.activation_backward(
                np.zeros(2, np.float32), np.zeros(3, np.float32), None, "relu", runtime=rt
            ),
            ValueError,
            "grad_out must have the shape",
        ),
        (
            lambda rt: kernels.bias_activation_forward(
                np.zeros((2, 3), np.float32), np.zeros(2, np.float32), "relu", runtime=rt
            ),
            ValueError,
            "bias must have shape",
        ),
        (
            lambda rt: kernels.bias_activation_forward(
                np.zeros((2, 3), np.float32), np.zeros(3, np.float64), "relu", runtime=rt
            ),
            TypeError,
            "bias must have the dtype",
        ),
    ],
)
def test_launchers_reject_bad_arguments_like_the_twins(executor, call, error, message):
    with pytest.raises(error, match=message):
        call(executor)
