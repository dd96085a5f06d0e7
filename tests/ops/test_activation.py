"""Activations: values and gradients against PyTorch, both backward paths, higher derivatives,
dtypes and errors."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk
from gradkit.testing import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
F = torch.nn.functional

# (name, gradkit call, PyTorch call, points where the derivative jumps)
CASES = [
    ("relu", gk.relu, F.relu, (0.0,)),
    ("leaky_relu", gk.leaky_relu, F.leaky_relu, (0.0,)),
    ("leaky_relu_0.2", lambda x: gk.leaky_relu(x, 0.2), lambda x: F.leaky_relu(x, 0.2), (0.0,)),
    ("gelu", gk.gelu, F.gelu, ()),
    (
        "gelu_tanh",
        lambda x: gk.gelu(x, approximate="tanh"),
        lambda x: F.gelu(x, approximate="tanh"),
        (),
    ),
    ("silu", gk.silu, F.silu, ()),
    ("softplus", gk.softplus, F.softplus, ()),
    (
        "softplus_beta2_threshold3",
        lambda x: gk.softplus(x, beta=2, threshold=3.0),
        lambda x: F.softplus(x, beta=2, threshold=3.0),
        (1.5,),
    ),
    ("elu", gk.elu, F.elu, (0.0,)),
    ("elu_0.5", lambda x: gk.elu(x, alpha=0.5), lambda x: F.elu(x, alpha=0.5), (0.0,)),
    ("hardtanh", gk.hardtanh, F.hardtanh, (-1.0, 1.0)),
    (
        "hardtanh_wide",
        lambda x: gk.hardtanh(x, -2.0, 3.0),
        lambda x: F.hardtanh(x, -2.0, 3.0),
        (-2.0, 3.0),
    ),
    ("relu6", gk.relu6, F.relu6, (0.0, 6.0)),
]
IDS = [case[0] for case in CASES]
# float32 atol: gelu_tanh's slope is 0.5 * (1 + tanh(..)) in the far negative tail, where
# PyTorch's and the primitive's orderings of that cancellation differ by a few 1e-6.
TOLERANCES = {np.float32: {"rtol": 1e-5, "atol": 1e-5}, np.float64: {"rtol": 1e-10, "atol": 1e-12}}


def _points(shape, kinks, seed=0, scale=4.0, margin=0.05):
    """Random inputs kept at least ``margin`` away from the kinks (finite differences there
    straddle two slopes)."""
    x = np.random.default_rng(seed).standard_normal(shape) * scale
    for kink in kinks:
        near = np.abs(x - kink) < margin
        x = np.where(near, kink + np.where(x >= kink, margin, -margin), x)
    return x


@pytest.mark.parametrize("name,ours,theirs,kinks", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_and_grads_match_torch(name, ours, theirs, kinks, dtype, device):
    data = _points((3, 50), kinks).astype(dtype)
    data[0, :3] = [0.0, 30.0, -30.0]  # the kink itself and far tails
    x = gk.tensor(data, device=device, requires_grad=True)
    tx = torch.tensor(data, requires_grad=True)
    out = ours(x)
    expected = theirs(tx)
    upstream = np.random.default_rng(1).standard_normal(data.shape).astype(dtype)
    out.backward(gk.tensor(upstream, device=device))
    expected.backward(torch.tensor(upstream))
    tol = TOLERANCES[dtype]
    assert out.dtype == np.dtype(dtype) and x.grad.dtype == np.dtype(dtype)
    np.testing.assert_allclose(np.asarray(out), expected.detach().numpy(), **tol)
    np.testing.assert_allclose(np.asarray(x.grad), tx.grad.numpy(), **tol)


@pytest.mark.parametrize("name,ours,theirs,kinks", CASES, ids=IDS)
def test_gradcheck_and_gradgradcheck(name, ours, theirs, kinks):
    x = gk.tensor(_points((2, 5), kinks, seed=2, scale=3.0), requires_grad=True)
    assert gradcheck(ours, (x,))
    assert gradgradcheck(ours, (x,))


@pytest.mark.parametrize("name,ours,theirs,kinks", CASES, ids=IDS)
def test_recorded_backward_agrees_with_fused_backward(name, ours, theirs, kinks):
    """create_graph=True takes the differentiable-ops path; plain backward the primitive."""
    x = gk.tensor(_points((4, 25), kinks, seed=3), requires_grad=True)
    upstream = gk.tensor(np.random.default_rng(4).standard_normal((4, 25)))
    (fused,) = gk.autograd.grad([ours(x)], [x], [upstream])
    (recorded,) = gk.autograd.grad([ours(x)], [x], [upstream], create_graph=True)
    np.testing.assert_allclose(np.asarray(recorded), np.asarray(fused), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name,ours,theirs,kinks", CASES, ids=IDS)
def test_second_derivative_matches_torch(name, ours, theirs, kinks):
    data = _points((20,), kinks, seed=5)
    x = gk.tensor(data, requires_grad=True)
    (g,) = gk.autograd.grad([ours(x).sum()], [x], create_graph=True)
    tx = torch.tensor(data, requires_grad=True)
    (tg,) = torch.autograd.grad(theirs(tx).sum(), [tx], create_graph=True)
    (tg * tg).sum().backward()
    if not g.requires_grad:
        # piecewise linear: the slope is constant in x, so no graph leads back to x
        np.testing.assert_array_equal(tx.grad.numpy(), 0.0)
        return
    (g * g).sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad), tx.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_third_derivative_of_gelu_matches_torch():
    data = np.linspace(-3, 3, 7)
    x = gk.tensor(data, requires_grad=True)
    (g1,) = gk.autograd.grad([gk.gelu(x).sum()], [x], create_graph=True)
    (g2,) = gk.autograd.grad([g1.sum()], [x], create_graph=True)
    g2.sum().backward()
    tx = torch.tensor(data, requires_grad=True)
    (t1,) = torch.autograd.grad(F.gelu(tx).sum(), [tx], create_graph=True)
    (t2,) = torch.autograd.grad(t1.sum(), [tx], create_graph=True)
    t2.sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad), tx.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name,ours,theirs,kinks", CASES, ids=IDS)
def test_float16_forward_and_backward_stay_float16(name, ours, theirs, kinks):
    data = _points((64,), kinks, seed=6).astype(np.float16)
    x = gk.tensor(data, requires_grad=True)
    out = ours(x)
    out.sum().backward()
    assert out.dtype == np.float16 and x.grad.dtype == np.float16
    expected = theirs(torch.tensor(data, dtype=torch.float32)).numpy()
    np.testing.assert_allclose(np.asarray(out).astype(np.float32), expected, rtol=2e-3, atol=2e-3)


def test_extreme_inputs_stay_finite():
    x = gk.tensor([-1e4, -100.0, 100.0, 1e4], requires_grad=True)
    for op in (gk.silu, gk.softplus, gk.gelu, gk.elu, lambda t: gk.gelu(t, "tanh")):
        out = op(x)
        out.sum().backward()
        assert np.isfinite(np.asarray(out)).all() and np.isfinite(np.asarray(x.grad)).all()
        x.grad = None


def test_methods_match_functions():
    x = gk.tensor(_points((3, 4), (0.0,), seed=7))
    for name in ("relu", "leaky_relu", "gelu", "silu", "softplus", "elu", "hardtanh", "relu6"):
        np.testing.assert_array_equal(
            np.asarray(getattr(x, name)()), np.asarray(getattr(gk, name)(x))
        )


def test_relu_of_integers_stays_integer():
    out = gk.relu(gk.tensor([-2, 0, 3]))
    assert out.dtype == np.int64 and not out.requires_grad
    np.testing.assert_array_equal(np.asarray(out), [0, 0, 3])


def test_errors_name_the_op():
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh'"):
        gk.gelu(gk.zeros(3), approximate="erf")
    for name in ("gelu", "silu", "softplus", "leaky_relu", "elu", "hardtanh"):
        with pytest.raises(TypeError, match=f"{name}: expected a floating point tensor"):
            getattr(gk, name)(gk.tensor([1, 2]))
    with pytest.raises(TypeError, match="relu: expected a Tensor"):
        gk.relu([1.0, 2.0])
    with pytest.raises(TypeError, match="leaky_relu: expected negative_slope to be a number"):
        gk.leaky_relu(gk.zeros(3), "0.1")
    with pytest.raises(ValueError, match="softplus: beta must be non-zero"):
        gk.softplus(gk.zeros(3), beta=0)
    with pytest.raises(ValueError, match="hardtanh: expected min_val <= max_val"):
        gk.hardtanh(gk.zeros(3), 1.0, -1.0)


@pytest.mark.parametrize("name,ours,theirs,kinks", CASES, ids=IDS)
def test_forward_mode_tangent_matches_torch_jvp(name, ours, theirs, kinks):
    from gradkit.autograd import forward_ad

    data = _points((3, 5), kinks, seed=8)
    direction = np.random.default_rng(9).standard_normal((3, 5))
    with forward_ad.dual_level():
        out = ours(forward_ad.make_dual(gk.tensor(data), gk.tensor(direction)))
        tangent = forward_ad.unpack_dual(out).tangent
    _, expected = torch.func.jvp(theirs, (torch.tensor(data),), (torch.tensor(direction),))
    np.testing.assert_allclose(np.asarray(tangent), expected.numpy(), rtol=1e-10, atol=1e-12)
