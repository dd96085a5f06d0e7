"""nn.init: PyTorch's formulas (bounds, std), checked statistically, and seeding."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradkit as gk
from gradkit.nn import init

torch = pytest.importorskip("torch")


@pytest.mark.parametrize(
    "nonlinearity, param",
    [
        ("linear", None),
        ("conv2d", None),
        ("sigmoid", None),
        ("tanh", None),
        ("relu", None),
        ("leaky_relu", None),
        ("leaky_relu", 0.2),
        ("selu", None),
    ],
)
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param)
    )


def _uniform_bound(values):
    return np.abs(values).max()


@pytest.mark.parametrize("shape", [(256, 300), (64, 32, 3, 3)])
@pytest.mark.parametrize("dtype", [gk.float32, gk.float64])
def test_uniform_schemes_fill_their_pytorch_interval(shape, dtype):
    t = gk.empty(*shape, dtype=dtype)
    fan_in = shape[1] * math.prod(shape[2:])
    fan_out = shape[0] * math.prod(shape[2:])
    cases = [
        (lambda: init.xavier_uniform_(t, gain=2.0), 2.0 * math.sqrt(6 / (fan_in + fan_out))),
        (lambda: init.kaiming_uniform_(t, a=math.sqrt(5)), math.sqrt(6 / ((1 + 5) * fan_in))),
        (
            lambda: init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu"),
            math.sqrt(6 / fan_out),
        ),
        (lambda: init.uniform_(t, -0.3, 0.3), 0.3),
    ]
    for fill, bound in cases:
        out = fill()
        assert out is t and t.dtype == dtype
        values = t.numpy()
        assert _uniform_bound(values) <= bound
        assert _uniform_bound(values) > 0.99 * bound
        assert values.std() == pytest.approx(bound / math.sqrt(3), rel=0.03)
        assert abs(values.mean()) < 0.03 * bound


@pytest.mark.parametrize("shape", [(256, 300), (64, 32, 3, 3)])
def test_normal_schemes_have_pytorch_std(shape):
    t = gk.empty(*shape)
    fan_in = shape[1] * math.prod(shape[2:])
    fan_out = shape[0] * math.prod(shape[2:])
    cases = [
        (lambda: init.xavier_normal_(t), math.sqrt(2 / (fan_in + fan_out))),
        (lambda: init.kaiming_normal_(t, nonlinearity="relu"), math.sqrt(2 / fan_in)),
        (
            lambda: init.kaiming_normal_(t, a=0.1, mode="fan_out"),
            math.sqrt(2 / (1 + 0.01)) / math.sqrt(fan_out),
        ),
        (lambda: init.normal_(t, 0.0, 0.02), 0.02),
    ]
    for fill, std in cases:
        fill()
        values = t.numpy()
        assert values.std() == pytest.approx(std, rel=0.03)
        assert abs(values.mean()) < 0.03 * std
        # a Gaussian: about 68.3% within one std
        assert np.mean(np.abs(values) < std) == pytest.approx(0.683, abs=0.02)


def test_trunc_normal_stays_in_bounds():
    t = init.trunc_normal_(gk.empty(200, 200), std=1.0, a=-0.5, b=1.5)
    assert t.numpy().min() >= -0.5 and t.numpy().max() <= 1.5


@pytest.mark.parametrize("shape", [(30, 50), (50, 30), (8, 4, 3, 3)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    t = init.orthogonal_(gk.empty(*shape, dtype=gk.float64), gain=2.0)
    flat = t.numpy().reshape(shape[0], -1) / 2.0
    small = min(flat.shape)
    product = flat @ flat.T if flat.shape[0] == small else flat.T @ flat
    np.testing.assert_allclose(product, np.eye(small), atol=1e-10)


def test_constant_family_and_eye():
    t = gk.empty(3, 4)
    assert np.all(init.zeros_(t).numpy() == 0)
    assert np.all(init.ones_(t).numpy() == 1)
    assert np.all(init.constant_(t, 2.5).numpy() == 2.5)
    np.testing.assert_array_equal(init.eye_(t).numpy(), np.eye(3, 4))


def test_manual_seed_makes_draws_reproducible_and_no_graph_is_recorded():
    p = gk.nn.Parameter(gk.empty(5, 6))
    gk.manual_seed(123)
    init.kaiming_uniform_(p)
    first = p.numpy().copy()
    gk.manual_seed(123)
    init.kaiming_uniform_(p)
    np.testing.assert_array_equal(first, p.numpy())
    assert p.is_leaf and p.requires_grad and p.grad_fn is None


def test_bad_arguments():
    with pytest.raises(ValueError, match="fewer than 2 dims"):
        init.xavier_uniform_(gk.empty(5))
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_normal_(gk.empty(2, 2), mode="fan_avg")
    with pytest.raises(ValueError, match="nonlinearity"):
        init.kaiming_normal_(gk.empty(2, 2), nonlinearity="swish")
    with pytest.raises(ValueError, match="uniform_"):
        init.uniform_(gk.empty(2), 1.0, 0.0)
