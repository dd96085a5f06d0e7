"""conv1d / conv2d / conv_transpose2d: finite differences (1st and 2nd order), PyTorch values
and gradients over the options, dtypes, and errors."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk
from gradkit.nn import functional as F
from gradkit.testing import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:Using padding=.same.:UserWarning")
TF = torch.nn.functional


def _pair_tensors(*arrays, dtype=np.float64):
    ours = [gk.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    return ours, theirs


def _compare(ours_fn, torch_fn, arrays, dtype, tol):
    rng = np.random.default_rng(1)
    ours, theirs = _pair_tensors(*arrays, dtype=dtype)
    y, ty = ours_fn(*ours), torch_fn(*theirs)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
    g = rng.standard_normal(tuple(ty.shape)).astype(dtype)
    y.backward(gk.tensor(g))
    ty.backward(torch.tensor(g))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=tol, atol=tol)
        assert a.grad.dtype == np.dtype(dtype)
    assert y.dtype == np.dtype(dtype)


CONV2D_CASES = [
    # (N, C, H, W), (O, C/g, kh, kw), kwargs
    ((2, 3, 7, 6), (4, 3, 3, 3), dict(stride=1, padding=1)),
    ((2, 4, 8, 7), (6, 2, 3, 2), dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)),
    ((1, 2, 6, 6), (2, 2, 2, 2), dict(padding="same", dilation=2)),
    ((2, 3, 5, 5), (2, 3, 4, 3), dict(padding="same")),  # even kernel: asymmetric padding
    ((2, 6, 9, 9), (6, 1, 3, 3), dict(stride=3, padding="valid", groups=6)),
]


@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-4), (np.float64, 1e-10)])
@pytest.mark.parametrize("x_shape,w_shape,kwargs", CONV2D_CASES)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d_matches_torch(x_shape, w_shape, kwargs, bias, dtype, tol):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(x_shape), rng.standard_normal(w_shape)]
    if bias:
        arrays.append(rng.standard_normal(w_shape[0]))
    _compare(
        lambda *t: F.conv2d(*t, **kwargs), lambda *t: TF.conv2d(*t, **kwargs), arrays, dtype, tol
    )


@pytest.mark.parametrize("x_shape,w_shape,kwargs", CONV2D_CASES[:3])
def test_conv2d_gradcheck_and_gradgradcheck(x_shape, w_shape, kwargs):
    rng = np.random.default_rng(0)
    x = gk.tensor(rng.standard_normal((1,) + x_shape[1:3] + (4,)), requires_grad=True)
    w = gk.tensor(rng.standard_normal(w_shape), requires_grad=True)
    b = gk.tensor(rng.standard_normal(w_shape[0]), requires_grad=True)

    def fn(x, w, b):
        return F.conv2d(x, w, b, **kwargs)

    assert gradcheck(fn, (x, w, b))
    assert gradgradcheck(fn, (x, w, b))


def test_conv2d_third_derivative_exists():
    # y = sum(conv(x, w)^2): d3y/dx3 = 0, but taking it must work (any order is supported)
    rng = np.random.default_rng(0)
    x = gk.tensor(rng.standard_normal((1, 1, 4, 4)), requires_grad=True)
    w = gk.tensor(rng.standard_normal((1, 1, 2, 2)), requires_grad=True)
    y = (F.conv2d(x, w) ** 3).sum()
    (gx,) = gk.autograd.grad(y, [x], create_graph=True)
    (gxx,) = gk.autograd.grad(gx.sum(), [w], create_graph=True)
    (g3,) = gk.autograd.grad(gxx.sum(), [x])
    tx = torch.tensor(x.numpy(), requires_grad=True)
    tw = torch.tensor(w.numpy(), requires_grad=True)
    ty = (TF.conv2d(tx, tw) ** 3).sum()
    (tgx,) = torch.autograd.grad(ty, [tx], create_graph=True)
    (tgxx,) = torch.autograd.grad(tgx.sum(), [tw], create_graph=True)
    (tg3,) = torch.autograd.grad(tgxx.sum(), [tx])
    np.testing.assert_allclose(g3.numpy(), tg3.numpy(), rtol=1e-9, atol=1e-9)


def test_conv2d_unbatched_input():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((3, 5, 5)), rng.standard_normal((2, 3, 3, 3))
    y = F.conv2d(gk.tensor(x), gk.tensor(w), padding=1)
    assert y.shape == (2, 5, 5)
    np.testing.assert_allclose(
        y.numpy(), TF.conv2d(torch.tensor(x), torch.tensor(w), padding=1).numpy(), atol=1e-12
    )


CONV1D_CASES = [
    ((2, 3, 9), (4, 3, 3), dict(stride=2, padding=1)),
    ((2, 4, 8), (4, 2, 2), dict(padding="same", dilation=3, groups=2)),
]


@pytest.mark.parametrize("x_shape,w_shape,kwargs", CONV1D_CASES)
def test_conv1d_matches_torch_and_gradchecks(x_shape, w_shape, kwargs):
    rng = np.random.default_rng(0)
    arrays = [
        rng.standard_normal(x_shape),
        rng.standard_normal(w_shape),
        rng.standard_normal(w_shape[0]),
    ]
    _compare(
        lambda *t: F.conv1d(*t, **kwargs),
        lambda *t: TF.conv1d(*t, **kwargs),
        arrays,
        np.float64,
        1e-10,
    )
    small = [gk.tensor(a, requires_grad=True) for a in arrays]
    assert gradcheck(lambda *t: F.conv1d(*t, **kwargs), small)
    assert gradgradcheck(lambda *t: F.conv1d(*t, **kwargs), small)


CONVT_CASES = [
    ((2, 4, 3, 3), (4, 3, 3, 3), dict(stride=2, padding=1, output_padding=1)),
    ((1, 4, 3, 4), (4, 1, 2, 3), dict(stride=(1, 2), groups=2, dilation=(2, 1))),
    ((2, 2, 2, 3), (2, 3, 3, 2), dict(stride=3, padding=(1, 0), output_padding=(2, 0))),
    ((1, 2, 3, 3), (2, 2, 3, 3), dict(stride=1, dilation=2, padding=1, output_padding=1)),
]


@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-4), (np.float64, 1e-10)])
@pytest.mark.parametrize("x_shape,w_shape,kwargs", CONVT_CASES)
def test_conv_transpose2d_matches_torch(x_shape, w_shape, kwargs, dtype, tol):
    rng = np.random.default_rng(0)
    out_channels = w_shape[1] * kwargs.get("groups", 1)
    arrays = [
        rng.standard_normal(x_shape),
        rng.standard_normal(w_shape),
        rng.standard_normal(out_channels),
    ]
    _compare(
        lambda *t: F.conv_transpose2d(*t, **kwargs),
        lambda *t: TF.conv_transpose2d(*t, **kwargs),
        arrays,
        dtype,
        tol,
    )


@pytest.mark.parametrize("x_shape,w_shape,kwargs", CONVT_CASES[:2])
def test_conv_transpose2d_gradcheck_and_gradgradcheck(x_shape, w_shape, kwargs):
    rng = np.random.default_rng(0)
    out_channels = w_shape[1] * kwargs.get("groups", 1)
    inputs = [
        gk.tensor(rng.standard_normal(s), requires_grad=True)
        for s in ((1,) + x_shape[1:], w_shape, (out_channels,))
    ]
    assert gradcheck(lambda *t: F.conv_transpose2d(*t, **kwargs), inputs)
    assert gradgradcheck(lambda *t: F.conv_transpose2d(*t, **kwargs), inputs)


def test_conv2d_float32_stays_float32_with_no_grad():
    x = gk.randn(2, 3, 5, 5)
    w = gk.randn(4, 3, 3, 3)
    with gk.no_grad():
        assert F.conv2d(x, w, padding=1).dtype == np.float32


@pytest.mark.parametrize(
    "x_shape,w_shape,kwargs,match",
    [
        ((2, 4, 5, 5), (3, 3, 3, 3), {}, r"conv2d: expected input with 3 channels.*got 4"),
        (
            (5, 5),
            (3, 1, 3, 3),
            {},
            r"conv2d: expected 3-D .* or 4-D .* got input of shape \(5, 5\)",
        ),
        ((1, 1, 1, 2, 2), (3, 1, 3, 3), {}, r"conv2d: expected 3-D"),
        ((1, 1, 2, 2), (3, 1, 3, 3), {}, r"conv2d: the \(dilated\) kernel size 3x3"),
        ((1, 1, 5, 5), (3, 1, 3, 3), dict(padding="same", stride=2), r"conv2d: padding='same'"),
        ((1, 4, 5, 5), (3, 2, 3, 3), dict(groups=2), r"conv2d: out_channels \(3\) must be"),
    ],
)
def test_conv2d_bad_input(x_shape, w_shape, kwargs, match):
    x = gk.zeros(*x_shape)
    w = gk.zeros(*w_shape)
    with pytest.raises(ValueError, match=match):
        F.conv2d(x, w, **kwargs)


def test_conv_transpose2d_bad_output_padding():
    with pytest.raises(ValueError, match="conv_transpose2d: output_padding"):
        F.conv_transpose2d(gk.zeros(1, 2, 3, 3), gk.zeros(2, 2, 3, 3), stride=2, output_padding=2)


def test_conv2d_dtype_mismatch():
    with pytest.raises(TypeError, match="conv2d: expected all tensors to have the same dtype"):
        F.conv2d(gk.zeros(1, 1, 3, 3), gk.zeros(1, 1, 2, 2, dtype=gk.float64))
