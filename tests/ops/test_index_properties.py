"""Property tests: random shapes with random valid basic and advanced indices give NumPy's
values, and the gradient is NumPy's np.add.at scatter of the upstream gradient."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import gradkit as gk


@st.composite
def _basic_item(draw: st.DrawFn, size: int) -> Any:
    kind = draw(st.sampled_from(["int", "slice", "full"]))
    if kind == "int":
        return draw(st.integers(-size, size - 1))
    if kind == "full":
        return slice(None)
    start = draw(st.none() | st.integers(-size - 1, size + 1))
    stop = draw(st.none() | st.integers(-size - 1, size + 1))
    step = draw(st.sampled_from([None, 1, 2, 3, -1, -2]))
    return slice(start, stop, step)


@st.composite
def shape_and_index(draw: st.DrawFn) -> tuple[tuple, Any]:
    """A shape and an index mixing ints, slices (any step), None, Ellipsis, integer arrays
    (with repeats, negative entries and broadcasting) and boolean masks."""
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    mode = draw(st.sampled_from(["basic", "arrays", "mask"]))
    n_indexed = draw(st.integers(1, len(shape)))
    items: list[Any] = []
    if mode == "mask":
        # one mask over a run of leading dims, then basic items
        mask_dims = draw(st.integers(1, n_indexed))
        mask_shape = shape[:mask_dims]
        mask = np.array(
            draw(
                st.lists(
                    st.booleans(),
                    min_size=int(np.prod(mask_shape)),
                    max_size=int(np.prod(mask_shape)),
                )
            )
        ).reshape(mask_shape)
        items.append(mask)
        items += [draw(_basic_item(n)) for n in shape[mask_dims:n_indexed]]
    else:
        # all integer arrays share one broadcastable length so they index together
        length = draw(st.integers(1, 4))
        for n in shape[:n_indexed]:
            if mode == "arrays" and draw(st.booleans()):
                values = draw(st.lists(st.integers(-n, n - 1), min_size=length, max_size=length))
                items.append(
                    np.array(values).reshape(draw(st.sampled_from([(length,), (1, length)])))
                )
            else:
                items.append(draw(_basic_item(n)))
    for _ in range(draw(st.integers(0, 2))):
        items.insert(draw(st.integers(0, len(items))), None)
    if draw(st.booleans()):
        # Ellipsis moves the items after it to the trailing dims, so it may sit anywhere only
        # when every dim is indexed
        where = draw(st.integers(0, len(items))) if n_indexed == len(shape) else len(items)
        items.insert(where, Ellipsis)
    return shape, tuple(items)


def _as_gradkit(index: tuple, as_tensor: bool) -> tuple:
    return tuple(gk.tensor(i) if as_tensor and isinstance(i, np.ndarray) else i for i in index)


@settings(max_examples=50, deadline=None)
@given(case=shape_and_index(), as_tensor=st.booleans(), seed=st.integers(0, 2**16))
def test_getitem_matches_numpy_and_scatters_grad(case: tuple, as_tensor: bool, seed: int) -> None:
    shape, index = case
    rng = np.random.default_rng(seed)
    data = rng.standard_normal(shape)
    x = gk.tensor(data, dtype="float64", requires_grad=True)
    out = x[_as_gradkit(index, as_tensor)]
    expected = data[index]
    assert out.shape == np.shape(expected)
    np.testing.assert_array_equal(out.numpy(), expected)

    upstream = rng.standard_normal(out.shape)
    out.backward(gk.tensor(upstream, dtype="float64"))
    reference = np.zeros(shape)
    np.add.at(reference, index, upstream)
    assert x.grad.shape == shape
    np.testing.assert_allclose(x.grad.numpy(), reference, rtol=1e-12, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(case=shape_and_index(), seed=st.integers(0, 2**16))
def test_setitem_matches_numpy_assignment(case: tuple, seed: int) -> None:
    shape, index = case
    rng = np.random.default_rng(seed)
    data = rng.standard_normal(shape)
    value_shape = np.shape(data[index])
    value = rng.standard_normal(value_shape[-1:] if value_shape else ())
    base = gk.tensor(data, dtype="float64", requires_grad=True)
    x = base * 1.0
    x[_as_gradkit(index, True)] = gk.tensor(value, dtype="float64")
    expected = data.copy()
    expected[index] = value
    np.testing.assert_array_equal(x.detach().numpy(), expected)
    x.sum().backward()
    untouched = np.ones(shape)
    untouched[index] = 0.0
    np.testing.assert_array_equal(base.grad.numpy(), untouched)
