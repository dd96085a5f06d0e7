"""gk.autograd.grad: grad_outputs, non-leaf and unused inputs, higher derivatives."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk

torch = pytest.importorskip("torch")


def test_grad_returns_gradients_without_touching_dot_grad():
    x = gk.tensor([1.0, 2.0], requires_grad=True)
    (g,) = gk.autograd.grad((x**2).sum(), x)
    np.testing.assert_allclose(g.numpy(), [2.0, 4.0])
    assert x.grad is None and not g.requires_grad


def test_grad_outputs_and_several_inputs():
    a = gk.tensor([1.0, 2.0], requires_grad=True)
    b = gk.tensor([3.0, -1.0], requires_grad=True)
    ga, gb = gk.autograd.grad(a * b, [a, b], grad_outputs=gk.tensor([1.0, 10.0]))
    np.testing.assert_allclose(ga.numpy(), [3.0, -10.0])
    np.testing.assert_allclose(gb.numpy(), [1.0, 20.0])


def test_non_leaf_inputs():
    x = gk.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = (y * y).sum()
    gy, gx = gk.autograd.grad(z, [y, x])
    np.testing.assert_allclose(gy.numpy(), [4.0, 8.0])
    np.testing.assert_allclose(gx.numpy(), [8.0, 16.0])


def test_unused_input_is_an_error_or_none():
    x = gk.tensor([1.0], requires_grad=True)
    unused = gk.tensor([1.0], requires_grad=True)
    z = (x * 3).sum()
    with pytest.raises(RuntimeError, match="input 1.*allow_unused"):
        gk.autograd.grad(z, [x, unused], retain_graph=True)
    gx, gu = gk.autograd.grad(z, [x, unused], allow_unused=True)
    assert gu is None
    np.testing.assert_allclose(gx.numpy(), [3.0])


def test_inputs_must_require_grad():
    x = gk.tensor([1.0], requires_grad=True)
    c = gk.tensor([1.0])
    with pytest.raises(RuntimeError, match="input 1 does not require grad"):
        gk.autograd.grad((x * c).sum(), [x, c])


def test_retain_graph_in_grad():
    x = gk.tensor([1.0, 2.0], requires_grad=True)
    z = (gk.exp(x)).sum()
    gk.autograd.grad(z, x, retain_graph=True)
    (g,) = gk.autograd.grad(z, x)
    np.testing.assert_allclose(g.numpy(), np.exp([1.0, 2.0]), rtol=1e-6)
    with pytest.raises(RuntimeError, match="retain_graph"):
        gk.autograd.grad(z, x)


def test_second_derivative_of_x_cubed():
    x = gk.tensor([2.0, -1.0], requires_grad=True)
    (d1,) = gk.autograd.grad((x**3).sum(), x, create_graph=True)
    assert d1.requires_grad
    (d2,) = gk.autograd.grad(d1.sum(), x, create_graph=True)
    (d3,) = gk.autograd.grad(d2.sum(), x)
    np.testing.assert_allclose(d1.detach().numpy(), [12.0, 3.0])
    np.testing.assert_allclose(d2.detach().numpy(), [12.0, -6.0])
    np.testing.assert_allclose(d3.numpy(), [6.0, 6.0])


def test_hessian_vector_product_matches_pytorch():
    values = np.array([0.3, -0.7, 1.1], dtype=np.float64)
    v = np.array([1.0, 2.0, -1.0])

    def f(x, lib):
        return (lib.sin(x) * x * x + lib.exp(x * 0.5)).sum() * (x * x).sum()

    x = gk.tensor(values, requires_grad=True)
    (g,) = gk.autograd.grad(f(x, gk), x, create_graph=True)
    (hv,) = gk.autograd.grad((g * gk.tensor(v)).sum(), x)
    tx = torch.tensor(values, requires_grad=True)
    (tg,) = torch.autograd.grad(f(tx, torch), tx, create_graph=True)
    (thv,) = torch.autograd.grad((tg * torch.tensor(v)).sum(), tx)
    np.testing.assert_allclose(hv.numpy(), thv.numpy(), rtol=1e-10)


def test_grad_of_the_wrong_shape_names_both_shapes():
    x = gk.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"autograd.grad.*\(3,\).*\(2,\)"):
        gk.autograd.grad(x * 2, x, grad_outputs=gk.ones(3))
