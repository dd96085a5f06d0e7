"""Property tests: reductions over random shapes and axes agree with NumPy's rules."""

from __future__ import annotations

import math

import hypothesis.extra.numpy as hnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import gradkit as gk

EXAMPLES = settings(max_examples=40, deadline=None)

shapes = hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4)


@st.composite
def array_and_axis(draw, dtype=np.float64):
    """A float array, and an axis spelt as None, an int (maybe negative) or a tuple."""
    shape = draw(shapes)
    data = draw(hnp.arrays(dtype, shape, elements=st.floats(-10, 10, width=64)))
    ndim = len(shape)
    axis = draw(
        st.one_of(
            st.none(),
            st.integers(-ndim, ndim - 1),
            hnp.valid_tuple_axes(ndim, min_size=1),
        )
    )
    return data, axis


def _count(shape: tuple, axis) -> int:
    if axis is None:
        return math.prod(shape)
    axes = (axis,) if isinstance(axis, int) else axis
    return math.prod(shape[a] for a in axes)


@EXAMPLES
@given(array_and_axis(), st.booleans())
def test_sum_mean_max_min_agree_with_numpy(case, keepdims):
    data, axis = case
    x = gk.tensor(data)
    for name in ("sum", "mean", "max", "min"):
        ours = getattr(gk, name)(x, axis=axis, keepdims=keepdims)
        expected = getattr(np, name)(data, axis=axis, keepdims=keepdims)
        assert ours.shape == np.shape(expected)
        np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-12, atol=1e-12)


@EXAMPLES
@given(array_and_axis(), st.booleans(), st.sampled_from([0, 1]))
def test_var_and_std_agree_with_numpy(case, keepdims, ddof):
    data, axis = case
    if _count(data.shape, axis) <= ddof:
        return  # no degrees of freedom left: covered by the NaN test in test_reduce.py
    x = gk.tensor(data)
    for name in ("var", "std"):
        ours = getattr(gk, name)(x, axis=axis, keepdims=keepdims, ddof=ddof)
        expected = getattr(np, name)(data, axis=axis, keepdims=keepdims, ddof=ddof)
        assert ours.shape == np.shape(expected)
        np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-9, atol=1e-9)


@EXAMPLES
@given(array_and_axis(), st.booleans())
def test_keepdims_keeps_every_reduced_axis_as_size_one(case, keepdims):
    data, axis = case
    x = gk.tensor(data)
    ndim = data.ndim
    reduced = (
        set(range(ndim))
        if axis is None
        else {a % ndim for a in ((axis,) if isinstance(axis, int) else axis)}
    )
    expected = tuple(
        1 if d in reduced else n for d, n in enumerate(data.shape) if keepdims or d not in reduced
    )
    for name in ("sum", "prod", "amax", "var", "logsumexp", "norm", "all"):
        out = getattr(gk, name)(x, axis=axis, keepdims=keepdims)
        assert out.shape == expected, name


@EXAMPLES
@given(array_and_axis(), st.booleans())
def test_gradient_of_sum_is_ones_and_of_mean_is_one_over_count(case, keepdims):
    data, axis = case
    x = gk.tensor(data, requires_grad=True)
    gk.sum(x, axis=axis, keepdims=keepdims).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones_like(data))
    x.grad = None
    gk.mean(x, axis=axis, keepdims=keepdims).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full_like(data, 1 / _count(data.shape, axis)))


@EXAMPLES
@given(st.data())
def test_reductions_of_broadcast_inputs(data):
    """Reducing a broadcast tensor: the gradient counts how often each element was copied."""
    target = data.draw(shapes, label="target shape")
    # a source shape that broadcasts to target: drop leading dims and squash some to size 1
    lead = data.draw(st.integers(0, len(target) - 1), label="dropped leading dims")
    source = tuple(n if data.draw(st.booleans()) else 1 for n in target[lead:])
    values = data.draw(hnp.arrays(np.float64, source, elements=st.floats(-5, 5, width=64)))
    axis = data.draw(st.one_of(st.none(), hnp.valid_tuple_axes(len(target), min_size=1)))
    x = gk.tensor(values, requires_grad=True)
    wide = gk.broadcast_to(x, target)
    out = gk.sum(wide, axis=axis)
    np.testing.assert_allclose(out.numpy(), np.broadcast_to(values, target).sum(axis=axis))
    out.sum().backward()
    copies = math.prod(target) // math.prod(source)
    np.testing.assert_array_equal(x.grad.numpy(), np.full(source, float(copies)))
    x.grad = None
    # copies tie with each other: each output's unit gradient is shared among its ties, so
    # the gradient of x still adds up to one per output element
    peak = gk.amax(gk.broadcast_to(x, target), axis=axis)
    np.testing.assert_array_equal(peak.numpy(), np.broadcast_to(values, target).max(axis=axis))
    peak.sum().backward()
    np.testing.assert_allclose(x.grad.numpy().sum(), peak.numpy().size)


@EXAMPLES
@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
        elements=st.sampled_from([0.0, 0.5, -1.5, 2.0, 3.0]),
    ),
    st.data(),
)
def test_prod_gradient_is_the_product_of_the_others(values, data):
    axis = data.draw(st.integers(-values.ndim, values.ndim - 1))
    x = gk.tensor(values, requires_grad=True)
    gk.prod(x, axis=axis).sum().backward()
    moved = np.moveaxis(values, axis, -1)
    expected = np.stack(
        [np.prod(np.delete(moved, i, axis=-1), axis=-1) for i in range(moved.shape[-1])], axis=-1
    )
    np.testing.assert_allclose(x.grad.numpy(), np.moveaxis(expected, -1, axis))
