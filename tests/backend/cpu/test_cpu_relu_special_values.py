"""The branch-free ReLU primitives keep where()'s exact results on NaN, +-0.0 and inf, at every
length (SIMD bodies and tails) and for strided inputs, like PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

from gradkit.backend.cpu.activation import activation_backward, activation_forward

torch = pytest.importorskip("torch")

SPECIAL = [-0.0, 0.0, -1.5, 2.5, np.nan, -np.inf, np.inf, -1e-30, 1e-30]


def _values(n: int, dtype) -> np.ndarray:
    rng = np.random.default_rng(n)
    x = rng.choice(np.array(SPECIAL), size=n)
    return x.astype(dtype)


def _same_bits(a: np.ndarray, b: np.ndarray) -> None:
    assert a.dtype == b.dtype
    np.testing.assert_array_equal(a, b)  # NaN positions match too
    np.testing.assert_array_equal(np.signbit(a), np.signbit(b))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 7, 16, 33, 257])
def test_relu_forward_matches_torch_bit_for_bit(n, dtype):
    x = _values(n, dtype)
    expected = torch.relu(torch.from_numpy(x)).numpy()
    _same_bits(activation_forward(x, "relu"), expected)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 7, 16, 33, 257])
def test_relu_backward_passes_the_gradient_only_where_x_is_positive(n, dtype):
    x = _values(n, dtype)
    grad = _values(n + 1, dtype)[:n]  # NaN/inf gradients too: they must not leak where x <= 0
    expected = np.where(x > 0, grad, dtype(0))
    _same_bits(activation_backward(grad, x, None, "relu"), expected)


def test_relu_on_strided_inputs():
    x = _values(64, np.float32).reshape(8, 8)[:, ::2]
    grad = _values(65, np.float32)[:64].reshape(8, 8).T[:, 1::2]
    _same_bits(activation_forward(x, "relu"), np.where(x < 0, np.float32(0), x))
    _same_bits(activation_backward(grad, x, None, "relu"), np.where(x > 0, grad, np.float32(0)))
