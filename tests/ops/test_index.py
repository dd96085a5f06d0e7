"""Indexing, x[idx] = v, and the axis-wise pickers/scatters: values and gradients against
NumPy and PyTorch, finite differences, dtypes, views and errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import gradkit as gk
from gradkit.testing import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")

SHAPE = (3, 4, 5)
_MASK0 = np.array([True, False, True])
_MASK01 = np.random.default_rng(5).random((3, 4)) > 0.5


def _index_cases() -> dict[str, tuple[Any, bool]]:
    """name -> (index in NumPy form, whether PyTorch supports it: no negative steps)."""
    return {
        "int": (1, True),
        "negative_int": (-1, True),
        "ints": ((1, -2), True),
        "full_int_scalar": ((2, 3, -1), True),
        "slice": (slice(1, None), True),
        "slice_step": ((slice(None, None, 2), slice(1, 4, 2)), True),
        "negative_step": ((slice(None, None, -1), slice(3, 0, -2)), False),
        "ellipsis": ((Ellipsis, 1), True),
        "none": ((None, Ellipsis, None), True),
        "none_and_int": ((0, None, slice(1, 3)), True),
        "int_array_repeated": (np.array([0, 2, 0, 0]), True),
        "int_array_negative": (np.array([-1, 0, -1]), True),
        "int_array_second_axis": ((slice(None), np.array([3, 3, 0])), True),
        "two_arrays": ((np.array([0, 1, 1]), np.array([2, 2, 2])), True),
        "broadcast_arrays": ((np.array([[0], [2]]), np.array([1, 1, 3])), True),
        "separated_arrays": ((np.array([0, 2, 0]), slice(None), np.array([4, 4, 1])), True),
        "array_2d": (np.array([[0, 1], [1, 1]]), True),
        "mask_dim0": (_MASK0, True),
        "mask_two_dims": (_MASK01, True),
        "mask_then_slice": ((_MASK0, slice(1, 3)), True),
        "slice_then_mask": ((slice(None), np.array([True, False, False, True])), True),
        "slice_then_array": ((slice(1, None), np.array([0, 3, 0])), True),
        "none_then_array": ((None, np.array([1, 0]), Ellipsis), True),
        "ellipsis_then_array": ((Ellipsis, np.array([4, 0, 4])), True),
        "int_and_array": ((1, np.array([0, 0, 2])), True),
    }


INDEX_CASES = _index_cases()


def _as_gradkit(index: Any, style: str) -> Any:
    """The same index spelled with gradkit Tensors, Python lists or NumPy arrays."""

    def one(i: Any) -> Any:
        if not isinstance(i, np.ndarray):
            return i
        return {"tensor": gk.tensor(i), "list": i.tolist(), "array": i}[style]

    return tuple(one(i) for i in index) if isinstance(index, tuple) else one(index)


def _as_torch(index: Any) -> Any:
    def one(i: Any) -> Any:
        return torch.from_numpy(i) if isinstance(i, np.ndarray) else i

    return tuple(one(i) for i in index) if isinstance(index, tuple) else one(index)


def _scatter_reference(shape: tuple, index: Any, upstream: np.ndarray) -> np.ndarray:
    out = np.zeros(shape, dtype=upstream.dtype)
    np.add.at(out, index, upstream)
    return out


@pytest.mark.parametrize("style", ["tensor", "list", "array"])
@pytest.mark.parametrize("name", sorted(INDEX_CASES))
def test_getitem_values_and_grads(name: str, style: str) -> None:
    index, torch_ok = INDEX_CASES[name]
    data = np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32)
    x = gk.tensor(data, requires_grad=True)
    out = x[_as_gradkit(index, style)]
    expected = data[index]
    assert out.shape == np.shape(expected) and out.dtype == gk.float32
    np.testing.assert_array_equal(out.numpy(), expected)
    upstream = np.random.default_rng(1).standard_normal(out.shape).astype(np.float32)
    out.backward(gk.tensor(upstream))
    assert x.grad.dtype == gk.float32
    np.testing.assert_allclose(
        x.grad.numpy(), _scatter_reference(SHAPE, index, upstream), rtol=1e-6, atol=1e-6
    )
    if torch_ok:
        t = torch.tensor(data, requires_grad=True)
        t_out = t[_as_torch(index)]
        np.testing.assert_array_equal(out.numpy(), t_out.detach().numpy())
        t_out.backward(torch.from_numpy(upstream))
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    "name",
    [
        "int",
        "negative_step",
        "none",
        "int_array_repeated",
        "broadcast_arrays",
        "separated_arrays",
        "mask_two_dims",
        "slice_then_array",
        "full_int_scalar",
    ],
)
def test_getitem_gradcheck_and_gradgradcheck(name: str) -> None:
    index = _as_gradkit(INDEX_CASES[name][0], "tensor")
    x = gk.randn(*SHAPE, dtype="float64", requires_grad=True)
    assert gradcheck(lambda t: t[index], [x])
    assert gradgradcheck(lambda t: t[index] * t[index], [x])


def test_repeated_indices_accumulate() -> None:
    x = gk.zeros(4, requires_grad=True)
    x[gk.tensor([1, 1, 1, 3])].sum().backward()
    assert x.grad.numpy().tolist() == [0, 3, 0, 1]


def test_integer_tensors_index_to_integer_results() -> None:
    x = gk.arange(12).reshape(3, 4)
    assert x[1, 2].item() == 6 and x[1, 2].dtype == gk.int64
    assert x[x > 5].tolist() == list(range(6, 12))


def test_basic_index_is_a_view_and_advanced_a_copy() -> None:
    x = gk.zeros(3, 4)
    element = x[1, 2]
    assert element.shape == () and isinstance(element.data, np.ndarray)
    element += 1.0
    assert x.numpy()[1, 2] == 1 and x._version == 1
    picked = x[[0, 1]]
    picked += 1.0
    assert x.numpy().sum() == 1 and x._version == 1


GETITEM_ERRORS: list[tuple[str, Any, type]] = [
    ("int out of range", 3, IndexError),
    ("negative int out of range", (0, -5), IndexError),
    ("array out of range", [0, 7], IndexError),
    ("tensor out of range", gk.tensor([[-4]]), IndexError),
    ("float tensor", gk.tensor([0.0, 1.0]), IndexError),
    ("float list", [0.5], IndexError),
    ("python float", 1.0, IndexError),
    ("mask wrong shape", gk.tensor([True, False]), IndexError),
    ("mask wrong shape 2d", np.ones((3, 3), dtype=bool), IndexError),
    ("too many indices", (0, 0, 0), IndexError),
]


@pytest.mark.parametrize("case", GETITEM_ERRORS, ids=[c[0] for c in GETITEM_ERRORS])
def test_getitem_errors_name_the_op_and_shape(case: tuple) -> None:
    _, index, error = case
    x = gk.randn(3, 4, requires_grad=True)
    with pytest.raises(error, match=r"getitem.*\(3, 4\)|getitem: .*(float|integer)"):
        x[index]


# ---- x[idx] = v ------------------------------------------------------------------------------
SETITEM_CASES: dict[str, tuple[Any, tuple]] = {
    "int_row": (1, (5,)),
    "slice_broadcast_value": ((slice(None), slice(1, 3)), (1, 2)),
    "scalar_value": ((0, 0), ()),
    "mask": (np.array([[True, False, True, False, True]] * 3 + [[False] * 5]), (9,)),
    "mask_broadcast_scalar_tensor": (np.array([True, False, True, True]), ()),
    "int_array_value_broadcast": ((np.array([0, 3]), slice(None)), (1, 5)),
    "two_arrays": ((np.array([0, 1, 3]), np.array([4, 0, 2])), (3,)),
    "negative_step": (slice(None, None, -2), (2, 5)),
    "value_with_extra_leading_one": (0, (1, 5)),
}


@pytest.mark.parametrize("name", sorted(SETITEM_CASES))
def test_setitem_grads_match_torch(name: str) -> None:
    index, value_shape = SETITEM_CASES[name]
    rng = np.random.default_rng(2)
    base = rng.standard_normal((4, 5)).astype(np.float32)
    value = rng.standard_normal(value_shape).astype(np.float32)
    weights = rng.standard_normal((4, 5)).astype(np.float32)

    a = gk.tensor(base, requires_grad=True)
    v = gk.tensor(value, requires_grad=True)
    x = a * 1.0
    x[_as_gradkit(index, "tensor")] = v
    (x * gk.tensor(weights)).sum().backward()

    expected = base.copy()
    expected[index] = value
    np.testing.assert_array_equal(x.detach().numpy(), expected)
    grad_a = weights.copy()
    grad_a[index] = 0
    np.testing.assert_allclose(a.grad.numpy(), grad_a, rtol=1e-6)
    assert a.grad.dtype == v.grad.dtype == gk.float32 and v.grad.shape == value_shape

    if name != "negative_step":
        ta = torch.tensor(base, requires_grad=True)
        tv = torch.tensor(value, requires_grad=True)
        tx = ta * 1.0
        tx[_as_torch(index)] = tv
        (tx * torch.from_numpy(weights)).sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-6)
        np.testing.assert_allclose(v.grad.numpy(), tv.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(SETITEM_CASES))
def test_index_put_gradcheck_and_gradgradcheck(name: str) -> None:
    index, value_shape = SETITEM_CASES[name]
    index = _as_gradkit(index, "tensor")
    x = gk.randn(4, 5, dtype="float64", requires_grad=True)
    v = gk.randn(*value_shape, dtype="float64", requires_grad=True)
    assert gradcheck(lambda a, b: gk.index_put(a, index, b), [x, v])
    assert gradgradcheck(lambda a, b: gk.index_put(_square(a), index, _square(b)), [x, v])


def _square(t: gk.Tensor) -> gk.Tensor:
    # through 1-D: arithmetic on 0-d tensors is not what is under test here
    flat = t.reshape(-1)
    return (flat * flat).reshape(t.shape)


def test_index_put_with_repeated_indices_credits_only_the_surviving_write() -> None:
    x = gk.randn(5, dtype="float64", requires_grad=True)
    v = gk.randn(4, dtype="float64", requires_grad=True)
    index = gk.tensor([1, 3, 1, 1])
    out = gk.index_put(x, index, v)
    assert out[1].item() == v[3].item()  # the last write wins
    out.backward(gk.ones(5, dtype="float64"))
    assert v.grad.numpy().tolist() == [0, 1, 0, 1]
    assert x.grad.numpy().tolist() == [1, 0, 1, 0, 1]
    assert gradcheck(lambda a, b: gk.index_put(a, index, b), [x, v])
    scalar = gk.tensor(2.0, dtype="float64", requires_grad=True)
    gk.index_put(x, index, scalar).sum().backward()
    assert scalar.grad.item() == 2.0  # written into two distinct elements, each once


def test_index_put_accumulate_matches_torch() -> None:
    rng = np.random.default_rng(3)
    base = rng.standard_normal((4, 3)).astype(np.float32)
    value = rng.standard_normal((5, 3)).astype(np.float32)
    rows = np.array([0, 2, 0, 3, 0])
    a, v = gk.tensor(base, requires_grad=True), gk.tensor(value, requires_grad=True)
    out = gk.index_put(a, (gk.tensor(rows),), v, accumulate=True)
    (out * out).sum().backward()
    ta, tv = torch.tensor(base, requires_grad=True), torch.tensor(value, requires_grad=True)
    t_out = ta.index_put((torch.from_numpy(rows),), tv, accumulate=True)
    (t_out * t_out).sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), t_out.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-5)
    np.testing.assert_allclose(v.grad.numpy(), tv.grad.numpy(), rtol=1e-5)


def test_setitem_outside_recording_writes_in_place() -> None:
    x = gk.zeros(3, 4)
    view = x[1:]
    x[0] = 1.0
    x[:, [1, 1, 3]] = gk.tensor([2.0, 2.0, 4.0])
    x[x > 3] = -1.0
    expected = np.zeros((3, 4), dtype=np.float32)
    expected[0] = 1
    expected[:, [1, 1, 3]] = [2, 2, 4]
    expected[expected > 3] = -1
    np.testing.assert_array_equal(x.numpy(), expected)
    np.testing.assert_array_equal(view.numpy(), expected[1:])
    assert x._version == 3 and x.dtype == gk.float32


def test_setitem_under_recording_bumps_version_so_saved_uses_fail() -> None:
    a = gk.randn(3, requires_grad=True)
    x = a * 1.0
    y = x * x  # saves x
    x[0] = gk.tensor(5.0, requires_grad=True)
    with pytest.raises(RuntimeError, match="modified by an in-place"):
        y.sum().backward()


def test_setitem_on_a_leaf_that_requires_grad_is_refused() -> None:
    a = gk.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="setitem"):
        a[0] = 1.0


@pytest.mark.parametrize(
    "index, value, error",
    [
        (5, 1.0, IndexError),
        ((slice(None), 0), gk.ones(4), ValueError),
        (gk.tensor([True, False]), 1.0, IndexError),
    ],
)
def test_setitem_errors_leave_the_tensor_unchanged(index: Any, value: Any, error: type) -> None:
    for recording in (False, True):
        a = gk.randn(3, 4, requires_grad=recording)
        x = a * 1.0
        before = x.numpy().copy()
        with pytest.raises(error, match="setitem|index"):
            x[index] = value
        np.testing.assert_array_equal(x.numpy(), before)
        assert x._version == 0


# ---- gather, index_select, take_along_axis, scatter_add, index_add --------------------------
_IDX = np.array([[0, 2, 2], [1, 0, 1]])

PICKERS: dict[str, tuple[Callable, Callable, tuple]] = {
    "gather_dim1": (
        lambda x: gk.gather(x, 1, gk.tensor(_IDX)),
        lambda x: torch.gather(x, 1, torch.from_numpy(_IDX)),
        (2, 4),
    ),
    "gather_dim0_smaller": (
        lambda x: x.gather(0, gk.tensor(_IDX)),
        lambda x: x.gather(0, torch.from_numpy(_IDX)),
        (3, 3),
    ),
    "gather_dim_keyword": (
        lambda x: x.gather(dim=-1, index=gk.tensor(_IDX)),
        lambda x: x.gather(dim=-1, index=torch.from_numpy(_IDX)),
        (3, 4),
    ),
    "index_select": (
        lambda x: gk.index_select(x, 0, gk.tensor([2, 0, 2])),
        lambda x: torch.index_select(x, 0, torch.tensor([2, 0, 2])),
        (3, 4),
    ),
    "index_select_method": (
        lambda x: x.index_select(1, gk.tensor([3, 3])),
        lambda x: x.index_select(1, torch.tensor([3, 3])),
        (2, 4),
    ),
    "take_along_axis": (
        lambda x: gk.take_along_axis(x, gk.tensor(_IDX), 1),
        lambda x: torch.take_along_dim(x, torch.from_numpy(_IDX), 1),
        (2, 4),
    ),
    "take_along_axis_broadcast": (
        lambda x: gk.take_along_axis(x, gk.tensor([[1], [0]]), 1),
        lambda x: torch.take_along_dim(x, torch.tensor([[1], [0]]), 1),
        (2, 3),
    ),
    "scatter_add": (
        lambda x: gk.scatter_add(x, 0, gk.tensor(_IDX), x[:2, :3] * 2),
        lambda x: torch.scatter_add(x, 0, torch.from_numpy(_IDX), x[:2, :3] * 2),
        (3, 4),
    ),
    "scatter_add_bigger_src": (
        lambda x: x.scatter_add(1, gk.tensor(_IDX), x[:, :3] * x[:, :3]),
        # (PyTorch's own backward rejects a src larger than index, so hand it the used part)
        lambda x: x.scatter_add(1, torch.from_numpy(_IDX), x[:2, :3] * x[:2, :3]),
        (3, 4),
    ),
    "index_add": (
        lambda x: gk.index_add(x, 1, gk.tensor([0, 0, 3]), x[:, :3] * 3, alpha=0.5),
        lambda x: x.index_add(1, torch.tensor([0, 0, 3]), x[:, :3] * 3, alpha=0.5),
        (2, 4),
    ),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(PICKERS))
def test_pickers_match_torch(name: str, dtype: str) -> None:
    gk_fn, torch_fn, shape = PICKERS[name]
    data = np.random.default_rng(4).standard_normal(shape).astype(dtype)
    x = gk.tensor(data, requires_grad=True)
    t = torch.tensor(data, requires_grad=True)
    out, t_out = gk_fn(x), torch_fn(t)
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out.detach().numpy(), t_out.detach().numpy(), rtol=1e-6)
    upstream = np.random.default_rng(5).standard_normal(out.shape).astype(dtype)
    out.backward(gk.tensor(upstream))
    t_out.backward(torch.from_numpy(upstream))
    assert x.grad.dtype == np.dtype(dtype)
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(PICKERS))
def test_pickers_gradcheck_and_gradgradcheck(name: str) -> None:
    gk_fn, _, shape = PICKERS[name]
    x = gk.randn(*shape, dtype="float64", requires_grad=True)
    assert gradcheck(gk_fn, [x])
    assert gradgradcheck(lambda t: gk_fn(t * t), [x])


def test_scatter_add_grad_to_src_is_gather() -> None:
    x = gk.zeros(3, 2, dtype="float64", requires_grad=True)
    src = gk.randn(4, 2, dtype="float64", requires_grad=True)
    index = gk.tensor([[0, 1], [2, 2], [0, 0], [1, 2]])
    assert gradcheck(lambda a, s: gk.scatter_add(a, 0, index, s), [x, src])
    assert gradgradcheck(lambda a, s: gk.scatter_add(a * a, 0, index, s * s), [x, src])


PICKER_ERRORS: list[tuple[str, Callable, type, str]] = [
    ("gather ndim", lambda x: x.gather(1, gk.tensor([0, 1])), ValueError, "gather"),
    ("gather range", lambda x: x.gather(1, gk.tensor([[4]])), IndexError, "gather"),
    ("gather negative", lambda x: x.gather(1, gk.tensor([[-1]])), IndexError, "gather"),
    ("gather float", lambda x: x.gather(1, gk.tensor([[0.0]])), TypeError, "gather"),
    ("gather too big", lambda x: x.gather(1, gk.zeros(4, 1, dtype="int64")), ValueError, "gather"),
    ("index_select 2d", lambda x: x.index_select(0, gk.tensor([[0]])), ValueError, "index_select"),
    ("index_select range", lambda x: x.index_select(0, gk.tensor([3])), IndexError, "index_select"),
    ("index_select axis", lambda x: x.index_select(2, gk.tensor([0])), IndexError, "index_select"),
    (
        "take_along_axis ndim",
        lambda x: gk.take_along_axis(x, gk.tensor([0]), 1),
        ValueError,
        "take_along_axis",
    ),
    (
        "scatter_add dtype",
        lambda x: x.scatter_add(0, gk.tensor([[0]]), gk.ones(1, 1, dtype="float64")),
        TypeError,
        "scatter_add",
    ),
    (
        "scatter_add range",
        lambda x: x.scatter_add(0, gk.tensor([[3]]), gk.ones(1, 1)),
        IndexError,
        "scatter_add",
    ),
    (
        "index_add shape",
        lambda x: x.index_add(0, gk.tensor([0]), gk.ones(2, 4)),
        ValueError,
        "index_add",
    ),
]


@pytest.mark.parametrize("case", PICKER_ERRORS, ids=[c[0] for c in PICKER_ERRORS])
def test_picker_errors(case: tuple) -> None:
    _, fn, error, op = case
    x = gk.randn(3, 4, requires_grad=True)
    with pytest.raises(error, match=op):
        fn(x)
    assert x.grad is None and x._version == 0


def test_indexing_on_each_device(device: str) -> None:
    x = gk.randn(3, 4, device=device, requires_grad=True)
    index = gk.tensor([2, 2, 0], device=device)
    out = x[index].sum() + x.gather(1, gk.tensor([[1], [1], [0]], device=device)).sum()
    out.backward()
    expected = np.zeros((3, 4), dtype=np.float32)
    expected[2] += 2
    expected[0] += 1
    expected[[0, 1, 2], [1, 1, 0]] += 1
    np.testing.assert_array_equal(x.grad.cpu().numpy(), expected)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x, v: gk.cat([x[gk.tensor([0, 2, 0])][:, :3], x[1:, ::-2], x[None, 0, :3]]),
        lambda x, v: x[x.detach() > 0],
        lambda x, v: gk.index_put(x, (gk.tensor([1, 1, 0]),), v),
        lambda x, v: gk.index_put(x, (slice(None), 2), v[0, :4], accumulate=True),
        lambda x, v: x.gather(1, gk.tensor([[0, 4], [4, 4], [1, 2], [3, 3]])),
        lambda x, v: x.index_add(0, gk.tensor([3, 3, 0]), v),
        lambda x, v: gk.pad(x, (2, 2, 1, 0), mode="reflect"),
    ],
)
def test_forward_mode_jvp(fn: Callable) -> None:
    from gradkit.autograd import forward_ad

    rng = np.random.default_rng(8)
    x, v = rng.standard_normal((4, 5)), rng.standard_normal((3, 5))
    tx, tv = rng.standard_normal((4, 5)), rng.standard_normal((3, 5))
    with forward_ad.dual_level():
        out = fn(
            forward_ad.make_dual(gk.tensor(x), gk.tensor(tx)),
            forward_ad.make_dual(gk.tensor(v), gk.tensor(tv)),
        )
        jvp = forward_ad.unpack_dual(out).tangent.numpy()
    eps = 1e-6
    plus = fn(gk.tensor(x + eps * tx), gk.tensor(v + eps * tv)).numpy()
    minus = fn(gk.tensor(x - eps * tx), gk.tensor(v - eps * tv)).numpy()
    np.testing.assert_allclose(jvp, (plus - minus) / (2 * eps), rtol=1e-6, atol=1e-6)


def test_scalar_like_indices() -> None:
    data = np.arange(12.0).reshape(3, 4)
    x = gk.tensor(data, requires_grad=True)
    position = gk.tensor(2)  # e.g. the result of argmax
    picked = [x[position], x[np.int64(1)], x[True], x[1, position], x[False]]
    expected = [data[2], data[1], data[True], data[1, 2], data[False]]
    for got, want in zip(picked, expected):
        assert got.shape == want.shape
        np.testing.assert_array_equal(got.detach().numpy(), want)
    sum(p.sum() for p in picked).backward()
    reference = np.zeros((3, 4))
    reference[2] += 1
    reference[1] += 1
    reference[1, 2] += 1
    reference += 1  # x[True] picks everything once
    np.testing.assert_array_equal(x.grad.numpy(), reference)
