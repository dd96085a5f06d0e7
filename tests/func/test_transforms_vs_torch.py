"""gk.func against torch.func: values of grad, value_and_grad, vjp, jvp, jacrev, jacfwd,
hessian and hvp on the same functions and inputs."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk

torch = pytest.importorskip("torch")
tfunc = pytest.importorskip("torch.func")

RNG = np.random.default_rng(7)
W = RNG.standard_normal((3, 4))


def _gk(a: np.ndarray) -> gk.Tensor:
    return gk.tensor(a, dtype=gk.float64)


def _th(a: np.ndarray) -> torch.Tensor:
    return torch.tensor(a, dtype=torch.float64)


def _close(ours: gk.Tensor, theirs: torch.Tensor, atol: float = 1e-10) -> None:
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-9, atol=atol)


# Each function takes the library module (gk or torch) first, so one definition serves both.
def sin_exp(lib, x):  # noqa: ANN001, ANN201
    return (lib.sin(x) * lib.exp(x)).sum()


def logsumexp_of_product(lib, x):  # noqa: ANN001, ANN201
    w = _gk(W) if lib is gk else _th(W)
    return lib.logsumexp(x @ w, 0 if lib is torch else None)


def two_args(lib, x, y):  # noqa: ANN001, ANN201
    return (lib.tanh(x * y) + x**2 * y).sum()


def softmax_vector(lib, x):  # noqa: ANN001, ANN201
    return lib.softmax(x, -1) * x[0]


SCALAR = [sin_exp, logsumexp_of_product]
X = RNG.standard_normal(3)
Y = RNG.standard_normal(3)


def _bind(fn, lib):  # noqa: ANN001, ANN202
    return lambda *args: fn(lib, *args)


@pytest.mark.parametrize("fn", SCALAR)
def test_grad_and_value_and_grad(fn) -> None:  # noqa: ANN001
    ours = gk.func.grad(_bind(fn, gk))(_gk(X))
    _close(ours, tfunc.grad(_bind(fn, torch))(_th(X)))
    value, gradient = gk.func.value_and_grad(_bind(fn, gk))(_gk(X))
    t_grad, t_value = tfunc.grad_and_value(_bind(fn, torch))(_th(X))
    _close(value, t_value)
    _close(gradient, t_grad)


def test_grad_argnums_tuple_and_has_aux() -> None:
    def ours(x, y):  # noqa: ANN001, ANN202
        out = two_args(gk, x, y)
        return out, out * 2

    def theirs(x, y):  # noqa: ANN001, ANN202
        out = two_args(torch, x, y)
        return out, out * 2

    (gx, gy), aux = gk.func.grad(ours, argnums=(0, 1), has_aux=True)(_gk(X), _gk(Y))
    (tx, ty), t_aux = tfunc.grad(theirs, argnums=(0, 1), has_aux=True)(_th(X), _th(Y))
    _close(gx, tx)
    _close(gy, ty)
    _close(aux, t_aux)
    _close(
        gk.func.grad(_bind(two_args, gk), argnums=1)(_gk(X), _gk(Y)),
        tfunc.grad(_bind(two_args, torch), argnums=1)(_th(X), _th(Y)),
    )


def test_vjp_with_tuple_outputs() -> None:
    def pair(lib):  # noqa: ANN001, ANN202
        return lambda x, y: (lib.sin(x) * y, (x * y).sum())

    ct = (RNG.standard_normal(3), np.array(1.5))
    out, fn = gk.func.vjp(pair(gk), _gk(X), _gk(Y))
    t_out, t_fn = tfunc.vjp(pair(torch), _th(X), _th(Y))
    _close(out[0], t_out[0])
    ours = fn((_gk(ct[0]), _gk(ct[1])))
    theirs = t_fn((_th(ct[0]), _th(ct[1])))
    _close(ours[0], theirs[0])
    _close(ours[1], theirs[1])


def test_jvp() -> None:
    v = RNG.standard_normal(3)
    out, tangent = gk.func.jvp(_bind(softmax_vector, gk), (_gk(X),), (_gk(v),))
    t_out, t_tangent = tfunc.jvp(_bind(softmax_vector, torch), (_th(X),), (_th(v),))
    _close(out, t_out)
    _close(tangent, t_tangent)


@pytest.mark.parametrize("transform", ["jacrev", "jacfwd"])
def test_jacobians(transform: str) -> None:
    ours = getattr(gk.func, transform)(_bind(softmax_vector, gk))(_gk(X))
    theirs = getattr(tfunc, transform)(_bind(softmax_vector, torch))(_th(X))
    assert tuple(ours.shape) == tuple(theirs.shape) == (3, 3)
    _close(ours, theirs)
    matrix = RNG.standard_normal((2, 3))

    def ours_fn(x, y):  # noqa: ANN001, ANN202
        return gk.tanh(x) @ y

    def theirs_fn(x, y):  # noqa: ANN001, ANN202
        return torch.tanh(x) @ y

    ours2 = getattr(gk.func, transform)(ours_fn, argnums=(0, 1))(_gk(matrix), _gk(X))
    theirs2 = getattr(tfunc, transform)(theirs_fn, argnums=(0, 1))(_th(matrix), _th(X))
    for a, b in zip(ours2, theirs2):
        assert tuple(a.shape) == tuple(b.shape)
        _close(a, b)


@pytest.mark.parametrize("fn", SCALAR + [lambda lib, x: two_args(lib, x, x[[2, 0, 1]])])
def test_hessian_and_hvp(fn) -> None:  # noqa: ANN001
    ours = gk.func.hessian(_bind(fn, gk))(_gk(X))
    theirs = tfunc.hessian(_bind(fn, torch))(_th(X))
    _close(ours, theirs)
    v = RNG.standard_normal(3)
    value, (product,) = gk.func.hvp(_bind(fn, gk), (_gk(X),), (_gk(v),))
    _close(value, _bind(fn, torch)(_th(X)))
    _close(product, theirs @ _th(v))


def test_dict_parameters_mlp() -> None:
    shapes = {"w1": (4, 3), "b1": (4,), "w2": (1, 4)}
    params = {k: RNG.standard_normal(s) for k, s in shapes.items()}
    x = RNG.standard_normal((5, 3))

    def loss(lib, p, x):  # noqa: ANN001, ANN202
        hidden = lib.tanh(x @ p["w1"].T + p["b1"])
        return ((hidden @ p["w2"].T) ** 2).mean()

    ours = gk.func.grad(_bind(loss, gk))({k: _gk(v) for k, v in params.items()}, _gk(x))
    theirs = tfunc.grad(_bind(loss, torch))({k: _th(v) for k, v in params.items()}, _th(x))
    assert isinstance(ours, dict) and list(ours) == list(shapes)
    for k in shapes:
        _close(ours[k], theirs[k])
    jac = gk.func.jacrev(lambda p: p["w1"] @ _gk(x[0]))({k: _gk(v) for k, v in params.items()})
    t_jac = tfunc.jacrev(lambda p: p["w1"] @ _th(x[0]))({k: _th(v) for k, v in params.items()})
    for k in shapes:
        _close(jac[k], t_jac[k])


def test_compositions_agree() -> None:
    f = _bind(sin_exp, gk)
    reference = tfunc.hessian(_bind(sin_exp, torch))(_th(X))
    for outer in (gk.func.jacfwd, gk.func.jacrev):
        for inner in (gk.func.jacfwd, gk.func.jacrev):
            _close(outer(inner(f))(_gk(X)), reference)
    _close(
        gk.func.jacfwd(gk.func.jacfwd(gk.func.grad(f)))(_gk(X)),
        tfunc.jacfwd(tfunc.jacfwd(tfunc.grad(_bind(sin_exp, torch))))(_th(X)),
    )
