"""Tensor hooks and retain_grad, on leaves and non-leaves, compared with PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk

torch = pytest.importorskip("torch")


def test_leaf_hook_sees_and_replaces_the_gradient():
    x = gk.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.numpy().copy()))
    handle = x.register_hook(lambda g: g * 10)
    (x * 2).sum().backward()
    np.testing.assert_allclose(seen[0], [2.0, 2.0])
    np.testing.assert_allclose(x.grad.numpy(), [20.0, 20.0])
    handle.remove()
    x.grad = None
    (x * 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])
    assert len(seen) == 2


def test_non_leaf_hook_changes_what_flows_upstream():
    x = gk.tensor([1.0, 2.0], requires_grad=True)
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    for t in (x, tx):
        y = t * 3
        y.register_hook(lambda g: g * 2)
        (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_removed_non_leaf_hook_does_not_run():
    x = gk.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    calls = []
    handle = y.register_hook(lambda g: calls.append(1))
    handle.remove()
    handle.remove()  # removing twice is harmless
    y.sum().backward()
    assert calls == []


@pytest.mark.parametrize("retain_first", [True, False])
def test_retain_grad_sees_the_gradient_after_hooks_like_pytorch(retain_first):
    results = []
    for lib in (gk, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 3
        if retain_first:
            y.retain_grad()
        y.register_hook(lambda g: g * 2)
        if not retain_first:
            y.retain_grad()
        (y * y).sum().backward()
        results.append((np.asarray(x.grad.detach()), np.asarray(y.grad.detach())))
    np.testing.assert_allclose(results[0][0], results[1][0])
    np.testing.assert_allclose(results[0][1], results[1][1])


def test_retain_grad_accumulates_and_is_a_no_op_on_leaves():
    x = gk.tensor([1.0, 2.0], requires_grad=True)
    x.retain_grad()
    y = x * 2
    y.retain_grad()
    assert y.retains_grad
    z = (y * y).sum()
    z.backward(retain_graph=True)
    z.backward()
    np.testing.assert_allclose(y.grad.numpy(), 2 * 2 * np.array([2.0, 4.0]))
    np.testing.assert_allclose(x.grad.numpy(), 2 * 8 * np.array([1.0, 2.0]))


def test_non_leaf_grad_is_none_without_retain_grad():
    x = gk.tensor([1.0], requires_grad=True)
    y = x * 2
    y.sum().backward()
    assert y.grad is None


def test_hooks_need_requires_grad():
    with pytest.raises(RuntimeError, match="register_hook"):
        gk.ones(2).register_hook(lambda g: g)
    with pytest.raises(RuntimeError, match="retain_grad"):
        gk.ones(2).retain_grad()
