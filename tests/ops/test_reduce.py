"""Reductions: finite-difference gradients (1st and 2nd order), PyTorch parity, dtypes, errors."""

from __future__ import annotations

import builtins
import math

import numpy as np
import pytest

import gradkit as gk
from gradkit.testing import gradcheck, gradgradcheck

# (shape, axis, keepdims): 0-d, size-1 dims, negative and tuple axes, keepdims both ways
SHAPE_AXES = [
    ((), None, False),
    ((), 0, True),
    ((), -1, False),
    ((4,), None, True),
    ((4,), 0, False),
    ((4,), -1, True),
    ((2, 3), None, False),
    ((2, 3), 0, True),
    ((2, 3), -1, False),
    ((2, 3), (0, 1), True),
    ((2, 1, 3), 1, False),
    ((2, 1, 3), (0, 2), True),
    ((2, 1, 3), (-1, -3), False),
    ((2, 1, 3), -2, True),
]


def _count(shape: tuple, axis) -> int:
    if axis is None or not shape:
        return math.prod(shape)
    axes = (axis,) if isinstance(axis, int) else axis
    return math.prod(shape[a] for a in axes)


def _distinct(shape: tuple, rng: np.random.Generator) -> np.ndarray:
    """Values with distinct magnitudes, at least 0.1 apart and away from 0: no ties, no kinks."""
    n = math.prod(shape)
    magnitudes = 0.5 + 0.3 * rng.permutation(n)
    return (magnitudes * rng.choice([-1.0, 1.0], size=n)).reshape(shape)


def _randn(shape: tuple, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal(shape)


# name -> (function of (x, axis, keepdims), input maker, smallest reduced count it accepts)
DIFFERENTIABLE = {
    "sum": (lambda x, a, k: gk.sum(x, axis=a, keepdims=k), _randn, 0),
    "mean": (lambda x, a, k: gk.mean(x, axis=a, keepdims=k), _randn, 1),
    "prod": (lambda x, a, k: gk.prod(x, axis=a, keepdims=k), _randn, 0),
    "max": (lambda x, a, k: gk.max(x, axis=a, keepdims=k), _distinct, 1),
    "amin": (lambda x, a, k: gk.amin(x, axis=a, keepdims=k), _distinct, 1),
    "var": (lambda x, a, k: gk.var(x, axis=a, keepdims=k), _randn, 2),
    "std": (lambda x, a, k: gk.std(x, axis=a, keepdims=k), _randn, 2),
    "var_ddof0": (lambda x, a, k: gk.var(x, axis=a, keepdims=k, ddof=0), _randn, 2),
    "logsumexp": (lambda x, a, k: gk.logsumexp(x, axis=a, keepdims=k), _randn, 1),
    "norm2": (lambda x, a, k: gk.norm(x, axis=a, keepdims=k), _randn, 1),
    "norm1": (lambda x, a, k: gk.norm(x, 1, axis=a, keepdims=k), _distinct, 1),
    "norm_inf": (lambda x, a, k: gk.norm(x, math.inf, axis=a, keepdims=k), _distinct, 1),
    "norm_neg_inf": (lambda x, a, k: gk.norm(x, -math.inf, axis=a, keepdims=k), _distinct, 1),
    "norm3": (lambda x, a, k: gk.norm(x, p=3, axis=a, keepdims=k), _distinct, 1),
    "norm_half": (lambda x, a, k: gk.norm(x, 0.5, axis=a, keepdims=k), _distinct, 1),
}

GRAD_CASES = [
    (name, shape, axis, keepdims)
    for name, (_, _, smallest) in DIFFERENTIABLE.items()
    for shape, axis, keepdims in SHAPE_AXES
    if _count(shape, axis) >= smallest
]


def _input(maker, shape, device, dtype=gk.float64, seed=0):
    data = maker(shape, np.random.default_rng(seed))
    return gk.tensor(data, dtype=dtype, device=device, requires_grad=True)


def _np(t) -> np.ndarray:
    return np.asarray(t.detach().cpu().numpy())


@pytest.mark.parametrize("name,shape,axis,keepdims", GRAD_CASES)
def test_gradcheck_and_gradgradcheck(name, shape, axis, keepdims, device):
    fn, maker, _ = DIFFERENTIABLE[name]
    x = _input(maker, shape, device)
    assert gradcheck(lambda t: fn(t, axis, keepdims), (x,))
    assert gradgradcheck(lambda t: fn(t, axis, keepdims), (x,))


@pytest.mark.parametrize(
    "shape,axis", [((5,), 0), ((2, 3), 1), ((2, 3), 0), ((2, 1, 3), None), ((), 0), ((3, 2), -2)]
)
def test_cumsum_gradcheck_and_gradgradcheck(shape, axis, device):
    x = _input(_randn, shape, device)
    assert gradcheck(lambda t: gk.cumsum(t, axis), (x,))
    assert gradgradcheck(lambda t: gk.cumsum(t, axis), (x,))


# ---- prod with zeros -------------------------------------------------------------------------


def _leave_one_out_products(values: np.ndarray, axis: int) -> np.ndarray:
    """The reference gradient of prod: the product of every other element, by brute force."""
    moved = np.moveaxis(values, axis, -1)
    out = np.empty_like(moved)
    for i in range(moved.shape[-1]):
        out[..., i] = np.prod(np.delete(moved, i, axis=-1), axis=-1)
    return np.moveaxis(out, -1, axis)


@pytest.mark.parametrize(
    "row",
    [
        [2.0, 0.0, 3.0, -1.5],  # a single zero
        [0.0, 2.0, 0.0, 3.0],  # two zeros
        [0.0, 0.0, 0.0, 0.0],  # all zeros
        [1.5, -2.0, 0.5, 3.0],  # no zero
        [0.0, 4.0, 0.0, 0.0],  # three zeros
    ],
)
@pytest.mark.parametrize("dtype", [gk.float32, gk.float64])
def test_prod_gradient_with_zeros(row, dtype, device):
    data = np.array([row, [1.0, 2.0, 3.0, 4.0], row[::-1]])
    x = gk.tensor(data, dtype=dtype, device=device, requires_grad=True)
    gk.prod(x, axis=1).sum().backward()
    assert x.grad.dtype == dtype
    expected = _leave_one_out_products(data, 1)
    np.testing.assert_allclose(_np(x.grad), expected, rtol=1e-6, atol=0)
    assert np.isfinite(_np(x.grad)).all()


@pytest.mark.parametrize(
    "data",
    [
        [[2.0, 0.0, 3.0], [1.0, 0.5, -2.0]],
        [[0.0, 0.0, 3.0], [1.0, 0.0, -2.0]],
        [[0.0, 0.0, 0.0], [1.0, 0.0, -2.0]],
    ],
)
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
def test_prod_second_derivatives_with_zeros(data, axis, device):
    x = gk.tensor(data, dtype=gk.float64, device=device, requires_grad=True)
    assert gradcheck(lambda t: gk.prod(t, axis=axis), (x,))
    assert gradgradcheck(lambda t: gk.prod(t, axis=axis), (x,))


def test_prod_hessian_with_two_zeros_matches_torch(device):
    torch = pytest.importorskip("torch")
    data = np.array([0.0, 2.0, 0.0, 3.0])
    x = gk.tensor(data, device=device, dtype=gk.float64, requires_grad=True)
    (g,) = gk.autograd.grad(gk.prod(x), [x], create_graph=True)
    rows = [_np(gk.autograd.grad(g[i], [x], retain_graph=True)[0]) for i in range(4)]
    hessian = torch.autograd.functional.hessian(torch.prod, torch.tensor(data))
    np.testing.assert_allclose(np.stack(rows), hessian.numpy())


# ---- PyTorch parity: values and gradients ------------------------------------------------------


def _torch_dim(axis, ndim):
    if axis is None:
        return tuple(range(ndim)) if ndim else ()
    return axis


def _torch_reduce(name: str):
    torch = pytest.importorskip("torch")
    return {
        "sum": lambda t, a, k: torch.sum(t, dim=a, keepdim=k),
        "mean": lambda t, a, k: torch.mean(t, dim=a, keepdim=k),
        "max": lambda t, a, k: torch.amax(t, dim=a, keepdim=k),
        "amin": lambda t, a, k: torch.amin(t, dim=a, keepdim=k),
        "var": lambda t, a, k: torch.var(t, dim=a, keepdim=k),
        "std": lambda t, a, k: torch.std(t, dim=a, keepdim=k),
        "var_ddof0": lambda t, a, k: torch.var(t, dim=a, keepdim=k, correction=0),
        "logsumexp": lambda t, a, k: torch.logsumexp(t, dim=a, keepdim=k),
        "norm2": lambda t, a, k: torch.linalg.vector_norm(t, dim=a, keepdim=k),
        "norm1": lambda t, a, k: torch.linalg.vector_norm(t, 1, dim=a, keepdim=k),
        "norm_inf": lambda t, a, k: torch.linalg.vector_norm(t, math.inf, dim=a, keepdim=k),
        "norm_neg_inf": lambda t, a, k: torch.linalg.vector_norm(t, -math.inf, dim=a, keepdim=k),
        "norm3": lambda t, a, k: torch.linalg.vector_norm(t, 3, dim=a, keepdim=k),
        "norm_half": lambda t, a, k: torch.linalg.vector_norm(t, 0.5, dim=a, keepdim=k),
    }[name]


# torch.prod takes one int dim only: prod has its own parity test below
TORCH_CASES = [case for case in GRAD_CASES if case[0] != "prod"]


def _compare_with_torch(ours, theirs, data, dtype, device, seed=1, rtol=None):
    """Run both on the same input and the same upstream gradient; compare values and grads."""
    torch = pytest.importorskip("torch")
    rtol = rtol or (1e-5 if dtype == gk.float32 else 1e-10)
    x = gk.tensor(data, dtype=dtype, device=device, requires_grad=True)
    xt = torch.tensor(data, dtype=getattr(torch, np.dtype(dtype).name), requires_grad=True)
    out, out_t = ours(x), theirs(xt)
    assert out.dtype == dtype and tuple(out.shape) == tuple(out_t.shape)
    np.testing.assert_allclose(_np(out), out_t.detach().numpy(), rtol=rtol, atol=rtol)
    upstream = np.random.default_rng(seed).standard_normal(tuple(out.shape))
    (out * gk.tensor(upstream, dtype=dtype, device=device)).sum().backward()
    (out_t * torch.tensor(upstream, dtype=xt.dtype)).sum().backward()
    assert x.grad.dtype == dtype
    np.testing.assert_allclose(_np(x.grad), xt.grad.numpy(), rtol=rtol * 10, atol=rtol * 10)


@pytest.mark.parametrize("dtype", [gk.float32, gk.float64])
@pytest.mark.parametrize("name,shape,axis,keepdims", TORCH_CASES)
def test_matches_torch(name, shape, axis, keepdims, dtype, device):
    ours, maker, _ = DIFFERENTIABLE[name]
    theirs = _torch_reduce(name)
    data = maker(shape, np.random.default_rng(3))
    _compare_with_torch(
        lambda x: ours(x, axis, keepdims),
        lambda t: theirs(t, _torch_dim(axis, len(shape)), keepdims),
        data,
        dtype,
        device,
    )


@pytest.mark.parametrize("dtype", [gk.float32, gk.float64])
@pytest.mark.parametrize("axis,keepdims", [(None, False), (0, False), (1, True), (-1, False)])
def test_prod_matches_torch(axis, keepdims, dtype, device):
    torch = pytest.importorskip("torch")
    data = np.array([[1.5, 0.0, -2.0, 0.5], [0.0, 0.0, 3.0, 1.0], [0.7, -1.2, 2.0, 1.1]])
    theirs = (
        (lambda t: torch.prod(t))
        if axis is None
        else (lambda t: torch.prod(t, dim=axis, keepdim=keepdims))
    )
    _compare_with_torch(
        lambda x: gk.prod(x, axis=axis, keepdims=keepdims), theirs, data, dtype, device
    )


@pytest.mark.parametrize("dtype", [gk.float32, gk.float64])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_cumsum_matches_torch(axis, dtype, device):
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(0).standard_normal((3, 4))
    _compare_with_torch(
        lambda x: gk.cumsum(x, axis), lambda t: torch.cumsum(t, dim=axis), data, dtype, device
    )


# ---- ties: the gradient is shared evenly --------------------------------------------------------

TIED = np.array([[1.0, 3.0, 3.0, -2.0], [2.0, 2.0, 2.0, 2.0], [-5.0, -1.0, -5.0, 0.0]])


@pytest.mark.parametrize("dtype", [gk.float32, gk.float64])
@pytest.mark.parametrize("axis", [None, 0, 1])
@pytest.mark.parametrize("name", ["max", "amin", "norm_inf", "norm_neg_inf"])
def test_ties_split_the_gradient_like_torch(name, axis, dtype, device):
    ours, _, _ = DIFFERENTIABLE[name]
    theirs = _torch_reduce(name)
    _compare_with_torch(
        lambda x: ours(x, axis, False),
        lambda t: theirs(t, _torch_dim(axis, 2), False),
        TIED,
        dtype,
        device,
    )


def test_tied_maxima_share_the_gradient_exactly(device):
    x = gk.tensor([4.0, 1.0, 4.0, 4.0], dtype=gk.float64, device=device, requires_grad=True)
    gk.max(x).backward()
    np.testing.assert_array_equal(_np(x.grad), [1 / 3, 0.0, 1 / 3, 1 / 3])


@pytest.mark.parametrize("name", ["max", "amin"])
def test_nan_extremum_matches_torch(name, device):
    pytest.importorskip("torch")
    data = np.array([[1.0, math.nan, 3.0], [1.0, 2.0, 3.0]])
    with np.errstate(all="raise"):  # and no NumPy warning escapes
        _compare_with_torch(
            lambda x: DIFFERENTIABLE[name][0](x, 1, False),
            lambda t: _torch_reduce(name)(t, 1, False),
            data,
            gk.float64,
            device,
        )


# ---- max/min/argmax/argmin API ------------------------------------------------------------------


def test_max_with_axis_returns_values_like_numpy(device):
    data = np.random.default_rng(0).standard_normal((3, 4))
    x = gk.tensor(data, device=device)
    out = x.max(axis=1)
    assert isinstance(out, gk.Tensor)
    np.testing.assert_array_equal(_np(out), data.max(axis=1))
    np.testing.assert_array_equal(_np(x.min(dim=0, keepdim=True)), data.min(axis=0, keepdims=True))
    np.testing.assert_array_equal(_np(gk.amax(x, (0, 1))), data.max())


def test_max_of_two_tensors_is_elementwise(device):
    a = gk.tensor([1.0, 5.0], device=device)
    b = gk.tensor([3.0, 2.0], device=device)
    np.testing.assert_array_equal(_np(gk.max(a, b)), [3.0, 5.0])
    np.testing.assert_array_equal(_np(gk.min(a, b)), [1.0, 2.0])


@pytest.mark.parametrize(
    "axis,keepdims", [(None, False), (None, True), (0, False), (1, True), (-1, False)]
)
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin_match_numpy(name, axis, keepdims, device):
    data = np.array([[1.0, 7.0, 7.0, -2.0], [3.0, -4.0, 0.0, -4.0], [9.0, 1.0, 2.0, 9.0]])
    x = gk.tensor(data, device=device, requires_grad=True)
    out = getattr(gk, name)(x, axis=axis, keepdims=keepdims)
    expected = getattr(np, name)(data, axis=axis, keepdims=keepdims)
    assert out.dtype == gk.int64 and not out.requires_grad
    np.testing.assert_array_equal(_np(out), expected)


def test_argmax_matches_torch_on_ties_and_dim_spelling(device):
    torch = pytest.importorskip("torch")
    data = np.array([[1.0, 7.0, 7.0], [3.0, 3.0, 0.0]], dtype=np.float32)
    x = gk.tensor(data, device=device)
    np.testing.assert_array_equal(_np(x.argmax(dim=1)), torch.tensor(data).argmax(dim=1).numpy())
    np.testing.assert_array_equal(
        _np(x.argmin(dim=0, keepdim=True)), torch.tensor(data).argmin(dim=0, keepdim=True).numpy()
    )
    assert x.argmax().item() == torch.tensor(data).argmax().item()


def test_argmax_rejects_a_tuple_axis(device):
    with pytest.raises(TypeError, match="argmax"):
        gk.argmax(gk.ones(2, 3, device=device), axis=(0, 1))


# ---- var/std arguments ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs,torch_kwargs",
    [
        ({}, {}),
        ({"unbiased": False}, {"correction": 0}),
        ({"unbiased": True}, {"correction": 1}),
        ({"ddof": 0}, {"correction": 0}),
        ({"correction": 2}, {"correction": 2}),
        ({"correction": 0.5}, {"correction": 0.5}),
    ],
)
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_correction_spellings(name, kwargs, torch_kwargs, device):
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(0).standard_normal((3, 5))
    theirs = getattr(torch, name)
    _compare_with_torch(
        lambda x: getattr(gk, name)(x, axis=1, **kwargs),
        lambda t: theirs(t, dim=1, **torch_kwargs),
        data,
        gk.float64,
        device,
    )


def test_var_default_is_unbiased_unlike_numpy(device):
    data = np.array([1.0, 2.0, 4.0])
    assert gk.tensor(data, device=device).var().item() == pytest.approx(np.var(data, ddof=1))


def test_std_gradient_of_a_constant_slice_is_zero_like_torch(device):
    torch = pytest.importorskip("torch")
    data = np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]])
    _compare_with_torch(
        lambda x: gk.std(x, axis=1), lambda t: torch.std(t, dim=1), data, gk.float64, device
    )


@pytest.mark.filterwarnings(r"ignore:var\(\):UserWarning")
def test_var_of_a_single_element_is_nan_like_torch(device):
    torch = pytest.importorskip("torch")
    data = np.array([[3.0], [1.0]])
    x = gk.tensor(data, device=device, requires_grad=True)
    with np.errstate(all="raise"):  # no NumPy warning escapes either
        out = gk.var(x, axis=1)
    expected = torch.var(torch.tensor(data), dim=1)
    np.testing.assert_array_equal(_np(out), expected.numpy())


def test_var_rejects_two_corrections(device):
    with pytest.raises(TypeError, match="var"):
        gk.var(gk.ones(3, device=device), ddof=0, unbiased=True)


@pytest.mark.parametrize("name", ["var", "std", "mean", "norm"])
def test_float_only_reductions_reject_integers(name, device):
    with pytest.raises(TypeError, match=name):
        getattr(gk, name)(gk.tensor([1, 2, 3], device=device))


# ---- logsumexp ----------------------------------------------------------------------------------


def test_logsumexp_is_stable_for_large_values(device):
    torch = pytest.importorskip("torch")
    data = np.array([[1000.0, 1000.0, 999.0], [-1000.0, -1002.0, -1001.0]])
    _compare_with_torch(
        lambda x: gk.logsumexp(x, axis=1),
        lambda t: torch.logsumexp(t, dim=1),
        data,
        gk.float32,
        device,
    )


def test_logsumexp_gradient_is_softmax(device):
    data = np.random.default_rng(0).standard_normal((2, 5))
    x = gk.tensor(data, device=device, requires_grad=True)
    gk.logsumexp(x, axis=1).sum().backward()
    softmax = np.exp(data) / np.exp(data).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(_np(x.grad), softmax, rtol=1e-6)


def test_logsumexp_with_infinities_matches_torch(device):
    torch = pytest.importorskip("torch")
    inf = math.inf
    data = np.array([[-inf, 0.0, 1.0], [-inf, -inf, -inf], [inf, 1.0, 2.0]])
    x = gk.tensor(data, device=device)
    np.testing.assert_array_equal(
        _np(gk.logsumexp(x, axis=1)), torch.logsumexp(torch.tensor(data), dim=1).numpy()
    )


def test_logsumexp_of_integers_is_float32(device):
    out = gk.logsumexp(gk.tensor([1, 2, 3], device=device))
    assert out.dtype == gk.float32
    assert out.item() == pytest.approx(np.log(np.exp([1, 2, 3]).sum()), rel=1e-6)


# ---- norm ------------------------------------------------------------------------------------


@pytest.mark.parametrize("ord_", [None, 2, "fro"])
def test_norm_gradient_at_zero_is_zero(ord_, device):
    x = gk.zeros(2, 3, dtype=gk.float64, device=device, requires_grad=True)
    out = gk.norm(x, ord_)
    out.backward()
    assert out.item() == 0.0
    np.testing.assert_array_equal(_np(x.grad), np.zeros((2, 3)))


def test_norm_gradient_at_a_zero_row_is_zero_and_elsewhere_like_torch(device):
    torch = pytest.importorskip("torch")
    data = np.array([[0.0, 0.0, 0.0], [3.0, -4.0, 0.0]])
    _compare_with_torch(
        lambda x: gk.norm(x, axis=1),
        lambda t: torch.linalg.vector_norm(t, dim=1),
        data,
        gk.float64,
        device,
    )


def test_norm_default_is_the_2_norm_of_all_elements(device):
    data = np.random.default_rng(0).standard_normal((3, 4))
    x = gk.tensor(data, device=device)
    assert x.norm().item() == pytest.approx(np.sqrt((data**2).sum()), rel=1e-6)
    assert gk.norm(x, "fro").item() == pytest.approx(np.linalg.norm(data, "fro"), rel=1e-6)
    np.testing.assert_allclose(_np(x.norm(p=1, dim=0)), np.abs(data).sum(axis=0), rtol=1e-6)


def test_norm_ord_zero_counts_nonzeros(device):
    x = gk.tensor([[0.0, 1.5, -2.0], [0.0, 0.0, 3.0]], device=device)
    np.testing.assert_array_equal(_np(gk.norm(x, 0, axis=1)), [2.0, 1.0])


def test_norm_rejects_matrix_orders(device):
    with pytest.raises(ValueError, match="norm"):
        gk.norm(gk.ones(2, 2, device=device), "nuc")
    with pytest.raises(TypeError, match="norm"):
        gk.norm(gk.ones(2, device=device), ord=2, p=2)


# ---- all/any/cumsum ---------------------------------------------------------------------------


@pytest.mark.parametrize("axis,keepdims", [(None, False), (0, True), (1, False), ((0, 1), False)])
@pytest.mark.parametrize("name", ["all", "any"])
def test_all_any_match_numpy(name, axis, keepdims, device):
    data = np.array([[0.0, 1.0, 2.0], [0.5, 0.0, 0.0], [1.0, 1.0, 1.0]])
    out = getattr(gk, name)(gk.tensor(data, device=device), axis=axis, keepdims=keepdims)
    assert out.dtype == gk.bool and not out.requires_grad
    np.testing.assert_array_equal(_np(out), getattr(np, name)(data, axis=axis, keepdims=keepdims))


def test_cumsum_flattens_without_axis_and_widens_integers(device):
    data = np.arange(6, dtype=np.int32).reshape(2, 3)
    out = gk.cumsum(gk.tensor(data, device=device))
    assert out.dtype == gk.int64
    np.testing.assert_array_equal(_np(out), np.cumsum(data))
    np.testing.assert_array_equal(
        _np(gk.tensor(data, device=device).cumsum(dim=1)), np.cumsum(data, axis=1)
    )


def test_cumsum_of_a_0d_tensor_stays_0d(device):
    x = gk.tensor(2.5, device=device, requires_grad=True)
    out = gk.cumsum(x, 0)
    assert out.shape == ()
    out.backward()
    assert x.grad.item() == 1.0


def test_cumsum_rejects_a_tuple_axis(device):
    with pytest.raises(TypeError, match="cumsum"):
        gk.cumsum(gk.ones(2, 3, device=device), axis=(0, 1))


# ---- dtypes ---------------------------------------------------------------------------------


DTYPE_OPS = {
    **{name: fn for name, (fn, _, _) in DIFFERENTIABLE.items()},
    "cumsum": lambda x, a, k: gk.cumsum(x, a),
}


@pytest.mark.parametrize("dtype", [gk.float32, gk.float64])
@pytest.mark.parametrize("name", sorted(DTYPE_OPS))
def test_dtype_of_result_and_gradient_is_preserved(name, dtype, device):
    x = gk.tensor(
        _distinct((3, 4), np.random.default_rng(0)), dtype=dtype, device=device, requires_grad=True
    )
    out = DTYPE_OPS[name](x, 1, False)
    assert out.dtype == dtype
    (out * 2.0).sum().backward()
    assert x.grad.dtype == dtype


def test_integer_sum_and_prod_give_int64(device):
    x = gk.tensor([[1, 2], [3, 4]], dtype=gk.int32, device=device)
    assert gk.sum(x).dtype == gk.int64 and gk.sum(x).item() == 10
    assert gk.prod(x, axis=0).dtype == gk.int64
    np.testing.assert_array_equal(_np(gk.prod(x, axis=0)), [3, 8])
    assert gk.sum(gk.tensor([True, True, False], device=device)).item() == 2


@pytest.mark.parametrize("name", ["sum", "prod", "cumsum"])
def test_a_dtype_argument_gives_the_input_dtype_back_as_gradient(name, device):
    x = gk.tensor([1.5, 2.0, 0.5], dtype=gk.float32, device=device, requires_grad=True)
    out = getattr(gk, name)(x, dtype=gk.float64)
    assert out.dtype == gk.float64
    out.sum().backward()
    assert x.grad.dtype == gk.float32


# ---- axis spellings, 0-d inputs, errors ------------------------------------------------------


def test_torch_and_numpy_axis_spellings_agree(device):
    data = np.random.default_rng(0).standard_normal((2, 3, 4))
    x = gk.tensor(data, device=device)
    for name in ("sum", "mean", "prod", "max", "min", "var", "std", "logsumexp", "norm"):
        fn = getattr(gk, name)
        np.testing.assert_array_equal(
            _np(fn(x, dim=(0, 2), keepdim=True)), _np(fn(x, axis=(0, 2), keepdims=True))
        )
        np.testing.assert_array_equal(_np(getattr(x, name)(dim=-1)), _np(fn(x, axis=-1)))
    with pytest.raises(TypeError, match="sum"):
        gk.sum(x, axis=0, dim=0)


@pytest.mark.parametrize(
    "name",
    [
        "sum",
        "mean",
        "prod",
        "max",
        "min",
        "amax",
        "amin",
        "var",
        "std",
        "logsumexp",
        "norm",
        "all",
        "any",
        "argmax",
        "argmin",
        "cumsum",
    ],
)
def test_0d_input_accepts_axis_0_and_minus_1(name, device):
    x = gk.tensor(1.5, dtype=gk.float64, device=device)
    for axis in (0, -1):
        out = getattr(gk, name)(x, axis=axis)
        assert out.shape == ()
    with pytest.raises(IndexError, match=name):
        getattr(gk, name)(x, axis=1)


@pytest.mark.parametrize(
    "name",
    [
        "sum",
        "mean",
        "prod",
        "max",
        "min",
        "var",
        "std",
        "logsumexp",
        "norm",
        "all",
        "any",
        "argmax",
        "argmin",
        "cumsum",
    ],
)
def test_out_of_range_axis_raises_index_error_naming_the_op(name, device):
    data = np.arange(6.0).reshape(2, 3)
    x = gk.tensor(data, device=device)
    for axis in (2, -3):
        with pytest.raises(IndexError, match=name):
            getattr(gk, name)(x, axis=axis)
    np.testing.assert_array_equal(_np(x), data)


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "max", "var", "logsumexp", "norm", "all"])
def test_duplicate_axis_raises_value_error_naming_the_op(name, device):
    with pytest.raises(ValueError, match=name):
        getattr(gk, name)(gk.ones(2, 3, device=device), axis=(1, -1))


@pytest.mark.parametrize("name", ["max", "min", "amax", "amin", "argmax", "argmin"])
def test_reducing_an_empty_axis_without_identity_raises_index_error(name, device):
    x = gk.ones(0, 3, device=device)
    for axis in (None, 0):
        with pytest.raises(IndexError, match=name):
            getattr(gk, name)(x, axis=axis)
    assert getattr(gk, name)(x, axis=1).shape == (0,)  # the empty axis is not reduced: fine
    with pytest.raises(IndexError, match="norm"):
        gk.norm(x, math.inf, axis=0)


def test_reductions_with_identities_accept_empty_axes(device):
    torch = pytest.importorskip("torch")
    x = gk.ones(0, 3, device=device)
    xt = torch.ones(0, 3)
    np.testing.assert_array_equal(_np(gk.sum(x, 0)), xt.sum(0).numpy())
    np.testing.assert_array_equal(_np(gk.prod(x, 0)), xt.prod(0).numpy())
    np.testing.assert_array_equal(_np(gk.logsumexp(x, 0)), torch.logsumexp(xt, 0).numpy())
    np.testing.assert_array_equal(_np(gk.norm(x, axis=0)), torch.linalg.vector_norm(xt, dim=0))


def test_reductions_reject_non_tensors():
    with pytest.raises(TypeError, match="prod"):
        gk.prod([1.0, 2.0])


def test_gk_names_do_not_shadow_python_builtins():
    assert builtins.max is max and builtins.min is min and builtins.all is all
    assert gk.max is not builtins.max and gk.all is not builtins.all and gk.any is not any
