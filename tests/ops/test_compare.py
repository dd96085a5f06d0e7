"""maximum/minimum/clamp gradients and PyTorch parity; predicates, logic and where's errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradkit as gk
from gradkit.testing import gradcheck, gradgradcheck

BROADCAST_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 2)), ((2, 2), ())]


def _np(t) -> np.ndarray:
    return np.asarray(t.detach().cpu().numpy())


def _leaf(data, device, dtype=gk.float64):
    return gk.tensor(np.asarray(data), dtype=dtype, device=device, requires_grad=True)


def _torch_leaf(torch, data, dtype):
    return torch.tensor(
        np.asarray(data), dtype=getattr(torch, np.dtype(dtype).name), requires_grad=True
    )


# ---- maximum / minimum ----------------------------------------------------------------------


@pytest.mark.parametrize("shape_a,shape_b", BROADCAST_SHAPES)
@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_pairwise_gradcheck_and_gradgradcheck(name, shape_a, shape_b, device):
    rng = np.random.default_rng(0)
    a = _leaf(rng.standard_normal(shape_a), device)
    b = _leaf(rng.standard_normal(shape_b), device)
    fn = getattr(gk, name)
    assert gradcheck(fn, (a, b))
    assert gradgradcheck(fn, (a, b))


@pytest.mark.parametrize("dtype", [gk.float32, gk.float64])
@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_pairwise_matches_torch_with_ties_and_broadcasting(name, dtype, device):
    torch = pytest.importorskip("torch")
    a_data = np.array([[1.0, 2.0, 3.0, 2.0], [0.0, -1.0, 5.0, 2.0]])
    b_data = np.array([2.0, 2.0, 1.0, 2.0])  # ties at several places, b broadcast over rows
    a, b = _leaf(a_data, device, dtype), _leaf(b_data, device, dtype)
    at, bt = _torch_leaf(torch, a_data, dtype), _torch_leaf(torch, b_data, dtype)
    out, out_t = getattr(gk, name)(a, b), getattr(torch, name)(at, bt)
    assert out.dtype == dtype
    np.testing.assert_array_equal(_np(out), out_t.detach().numpy())
    upstream = np.random.default_rng(1).standard_normal(out_t.shape)
    (out * gk.tensor(upstream, dtype=dtype, device=device)).sum().backward()
    (out_t * torch.tensor(upstream, dtype=at.dtype)).sum().backward()
    assert a.grad.dtype == dtype and b.grad.dtype == dtype
    np.testing.assert_allclose(_np(a.grad), at.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(_np(b.grad), bt.grad.numpy(), rtol=1e-6)


def test_tie_sends_half_the_gradient_to_each_side(device):
    a = _leaf([1.0, 2.0], device)
    b = _leaf([1.0, 3.0], device)
    gk.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(_np(a.grad), [0.5, 0.0])
    np.testing.assert_array_equal(_np(b.grad), [0.5, 1.0])


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_pairwise_nan_matches_torch(name, device):
    torch = pytest.importorskip("torch")
    a_data, b_data = [math.nan, 1.0, 2.0], [0.0, math.nan, 1.0]
    a, b = _leaf(a_data, device), _leaf(b_data, device)
    at, bt = _torch_leaf(torch, a_data, gk.float64), _torch_leaf(torch, b_data, gk.float64)
    out, out_t = getattr(gk, name)(a, b), getattr(torch, name)(at, bt)
    np.testing.assert_array_equal(_np(out), out_t.detach().numpy())
    out.sum().backward()
    out_t.sum().backward()
    np.testing.assert_array_equal(_np(a.grad), at.grad.numpy())
    np.testing.assert_array_equal(_np(b.grad), bt.grad.numpy())


def test_pairwise_with_a_python_scalar_keeps_float32(device):
    x = _leaf([-1.0, 0.0, 2.0], device, gk.float32)
    out = gk.maximum(x, 0.0)
    assert out.dtype == gk.float32
    out.sum().backward()
    assert x.grad.dtype == gk.float32
    np.testing.assert_array_equal(_np(x.grad), [0.0, 0.5, 1.0])
    assert gk.minimum(np.float64(1.0), x).dtype == gk.float32


def test_pairwise_of_integers_stays_integer(device):
    a = gk.tensor([1, 5, 3], dtype=gk.int32, device=device)
    out = gk.maximum(a, gk.tensor([2, 2, 2], dtype=gk.int32, device=device))
    assert out.dtype == gk.int32 and not out.requires_grad
    np.testing.assert_array_equal(_np(out), [2, 5, 3])


def test_pairwise_methods_and_broadcast_errors(device):
    a = gk.ones(2, 3, device=device)
    np.testing.assert_array_equal(_np(a.maximum(gk.zeros(3, device=device))), np.ones((2, 3)))
    np.testing.assert_array_equal(_np(a.minimum(gk.zeros(3, device=device))), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="maximum"):
        gk.maximum(a, gk.ones(4, device=device))
    with pytest.raises(ValueError, match="minimum"):
        gk.minimum(a, gk.ones(2, device=device))


# ---- clamp --------------------------------------------------------------------------------


X_WITH_BOUNDARIES = np.array([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, math.nan])


@pytest.mark.parametrize("dtype", [gk.float32, gk.float64])
@pytest.mark.parametrize(
    "lo,hi", [(-1.0, 1.0), (None, 0.5), (-0.5, None), (1.0, -1.0), (0.5, 0.5), (0, 1)]
)
def test_clamp_scalar_bounds_match_torch(lo, hi, dtype, device):
    torch = pytest.importorskip("torch")
    x = _leaf(X_WITH_BOUNDARIES, device, dtype)
    xt = _torch_leaf(torch, X_WITH_BOUNDARIES, dtype)
    out, out_t = gk.clamp(x, lo, hi), torch.clamp(xt, lo, hi)
    assert out.dtype == dtype
    np.testing.assert_array_equal(_np(out), out_t.detach().numpy())
    out.sum().backward()
    out_t.sum().backward()
    assert x.grad.dtype == dtype
    np.testing.assert_array_equal(_np(x.grad), xt.grad.numpy())


@pytest.mark.parametrize("dtype", [gk.float32, gk.float64])
@pytest.mark.parametrize("case", ["both", "min_only", "max_only", "crossed", "mixed"])
def test_clamp_tensor_bounds_match_torch(case, dtype, device):
    torch = pytest.importorskip("torch")
    x_data = np.array([[-2.0, -1.0, 0.0, 1.0], [0.5, 2.0, -0.5, 1.0]])
    lo_data = np.array([-1.0, -1.0, 0.5, 0.0])  # broadcast along rows
    hi_data = np.array([[1.0], [0.5]])  # broadcast along columns
    if case == "crossed":
        lo_data = np.array([2.0, -1.0, 0.5, 1.0])  # partly above hi
    bounds = {
        "both": (lo_data, hi_data),
        "min_only": (lo_data, None),
        "max_only": (None, hi_data),
        "crossed": (lo_data, hi_data),
        "mixed": (lo_data, 0.75),
    }[case]
    x, xt = _leaf(x_data, device, dtype), _torch_leaf(torch, x_data, dtype)
    ours = [_leaf(b, device, dtype) if isinstance(b, np.ndarray) else b for b in bounds]
    theirs = [_torch_leaf(torch, b, dtype) if isinstance(b, np.ndarray) else b for b in bounds]
    if case == "mixed":  # torch wants both bounds of one kind
        theirs[1] = torch.full((), 0.75, dtype=xt.dtype)
    out, out_t = gk.clamp(x, *ours), torch.clamp(xt, *theirs)
    assert out.dtype == dtype and tuple(out.shape) == tuple(out_t.shape)
    np.testing.assert_array_equal(_np(out), out_t.detach().numpy())
    upstream = np.random.default_rng(0).standard_normal(out_t.shape)
    (out * gk.tensor(upstream, dtype=dtype, device=device)).sum().backward()
    (out_t * torch.tensor(upstream, dtype=xt.dtype)).sum().backward()
    np.testing.assert_allclose(_np(x.grad), xt.grad.numpy(), rtol=1e-6)
    for mine, reference in zip(ours, theirs):
        if isinstance(mine, gk.Tensor):
            assert mine.grad.dtype == dtype
            np.testing.assert_allclose(_np(mine.grad), reference.grad.numpy(), rtol=1e-6)


def test_clamp_gradcheck_and_gradgradcheck_with_tensor_bounds(device):
    x = _leaf([[-2.0, -0.3, 0.2, 1.7], [0.9, 2.5, -0.7, 0.1]], device)
    lo = _leaf([-1.0, -0.5, 0.5, 0.0], device)
    hi = _leaf([[1.0], [0.8]], device)
    assert gradcheck(gk.clamp, (x, lo, hi))
    assert gradgradcheck(gk.clamp, (x, lo, hi))
    assert gradcheck(lambda t: gk.clamp(t, -0.5, 0.5), (x,))


def test_clamp_dtype_rules(device):
    x32 = gk.tensor([0.5, 2.0], dtype=gk.float32, device=device)
    assert gk.clamp(x32, 0.0, 1.0).dtype == gk.float32
    assert gk.clamp(x32, np.float64(0.0), np.float64(1.0)).dtype == gk.float32
    ints = gk.tensor([-3, 0, 7], dtype=gk.int32, device=device)
    assert gk.clamp(ints, 0, 5).dtype == gk.int32
    np.testing.assert_array_equal(_np(gk.clamp(ints, 0, 5)), [0, 0, 5])
    widened = gk.clamp(ints, 0.5)
    assert widened.dtype == gk.float32
    np.testing.assert_array_equal(_np(widened), [0.5, 0.5, 7.0])


def test_clip_is_clamp_and_methods_exist(device):
    x = gk.tensor([-2.0, 0.5, 3.0], device=device)
    np.testing.assert_array_equal(_np(gk.clip(x, -1, 1)), [-1.0, 0.5, 1.0])
    np.testing.assert_array_equal(_np(x.clip(max=0.0)), [-2.0, 0.0, 0.0])
    np.testing.assert_array_equal(_np(x.clamp(min=0.0)), [0.0, 0.5, 3.0])


def test_clamp_errors_name_the_op_and_leave_the_input_alone(device):
    x = gk.tensor([1.0, 2.0], device=device)
    with pytest.raises(ValueError, match="clamp"):
        gk.clamp(x)
    with pytest.raises(TypeError, match="clamp"):
        gk.clamp(x, "0")
    with pytest.raises(ValueError, match="clamp"):
        gk.clamp(x, gk.zeros(3, device=device))
    np.testing.assert_array_equal(_np(x), [1.0, 2.0])


# ---- predicates, logic, where ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["isfinite", "isnan", "isinf", "logical_not"])
def test_predicates_match_numpy(name, device):
    data = np.array([0.0, -1.5, math.inf, -math.inf, math.nan, 2.0])
    out = getattr(gk, name)(gk.tensor(data, device=device))
    assert out.dtype == gk.bool and not out.requires_grad
    np.testing.assert_array_equal(_np(out), getattr(np, name)(data))


@pytest.mark.parametrize("name", ["logical_and", "logical_or", "logical_xor"])
def test_logical_binary_ops_match_numpy_with_broadcasting(name, device):
    a = np.array([[True, False, True], [False, False, True]])
    b = np.array([1.0, 0.0, 0.0])
    out = getattr(gk, name)(gk.tensor(a, device=device), gk.tensor(b, device=device))
    assert out.dtype == gk.bool
    np.testing.assert_array_equal(_np(out), getattr(np, name)(a, b))
    assert getattr(gk.tensor(a, device=device), name)(True).dtype == gk.bool


def test_where_rejects_a_non_bool_condition(device):
    with pytest.raises(TypeError, match="where"):
        gk.where(gk.tensor([1.0, 0.0], device=device), 1.0, 0.0)


def test_where_gradcheck_with_broadcasting(device):
    cond = gk.tensor([[True, False, True]], device=device)
    a, b = _leaf(np.ones((2, 3)), device), _leaf([0.5, -0.5, 2.0], device)
    assert gradcheck(lambda p, q: gk.where(cond, p * q, q), (a, b))
    assert gradgradcheck(lambda p, q: gk.where(cond, p * q, q), (a, b))
