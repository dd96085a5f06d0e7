"""matmul (NumPy's rules), mm, bmm, dot, outer and linear: values, gradients, dtypes, errors."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk
from gradkit.testing import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")

# (a shape, b shape): 1-D/1-D, 1-D/N-D, N-D/1-D, matrices, batches with broadcast batch dims
MATMUL_SHAPES = [
    ((3,), (3,)),
    ((3,), (3, 4)),
    ((2, 3), (3,)),
    ((5, 2, 3), (3,)),
    ((3,), (5, 3, 4)),
    ((2, 3), (3, 4)),
    ((5, 2, 3), (5, 3, 4)),
    ((5, 2, 3), (3, 4)),
    ((2, 5, 2, 3), (3, 4)),
    ((2, 3), (5, 3, 4)),
    ((4, 1, 2, 3), (5, 3, 2)),
    ((1, 2, 3), (5, 3, 4)),
    ((5, 2, 3), (1, 3, 4)),
]

TOLERANCES = {np.float32: {"rtol": 1e-5, "atol": 1e-5}, np.float64: {"rtol": 1e-10, "atol": 1e-10}}


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _leaf(array: np.ndarray, device: str = "cpu") -> gk.Tensor:
    return gk.tensor(array, device=device, requires_grad=True)


def _host(t: gk.Tensor) -> np.ndarray:
    return np.asarray(t)


def _torch_leaf(array: np.ndarray) -> torch.Tensor:
    return torch.tensor(array, requires_grad=True)


def _check_against_torch(gk_fn, torch_fn, arrays, dtype, device, seed=1):
    """Values and the gradients of every input (for a random upstream gradient) agree."""
    arrays = [a.astype(dtype) for a in arrays]
    ours = [_leaf(a, device) for a in arrays]
    theirs = [_torch_leaf(a) for a in arrays]
    out = gk_fn(*ours)
    expected = torch_fn(*theirs)
    upstream = _rng(seed).standard_normal(expected.shape).astype(dtype)
    out.backward(gk.tensor(upstream, device=device))
    expected.backward(torch.tensor(upstream))
    tol = TOLERANCES[dtype]
    assert out.dtype == np.dtype(dtype)
    assert tuple(out.shape) == tuple(expected.shape)
    np.testing.assert_allclose(_host(out), expected.detach().numpy(), **tol)
    for mine, reference in zip(ours, theirs):
        assert mine.grad.dtype == np.dtype(dtype)
        assert mine.grad.shape == mine.shape
        np.testing.assert_allclose(_host(mine.grad), reference.grad.numpy(), **tol)


# ---- matmul ----------------------------------------------------------------------------------
@pytest.mark.parametrize("a_shape,b_shape", MATMUL_SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matmul_matches_torch(a_shape, b_shape, dtype, device):
    rng = _rng()
    arrays = [rng.standard_normal(a_shape), rng.standard_normal(b_shape)]
    _check_against_torch(gk.matmul, torch.matmul, arrays, dtype, device)


@pytest.mark.parametrize("a_shape,b_shape", MATMUL_SHAPES)
def test_matmul_gradcheck_and_gradgradcheck(a_shape, b_shape):
    rng = _rng(2)
    a = _leaf(rng.standard_normal(a_shape))
    b = _leaf(rng.standard_normal(b_shape))
    assert gradcheck(gk.matmul, (a, b))
    assert gradgradcheck(gk.matmul, (a, b))


def test_matmul_operator_and_methods_match_function():
    rng = _rng(3)
    a = gk.tensor(rng.standard_normal((2, 3)))
    b = gk.tensor(rng.standard_normal((3, 4)))
    expected = np.asarray(a) @ np.asarray(b)
    for result in (a @ b, a.matmul(b), a.mm(b), np.asarray(a) @ b, a @ np.asarray(b)):
        assert isinstance(result, gk.Tensor)
        np.testing.assert_allclose(_host(result), expected, rtol=1e-12)


def test_matmul_of_integers_is_exact_and_has_no_grad():
    a = gk.tensor([[1, 2], [3, 4]], dtype=gk.int64)
    b = gk.tensor([[5], [6]], dtype=gk.int64)
    out = a @ b
    assert out.dtype == np.int64
    assert not out.requires_grad
    np.testing.assert_array_equal(_host(out), [[17], [39]])


def test_matmul_promotes_mixed_floats_and_returns_grads_in_each_dtype():
    rng = _rng(4)
    a = gk.tensor(rng.standard_normal((2, 3)), dtype=gk.float32, requires_grad=True)
    b = gk.tensor(rng.standard_normal((3, 4)), dtype=gk.float64, requires_grad=True)
    out = a @ b
    assert out.dtype == np.float64
    out.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_matmul_float32_stays_float32_in_value_and_grads_with_python_scalar_upstream():
    a = gk.randn(4, 2, 3, requires_grad=True)
    b = gk.randn(3, 5, requires_grad=True)
    ((a @ b) * 2.0).sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float32


def test_matmul_of_a_transposed_view_matches_numpy():
    rng = _rng(5)
    base = rng.standard_normal((4, 3, 2))
    a = gk.tensor(base).permute(0, 2, 1)  # (4, 2, 3), not contiguous
    b = gk.tensor(rng.standard_normal((3, 5)))
    np.testing.assert_allclose(_host(a @ b), base.transpose(0, 2, 1) @ np.asarray(b), rtol=1e-12)


def test_matmul_second_derivative_matches_torch():
    rng = _rng(6)
    a_data, b_data = rng.standard_normal((2, 3)), rng.standard_normal((3, 2))
    a, b = _leaf(a_data), _leaf(b_data)
    (ga,) = gk.autograd.grad([((a @ b) ** 2).sum()], [a], create_graph=True)
    ga.sum().backward()
    ta, tb = _torch_leaf(a_data), _torch_leaf(b_data)
    (tga,) = torch.autograd.grad(((ta @ tb) ** 2).sum(), [ta], create_graph=True)
    tga.sum().backward()
    np.testing.assert_allclose(_host(b.grad), tb.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize(
    "a_shape,b_shape,fragment",
    [
        ((2, 3), (4, 5), "last dim of a \\(3\\) to match dim -2 of b \\(4\\)"),
        ((3,), (4,), "dim 0 of b"),
        ((2, 2, 3), (3, 3, 4), "batch dims"),
        ((), (3,), "at least 1 dimension"),
        ((3,), (), "at least 1 dimension"),
    ],
)
def test_matmul_shape_errors_name_the_op_and_both_shapes(a_shape, b_shape, fragment):
    a = gk.zeros(a_shape, requires_grad=True)
    b = gk.zeros(b_shape, requires_grad=True)
    with pytest.raises(ValueError, match=f"matmul: .*{fragment}") as info:
        gk.matmul(a, b)
    assert str(a_shape) in str(info.value) and str(b_shape) in str(info.value)
    assert a.grad is None and b.grad is None and not np.asarray(a).any()


def test_matmul_with_a_python_scalar_is_a_zero_dim_error():
    with pytest.raises(ValueError, match="matmul: .*at least 1 dimension"):
        gk.matmul(gk.ones(3), 2.0)


# ---- mm, bmm, dot, outer -----------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mm_bmm_dot_outer_match_torch(dtype, device):
    rng = _rng(7)
    cases = [
        (gk.mm, torch.mm, [(2, 3), (3, 4)]),
        (gk.bmm, torch.bmm, [(5, 2, 3), (5, 3, 4)]),
        (gk.dot, torch.dot, [(4,), (4,)]),
        (gk.outer, torch.outer, [(3,), (4,)]),
    ]
    for ours, theirs, shapes in cases:
        arrays = [rng.standard_normal(s) for s in shapes]
        _check_against_torch(ours, theirs, arrays, dtype, device)


@pytest.mark.parametrize(
    "fn,shapes",
    [
        (gk.mm, [(2, 3), (3, 4)]),
        (gk.bmm, [(2, 2, 3), (2, 3, 4)]),
        (gk.dot, [(3,), (3,)]),
        (gk.outer, [(3,), (2,)]),
    ],
)
def test_mm_bmm_dot_outer_gradcheck_and_gradgradcheck(fn, shapes):
    rng = _rng(8)
    inputs = tuple(_leaf(rng.standard_normal(s)) for s in shapes)
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


@pytest.mark.parametrize(
    "fn,shapes",
    [
        (gk.mm, [(2, 3, 1), (3, 4)]),
        (gk.mm, [(3,), (3, 4)]),
        (gk.bmm, [(2, 2, 3), (3, 3, 4)]),
        (gk.bmm, [(2, 3), (3, 4)]),
        (gk.dot, [(3,), (4,)]),
        (gk.dot, [(1, 3), (3,)]),
        (gk.outer, [(3, 1), (2,)]),
    ],
)
def test_mm_bmm_dot_outer_reject_wrong_ranks(fn, shapes):
    with pytest.raises(ValueError, match=fn.__name__):
        fn(*(gk.zeros(s) for s in shapes))


# ---- linear ----------------------------------------------------------------------------------
@pytest.mark.parametrize("x_shape", [(4,), (3, 4), (2, 3, 4)])
@pytest.mark.parametrize("with_bias", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_matches_torch(x_shape, with_bias, dtype, device):
    rng = _rng(9)
    arrays = [rng.standard_normal(x_shape), rng.standard_normal((5, 4))]
    if with_bias:
        arrays.append(rng.standard_normal(5))
    _check_against_torch(gk.linear, torch.nn.functional.linear, arrays, dtype, device)


@pytest.mark.parametrize("x_shape", [(4,), (3, 4), (2, 3, 4)])
def test_linear_gradcheck_and_gradgradcheck(x_shape):
    rng = _rng(10)
    x = _leaf(rng.standard_normal(x_shape))
    w = _leaf(rng.standard_normal((2, 4)))
    b = _leaf(rng.standard_normal(2))
    assert gradcheck(gk.linear, (x, w, b))
    assert gradgradcheck(gk.linear, (x, w, b))
    assert gradgradcheck(lambda x, w: gk.linear(x, w), (x, w))


def test_linear_grads_only_for_inputs_that_need_them():
    x = gk.randn(3, 4)
    w = gk.randn(2, 4, requires_grad=True)
    b = gk.randn(2)
    gk.linear(x, w, b).sum().backward()
    assert x.grad is None and b.grad is None and w.grad.shape == (2, 4)


def test_linear_of_a_non_contiguous_input_matches_numpy():
    rng = _rng(11)
    base = rng.standard_normal((4, 3))
    x = gk.tensor(base, requires_grad=True).T  # (3, 4) view
    w = gk.tensor(rng.standard_normal((2, 4)))
    out = gk.linear(x, w)
    np.testing.assert_allclose(_host(out), base.T @ np.asarray(w).T, rtol=1e-12)


@pytest.mark.parametrize(
    "x_shape,w_shape,b_shape,error,fragment",
    [
        ((3, 4), (2, 5), None, ValueError, "in_features=5"),
        ((3, 4), (4,), None, ValueError, "2-D weight"),
        ((), (2, 4), None, ValueError, "last dim of x"),
        ((3, 4), (2, 4), (3,), ValueError, "bias of shape \\(2,\\)"),
    ],
)
def test_linear_errors(x_shape, w_shape, b_shape, error, fragment):
    bias = None if b_shape is None else gk.zeros(b_shape)
    with pytest.raises(error, match=f"linear: .*{fragment}"):
        gk.linear(gk.zeros(x_shape), gk.zeros(w_shape), bias)


def test_linear_rejects_mixed_dtypes():
    with pytest.raises(TypeError, match="linear: .*one dtype"):
        gk.linear(gk.zeros(3, 4), gk.zeros(2, 4, dtype=gk.float64))


def _forward_mode_tangent(fn, primals, directions):
    """fn's output tangent with every input a dual number (None directions stay plain)."""
    from gradkit.autograd import forward_ad

    with forward_ad.dual_level():
        inputs = [
            gk.tensor(p) if d is None else forward_ad.make_dual(gk.tensor(p), gk.tensor(d))
            for p, d in zip(primals, directions)
        ]
        return np.asarray(forward_ad.unpack_dual(fn(*inputs)).tangent)


@pytest.mark.parametrize("a_shape,b_shape", MATMUL_SHAPES)
def test_matmul_forward_mode_tangent_matches_torch_jvp(a_shape, b_shape):
    rng = _rng(12)
    primals = [rng.standard_normal(a_shape), rng.standard_normal(b_shape)]
    directions = [rng.standard_normal(a_shape), rng.standard_normal(b_shape)]
    tangent = _forward_mode_tangent(gk.matmul, primals, directions)
    _, expected = torch.func.jvp(
        torch.matmul, tuple(map(torch.tensor, primals)), tuple(map(torch.tensor, directions))
    )
    np.testing.assert_allclose(tangent, expected.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("x_shape", [(4,), (3, 4), (2, 3, 4)])
@pytest.mark.parametrize("tangent_of", ["x", "weight", "bias", "all"])
def test_linear_forward_mode_tangent_matches_torch_jvp(x_shape, tangent_of):
    rng = _rng(13)
    primals = [rng.standard_normal(x_shape), rng.standard_normal((5, 4)), rng.standard_normal(5)]
    directions = [
        rng.standard_normal(p.shape) if tangent_of in (name, "all") else None
        for p, name in zip(primals, ("x", "weight", "bias"))
    ]
    tangent = _forward_mode_tangent(gk.linear, primals, directions)
    torch_directions = [
        torch.zeros(p.shape, dtype=torch.float64) if d is None else torch.tensor(d)
        for p, d in zip(primals, directions)
    ]
    _, expected = torch.func.jvp(
        torch.nn.functional.linear, tuple(map(torch.tensor, primals)), tuple(torch_directions)
    )
    np.testing.assert_allclose(tangent, expected.numpy(), rtol=1e-10, atol=1e-12)
