"""In-place ops through views give exact gradients (PyTorch's view tracking): an in-place op on a
view rewrites its base's graph (CopySlices), and a view whose base changed in place gets a new
grad_fn the next time it is used. Values and gradients are compared with PyTorch, first and
second order, and checked against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradkit as gk
from gradkit.testing import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")


# ---- programs: (lib, *inputs) -> output, written once for gradkit and PyTorch ---------------
def slice_mul_(lib, x, a):
    y = x * 2
    v = y[1:]
    v.mul_(a)
    return y * x


def flat_view_setitem(lib, x, z):
    y = x * 1
    y.view(-1)[0] = z.sum()
    return y * x


def transpose_iadd(lib, x, b):
    y = x * 1
    t = y.T
    t += b
    return y.exp()


def column_copy_(lib, x, w):
    y = x * 3
    y[:, 0].copy_(w)
    return y * y


def chain_of_two_views(lib, x, a):
    y = x * 1
    rows = y[1:]
    corner = rows.T[1:]  # a view of a view of a view
    corner *= a
    return y * rows.sum()  # rows, an older view, is read after the change


def base_then_old_view(lib, x, a):
    y = x * 1
    v = y[0]
    y *= a
    return v * v


def base_setitem_then_old_view(lib, x, z):
    y = x.sin()  # saves x, not y (tanh would save y and refuse the change)
    column = y[:, 1]
    y[1] = z
    return column * x[:, 0]


def advanced_setitem_on_view(lib, x, z):
    y = x * 1
    v = y[:, 1:]
    v[[0, 2], [1, 0]] = z[:2]
    return y * x


def mask_setitem_on_view(lib, x, z):
    y = x * 2
    v = y[1:]
    mask = lib.tensor(np.array([[True, False, True, False], [False, True, True, False]]))
    v[mask] = z.sum()
    return y * y


def overlapping_views(lib, x, a):
    y = x * 1
    row = y[0]
    column = y[:, 0]
    row *= a
    column += x[:, 1]
    return y * row.sum() + column.sum()


def zero_and_fill_through_views(lib, x, a):
    y = x * a
    y[1].zero_()
    y[:, 2].fill_(2.0)
    return y * x


def write_into_a_constant_buffer(lib, x, a):
    buffer = lib.zeros(3, 4, dtype=x.dtype)
    buffer[:, 1:].copy_(x[:, :3])
    buffer[0] *= a
    return buffer * buffer


def loop_over_rows(lib, x, a):
    y = x * 1
    for i in range(3):
        y[i] *= a[i]
    return y.sin()


def nested_augmented_assignment(lib, x, a):
    y = x * 1
    y[1:][0, 1:] -= a[0, 1:]
    return y * x


def view_of_non_leaf_used_twice(lib, x, a):
    y = x.sin()
    v = y.reshape(2, 6)
    first = v.sum()
    v[:, 3:] *= 2
    return y * first + v.sum()


def swap_rows(lib, x, a):
    y = x * a
    y[0], y[1] = y[1], y[0]  # the second write reads the first's result, as in NumPy
    return y * x


def zero_dim_view(lib, x, a):
    y = x * 1
    element = y[1, 2]
    element *= a[0, 0]
    return y * element


def view_of_view_made_before_the_change(lib, x, a):
    y = x * 1
    rows = y[1:]
    first = rows[0]
    rows *= a[1:]
    return first * y[0]


def base_and_views_in_turn(lib, x, a):
    y = x * 1
    column = y[:, 1]
    y *= a
    column.mul_(2)
    row = y[0]
    row += column[1]
    return y * column.sum()


PROGRAMS = {
    "slice_mul_": (slice_mul_, [(3, 4), (2, 4)]),
    "slice_mul_broadcast": (slice_mul_, [(3, 4), (4,)]),
    "flat_view_setitem": (flat_view_setitem, [(3, 4), (2,)]),
    "transpose_iadd": (transpose_iadd, [(3, 4), (4, 3)]),
    "column_copy_": (column_copy_, [(3, 4), (3,)]),
    "chain_of_two_views": (chain_of_two_views, [(3, 4), (3, 2)]),
    "base_then_old_view": (base_then_old_view, [(3, 4), (3, 4)]),
    "base_setitem_then_old_view": (base_setitem_then_old_view, [(3, 4), (4,)]),
    "advanced_setitem_on_view": (advanced_setitem_on_view, [(3, 4), (3,)]),
    "mask_setitem_on_view": (mask_setitem_on_view, [(3, 4), (2,)]),
    "overlapping_views": (overlapping_views, [(3, 4), (4,)]),
    "zero_and_fill_through_views": (zero_and_fill_through_views, [(3, 4), (3, 4)]),
    "write_into_a_constant_buffer": (write_into_a_constant_buffer, [(3, 4), (4,)]),
    "loop_over_rows": (loop_over_rows, [(3, 4), (3,)]),
    "nested_augmented_assignment": (nested_augmented_assignment, [(3, 4), (3, 4)]),
    "view_of_non_leaf_used_twice": (view_of_non_leaf_used_twice, [(3, 4), (3, 4)]),
    "swap_rows": (swap_rows, [(3, 4), (3, 4)]),
    "zero_dim_view": (zero_dim_view, [(3, 4), (3, 4)]),
    "view_of_view_made_before_the_change": (
        view_of_view_made_before_the_change,
        [(3, 4), (3, 4)],
    ),
    "base_and_views_in_turn": (base_and_views_in_turn, [(3, 4), (3, 4)]),
}


def _inputs(shapes, dtype, seed=0):
    rng = np.random.default_rng(seed)
    values = [rng.uniform(0.5, 1.5, s) * rng.choice([-1.0, 1.0], s) for s in shapes]
    values = [v.astype(dtype) for v in values]
    ours = [gk.tensor(v, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    return ours, theirs


def _grad_or_zeros(t):
    g = t.grad
    return np.zeros(t.shape) if g is None else np.asarray(g.detach().numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_values_and_gradients_match_pytorch(name, dtype):
    program, shapes = PROGRAMS[name]
    ours, theirs = _inputs(shapes, dtype)
    out, tout = program(gk, *ours), program(torch, *theirs)
    tol = {"rtol": 1e-5, "atol": 1e-6} if dtype == np.float32 else {"rtol": 1e-10}
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), **tol)
    assert out.dtype == dtype
    weights = np.random.default_rng(1).standard_normal(out.shape).astype(dtype)
    (out * gk.tensor(weights)).sum().backward()
    (tout * torch.tensor(weights)).sum().backward()
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(_grad_or_zeros(mine), _grad_or_zeros(reference), **tol)
        assert mine.grad is None or mine.grad.dtype == dtype


DEVICE_PROGRAMS = [
    "slice_mul_broadcast",
    "base_and_views_in_turn",
    "flat_view_setitem",
    "transpose_iadd",
    "column_copy_",
    "chain_of_two_views",
    "advanced_setitem_on_view",
    "overlapping_views",
    "nested_augmented_assignment",
]


@pytest.mark.parametrize("name", DEVICE_PROGRAMS)
def test_gradients_on_each_device(device, name):
    """The same programs with the tensors on ``device`` (CuPy views, positions, index_put)."""
    program, shapes = PROGRAMS[name]
    _, theirs = _inputs(shapes, np.float32)
    ours = [gk.tensor(t.detach().numpy(), device=device, requires_grad=True) for t in theirs]
    out, tout = program(gk, *ours), program(torch, *theirs)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(out.detach().cpu().numpy(), tout.detach().numpy(), rtol=1e-5)
    for mine, reference in zip(ours, theirs):
        assert mine.grad.device == mine.device and mine.grad.dtype == np.float32
        np.testing.assert_allclose(mine.grad.cpu().numpy(), reference.grad.numpy(), rtol=1e-5)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_second_derivatives_match_pytorch(name):
    """create_graph=True through CopySlices and regenerated views: the gradient of a weighted
    sum of the first gradients."""
    program, shapes = PROGRAMS[name]
    ours, theirs = _inputs(shapes, np.float64, seed=2)
    out, tout = program(gk, *ours), program(torch, *theirs)
    grads = gk.autograd.grad((out * out).sum(), ours, create_graph=True, allow_unused=True)
    tgrads = torch.autograd.grad((tout * tout).sum(), theirs, create_graph=True, allow_unused=True)
    rng = np.random.default_rng(3)
    total, ttotal = 0, 0
    for g, tg in zip(grads, tgrads):
        if tg is None:
            continue
        w = rng.standard_normal(tg.shape)
        np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-10)
        total = total + (g * gk.tensor(w)).sum()
        ttotal = ttotal + (tg * torch.tensor(w)).sum()
    if not torch.is_tensor(ttotal) or not ttotal.requires_grad:
        return
    second = gk.autograd.grad(total, ours, allow_unused=True)
    tsecond = torch.autograd.grad(ttotal, theirs, allow_unused=True)
    for g, tg, x in zip(second, tsecond, ours):
        expected = np.zeros(x.shape) if tg is None else tg.numpy()
        got = np.zeros(x.shape) if g is None else g.numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    "name",
    [
        "slice_mul_broadcast",
        "transpose_iadd",
        "chain_of_two_views",
        "base_then_old_view",
        "advanced_setitem_on_view",
        "overlapping_views",
        "write_into_a_constant_buffer",
        "base_and_views_in_turn",
    ],
)
def test_finite_differences_first_and_second_order(name):
    program, shapes = PROGRAMS[name]
    ours, _ = _inputs(shapes, np.float64, seed=4)

    def fn(*inputs):
        return program(gk, *inputs)

    assert gradcheck(fn, ours)
    assert gradgradcheck(fn, ours)


# ---- every view-producing op ---------------------------------------------------------------
# PyTorch refuses in-place ops on the outputs of split/chunk/unbind (multi-output views); gradkit
# tracks them like any view, so the reference for those is the same slice taken with narrow or
# select.
TORCH_EQUIVALENT = {
    "split": lambda y: y.narrow(1, 2, 2),
    "chunk": lambda y: y[2:],
    "unbind": lambda y: y.select(1, 2),
}
VIEWS = {
    "getitem": lambda y: y[1:, ::2],
    "getitem_int": lambda y: y[1],
    "getitem_none_ellipsis": lambda y: y[None, ..., 1:3],
    "reshape": lambda y: y.reshape(2, 6),
    "view_as": lambda y: y.view(4, 3),
    "flatten": lambda y: y.flatten(),
    "permute": lambda y: y.permute(1, 0),
    "transpose": lambda y: y.transpose(0, 1),
    "movedim": lambda y: y.movedim(0, 1),
    "unsqueeze": lambda y: y.unsqueeze(1),
    "squeeze": lambda y: y[1:2].squeeze(0),
    "split": lambda y: y.split(2, dim=1)[1],
    "chunk": lambda y: y.chunk(3, dim=0)[2],
    "unbind": lambda y: y.unbind(1)[2],
    "narrow": lambda y: y.narrow(1, 1, 2),
    "reshape_of_slice": lambda y: y[1:].reshape(-1),
    "unsqueeze_of_transpose": lambda y: y.T.unsqueeze(0),
}


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_in_place_through_each_view_op_matches_pytorch(view):
    ours, theirs = _inputs([(3, 4)], np.float64, seed=5)
    results = []
    for lib, (x,) in ((gk, ours), (torch, theirs)):
        make = TORCH_EQUIVALENT.get(view, VIEWS[view]) if lib is torch else VIEWS[view]
        y = x * 1
        v = make(y)
        assert (v._base is y) if lib is gk else v._is_view()
        v.mul_(x.sum())
        v += 1.0
        out = y * x + v.sum()
        out.sum().backward()
        results.append((out.detach().numpy(), x.grad.numpy()))
    (out, grad), (tout, tgrad) = results
    np.testing.assert_allclose(out, tout, rtol=1e-10)
    np.testing.assert_allclose(grad, tgrad, rtol=1e-10)


@settings(max_examples=30, deadline=None)
@given(
    rows=st.tuples(st.integers(0, 3), st.integers(1, 4), st.sampled_from([1, 2])),
    column=st.integers(-4, 3),
    transpose=st.booleans(),
    op=st.sampled_from(["mul_", "add_", "sub_", "div_"]),
)
def test_random_slices_match_pytorch(rows, column, transpose, op):
    start, stop, step = rows
    values = np.random.default_rng(6).uniform(0.5, 1.5, (4, 5))
    results = []
    for lib in (gk, torch):
        x = lib.tensor(values, requires_grad=True)
        y = x.sin()
        v = y[start:stop:step, column:]
        if transpose:
            v = v.T
        getattr(v, op)(x[0, 0] + 1)
        (y * x).sum().backward()
        results.append((y.detach().numpy(), x.grad.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)


# ---- graph bookkeeping ------------------------------------------------------------------------
def test_a_view_knows_its_root_base_and_plain_results_are_not_views():
    y = gk.ones(3, 4) * 1
    v = y[1:].T.unsqueeze(0)
    assert v._base is y and v._is_view()
    assert not y.T.reshape(-1)._is_view()  # NumPy had to copy: not a view (as in PyTorch)
    assert not y._is_view() and not (y + 1)._is_view() and not y[[0, 1]]._is_view()


def test_a_stale_view_gets_a_new_grad_fn_when_next_used():
    x = gk.tensor(np.arange(1.0, 7.0).reshape(2, 3), requires_grad=True)
    y = x * 1
    v = y[0]
    old = v.grad_fn
    y *= x
    assert v.grad_fn is old  # lazily: nothing has used v yet
    out = v * 1
    assert v.grad_fn is not old and out.grad_fn.next_edges[0][0] is v.grad_fn
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[2.0, 4.0, 6.0], [0.0, 0.0, 0.0]])


def test_backward_from_a_stale_view_and_grad_with_respect_to_one():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    gx = gk.tensor(x.detach().numpy(), requires_grad=True)
    for lib_x in (x, gx):
        y = lib_x * 1
        v = y[1]
        y.mul_(lib_x)
        v.sum().backward()  # v's history is regenerated before backward reads it
    np.testing.assert_allclose(gx.grad.numpy(), x.grad.numpy())

    y = gx * 1
    v = y[:, 0]
    y *= 3
    out = (v * v).sum()
    (grad_v,) = gk.autograd.grad(out, [v])
    np.testing.assert_allclose(grad_v.numpy(), 2 * v.detach().numpy())


def test_hooks_and_retain_grad_on_a_stale_view_see_its_current_gradient():
    x = gk.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    v = y[1:]
    y *= 2
    seen = []
    v.register_hook(lambda g: seen.append(g.numpy().copy()))
    v.retain_grad()
    (v * v).sum().backward()
    expected = 2 * np.array([4.0, 6.0])
    np.testing.assert_allclose(seen[0], expected)
    np.testing.assert_allclose(v.grad.numpy(), expected)
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 16.0, 24.0])


def test_under_no_grad_an_in_place_op_on_a_view_only_writes():
    results = []
    for lib in (gk, torch):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
        y = x * 2
        v = y[0]
        with lib.no_grad():
            v.mul_(10.0)
        (y * x).sum().backward()
        results.append((y.detach().numpy(), x.grad.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0])
    np.testing.assert_allclose(results[0][1], results[1][1])


def test_plain_tensors_stay_plain():
    buffer = gk.zeros(2, 3)
    row = buffer[0]
    row += 1
    buffer *= 2
    assert row.grad_fn is None and not row.requires_grad
    assert buffer.grad_fn is None and not buffer.requires_grad
    assert (row + 1).grad_fn is None and row.tolist() == [2.0, 2.0, 2.0]


def test_forward_mode_through_in_place_views_matches_pytorch():
    values = np.random.default_rng(7).standard_normal((3, 4))
    tangent = np.random.default_rng(8).standard_normal((3, 4))

    def program(lib, x):
        y = x * 1
        old_row = y[0]
        y[1:].T[::2].mul_(x[0, :2])
        return y * old_row.sum()

    out, out_tangent = gk.func.jvp(
        lambda x: program(gk, x), (gk.tensor(values),), (gk.tensor(tangent),)
    )
    tout, tout_tangent = torch.func.jvp(
        lambda x: program(torch, x), (torch.tensor(values),), (torch.tensor(tangent),)
    )
    np.testing.assert_allclose(out.numpy(), tout.numpy(), rtol=1e-12)
    np.testing.assert_allclose(out_tangent.numpy(), tout_tangent.numpy(), rtol=1e-10)


# ---- refusals ---------------------------------------------------------------------------------
def test_a_view_of_a_leaf_that_requires_grad_is_refused_and_nothing_changes():
    w = gk.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    v = w[0]
    with pytest.raises(RuntimeError, match="in-place mul: a view of a leaf"):
        v.mul_(2.0)
    with pytest.raises(RuntimeError, match="setitem: a view of a leaf"):
        w.T[0] = 5.0
    assert w.tolist() == [[1.0, 2.0], [3.0, 4.0]] and w._version == 0 and w.is_leaf
    with gk.no_grad():
        v.mul_(2.0)  # allowed outside recording, like PyTorch
    assert w.tolist() == [[2.0, 4.0], [3.0, 4.0]] and w.is_leaf


def test_a_view_made_under_no_grad_is_refused_like_pytorch():
    for lib in (gk, torch):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 1
        with lib.no_grad():
            v = y[1:]
        with pytest.raises(RuntimeError, match="no_grad mode"):
            v.mul_(2.0)
    assert y.tolist() == [1.0, 2.0, 3.0]


def test_a_view_made_under_no_grad_stays_a_constant():
    x = gk.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    with gk.no_grad():
        v = y[1:]
    y *= 2
    out = (v * x[1:]).sum()
    out.backward()
    assert not v.requires_grad and v.tolist() == [4.0, 6.0]
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 4.0, 6.0])


def test_an_expanded_view_is_refused_and_the_graph_is_untouched():
    x = gk.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    e = y.expand(2, 3)
    with pytest.raises(ValueError, match="in-place add: cannot write"):
        e += 1.0
    assert y.tolist() == [2.0, 4.0, 6.0] and y._version == 0
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [8.0, 16.0, 24.0])


def test_a_shape_mismatch_on_a_view_changes_nothing():
    x = gk.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * 1
    node = y.grad_fn
    with pytest.raises(ValueError, match=r"in-place mul.*\(2, 2\).*\(2,\)"):
        y[0].mul_(gk.ones(2, 2))
    assert y.grad_fn is node and y._version == 0 and y.tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_saved_views_still_guard_against_in_place_changes():
    x = gk.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    v = y[1:]
    z = v * v  # saves v
    y[0:2].mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        z.sum().backward()


def test_a_base_with_a_column_major_layout():
    """CopySlices finds the view's elements by their logical positions, not by strides."""
    values = np.asfortranarray(np.arange(1.0, 13.0).reshape(3, 4))
    results = []
    for lib in (gk, torch):
        x = lib.tensor(values, requires_grad=True)
        y = x * 1  # NumPy keeps the column-major layout
        flat = y.T.reshape(-1)  # a view here only because of that layout
        assert flat._is_view()
        flat[2:7].mul_(x[0, 0] + 1)
        (y * y).sum().backward()
        results.append((y.detach().numpy(), x.grad.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0])
    np.testing.assert_allclose(results[0][1], results[1][1])


@pytest.mark.parametrize("recording", [True, False])
def test_every_in_place_op_on_an_expanded_view_is_refused(recording):
    x = gk.tensor([1.0, 2.0, 3.0], requires_grad=recording)
    y = x * 1
    for expanded in (y.expand(2, 3), y.unsqueeze(0).expand(4, 3)[1:], y.broadcast_to((1, 3))):
        for update in (
            lambda e: e.add_(1.0),
            lambda e: e.fill_(0.0),
            lambda e: e.copy_(gk.zeros(3)),
            lambda e: e.__setitem__(0, 5.0),
        ):
            with pytest.raises(ValueError, match="cannot write.*broadcast"):
                update(expanded)
    assert y.tolist() == [1.0, 2.0, 3.0] and y._version == 0
