"""Linear, Conv1d, Conv2d, ConvTranspose2d and the pooling modules against PyTorch with the
same parameters; PyTorch's default initialisation; errors that name the layer."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk
from gradkit import nn

torch = pytest.importorskip("torch")


def _copy(source, target):
    assert list(source.state_dict()) == list(target.state_dict())
    for ours, theirs in zip(target.state_dict().values(), source.state_dict().values()):
        ours.data[...] = theirs.detach().numpy()


def _check_module(t_mod, g_mod, x, tol=1e-5):
    _copy(t_mod, g_mod)
    tx, gx = torch.tensor(x, requires_grad=True), gk.tensor(x, requires_grad=True)
    ty, gy = t_mod(tx), g_mod(gx)
    np.testing.assert_allclose(gy.numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
    g = np.random.default_rng(2).standard_normal(tuple(ty.shape)).astype(x.dtype)
    ty.backward(torch.tensor(g))
    gy.backward(gk.tensor(g))
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=tol, atol=tol)
    for ours, theirs in zip(g_mod.parameters(), t_mod.parameters()):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=tol, atol=tol)
        assert ours.grad.dtype == np.float32
    assert gy.dtype == np.float32


def _x(*shape):
    return np.random.default_rng(0).standard_normal(shape).astype(np.float32)


@pytest.mark.parametrize(
    "args,kwargs,x_shape",
    [
        ((3, 8, 3), dict(padding=1), (2, 3, 6, 6)),
        ((4, 6, (3, 2)), dict(stride=2, padding="valid", groups=2, bias=False), (2, 4, 7, 7)),
        ((2, 4, 3), dict(padding="same", dilation=2), (1, 2, 5, 6)),
    ],
)
def test_conv2d_module(args, kwargs, x_shape):
    _check_module(torch.nn.Conv2d(*args, **kwargs), nn.Conv2d(*args, **kwargs), _x(*x_shape))


def test_conv1d_and_conv_transpose2d_modules():
    _check_module(
        torch.nn.Conv1d(3, 4, 3, stride=2, padding=1),
        nn.Conv1d(3, 4, 3, stride=2, padding=1),
        _x(2, 3, 9),
    )
    kw = dict(stride=2, padding=1, output_padding=1, groups=2)
    _check_module(
        torch.nn.ConvTranspose2d(4, 6, 3, **kw), nn.ConvTranspose2d(4, 6, 3, **kw), _x(2, 4, 3, 3)
    )


def test_linear_module():
    _check_module(torch.nn.Linear(5, 3), nn.Linear(5, 3), _x(4, 2, 5))


@pytest.mark.parametrize(
    "t_mod,g_mod",
    [
        (torch.nn.MaxPool2d(3, 2, 1, ceil_mode=True), nn.MaxPool2d(3, 2, 1, ceil_mode=True)),
        (
            torch.nn.AvgPool2d(2, count_include_pad=False, padding=1),
            nn.AvgPool2d(2, count_include_pad=False, padding=1),
        ),
        (torch.nn.AdaptiveAvgPool2d((2, 3)), nn.AdaptiveAvgPool2d((2, 3))),
    ],
)
def test_pooling_modules(t_mod, g_mod):
    _check_module(t_mod, g_mod, _x(2, 3, 7, 7), tol=1e-6)


@pytest.mark.parametrize(
    "make,fan_in",
    [
        (lambda: nn.Linear(200, 300), 200),
        (lambda: nn.Conv2d(16, 64, 3), 16 * 9),
        (lambda: nn.ConvTranspose2d(16, 64, 3), 64 * 9),
        (lambda: nn.Conv1d(8, 128, 5), 40),
    ],
)
def test_default_initialisation_is_pytorchs(make, fan_in):
    layer = make()
    bound = 1 / np.sqrt(fan_in)
    w, b = layer.weight.numpy(), layer.bias.numpy()
    assert np.abs(w).max() <= bound and np.abs(b).max() <= bound
    # U(-bound, bound) has std bound/sqrt(3)
    assert abs(w.std() - bound / np.sqrt(3)) < 0.05 * bound
    assert w.dtype == np.float32


@pytest.mark.parametrize(
    "call,match",
    [
        (
            lambda: nn.Linear(5, 3)(gk.zeros(2, 4)),
            r"Linear\(5, 3\): expected input with last dim in_features=5, got input of "
            r"shape \(2, 4\)",
        ),
        (
            lambda: nn.Conv2d(3, 8, 3)(gk.zeros(2, 4, 8, 8)),
            r"Conv2d\(3, 8, .*\): expected input with 3 channels.*got 4 channels",
        ),
        (lambda: nn.Conv2d(3, 8, 3)(gk.zeros(8, 8)), r"Conv2d\(3, 8.*expected 3-D .* or 4-D"),
        (lambda: nn.Conv2d(3, 8, 3)(gk.zeros(1, 1, 3, 8, 8)), r"Conv2d\(3, 8.*got input of shape"),
        (
            lambda: nn.Conv2d(3, 8, 5)(gk.zeros(1, 3, 4, 4)),
            r"Conv2d\(3, 8.*kernel size 5x5 .*larger",
        ),
        (lambda: nn.Conv2d(3, 8, 3, groups=2), "Conv2d: in_channels"),
        (lambda: nn.MaxPool2d(2)(gk.zeros(4)), r"MaxPool2d\(.*\): expected 3-D"),
    ],
)
def test_layer_errors_name_the_layer(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_conv2d_accepts_unbatched_input():
    layer = nn.Conv2d(3, 4, 3, padding=1)
    assert layer(gk.randn(3, 5, 5)).shape == (4, 5, 5)
