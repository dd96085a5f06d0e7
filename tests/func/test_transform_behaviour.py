"""gk.func beyond matching values: nth derivatives, composition with outer graphs, inputs
left alone, dtypes, pytrees and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradkit as gk
from gradkit.func import tree_flatten, tree_map, tree_unflatten


def test_fourth_derivative_of_sin_by_repeated_grad() -> None:
    f = gk.sin
    derivatives = [gk.cos, lambda x: -gk.sin(x), lambda x: -gk.cos(x), gk.sin]
    x = gk.tensor(0.7, dtype=gk.float64)
    for expected in derivatives:
        f = gk.func.grad(f)
        assert math.isclose(f(x).item(), expected(x).item(), rel_tol=1e-12)


def test_grad_of_grad_of_a_polynomial() -> None:
    x = gk.tensor(1.5, dtype=gk.float64)
    third = gk.func.grad(gk.func.grad(gk.func.grad(lambda x: x**4 + x**3)))
    assert math.isclose(third(x).item(), 24 * 1.5 + 6, rel_tol=1e-12)


def test_user_tensors_are_left_alone() -> None:
    x = gk.tensor([0.5, -1.0], dtype=gk.float64, requires_grad=True)
    before = x.numpy().copy()
    gk.func.grad(lambda x: (x * x).sum())(x)
    gk.func.hessian(lambda x: (x**3).sum())(x)
    assert x.grad is None and x.requires_grad and x.grad_fn is None
    np.testing.assert_array_equal(x.numpy(), before)
    y = gk.tensor([0.5, -1.0])
    gk.func.grad(lambda y: (y * y).sum())(y)
    assert not y.requires_grad and y.grad is None


def test_results_stay_differentiable_for_an_outer_graph() -> None:
    x = gk.tensor([0.3, 0.9], dtype=gk.float64, requires_grad=True)
    g = gk.func.grad(lambda x: (x**3).sum())(x)  # 3 x^2, still a function of x
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.detach().numpy())


def test_results_carry_no_graph_at_top_level() -> None:
    x = gk.tensor([0.3, 0.9], dtype=gk.float64)
    g = gk.func.grad(lambda x: (x**3).sum())(x)
    assert not g.requires_grad and g.grad_fn is None


def test_reverse_over_forward() -> None:
    v = gk.tensor([1.0, -2.0], dtype=gk.float64)

    def directional(x):  # noqa: ANN001, ANN202
        return gk.func.jvp(lambda x: (x.sin() * x).sum(), (x,), (v,))[1]

    x = gk.tensor([0.4, 1.2], dtype=gk.float64)
    ours = gk.func.grad(directional)(x)
    hessian = gk.func.hessian(lambda x: (x.sin() * x).sum())(x)
    np.testing.assert_allclose(ours.numpy(), hessian.numpy() @ v.numpy(), rtol=1e-12)


@pytest.mark.parametrize("transform", ["grad", "jacrev", "jacfwd", "hessian"])
def test_float32_stays_float32(transform: str) -> None:
    x = gk.tensor([0.3, 0.9, -0.2])
    result = getattr(gk.func, transform)(lambda x: (x.tanh() * x).sum())(x)
    assert result.dtype == gk.float32
    _, tangent = gk.func.jvp(lambda x: x.exp(), (x,), (gk.ones(3),))
    assert tangent.dtype == gk.float32
    _, (product,) = gk.func.hvp(lambda x: (x**3).sum(), (x,), (gk.ones(3),))
    assert product.dtype == gk.float32


def test_outputs_independent_of_an_input_give_zeros() -> None:
    x = gk.tensor([1.0, 2.0], dtype=gk.float64)
    y = gk.tensor([3.0], dtype=gk.float64)
    gx, gy = gk.func.grad(lambda x, y: (x * 2).sum(), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gy.numpy(), [0.0])
    jac = gk.func.jacfwd(lambda x, y: x * 2, argnums=1)(x, y)
    assert tuple(jac.shape) == (2, 1) and not jac.numpy().any()
    _, tangent = gk.func.jvp(lambda x: gk.ones(2, dtype=gk.float64), (x,), (x,))
    np.testing.assert_array_equal(tangent.numpy(), [0.0, 0.0])


def test_jacobian_shapes_follow_out_and_input_shapes() -> None:
    x = gk.randn(2, 3, dtype=gk.float64)
    for transform in (gk.func.jacrev, gk.func.jacfwd):
        jac = transform(lambda x: x.sum(axis=0) * 2)(x)
        assert tuple(jac.shape) == (3, 2, 3)
        expected = np.zeros((3, 2, 3))
        for j in range(3):
            expected[j, :, j] = 2
        np.testing.assert_allclose(jac.numpy(), expected)


def test_errors_name_the_transform() -> None:
    x = gk.randn(3, dtype=gk.float64)
    with pytest.raises(RuntimeError, match="grad: expected the function to return a scalar"):
        gk.func.grad(lambda x: x * 2)(x)
    with pytest.raises(TypeError, match="grad: .*floating point"):
        gk.func.grad(lambda x: x.sum())(gk.tensor([1, 2]))
    with pytest.raises(ValueError, match="jvp: a tangent has shape"):
        gk.func.jvp(lambda x: x, (x,), (gk.ones(2, dtype=gk.float64),))
    with pytest.raises(ValueError, match="jacrev: argnums"):
        gk.func.jacrev(lambda x: x, argnums=3)(x)
    with pytest.raises(TypeError, match="vjp: expected the outputs to be Tensors"):
        gk.func.vjp(lambda x: 3.0, x)


def test_pytree_round_trip() -> None:
    tree = {"a": (1, [2, 3]), "b": {"c": 4}, "d": []}
    leaves, spec = tree_flatten(tree)
    assert leaves == [1, 2, 3, 4]
    assert tree_unflatten(leaves, spec) == tree
    assert tree_map(lambda v: v * 10, tree) == {"a": (10, [20, 30]), "b": {"c": 40}, "d": []}
    with pytest.raises(ValueError, match="fewer leaves"):
        tree_unflatten([1], spec)
