"""batch_norm / layer_norm / group_norm: PyTorch values and gradients, finite differences
(1st and 2nd order), running statistics, dtypes, errors."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk
from gradkit.nn import functional as F
from gradkit.testing import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _both(*arrays, dtype=np.float64):
    return (
        [gk.tensor(a.astype(dtype), requires_grad=True) for a in arrays],
        [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays],
    )


def _check_against_torch(ours_fn, torch_fn, arrays, dtype):
    tol = 1e-5 if dtype == np.float32 else 1e-10
    ours, theirs = _both(*arrays, dtype=dtype)
    y, ty = ours_fn(*ours), torch_fn(*theirs)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
    g = np.random.default_rng(5).standard_normal(tuple(ty.shape)).astype(dtype)
    y.backward(gk.tensor(g))
    ty.backward(torch.tensor(g))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=tol, atol=tol)
        assert a.grad.dtype == np.dtype(dtype)
    assert y.dtype == np.dtype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(4, 3), (3, 2, 5), (2, 3, 4, 3)])
def test_batch_norm_training_matches_torch(shape, dtype):
    rng = np.random.default_rng(0)
    c = shape[1]
    arrays = [rng.standard_normal(shape) * 2 + 1, rng.standard_normal(c), rng.standard_normal(c)]
    rm, rv = np.zeros(c), np.ones(c)
    ours_rm, ours_rv = gk.tensor(rm.astype(dtype)), gk.tensor(rv.astype(dtype))
    t_rm, t_rv = torch.tensor(rm.astype(dtype)), torch.tensor(rv.astype(dtype))
    _check_against_torch(
        lambda x, w, b: F.batch_norm(x, ours_rm, ours_rv, w, b, training=True, momentum=0.3),
        lambda x, w, b: TF.batch_norm(x, t_rm, t_rv, w, b, training=True, momentum=0.3),
        arrays,
        dtype,
    )
    np.testing.assert_allclose(ours_rm.numpy(), t_rm.numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours_rv.numpy(), t_rv.numpy(), rtol=1e-6)
    assert ours_rm.dtype == np.dtype(dtype)


def test_batch_norm_eval_uses_running_statistics():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((4, 3, 2)), rng.standard_normal(3), rng.standard_normal(3)
    rm, rv = rng.standard_normal(3), rng.random(3) + 0.5
    _check_against_torch(
        lambda x, w, b: F.batch_norm(x, gk.tensor(rm), gk.tensor(rv), w, b, training=False),
        lambda x, w, b: TF.batch_norm(x, torch.tensor(rm), torch.tensor(rv), w, b, training=False),
        [x, w, b],
        np.float64,
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,normalized", [((4, 5), (5,)), ((2, 3, 4), (3, 4))])
def test_layer_norm_matches_torch(shape, normalized, dtype):
    rng = np.random.default_rng(0)
    arrays = [
        rng.standard_normal(shape),
        rng.standard_normal(normalized),
        rng.standard_normal(normalized),
    ]
    _check_against_torch(
        lambda x, w, b: F.layer_norm(x, normalized, w, b),
        lambda x, w, b: TF.layer_norm(x, normalized, w, b),
        arrays,
        dtype,
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,groups", [((2, 6, 3, 2), 3), ((3, 4), 2), ((2, 4, 5), 1)])
def test_group_norm_matches_torch(shape, groups, dtype):
    rng = np.random.default_rng(0)
    c = shape[1]
    arrays = [rng.standard_normal(shape), rng.standard_normal(c), rng.standard_normal(c)]
    _check_against_torch(
        lambda x, w, b: F.group_norm(x, groups, w, b),
        lambda x, w, b: TF.group_norm(x, groups, w, b),
        arrays,
        dtype,
    )


@pytest.mark.parametrize(
    "fn,shape,param",
    [
        (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), (3, 2, 2), 2),
        (lambda x, w, b: F.layer_norm(x, (3,), w, b), (2, 3), 3),
        (lambda x, w, b: F.group_norm(x, 2, w, b), (2, 4, 2), 4),
    ],
)
def test_norms_gradcheck_and_gradgradcheck(fn, shape, param):
    rng = np.random.default_rng(0)
    inputs = [
        gk.tensor(rng.standard_normal(s), requires_grad=True) for s in (shape, (param,), (param,))
    ]
    assert gradcheck(fn, inputs)
    assert gradgradcheck(fn, inputs)


def test_norm_without_affine():
    x = np.random.default_rng(0).standard_normal((3, 4))
    y = F.layer_norm(gk.tensor(x), (4,))
    np.testing.assert_allclose(y.numpy(), TF.layer_norm(torch.tensor(x), (4,)).numpy(), atol=1e-12)


@pytest.mark.parametrize(
    "call,match",
    [
        (
            lambda: F.batch_norm(gk.zeros(1, 3), None, None, training=True),
            "batch_norm: expected more than 1 value per channel",
        ),
        (
            lambda: F.batch_norm(gk.zeros(2, 3), gk.zeros(4), gk.ones(4)),
            r"batch_norm: expected running_mean of shape \(3,\)",
        ),
        (lambda: F.layer_norm(gk.zeros(2, 3), (4,)), "layer_norm: expected input whose trailing"),
        (lambda: F.group_norm(gk.zeros(2, 6), 4), "group_norm: expected the number of channels"),
    ],
)
def test_norms_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
