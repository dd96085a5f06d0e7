"""max/avg/adaptive pooling: PyTorch values and gradients over the options, finite
differences (1st and 2nd order), return_indices, dtypes, errors."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk
from gradkit.nn import functional as F
from gradkit.testing import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _compare(ours_fn, torch_fn, x, dtype=np.float64, tol=None):
    tol = tol or (1e-6 if dtype == np.float32 else 1e-12)
    gx = gk.tensor(x.astype(dtype), requires_grad=True)
    tx = torch.tensor(x.astype(dtype), requires_grad=True)
    y, ty = ours_fn(gx), torch_fn(tx)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
    g = np.random.default_rng(3).standard_normal(tuple(ty.shape)).astype(dtype)
    y.backward(gk.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=tol, atol=tol)
    assert y.dtype == gx.grad.dtype == np.dtype(dtype)


MAX_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), dilation=(2, 1)),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=2, stride=3, ceil_mode=True),
]


@pytest.mark.parametrize("kwargs", MAX_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool2d_matches_torch(kwargs, dtype):
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 8))
    _compare(lambda t: F.max_pool2d(t, **kwargs), lambda t: TF.max_pool2d(t, **kwargs), x, dtype)


def test_max_pool2d_ties_go_to_the_first_maximum_like_torch():
    x = np.zeros((1, 1, 4, 4))
    _compare(lambda t: F.max_pool2d(t, 2), lambda t: TF.max_pool2d(t, 2), x)


@pytest.mark.parametrize("kwargs", MAX_CASES[1:4])
def test_max_pool2d_return_indices(kwargs):
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 8))
    y, idx = F.max_pool2d(gk.tensor(x), return_indices=True, **kwargs)
    ty, tidx = TF.max_pool2d(torch.tensor(x), return_indices=True, **kwargs)
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())


AVG_CASES = [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=(3, 2), stride=(2, 3), padding=(1, 1), ceil_mode=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=2, divisor_override=3),
]


@pytest.mark.parametrize("kwargs", AVG_CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_avg_pool2d_matches_torch(kwargs, dtype):
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 8))
    tol = 1e-6 if dtype == np.float32 else 1e-12
    _compare(
        lambda t: F.avg_pool2d(t, **kwargs), lambda t: TF.avg_pool2d(t, **kwargs), x, dtype, tol
    )


@pytest.mark.parametrize("size", [(2, 3), 1, (4, None), (3, 5)])
def test_adaptive_avg_pool2d_matches_torch(size):
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 5))
    _compare(lambda t: F.adaptive_avg_pool2d(t, size), lambda t: TF.adaptive_avg_pool2d(t, size), x)


def test_pool1d_matches_torch():
    x = np.random.default_rng(0).standard_normal((2, 3, 9))
    _compare(lambda t: F.max_pool1d(t, 3, 2, 1), lambda t: TF.max_pool1d(t, 3, 2, 1), x)
    _compare(lambda t: F.avg_pool1d(t, 3, 2, 1), lambda t: TF.avg_pool1d(t, 3, 2, 1), x)


@pytest.mark.parametrize(
    "fn",
    [
        lambda t: F.max_pool2d(t, 2, 1, ceil_mode=True),
        lambda t: F.max_pool2d(t, 3, 2, 1, dilation=1),
        lambda t: F.avg_pool2d(t, 3, 2, 1, ceil_mode=True, count_include_pad=False),
        lambda t: F.adaptive_avg_pool2d(t, (2, 3)),
    ],
)
def test_pooling_gradcheck_and_gradgradcheck(fn):
    # distinct values keep the max away from ties, where it is not differentiable
    x = np.random.default_rng(0).permutation(30).reshape(1, 2, 3, 5) / 7.0
    x = gk.tensor(x, requires_grad=True)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_pooling_unbatched_input():
    x = np.random.default_rng(0).standard_normal((3, 6, 6))
    y = F.max_pool2d(gk.tensor(x), 2)
    np.testing.assert_allclose(y.numpy(), TF.max_pool2d(torch.tensor(x), 2).numpy())


@pytest.mark.parametrize(
    "call,match",
    [
        (
            lambda: F.max_pool2d(gk.zeros(4, 4), 2),
            r"max_pool2d: expected 3-D .* got input of shape",
        ),
        (lambda: F.max_pool2d(gk.zeros(1, 1, 4, 4), 2, padding=2), "max_pool2d: padding should be"),
        (lambda: F.avg_pool2d(gk.zeros(1, 1, 2, 2), 3), "avg_pool2d: the kernel is larger"),
        (lambda: F.adaptive_avg_pool2d(gk.zeros(1, 1, 2, 2), 0), "adaptive_avg_pool2d: expected a"),
    ],
)
def test_pooling_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
