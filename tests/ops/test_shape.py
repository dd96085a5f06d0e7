"""Shape ops: values and gradients against PyTorch, finite differences, views, dtypes, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import gradkit as gk
from gradkit.testing import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _tuple(value: Any) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


# name -> (gradkit fn, torch fn, input shapes). Both fns take the inputs positionally.
CASES: dict[str, tuple[Callable, Callable, list[tuple]]] = {
    "reshape_minus_one": (
        lambda x: gk.reshape(x, (4, -1)),
        lambda x: x.reshape(4, -1),
        [(2, 3, 4)],
    ),
    "view_varargs": (lambda x: x.view(6, 4), lambda x: x.view(6, 4), [(2, 3, 4)]),
    "reshape_to_scalar": (lambda x: x.reshape(()), lambda x: x.reshape(()), [(1, 1)]),
    "flatten_all": (lambda x: gk.flatten(x), lambda x: torch.flatten(x), [(2, 3, 4)]),
    "flatten_range": (lambda x: x.flatten(0, 1), lambda x: x.flatten(0, 1), [(2, 3, 4)]),
    "flatten_from_1": (lambda x: x.flatten(1), lambda x: x.flatten(1), [(2, 3, 4)]),
    "squeeze_all": (lambda x: x.squeeze(), lambda x: x.squeeze(), [(1, 3, 1, 2)]),
    "squeeze_dim": (lambda x: gk.squeeze(x, 2), lambda x: torch.squeeze(x, 2), [(1, 3, 1, 2)]),
    "squeeze_non_one_is_noop": (lambda x: x.squeeze(1), lambda x: x.squeeze(1), [(1, 3, 1, 2)]),
    "squeeze_tuple": (lambda x: x.squeeze((0, 2)), lambda x: x.squeeze((0, 2)), [(1, 3, 1, 2)]),
    "unsqueeze_last": (lambda x: x.unsqueeze(-1), lambda x: x.unsqueeze(-1), [(2, 3)]),
    "unsqueeze_first": (lambda x: gk.unsqueeze(x, 0), lambda x: torch.unsqueeze(x, 0), [(2, 3)]),
    "transpose": (lambda x: gk.transpose(x, 0, 2), lambda x: torch.transpose(x, 0, 2), [(2, 3, 4)]),
    "transpose_method_negative": (
        lambda x: x.transpose(-1, 0),
        lambda x: x.transpose(-1, 0),
        [(2, 3, 4)],
    ),
    "permute": (lambda x: x.permute(2, 0, 1), lambda x: x.permute(2, 0, 1), [(2, 3, 4)]),
    "permute_tuple": (
        lambda x: gk.permute(x, (1, 2, 0)),
        lambda x: x.permute((1, 2, 0)),
        [(2, 3, 4)],
    ),
    "expand": (lambda x: x.expand(2, 3, 4), lambda x: x.expand(2, 3, 4), [(3, 1)]),
    "expand_minus_one": (lambda x: x.expand(-1, 5), lambda x: x.expand(-1, 5), [(3, 1)]),
    "broadcast_to": (
        lambda x: gk.broadcast_to(x, (2, 3, 4)),
        lambda x: torch.broadcast_to(x, (2, 3, 4)),
        [(1, 4)],
    ),
    "movedim": (lambda x: gk.movedim(x, 0, -1), lambda x: torch.movedim(x, 0, -1), [(2, 3, 4)]),
    "movedim_many": (
        lambda x: x.movedim((0, 1), (2, 0)),
        lambda x: x.movedim((0, 1), (2, 0)),
        [(2, 3, 4)],
    ),
    "cat_axis0": (lambda a, b: gk.cat([a, b]), lambda a, b: torch.cat([a, b]), [(2, 3), (4, 3)]),
    "concat_dim1": (
        lambda a, b, c: gk.concat([a, b, c], dim=1),
        lambda a, b, c: torch.cat([a, b, c], dim=1),
        [(2, 3), (2, 1), (2, 2)],
    ),
    "concatenate_negative_axis": (
        lambda a, b: gk.concatenate((a, b), axis=-1),
        lambda a, b: torch.cat((a, b), dim=-1),
        [(2, 2), (2, 3)],
    ),
    "cat_skips_1d_empty": (
        lambda a, b: gk.cat([a, b]),
        lambda a, b: torch.cat([a, b]),
        [(0,), (2, 3)],
    ),
    "stack": (lambda a, b: gk.stack([a, b]), lambda a, b: torch.stack([a, b]), [(2, 3), (2, 3)]),
    "stack_last": (
        lambda a, b, c: gk.stack([a, b, c], dim=-1),
        lambda a, b, c: torch.stack([a, b, c], dim=-1),
        [(2, 3)] * 3,
    ),
    "split_int": (lambda x: gk.split(x, 2), lambda x: torch.split(x, 2), [(5, 3)]),
    "split_list_dim": (
        lambda x: x.split([1, 0, 3], dim=1),
        lambda x: x.split([1, 0, 3], dim=1),
        [(2, 4)],
    ),
    "chunk": (lambda x: x.chunk(3), lambda x: x.chunk(3), [(5, 2)]),
    "chunk_fewer": (lambda x: gk.chunk(x, 4, axis=1), lambda x: torch.chunk(x, 4, dim=1), [(2, 6)]),
    "unbind": (lambda x: x.unbind(1), lambda x: x.unbind(1), [(2, 3)]),
    "narrow": (lambda x: x.narrow(1, 1, 2), lambda x: x.narrow(1, 1, 2), [(2, 4)]),
    "pad_last": (lambda x: gk.pad(x, (1, 2)), lambda x: F.pad(x, (1, 2)), [(2, 3)]),
    "pad_two_dims_value": (
        lambda x: gk.pad(x, (1, 0, 0, 2), value=0.5),
        lambda x: F.pad(x, (1, 0, 0, 2), value=0.5),
        [(2, 3)],
    ),
    "pad_negative_crops": (
        lambda x: gk.pad(x, (-1, 2, 1, -1)),
        lambda x: F.pad(x, (-1, 2, 1, -1)),
        [(3, 4)],
    ),
    "pad_reflect": (
        lambda x: gk.pad(x, (2, 1), mode="reflect"),
        lambda x: F.pad(x, (2, 1), mode="reflect"),
        [(2, 3, 4)],
    ),
    "pad_reflect_2d": (
        lambda x: gk.pad(x, (1, 1, 2, 0), mode="reflect"),
        lambda x: F.pad(x, (1, 1, 2, 0), mode="reflect"),
        [(1, 2, 3, 4)],
    ),
    "pad_replicate": (
        lambda x: gk.pad(x, (3, 1), mode="replicate"),
        lambda x: F.pad(x, (3, 1), mode="replicate"),
        [(2, 3, 2)],
    ),
    "pad_circular": (
        lambda x: gk.pad(x, (2, 1), mode="circular"),
        lambda x: F.pad(x, (2, 1), mode="circular"),
        [(2, 3, 3)],
    ),
    "repeat": (lambda x: x.repeat(2, 1, 3), lambda x: x.repeat(2, 1, 3), [(2, 3)]),
    "repeat_same_ndim": (lambda x: gk.repeat(x, 2, 2), lambda x: x.repeat(2, 2), [(3, 1)]),
    "tile_short": (lambda x: x.tile((2,)), lambda x: x.tile((2,)), [(2, 3)]),
    "tile_long": (lambda x: gk.tile(x, (2, 1, 2)), lambda x: torch.tile(x, (2, 1, 2)), [(2, 3)]),
    "repeat_interleave": (
        lambda x: x.repeat_interleave(2, dim=1),
        lambda x: x.repeat_interleave(2, dim=1),
        [(2, 3)],
    ),
    "repeat_interleave_counts": (
        lambda x: gk.repeat_interleave(x, [1, 0, 2], dim=1),
        lambda x: torch.repeat_interleave(x, torch.tensor([1, 0, 2]), dim=1),
        [(2, 3)],
    ),
    "repeat_interleave_flat": (
        lambda x: gk.repeat_interleave(x, 2),
        lambda x: torch.repeat_interleave(x, 2),
        [(2, 2)],
    ),
    "flip": (lambda x: gk.flip(x, (0, 2)), lambda x: torch.flip(x, (0, 2)), [(2, 3, 4)]),
    "flip_method_varargs": (lambda x: x.flip(1), lambda x: x.flip(1), [(2, 3)]),
    "roll": (lambda x: gk.roll(x, 1, 0), lambda x: torch.roll(x, 1, 0), [(3, 4)]),
    "roll_many": (lambda x: x.roll((1, -2), (0, 1)), lambda x: x.roll((1, -2), (0, 1)), [(3, 4)]),
    "roll_flat": (lambda x: gk.roll(x, 5), lambda x: torch.roll(x, 5), [(3, 4)]),
}


def _inputs(shapes: list[tuple], dtype: Any, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_values_and_grads_match_torch(name: str, dtype: str) -> None:
    gk_fn, torch_fn, shapes = CASES[name]
    arrays = _inputs(shapes, dtype)
    xs = [gk.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    outs, touts = _tuple(gk_fn(*xs)), _tuple(torch_fn(*ts))
    assert len(outs) == len(touts)
    rng = np.random.default_rng(1)
    ups = [rng.standard_normal(tuple(t.shape)).astype(dtype) for t in touts]
    for o, t in zip(outs, touts):
        assert o.shape == tuple(t.shape)
        assert o.dtype == np.dtype(dtype)
        np.testing.assert_allclose(o.numpy(), t.detach().numpy(), rtol=1e-6, atol=1e-6)
    grads = gk.autograd.grad(list(outs), xs, [gk.tensor(u) for u in ups], allow_unused=True)
    tgrads = torch.autograd.grad(touts, ts, [torch.tensor(u) for u in ups], allow_unused=True)
    for g, tg, x in zip(grads, tgrads, xs):
        assert g is not None and tg is not None
        assert g.shape == x.shape and g.dtype == np.dtype(dtype)
        np.testing.assert_allclose(g.numpy(), tg.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck_and_gradgradcheck(name: str) -> None:
    gk_fn, _, shapes = CASES[name]
    # (zero-size inputs have no derivatives to check)
    xs = [
        gk.tensor(a, dtype="float64", requires_grad=a.size > 0) for a in _inputs(shapes, "float64")
    ]
    assert gradcheck(gk_fn, xs)

    # Every shape op is linear, so square its outputs: the second derivative then runs
    # through the op's backward, which must itself be differentiable.
    def squared(*args: Any) -> tuple:
        return tuple(o * o for o in _tuple(gk_fn(*args)))

    assert gradgradcheck(squared, xs)


def test_integer_dtypes_are_preserved() -> None:
    x = gk.arange(12).reshape(3, 4)
    assert x.dtype == gk.int64
    for result in (
        x.view(-1),
        x.flatten(),
        x.unsqueeze(0),
        x.transpose(0, 1),
        x.flip(0),
        gk.pad(x, (1, 1)),
        x.repeat(2, 1),
        gk.cat([x, x]),
        gk.stack([x, x]),
        x.split(2)[0],
        x.roll(1),
        x.tile((2,)),
        gk.pad(x, (1, 1), mode="reflect"),
    ):
        assert result.dtype == gk.int64


def test_concat_promotes_dtypes_like_torch() -> None:
    pairs = [
        ("float32", "int64"),
        ("float32", "float64"),
        ("int32", "int64"),
        ("float16", "float32"),
    ]
    for da, db in pairs:
        a = gk.ones(2, dtype=da)
        b = gk.ones(3, dtype=db)
        expected = torch.cat(
            [torch.ones(2, dtype=getattr(torch, da)), torch.ones(3, dtype=getattr(torch, db))]
        ).dtype
        assert str(gk.cat([a, b]).dtype) == str(expected).removeprefix("torch.")
        assert str(gk.stack([a[:1], b[:1]]).dtype) == str(expected).removeprefix("torch.")


def test_concat_promoted_grads_keep_each_input_dtype() -> None:
    a = gk.ones(2, dtype="float32", requires_grad=True)
    b = gk.ones(3, dtype="float64", requires_grad=True)
    out = gk.cat([a, b])
    assert out.dtype == gk.float64
    (out * 2).sum().backward()
    assert a.grad.dtype == gk.float32 and b.grad.dtype == gk.float64
    np.testing.assert_array_equal(a.grad.numpy(), [2, 2])


def test_unused_split_outputs_get_zero_gradients() -> None:
    x = gk.randn(5, 2, requires_grad=True)
    first, _, last = x.split(2)
    (first * 3).sum().backward(retain_graph=True)
    expected = np.zeros((5, 2), dtype=np.float32)
    expected[:2] = 3
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    x.grad = None
    last.sum().backward()
    assert x.grad.numpy()[4].tolist() == [1, 1] and x.grad.numpy()[:4].sum() == 0


def test_split_of_empty_dim_gives_torch_piece_counts() -> None:
    x = gk.zeros(0, 2)
    assert len(gk.split(x, 2)) == len(torch.split(torch.zeros(0, 2), 2))
    assert len(gk.chunk(x, 3)) == len(torch.chunk(torch.zeros(0, 2), 3))


VIEW_OPS: dict[str, Callable] = {
    "reshape": lambda x: x.reshape(3, 2),
    "view": lambda x: x.view(-1),
    "flatten": lambda x: x.flatten(),
    "squeeze": lambda x: x.unsqueeze(0).squeeze(0),
    "unsqueeze": lambda x: x.unsqueeze(1),
    "transpose": lambda x: x.transpose(0, 1),
    "permute": lambda x: x.permute(1, 0),
    "movedim": lambda x: x.movedim(0, 1),
    "split": lambda x: x.split(1)[1],
    "chunk": lambda x: x.chunk(2, dim=1)[0],
    "unbind": lambda x: x.unbind(0)[0],
    "narrow": lambda x: x.narrow(1, 1, 2),
    "getitem": lambda x: x[1:, ::2],
}


@pytest.mark.parametrize("name", sorted(VIEW_OPS))
def test_views_share_memory_and_version_counter(name: str) -> None:
    base = gk.randn(2, 3, requires_grad=True)
    x = base * 1.0  # a non-leaf, so a view of it may be written to
    saved_user = x * x  # saves x for backward
    view = VIEW_OPS[name](x)
    with gk.no_grad():
        view += 1.0
    assert x._version == view._version == 1
    assert np.shares_memory(view.numpy(), x.numpy())
    with pytest.raises(RuntimeError, match="modified by an in-place"):
        saved_user.sum().backward()


def test_view_writes_are_seen_by_the_base() -> None:
    x = gk.zeros(2, 3)
    x.view(-1)[4] = 7.0
    x.transpose(0, 1)[0, 1] = 5.0
    assert x.numpy().tolist() == [[0, 0, 0], [5, 7, 0]]


@pytest.mark.parametrize(
    "op",
    [
        lambda x: x.flip(0),
        lambda x: gk.cat([x, x]),
        lambda x: x.repeat(1, 1),
        lambda x: gk.pad(x, (1, 1)),
        lambda x: x.roll(1),
        lambda x: gk.stack([x]),
    ],
)
def test_copying_ops_do_not_alias(op: Callable) -> None:
    x = gk.zeros(2, 3)
    y = op(x)
    with gk.no_grad():
        y += 1.0
    assert x.numpy().sum() == 0 and x._version == 0


def test_reshape_after_transpose_copies_without_sharing_the_counter() -> None:
    x = gk.randn(2, 3)
    y = x.transpose(0, 1).reshape(-1)
    assert not np.shares_memory(y.numpy(), x.numpy())
    y += 1.0
    assert x._version == 0


ERRORS: list[tuple[str, Callable, type, str]] = [
    ("reshape size", lambda x: x.reshape(4, 2), ValueError, "reshape"),
    ("reshape two -1", lambda x: x.reshape(-1, -1), ValueError, "reshape"),
    ("flatten order", lambda x: x.flatten(1, 0), ValueError, "flatten"),
    ("unsqueeze range", lambda x: x.unsqueeze(3), IndexError, "unsqueeze"),
    ("squeeze range", lambda x: x.squeeze(4), IndexError, "squeeze"),
    ("transpose range", lambda x: x.transpose(0, 2), IndexError, "swapaxes"),
    ("permute", lambda x: x.permute(0, 0), ValueError, "permute"),
    ("expand", lambda x: x.expand(4, 3), ValueError, "expand"),
    ("expand fewer dims", lambda x: x.expand(3), ValueError, "expand"),
    ("concat shapes", lambda x: gk.cat([x, gk.zeros(2, 2)], dim=0), ValueError, "concat"),
    ("concat ndim", lambda x: gk.cat([x, gk.zeros(2, 3, 1)]), ValueError, "concat"),
    ("concat empty list", lambda x: gk.cat([]), ValueError, "concat"),
    ("concat non-tensor", lambda x: gk.cat([x, 1.0]), TypeError, "concat"),
    ("concat 0-d", lambda x: gk.cat([x.sum(), x.sum()]), ValueError, "concat"),
    ("stack shapes", lambda x: gk.stack([x, x.transpose(0, 1)]), ValueError, "stack"),
    ("stack dim", lambda x: gk.stack([x, x], dim=4), IndexError, "stack"),
    ("split sum", lambda x: x.split([1, 2]), ValueError, "split"),
    ("split size", lambda x: x.split(0), ValueError, "split"),
    ("chunk count", lambda x: x.chunk(0), ValueError, "chunk"),
    ("pad odd", lambda x: gk.pad(x, (1,)), ValueError, "pad"),
    ("pad too many", lambda x: gk.pad(x, (1, 1, 1, 1, 1, 1)), ValueError, "pad"),
    ("pad crop too far", lambda x: gk.pad(x, (-2, -2)), ValueError, "pad"),
    ("pad reflect width", lambda x: gk.pad(x, (3, 0), mode="reflect"), ValueError, "pad"),
    ("pad mode", lambda x: gk.pad(x, (1, 1), mode="mirror"), ValueError, "pad"),
    ("repeat fewer", lambda x: x.repeat(2), ValueError, "repeat"),
    ("repeat negative", lambda x: x.repeat(2, -1), ValueError, "repeat"),
    ("flip dup", lambda x: x.flip(0, 0), ValueError, "flip"),
    ("roll dims", lambda x: x.roll((1, 2), 0), ValueError, "roll"),
    ("movedim", lambda x: x.movedim(0, 5), IndexError, "movedim"),
    ("narrow", lambda x: x.narrow(1, 2, 2), IndexError, "narrow"),
    (
        "repeat_interleave",
        lambda x: x.repeat_interleave([1, 2], dim=1),
        ValueError,
        "repeat_interleave",
    ),
]


@pytest.mark.parametrize("case", ERRORS, ids=[e[0] for e in ERRORS])
def test_bad_arguments_raise_clear_errors_and_leave_input_alone(case: tuple) -> None:
    _, fn, error, op = case
    x = gk.randn(2, 3, requires_grad=True)
    before = x.numpy().copy()
    with pytest.raises(error, match=op):
        fn(x)
    np.testing.assert_array_equal(x.numpy(), before)
    assert x._version == 0 and x.grad is None


@pytest.mark.gpu
def test_concat_of_tensors_on_different_devices_raises() -> None:
    if not gk.cuda.is_available():
        pytest.skip("no GPU")
    with pytest.raises(RuntimeError, match="concat"):
        gk.cat([gk.zeros(2), gk.zeros(2, device="cuda")])


@pytest.mark.parametrize("op_name", ["reshape", "flip", "cat", "split", "pad"])
def test_ops_run_on_each_device(device: str, op_name: str) -> None:
    x = gk.randn(2, 4, device=device, requires_grad=True)
    out = {
        "reshape": lambda: x.reshape(8),
        "flip": lambda: x.flip(1),
        "cat": lambda: gk.cat([x, x], dim=1),
        "split": lambda: gk.cat(x.split(3, dim=1), dim=1),
        "pad": lambda: gk.pad(x, (1, 1), mode="reflect"),
    }[op_name]()
    (out * out).sum().backward()
    assert x.grad.device == x.device and x.grad.shape == x.shape


def _forward_mode_matches_finite_differences(fn: Callable, arrays: list[np.ndarray]) -> None:
    """jvp through dual tensors equals the central difference along the same tangents."""
    from gradkit.autograd import forward_ad

    rng = np.random.default_rng(7)
    tangents = [rng.standard_normal(a.shape) for a in arrays]
    with forward_ad.dual_level():
        duals = [
            forward_ad.make_dual(gk.tensor(a, dtype="float64"), gk.tensor(t, dtype="float64"))
            for a, t in zip(arrays, tangents)
        ]
        jvps = [forward_ad.unpack_dual(o).tangent for o in _tuple(fn(*duals))]
    eps = 1e-6

    def shifted(sign: float) -> tuple:
        args = [gk.tensor(a + sign * eps * t, dtype="float64") for a, t in zip(arrays, tangents)]
        return _tuple(fn(*args))

    for jvp, plus, minus in zip(jvps, shifted(1.0), shifted(-1.0)):
        expected = (plus.numpy() - minus.numpy()) / (2 * eps)
        actual = np.zeros_like(expected) if jvp is None else jvp.numpy()
        np.testing.assert_allclose(actual, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_mode_jvp(name: str) -> None:
    gk_fn, _, shapes = CASES[name]
    _forward_mode_matches_finite_differences(gk_fn, _inputs(shapes, "float64"))


def test_method_spellings() -> None:
    x = gk.randn(2, 3, 1)
    other = gk.zeros(4, 2, 3, 5)
    assert x.expand_as(other).shape == (4, 2, 3, 5)
    assert x.view_as(gk.zeros(6)).shape == (6,)
    assert x.reshape_as(gk.zeros(3, 2)).shape == (3, 2)
    assert x.moveaxis(0, -1).shape == (3, 1, 2)
    assert x.squeeze(dim=-1).shape == (2, 3)
    assert x.unbind(dim=1)[0].shape == (2, 1)
    assert x.T.shape == (1, 3, 2) and x.mT.shape == (2, 1, 3)
    assert x.reshape([3, 2]).shape == x.view((3, 2)).shape == (3, 2)
    assert x.permute([1, 0, 2]).shape == (3, 2, 1)
