"""Tensor.backward: seeds, accumulation, retain_graph/create_graph and their errors."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk

torch = pytest.importorskip("torch")


def test_scalar_backward_without_grad():
    x = gk.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 6.0])
    assert x.grad.dtype == np.float32 and not x.grad.requires_grad


def test_non_scalar_backward_with_explicit_grad_matches_pytorch():
    values = np.array([[1.0, -2.0], [0.5, 3.0]], dtype=np.float32)
    seed = np.array([[1.0, 0.5], [-1.0, 2.0]], dtype=np.float32)
    x = gk.tensor(values, requires_grad=True)
    tx = torch.tensor(values, requires_grad=True)
    (x * x * 3).backward(gk.tensor(seed))
    (tx * tx * 3).backward(torch.tensor(seed))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    x.grad = None
    (x * 2).backward(seed)  # an array is accepted as the seed too
    np.testing.assert_allclose(x.grad.numpy(), 2 * seed)


def test_non_scalar_backward_without_grad_is_an_error():
    x = gk.ones(2, 3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"backward.*scalar.*\(2, 3\)"):
        y.backward()
    assert x.grad is None
    y.sum().backward()  # the graph was left intact
    assert x.grad is not None


def test_grad_of_the_wrong_shape_is_an_error():
    x = gk.ones(2, 3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match=r"backward.*\(3,\).*\(2, 3\)"):
        y.backward(gk.ones(3))
    assert x.grad is None
    y.backward(gk.ones(2, 3))
    np.testing.assert_allclose(x.grad.numpy(), np.full((2, 3), 2.0))


def test_backward_of_a_tensor_without_grad_is_an_error():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (gk.ones(2) * 2).sum().backward()


def test_grad_accumulates_across_backward_calls():
    x = gk.tensor([1.0, 2.0], requires_grad=True)
    for _ in range(3):
        (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 12.0])
    x.grad = None
    (x * 5).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 5.0])


def test_accumulation_does_not_write_into_a_gradient_someone_holds():
    x = gk.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    first = x.grad
    held = first.numpy().copy()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(first.numpy(), held)
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])


def test_second_backward_without_retain_graph_names_retain_graph():
    x = gk.tensor([1.0, 2.0], requires_grad=True)
    y = (gk.exp(x) * x).sum()
    y.backward()
    grad = x.grad.numpy().copy()
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), grad)


def test_retain_graph_allows_a_second_backward():
    x = gk.tensor([1.0, 2.0], requires_grad=True)
    y = (gk.exp(x) * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    expected = 2 * (np.exp([1.0, 2.0]) * ([1.0, 2.0]) + np.exp([1.0, 2.0]))
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-6)


def test_create_graph_makes_grad_differentiable():
    x = gk.tensor(2.0, requires_grad=True)
    (x**3).backward(create_graph=True)
    assert x.grad.requires_grad
    np.testing.assert_allclose(x.grad.item(), 12.0)
    first = x.grad
    x.grad = None
    first.backward()  # d/dx (3x^2) = 6x
    np.testing.assert_allclose(x.grad.item(), 12.0)


def test_only_leaves_that_require_grad_get_grad():
    a = gk.tensor([1.0], requires_grad=True)
    b = gk.tensor([2.0])
    h = a * b
    (h * h).sum().backward()
    assert b.grad is None and h.grad is None
    np.testing.assert_allclose(a.grad.numpy(), [8.0])


def test_backward_inputs_limits_accumulation():
    a = gk.tensor([1.0], requires_grad=True)
    b = gk.tensor([2.0], requires_grad=True)
    (a * b).sum().backward(inputs=[a])
    assert b.grad is None
    np.testing.assert_allclose(a.grad.numpy(), [2.0])


def test_diamond_graph_matches_pytorch():
    values = np.array([0.5, -1.5, 2.0], dtype=np.float32)

    def program(x, lib):
        a = lib.sin(x)
        b = a * x
        c = lib.exp(a) + b * a
        return (c * b - a).sum()

    x = gk.tensor(values, requires_grad=True)
    tx = torch.tensor(values, requires_grad=True)
    program(x, gk).backward()
    program(tx, torch).backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5)


def test_is_leaf_and_requires_grad_propagation():
    x = gk.ones(2, requires_grad=True)
    c = gk.ones(2)
    assert x.is_leaf and c.is_leaf
    y = x * c
    assert y.requires_grad and not y.is_leaf
    z = c * 2
    assert not z.requires_grad and z.is_leaf


def test_requires_grad_underscore():
    x = gk.ones(2)
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad_(False)
    assert not x.requires_grad
    with pytest.raises(TypeError, match="requires_grad_.*int64"):
        gk.arange(3).requires_grad_()
    with pytest.raises(TypeError, match="int64"):
        gk.tensor([1, 2], requires_grad=True)
    y = gk.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="non-leaf"):
        y.requires_grad_(False)
