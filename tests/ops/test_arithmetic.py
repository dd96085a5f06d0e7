"""Binary arithmetic (+ - * / // % **, unary -): values and gradients against PyTorch,
finite differences (first and second order), broadcasting, Python scalars and dtypes."""

from __future__ import annotations

import operator

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import gradkit as gk
from gradkit.testing import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")

SHAPE_PAIRS = [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 4)), ((4, 1, 3), (2, 1)), ((), (2, 2))]
DIFFERENTIABLE = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "div": operator.truediv,
    "pow": operator.pow,
}


def _inputs(shape, rng, dtype, positive=False):
    values = rng.uniform(0.5, 2.0, shape) if positive else rng.uniform(-2.0, 2.0, shape)
    return np.asarray(values, dtype=dtype)


def _both(array):
    return (gk.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True))


@pytest.mark.parametrize("name", sorted(DIFFERENTIABLE))
@pytest.mark.parametrize(("shape_a", "shape_b"), SHAPE_PAIRS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_ops_match_pytorch(name, shape_a, shape_b, dtype):
    rng = np.random.default_rng(1)
    fn = DIFFERENTIABLE[name]
    a_np = _inputs(shape_a, rng, dtype, positive=name == "pow")
    b_np = _inputs(shape_b, rng, dtype, positive=name == "div")
    a, ta = _both(a_np)
    b, tb = _both(b_np)
    out, tout = fn(a, b), fn(ta, tb)
    weights = rng.standard_normal(tout.shape).astype(dtype)
    (out * gk.tensor(weights)).sum().backward()
    (tout * torch.tensor(weights)).sum().backward()
    tol = 1e-5 if dtype == np.float32 else 1e-10
    assert out.dtype == dtype and a.grad.dtype == dtype and b.grad.dtype == dtype
    assert a.grad.shape == shape_a and b.grad.shape == shape_b
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=tol, atol=tol)


SCALAR_FORMS = [
    ("x + 2.5", lambda x: x + 2.5),
    ("2.5 + x", lambda x: 2.5 + x),
    ("x - 1.5", lambda x: x - 1.5),
    ("1.5 - x", lambda x: 1.5 - x),
    ("x * 3", lambda x: x * 3),
    ("3 * x", lambda x: 3 * x),
    ("x / 4.0", lambda x: x / 4.0),
    ("4.0 / x", lambda x: 4.0 / x),
    ("x ** 3", lambda x: x**3),
    ("x ** 2.5", lambda x: x**2.5),
    ("x ** 0", lambda x: x**0),
    ("x ** -1", lambda x: x**-1),
    ("2 ** x", lambda x: 2**x),
    ("0.5 ** x", lambda x: 0.5**x),
    ("x % 1.5", lambda x: x % 1.5),
    ("-x", lambda x: -x),
    ("+x", lambda x: +x),
]


@pytest.mark.parametrize(("label", "fn"), SCALAR_FORMS, ids=[f[0] for f in SCALAR_FORMS])
def test_python_scalars_on_either_side_match_pytorch(label, fn):
    values = np.array([[0.3, 1.7, 2.2], [0.9, 1.1, 3.4]], dtype=np.float32)
    x, tx = _both(values)
    out, tout = fn(x), fn(tx)
    out.sum().backward()
    tout.sum().backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


GRADCHECK_FUNCTIONS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow tensor**tensor": lambda a, b: a**b,
    "pow tensor**scalar": lambda a, b: a**2.5 + b**3,
    "pow scalar**tensor": lambda a, b: 1.7**a * 0.6**b,
    "remainder": lambda a, b: a % b,
    "remainder scalar": lambda a, b: a % 0.7 + 2.3 % b,
    "neg": lambda a, b: -a - b,
    "sub/div scalars": lambda a, b: (1.5 - a) / (2.0 / b),
}


@pytest.mark.parametrize("name", sorted(GRADCHECK_FUNCTIONS))
@pytest.mark.parametrize(("shape_a", "shape_b"), [((3,), (3,)), ((2, 3), (1, 3)), ((2, 1), (3,))])
def test_gradcheck_and_gradgradcheck(name, shape_a, shape_b):
    rng = np.random.default_rng(2)
    # positive inputs keep pow/log smooth; the remainder's quotient stays off its jumps
    a = gk.tensor(rng.uniform(1.1, 1.9, shape_a), requires_grad=True)
    b = gk.tensor(rng.uniform(0.55, 0.95, shape_b), requires_grad=True)
    fn = GRADCHECK_FUNCTIONS[name]
    assert gradcheck(fn, (a, b))
    assert gradgradcheck(fn, (a, b))


def test_gradcheck_detects_a_wrong_gradient():
    """The checker must be able to fail, or every gradcheck above proves nothing."""

    class WrongSquare(gk.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return gk.Tensor._make(x.data**2, x.device)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * x * 3

    x = gk.tensor([0.5, 1.5], dtype=gk.float64, requires_grad=True)
    assert not gradcheck(WrongSquare.apply, (x,), raise_exception=False)


def test_pow_gradients_at_zero_match_pytorch():
    values = np.array([0.0, 1.0, 2.0], dtype=np.float32)
    for fn in (lambda x: x**x, lambda x: 0**x, lambda x: x**2, lambda x: x**0):
        x, tx = _both(values)
        fn(x).sum().backward()
        fn(tx).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize(
    ("label", "fn"),
    [
        ("float", lambda x: x * 2.5),
        ("np.float64", lambda x: x * np.float64(2.5)),
        ("np.float64 left", lambda x: np.float64(2.5) * x),
        ("div np", lambda x: x / np.float64(3)),
        ("rdiv np", lambda x: np.float64(3) / x),
        ("pow np", lambda x: x ** np.float64(2)),
        ("rpow np", lambda x: np.float64(2) ** x),
        ("add f64 array", lambda x: x + np.ones(3)),
        ("f64 array mul", lambda x: np.ones(3) * x),
        ("int tensor", lambda x: x * gk.arange(3)),
        ("int64 scalar", lambda x: x - np.int64(2)),
        ("remainder", lambda x: x % np.float64(0.7)),
    ],
)
def test_float32_stays_float32_in_values_and_grads(label, fn):
    x = gk.tensor([0.5, 1.0, 1.5], requires_grad=True)
    out = fn(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32


def test_integer_tensors_follow_pytorch_promotion():
    i = [1, 2, 3]
    cases = [
        lambda t: t + 2.5,
        lambda t: 2.5 * t,
        lambda t: t / 2,
        lambda t: t / t,
        lambda t: t * 2,
        lambda t: t // 2,
        lambda t: t % 2,
        lambda t: t**2,
        lambda t: 2**t,
        lambda t: -t,
    ]
    for fn in cases:
        ours, theirs = fn(gk.tensor(i)), fn(torch.tensor(i))
        assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch."))
        np.testing.assert_allclose(ours.numpy(), theirs.numpy())
    assert (gk.tensor(i, dtype=gk.int32) + 1.5).dtype == np.float32
    assert (gk.tensor(i) + gk.ones(3)).dtype == np.float32
    assert (gk.tensor(i) + gk.ones(3, dtype=gk.float64)).dtype == np.float64


def test_floor_divide_and_remainder_match_pytorch():
    a = np.array([-3.5, -1.0, 0.5, 2.0, 7.25], dtype=np.float32)
    b = np.array([2.0, -1.5, 0.3, -4.0, 2.0], dtype=np.float32)
    for fn in (operator.floordiv, operator.mod):
        np.testing.assert_allclose(
            fn(gk.tensor(a), gk.tensor(b)).numpy(),
            fn(torch.tensor(a), torch.tensor(b)).numpy(),
            rtol=1e-6,
        )
    assert not (gk.tensor(a, requires_grad=True) // 2).requires_grad
    np.testing.assert_array_equal((7 // gk.tensor([2, 3])).numpy(), [3, 2])


@pytest.mark.parametrize(
    "op", [operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne]
)
def test_comparisons_give_bool_without_grad(op):
    a = np.array([[1.0, 2.0, 3.0]], dtype=np.float32)
    b = np.array([[2.0], [1.0]], dtype=np.float32)
    x = gk.tensor(a, requires_grad=True)
    for ours, theirs in (
        (op(x, gk.tensor(b)), op(torch.tensor(a), torch.tensor(b))),
        (op(x, 2.0), op(torch.tensor(a), 2.0)),
        (op(2.0, x), op(2.0, torch.tensor(a))),
    ):
        assert ours.dtype == np.bool_ and not ours.requires_grad
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "pow", "remainder"])
def test_incompatible_broadcast_names_op_and_shapes_and_changes_nothing(name):
    a = gk.ones(2, 3, requires_grad=True)
    b = gk.ones(4, 3)
    with pytest.raises(ValueError, match=rf"{name}.*\(2, 3\).*\(4, 3\)"):
        getattr(gk, name)(a, b)
    assert a.grad is None and a._version == 0
    np.testing.assert_array_equal(a.numpy(), np.ones((2, 3)))


def test_bad_operand_types_are_type_errors():
    x = gk.ones(2)
    for bad in ("a", None, object()):
        with pytest.raises(TypeError, match="add"):
            x + bad


def test_repeated_use_of_one_input_accumulates():
    x, tx = _both(np.array([1.0, -2.0, 3.0], dtype=np.float32))
    for t in (x, tx):
        (t * t + t / (t * t + 1) - t).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6)


@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4),
    op=st.sampled_from([operator.add, operator.sub, operator.mul]),
)
def test_broadcasting_matches_numpy_and_grads_keep_input_shapes(shapes, op):
    (shape_a, shape_b), result_shape = shapes.input_shapes, shapes.result_shape
    rng = np.random.default_rng(0)
    a_np = rng.standard_normal(shape_a).astype(np.float32)
    b_np = rng.standard_normal(shape_b).astype(np.float32)
    a = gk.tensor(a_np, requires_grad=True)
    b = gk.tensor(b_np, requires_grad=True)
    out = op(a, b)
    assert out.shape == result_shape
    np.testing.assert_allclose(out.numpy(), op(a_np, b_np), rtol=1e-6)
    out.sum().backward()
    assert a.grad.shape == shape_a and b.grad.shape == shape_b
    expected_a = np.broadcast_to(b_np if op is operator.mul else 1.0, result_shape)
    lead = len(result_shape) - len(shape_a)
    expected_a = expected_a.sum(axis=tuple(range(lead))) if lead else expected_a
    expected_a = expected_a.sum(
        axis=tuple(i for i, n in enumerate(shape_a) if n == 1), keepdims=True
    ).reshape(shape_a)
    np.testing.assert_allclose(a.grad.numpy(), expected_a, rtol=1e-5, atol=1e-6)
