"""Elementwise unary math: values and gradients against PyTorch, finite differences of first
and second order, dtypes (integers compute in float32), and the non-differentiable ones."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk
from gradkit.testing import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")

# name -> input range where the function is smooth (log/sqrt need positives, tan stays
# away from its poles, abs away from its kink at 0)
DIFFERENTIABLE = {
    "exp": (-2.0, 2.0),
    "expm1": (-2.0, 2.0),
    "log": (0.2, 3.0),
    "log1p": (-0.5, 3.0),
    "sqrt": (0.2, 3.0),
    "rsqrt": (0.2, 3.0),
    "sin": (-3.0, 3.0),
    "cos": (-3.0, 3.0),
    "tan": (-1.2, 1.2),
    "tanh": (-3.0, 3.0),
    "sigmoid": (-4.0, 4.0),
    "abs": (0.1, 2.0),
    "reciprocal": (0.3, 2.0),
    "square": (-2.0, 2.0),
}


def _draw(name, shape, dtype, seed=0):
    low, high = DIFFERENTIABLE[name]
    values = np.random.default_rng(seed).uniform(low, high, shape)
    if name == "abs":
        values *= np.where(np.arange(values.size).reshape(shape) % 2 == 0, 1, -1)
    return values.astype(dtype)


@pytest.mark.parametrize("name", sorted(DIFFERENTIABLE))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(), (5,), (2, 3)])
def test_values_and_grads_match_pytorch(name, dtype, shape):
    values = _draw(name, shape, dtype)
    x = gk.tensor(values, requires_grad=True)
    tx = torch.tensor(values, requires_grad=True)
    out = getattr(gk, name)(x)
    tout = getattr(torch, name)(tx)
    assert getattr(x, name)().dtype == dtype  # the method spelling too
    weights = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    (out * gk.tensor(weights)).sum().backward()
    (tout * torch.tensor(weights)).sum().backward()
    tol = 2e-6 if dtype == np.float32 else 1e-12
    assert out.dtype == dtype and x.grad.dtype == dtype
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=tol * 2, atol=tol)


@pytest.mark.parametrize("name", sorted(DIFFERENTIABLE))
@pytest.mark.parametrize("shape", [(3,), (2, 2)])
def test_gradcheck_and_gradgradcheck(name, shape):
    x = gk.tensor(_draw(name, shape, np.float64, seed=3), requires_grad=True)
    fn = getattr(gk, name)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_sigmoid_is_stable_for_large_inputs():
    x = gk.tensor([-1000.0, -50.0, 0.0, 50.0, 1000.0], requires_grad=True)
    y = gk.sigmoid(x)
    expected = torch.sigmoid(torch.tensor([-1000.0, -50.0, 0.0, 50.0, 1000.0]))
    np.testing.assert_allclose(y.detach().numpy(), expected.numpy(), atol=1e-7)
    y.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


@pytest.mark.parametrize("name", ["exp", "log1p", "sqrt", "sin", "sigmoid", "reciprocal"])
def test_integer_inputs_compute_in_float32(name):
    ints = [1, 2, 3]
    ours = getattr(gk, name)(gk.tensor(ints))
    theirs = getattr(torch, name)(torch.tensor(ints))
    assert ours.dtype == np.float32 and theirs.dtype == torch.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["sign", "floor", "ceil", "round", "trunc"])
def test_piecewise_constant_ops_match_pytorch_and_do_not_record(name):
    values = np.array([-2.5, -1.4, -0.5, 0.0, 0.5, 1.5, 2.7], dtype=np.float32)
    x = gk.tensor(values, requires_grad=True)
    out = getattr(gk, name)(x)
    np.testing.assert_array_equal(out.numpy(), getattr(torch, name)(torch.tensor(values)))
    assert not out.requires_grad


def test_abs_of_integers_stays_integer():
    assert gk.abs(gk.tensor([-3, 2])).dtype == np.int64
    assert abs(gk.tensor([-3, 2])).tolist() == [3, 2]


@pytest.mark.parametrize("name", ["exp", "log", "sin", "tanh", "sigmoid"])
def test_non_tensor_argument_is_a_type_error(name):
    with pytest.raises(TypeError, match=name):
        getattr(gk, name)([1.0, 2.0])


def test_second_derivative_of_sin_and_tanh():
    x = gk.tensor([0.3, 1.2], dtype=gk.float64, requires_grad=True)
    (d1,) = gk.autograd.grad(gk.sin(x).sum(), x, create_graph=True)
    (d2,) = gk.autograd.grad(d1.sum(), x, create_graph=True)
    (d3,) = gk.autograd.grad(d2.sum(), x)
    np.testing.assert_allclose(d1.detach().numpy(), np.cos([0.3, 1.2]))
    np.testing.assert_allclose(d2.detach().numpy(), -np.sin([0.3, 1.2]))
    np.testing.assert_allclose(d3.numpy(), -np.cos([0.3, 1.2]))
    t = np.tanh([0.3, 1.2])
    (g,) = gk.autograd.grad(gk.tanh(x).sum(), x, create_graph=True)
    (gg,) = gk.autograd.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), -2 * t * (1 - t**2))
