"""softmax and log_softmax: values and gradients against PyTorch, stability, dtypes, errors."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk
from gradkit.backend.cpu.softmax import log_softmax_forward, softmax_forward
from gradkit.testing import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")

OPS = [(gk.softmax, torch.softmax), (gk.log_softmax, torch.log_softmax)]
SHAPES_AND_AXES = [
    ((5,), 0),
    ((3, 4), 0),
    ((3, 4), 1),
    ((3, 4), -1),
    ((2, 3, 4), 1),
    ((2, 3, 4), -1),
    ((2, 3, 4), 0),
]
TOLERANCES = {np.float32: {"rtol": 1e-5, "atol": 1e-6}, np.float64: {"rtol": 1e-10, "atol": 1e-12}}


def _logits(shape, seed=0, scale=3.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


@pytest.mark.parametrize("ours,theirs", OPS, ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,axis", SHAPES_AND_AXES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_values_and_grads_match_torch(ours, theirs, shape, axis, dtype, device):
    data = _logits(shape).astype(dtype)
    x = gk.tensor(data, device=device, requires_grad=True)
    tx = torch.tensor(data, requires_grad=True)
    out = ours(x, axis)
    expected = theirs(tx, axis)
    upstream = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    out.backward(gk.tensor(upstream, device=device))
    expected.backward(torch.tensor(upstream))
    tol = TOLERANCES[dtype]
    assert out.dtype == np.dtype(dtype) and x.grad.dtype == np.dtype(dtype)
    np.testing.assert_allclose(np.asarray(out), expected.detach().numpy(), **tol)
    np.testing.assert_allclose(np.asarray(x.grad), tx.grad.numpy(), **tol)


@pytest.mark.parametrize("op", [gk.softmax, gk.log_softmax])
@pytest.mark.parametrize("shape,axis", [((5,), 0), ((3, 4), 0), ((2, 3, 2), -1)])
def test_gradcheck_and_gradgradcheck(op, shape, axis):
    x = gk.tensor(_logits(shape, seed=2, scale=1.0), requires_grad=True)

    def fn(x):
        return op(x, axis)

    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


@pytest.mark.parametrize("op", [gk.softmax, gk.log_softmax])
def test_second_derivative_matches_torch(op):
    theirs = {gk.softmax: torch.softmax, gk.log_softmax: torch.log_softmax}[op]
    data = _logits((3, 4), seed=3)
    weights = np.random.default_rng(4).standard_normal((3, 4))
    x = gk.tensor(data, requires_grad=True)
    (g,) = gk.autograd.grad([(op(x, 1) ** 2 * gk.tensor(weights)).sum()], [x], create_graph=True)
    (g * g).sum().backward()
    tx = torch.tensor(data, requires_grad=True)
    (tg,) = torch.autograd.grad(
        (theirs(tx, 1) ** 2 * torch.tensor(weights)).sum(), [tx], create_graph=True
    )
    (tg * tg).sum().backward()
    np.testing.assert_allclose(np.asarray(x.grad), tx.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("dtype", [gk.float32, gk.float64])
def test_huge_and_tiny_logits_give_finite_exact_results(dtype):
    np.testing.assert_array_equal(
        np.asarray(gk.softmax(gk.tensor([1000.0, 0.0], dtype=dtype))), [1.0, 0.0]
    )
    np.testing.assert_array_equal(
        np.asarray(gk.softmax(gk.tensor([-1000.0, 0.0], dtype=dtype))), [0.0, 1.0]
    )
    log_probs = gk.log_softmax(gk.tensor([-1000.0, 0.0], dtype=dtype))
    np.testing.assert_allclose(np.asarray(log_probs), [-1000.0, 0.0])
    x = gk.tensor([[1e4, -1e4, 0.0], [1e4, 1e4, 1e4]], dtype=dtype, requires_grad=True)
    for op in (gk.softmax, gk.log_softmax):
        out = op(x, axis=1)
        (out * gk.tensor([[1.0, 2.0, 3.0]] * 2, dtype=dtype)).sum().backward()
        assert np.isfinite(np.asarray(out)).all() and np.isfinite(np.asarray(x.grad)).all()
    np.testing.assert_allclose(np.asarray(gk.softmax(x, 1))[1], [1 / 3] * 3, rtol=1e-6)


def test_float16_input_works_and_stays_float16():
    data = _logits((4, 7), seed=5).astype(np.float16)
    x = gk.tensor(data, requires_grad=True)
    for op, theirs in OPS:
        out = op(x, -1)
        assert out.dtype == np.float16
        expected = theirs(torch.tensor(data, dtype=torch.float32), -1).numpy()
        np.testing.assert_allclose(
            np.asarray(out).astype(np.float32), expected, rtol=2e-3, atol=2e-3
        )
        out.sum().backward()
        assert x.grad.dtype == np.float16
        x.grad = None


def test_float16_primitives_compute_in_float32_and_round_once():
    data = _logits((8, 300), seed=6).astype(np.float16)
    for primitive in (softmax_forward, log_softmax_forward):
        result = primitive(data, 1)
        assert result.dtype == np.float16
        np.testing.assert_array_equal(
            result, primitive(data.astype(np.float32), 1).astype(np.float16)
        )


def test_dim_keyword_default_axis_and_methods():
    data = _logits((3, 4), seed=7)
    x = gk.tensor(data)
    expected = torch.softmax(torch.tensor(data), 0).numpy()
    for result in (gk.softmax(x, dim=0), x.softmax(0), x.softmax(dim=0), gk.softmax(x, axis=0)):
        np.testing.assert_allclose(np.asarray(result), expected, rtol=1e-6)
    np.testing.assert_allclose(
        np.asarray(gk.log_softmax(x)), torch.log_softmax(torch.tensor(data), -1).numpy(), rtol=1e-6
    )
    np.testing.assert_allclose(
        np.asarray(x.log_softmax(dim=1)),
        torch.log_softmax(torch.tensor(data), 1).numpy(),
        rtol=1e-6,
    )


def test_zero_dim_input_matches_torch():
    x = gk.tensor(2.5, requires_grad=True)
    out = gk.softmax(x, 0)
    assert out.shape == () and out.item() == 1.0
    out.backward()
    assert x.grad.item() == 0.0
    assert gk.log_softmax(gk.tensor(2.5), -1).item() == 0.0


def test_dtype_argument_computes_integers_in_float():
    x = gk.tensor([1, 2, 3], dtype=gk.int64)
    out = gk.softmax(x, 0, dtype=gk.float32)
    assert out.dtype == np.float32
    np.testing.assert_allclose(
        np.asarray(out), torch.softmax(torch.tensor([1.0, 2, 3]), 0), rtol=1e-6
    )


@pytest.mark.parametrize("op", [gk.softmax, gk.log_softmax])
def test_errors_name_the_op(op):
    name = op.__name__
    with pytest.raises(TypeError, match=f"{name}: expected a floating point tensor"):
        op(gk.tensor([1, 2, 3]), 0)
    with pytest.raises(IndexError, match=f"{name}: axis 2 is out of range"):
        op(gk.zeros(3, 4), 2)
    with pytest.raises(TypeError, match=f"{name}: expected an int axis"):
        op(gk.zeros(3, 4), (0, 1))
    with pytest.raises(TypeError, match=f"{name}: pass either axis= or dim="):
        op(gk.zeros(3, 4), 0, dim=1)


@pytest.mark.parametrize("ours,theirs", OPS, ids=["softmax", "log_softmax"])
def test_forward_mode_tangent_matches_torch_jvp(ours, theirs):
    from gradkit.autograd import forward_ad

    data = _logits((3, 4), seed=8)
    direction = np.random.default_rng(9).standard_normal((3, 4))
    with forward_ad.dual_level():
        out = ours(forward_ad.make_dual(gk.tensor(data), gk.tensor(direction)), 0)
        tangent = forward_ad.unpack_dual(out).tangent
    _, expected = torch.func.jvp(
        lambda t: theirs(t, 0), (torch.tensor(data),), (torch.tensor(direction),)
    )
    np.testing.assert_allclose(np.asarray(tangent), expected.numpy(), rtol=1e-10, atol=1e-12)
