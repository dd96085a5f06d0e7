"""Property tests: binary arithmetic over random broadcast-compatible (and incompatible) shape
pairs agrees with NumPy, and gradients come back reduced to each input's shape."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import gradkit as gk


def _np_sum_to(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Independent reference for reducing a broadcast gradient to ``shape``."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


# op -> (gradkit fn, numpy fn, d(out)/da and d(out)/db given a, b as NumPy arrays)
OPS: dict[str, tuple[Callable, Callable, Callable]] = {
    "add": (gk.add, np.add, lambda a, b: (np.ones_like(a * b), np.ones_like(a * b))),
    "sub": (gk.sub, np.subtract, lambda a, b: (np.ones_like(a * b), -np.ones_like(a * b))),
    "mul": (gk.mul, np.multiply, lambda a, b: (b + 0 * a, a + 0 * b)),
    "div": (gk.div, np.divide, lambda a, b: (1 / b + 0 * a, -a / (b * b))),
}


def _arrays(shapes: tuple, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shapes[0]).astype(np.float32)
    b = rng.standard_normal(shapes[1]).astype(np.float32)
    b = np.sign(b) * (0.5 + np.abs(b)) + (b == 0)  # keep divisors away from zero
    return a, b.astype(np.float32)


@pytest.mark.parametrize("op", sorted(OPS))
@settings(max_examples=40, deadline=None)
@given(
    shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=4),
    seed=st.integers(0, 2**16),
)
def test_broadcast_values_and_grads_match_numpy(op: str, shapes, seed: int) -> None:
    gk_fn, np_fn, partials = OPS[op]
    a, b = _arrays(shapes.input_shapes, seed)
    x = gk.tensor(a, requires_grad=True)
    y = gk.tensor(b, requires_grad=True)
    out = gk_fn(x, y)
    expected = np_fn(a, b)
    assert out.shape == shapes.result_shape == expected.shape
    assert out.dtype == gk.float32
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6, atol=1e-6)

    upstream = np.random.default_rng(seed + 1).standard_normal(out.shape).astype(np.float32)
    out.backward(gk.tensor(upstream))
    da, db = partials(a, b)
    for tensor, array, partial in ((x, a, da), (y, b, db)):
        assert tensor.grad.shape == array.shape and tensor.grad.dtype == gk.float32
        reference = _np_sum_to(upstream * partial, array.shape)
        np.testing.assert_allclose(tensor.grad.numpy(), reference, rtol=1e-4, atol=1e-5)


@st.composite
def incompatible_pairs(draw: st.DrawFn) -> tuple[tuple, tuple]:
    """Two shapes with one aligned dim of different sizes, neither of them 1."""
    a = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    b = list(a[-draw(st.integers(1, len(a))) :])
    b = [draw(st.sampled_from([1, n])) for n in b]
    pos = draw(st.integers(1, len(b)))
    if a[-pos] == 1:
        a[-pos] = draw(st.integers(2, 4))
    b[-pos] = draw(st.integers(2, 5).filter(lambda n: n != a[-pos]))
    lead = draw(st.lists(st.integers(1, 3), max_size=2))
    shapes = (tuple(a), tuple(lead + b))
    return shapes if draw(st.booleans()) else shapes[::-1]


@pytest.mark.parametrize("op", sorted(OPS))
@settings(max_examples=30, deadline=None)
@given(shapes=incompatible_pairs())
def test_incompatible_shapes_raise_naming_the_op(op: str, shapes: tuple) -> None:
    with pytest.raises(ValueError):
        np.broadcast_shapes(*shapes)  # the strategy really makes incompatible pairs
    x = gk.ones(*shapes[0], requires_grad=True)
    y = gk.ones(*shapes[1], requires_grad=True)
    with pytest.raises(ValueError, match=op):
        OPS[op][0](x, y)
