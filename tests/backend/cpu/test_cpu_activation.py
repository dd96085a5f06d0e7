"""The NumPy activation twins: PyTorch's values and gradients, and gradkit's dtype rules."""

from __future__ import annotations

import numpy as np
import pytest

from gradkit.backend.cpu.activation import (
    activation_backward,
    activation_forward,
    bias_activation_forward,
)
from gradkit.backend.cpu.activation_spec import ACTIVATION_KINDS, KINDS_NEEDING_OUTPUT

torch = pytest.importorskip("torch")
F = torch.nn.functional

PARAMS = {"leaky_relu": {"negative_slope": 0.1}, "softplus": {"beta": 1.5, "threshold": 10.0}}
TORCH_FUNCTIONS = {
    "relu": lambda t, p: F.relu(t),
    "leaky_relu": lambda t, p: F.leaky_relu(t, p["negative_slope"]),
    "gelu": lambda t, p: F.gelu(t),
    "gelu_tanh": lambda t, p: F.gelu(t, approximate="tanh"),
    "silu": lambda t, p: F.silu(t),
    "sigmoid": lambda t, p: torch.sigmoid(t),
    "tanh": lambda t, p: torch.tanh(t),
    "softplus": lambda t, p: F.softplus(t, beta=p["beta"], threshold=p["threshold"]),
}
TOLERANCES = {np.float32: {"rtol": 2e-6, "atol": 2e-6}, np.float64: {"rtol": 1e-12, "atol": 1e-13}}


def _inputs(dtype) -> np.ndarray:
    rng = np.random.default_rng(0)
    edges = [0.0, 1e-3, -1e-3, 1.0, -1.0, 6.0, -6.0, 6.666, 6.67, 12.0, -12.0, 40.0, -40.0]
    return np.concatenate([edges, rng.normal(scale=4.0, size=500)]).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind", ACTIVATION_KINDS)
def test_matches_pytorch_values_and_gradients(kind, dtype):
    params = PARAMS.get(kind, {})
    x = _inputs(dtype)
    grad_out = np.random.default_rng(1).normal(size=x.shape).astype(dtype)
    x_torch = torch.from_numpy(x).requires_grad_()
    y_torch = TORCH_FUNCTIONS[kind](x_torch, params)
    (grad_torch,) = torch.autograd.grad(y_torch, x_torch, torch.from_numpy(grad_out))

    y = activation_forward(x, kind, **params)
    out = y if kind in KINDS_NEEDING_OUTPUT else None
    grad = activation_backward(grad_out, x, out, kind, **params)

    np.testing.assert_allclose(y, y_torch.detach().numpy(), **TOLERANCES[dtype])
    np.testing.assert_allclose(grad, grad_torch.numpy(), **TOLERANCES[dtype])


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("kind", ACTIVATION_KINDS)
def test_outputs_keep_the_input_dtype(kind, dtype):
    x = _inputs(dtype)
    y = activation_forward(x, kind, negative_slope=0.3, beta=2.0, threshold=5.0)
    grad = activation_backward(x, x, y, kind, negative_slope=0.3, beta=2.0, threshold=5.0)
    fused = bias_activation_forward(x.reshape(-1, 1), x[:1], kind)
    assert y.dtype == grad.dtype == fused.dtype == dtype


@pytest.mark.parametrize("kind", ACTIVATION_KINDS)
def test_float16_is_computed_in_float32_and_rounded_once(kind):
    x = _inputs(np.float16)
    expected = activation_forward(x.astype(np.float32), kind).astype(np.float16)
    np.testing.assert_array_equal(activation_forward(x, kind), expected)


def test_bias_activation_is_activation_of_the_sum():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 3, 5)).astype(np.float32)
    bias = rng.normal(size=5).astype(np.float32)
    np.testing.assert_array_equal(
        bias_activation_forward(x, bias, "gelu"), activation_forward(x + bias, "gelu")
    )


def test_large_arguments_do_not_overflow_or_warn():
    x = np.array([-1e4, -100.0, 100.0, 1e4], np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow is fine
        for kind in ("sigmoid", "silu", "softplus"):
            y = activation_forward(x, kind)
            assert np.all(np.isfinite(y)), kind
            activation_backward(x, x, y, kind)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: activation_forward(np.zeros(2), "swish"),
            ValueError,
            "activation_forward: unknown",
        ),
        (lambda: activation_forward(np.zeros(2, np.int64), "relu"), TypeError, "int64"),
        (
            lambda: activation_backward(np.zeros(2), np.zeros(2), None, "sigmoid"),
            ValueError,
            "needs out",
        ),
        (
            lambda: activation_backward(np.zeros(2, np.float32), np.zeros(2), None, "relu"),
            TypeError,
            "grad_out must have the dtype",
        ),
        (
            lambda: bias_activation_forward(np.zeros(()), np.zeros(1), "relu"),
            ValueError,
            "at least one dimension",
        ),
    ],
)
def test_bad_arguments_raise_before_any_work(call, error, message):
    with pytest.raises(error, match=message):
        call()
