"""Forward mode as a whole: missing rules, exited levels, nesting (forward over forward),
reverse over forward, dtypes and the fast paths of ops that skip graph building."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradkit as gk
from gradkit.autograd import Function, forward_ad


class NoRule(Function):
    @staticmethod
    def forward(ctx, x):
        return gk.Tensor._make(x.data * 2, x.device)

    @staticmethod
    def backward(ctx, grad):
        return grad * 2


def test_an_op_without_a_rule_names_itself() -> None:
    x = gk.ones(2)
    with forward_ad.dual_level():
        dual = forward_ad.make_dual(x, gk.ones(2))
        with pytest.raises(NotImplementedError, match="NoRule"):
            NoRule.apply(dual)
    assert NoRule.apply(x).shape == (2,)  # without tangents it still runs


def test_tangents_of_an_exited_level_are_not_reused() -> None:
    x = gk.tensor([1.0, 2.0])
    with forward_ad.dual_level():
        y = forward_ad.make_dual(x, gk.ones(2)) * 3.0  # y keeps a tangent entry
    with forward_ad.dual_level():
        z = y * 2.0
        assert forward_ad.unpack_dual(z).tangent is None


def test_nested_levels_give_second_derivatives() -> None:
    x = gk.tensor(0.4, dtype=gk.float64)
    one = gk.tensor(1.0, dtype=gk.float64)
    with forward_ad.dual_level() as outer:
        x1 = forward_ad.make_dual(x, one, level=outer)
        with forward_ad.dual_level() as inner:
            x2 = forward_ad.make_dual(x1, one, level=inner)
            y = gk.sin(x2) * x2
            first = forward_ad.unpack_dual(y, level=inner).tangent  # sin x + x cos x
        second = forward_ad.unpack_dual(first, level=outer).tangent  # 2 cos x - x sin x
    assert math.isclose(first.item(), math.sin(0.4) + 0.4 * math.cos(0.4), rel_tol=1e-12)
    assert math.isclose(second.item(), 2 * math.cos(0.4) - 0.4 * math.sin(0.4), rel_tol=1e-12)


def test_reverse_over_forward() -> None:
    x = gk.tensor([0.2, 0.5], dtype=gk.float64, requires_grad=True)
    v = gk.tensor([1.0, 3.0], dtype=gk.float64)
    with forward_ad.dual_level():
        y = gk.exp(forward_ad.make_dual(x, v)).sum()
        tangent = forward_ad.unpack_dual(y).tangent  # sum(exp(x) * v)
    tangent.backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([0.2, 0.5]) * [1.0, 3.0], rtol=1e-12)


@pytest.mark.parametrize("grad_mode", [True, False])
def test_fast_paths_carry_tangents(grad_mode: bool) -> None:
    """Binary ops and fused shortcuts skip Function.apply when nothing needs a graph; a
    tangent must still take the full path, with or without grad mode."""
    x = gk.tensor([[0.5, -1.0, 2.0]])
    w = gk.randn(4, 3)
    with gk.set_grad_enabled(grad_mode), forward_ad.dual_level():
        dual = forward_ad.make_dual(x, gk.ones(1, 3))
        y = gk.nn.functional.linear(gk.relu(dual * 2.0 + 1.0), w)
        tangent = forward_ad.unpack_dual(y).tangent
    slope = (2 * x.numpy() + 1 > 0) * 2.0
    np.testing.assert_allclose(tangent.numpy(), slope @ w.numpy().T, rtol=1e-6)


def test_tangent_dtype_and_shape_follow_the_primal() -> None:
    a = gk.randn(2, 3)  # float32
    b = gk.randn(3, dtype=gk.float64)
    with forward_ad.dual_level():
        y = forward_ad.make_dual(a, gk.ones(2, 3)) + b  # broadcast and promotion
        tangent = forward_ad.unpack_dual(y).tangent
        assert y.dtype == tangent.dtype == gk.float64 and tangent.shape == (2, 3)
        z = forward_ad.make_dual(a, gk.ones(2, 3)) * 2.0
        assert forward_ad.unpack_dual(z).tangent.dtype == gk.float32


def test_matches_torch_forward_ad_in_float32() -> None:
    torch = pytest.importorskip("torch")
    import torch.autograd.forward_ad as tfw

    rng = np.random.default_rng(1)
    x, v, w = (rng.standard_normal(s).astype(np.float32) for s in ((4, 5), (4, 5), (5, 3)))

    def f(lib, x, w):  # noqa: ANN001, ANN202
        h = lib.tanh(x @ w)
        return lib.log_softmax(
            h * h.sum(-1, keepdim=True) if lib is torch else h * h.sum(-1, keepdims=True), -1
        )

    with forward_ad.dual_level():
        ours = forward_ad.unpack_dual(
            f(gk, forward_ad.make_dual(gk.tensor(x), gk.tensor(v)), gk.tensor(w))
        ).tangent
    with tfw.dual_level():
        theirs = tfw.unpack_dual(
            f(torch, tfw.make_dual(torch.tensor(x), torch.tensor(v)), torch.tensor(w))
        ).tangent
    assert ours.dtype == gk.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-4, atol=1e-5)
