"""clip_grad_norm_ / clip_grad_value_ against torch.nn.utils."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradkit as gk
from gradkit import nn

torch = pytest.importorskip("torch")


def _pairs(scale=1.0):
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(s).astype(np.float32) * scale for s in [(3, 4), (4,), (2, 2)]]
    ours, theirs = [], []
    for g in grads:
        p, q = nn.Parameter(gk.zeros(g.shape)), torch.nn.Parameter(torch.zeros(g.shape))
        p.grad, q.grad = gk.tensor(g), torch.tensor(g)
        ours.append(p)
        theirs.append(q)
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    ours, theirs = _pairs()
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, gk.Tensor) and total.dtype == gk.float32
    assert total.item() == pytest.approx(expected.item(), rel=1e-5)
    for p, q in zip(ours, theirs):
        assert p.grad.dtype == gk.float32
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_clip_grad_norm_does_not_touch_a_shared_gradient_twice():
    a = gk.ones(3, requires_grad=True)
    b = gk.ones(3, requires_grad=True)
    (a * 3 + b * 3).sum().backward()
    total = nn.utils.clip_grad_norm_([a, b], 1.0)
    assert total.item() == pytest.approx(math.sqrt(54), rel=1e-6)
    np.testing.assert_allclose(a.grad.numpy(), 3 / math.sqrt(54), rtol=1e-5)
    np.testing.assert_allclose(b.grad.numpy(), 3 / math.sqrt(54), rtol=1e-5)


def test_clip_grad_norm_nonfinite():
    ours, _ = _pairs()
    ours[0].grad = gk.tensor(np.full((3, 4), np.inf, dtype=np.float32))
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    assert math.isinf(nn.utils.clip_grad_norm_(ours, 1.0).item())


def test_clip_grad_value_matches_torch():
    ours, theirs = _pairs(scale=2.0)
    nn.utils.clip_grad_value_(ours, 0.7)
    torch.nn.utils.clip_grad_value_(theirs, 0.7)
    for p, q in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())


def test_bad_arguments():
    ours, _ = _pairs()
    with pytest.raises(ValueError, match="clip_grad_norm_"):
        nn.utils.clip_grad_norm_(ours, -1.0)
    assert nn.utils.clip_grad_norm_([nn.Parameter(gk.zeros(2))], 1.0).item() == 0.0
