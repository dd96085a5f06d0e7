"""In-place updates: refused on leaves that require grad, allowed under no_grad, guarded by
the version counter, and differentiated correctly on non-leaves (compared with PyTorch)."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk

torch = pytest.importorskip("torch")

INPLACE = {
    "+=": lambda t: t.__iadd__(1.0),
    "-=": lambda t: t.__isub__(1.0),
    "*=": lambda t: t.__imul__(2.0),
    "/=": lambda t: t.__itruediv__(2.0),
    "zero_": lambda t: t.zero_(),
    "fill_": lambda t: t.fill_(3.0),
    "copy_": lambda t: t.copy_(gk.ones(2)),
    "setitem": lambda t: t.__setitem__(0, 5.0),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_refused_on_a_leaf_that_requires_grad(name):
    x = gk.tensor([1.0, 2.0], requires_grad=True)
    op_name = name if name[-1] == "_" or name == "setitem" else "in-place"
    with pytest.raises(RuntimeError, match=f"{op_name}.*leaf"):
        INPLACE[name](x)
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0])
    assert x._version == 0 and x.is_leaf and x.requires_grad


def test_allowed_on_a_leaf_under_no_grad():
    x = gk.tensor([1.0, 2.0], requires_grad=True)
    with gk.no_grad():
        x += 1
        x *= 2
        x -= 1
        x /= 2
        x[0] = 7.0
        assert x.numpy().tolist() == [7.0, 2.5]
        x.fill_(1.5)
        x.copy_(gk.tensor([3.0, 4.0]))
        x.zero_()
    assert x.numpy().tolist() == [0.0, 0.0]
    assert x.is_leaf and x.requires_grad and x.grad_fn is None
    assert x._version == 8


def test_plain_tensors_update_in_place_and_views_see_it():
    x = gk.zeros(2, 3)
    row = x[0]
    x += 1
    x[1, 2] = 5.0
    row *= 3
    assert x.numpy().tolist() == [[3.0, 3.0, 3.0], [1.0, 1.0, 5.0]]
    assert row.numpy().tolist() == [3.0, 3.0, 3.0]


def test_in_place_result_keeps_the_tensors_dtype():
    x = gk.zeros(3, dtype=gk.int64)
    x += 2
    assert x.dtype == np.int64 and x.tolist() == [2, 2, 2]
    with pytest.raises(TypeError, match="in-place"):
        x /= 2
    assert x.tolist() == [2, 2, 2]
    f = gk.zeros(2)
    f += np.float64(1.5)
    assert f.dtype == np.float32


def test_in_place_broadcast_that_would_grow_the_tensor_is_refused():
    x = gk.zeros(3)
    with pytest.raises(ValueError, match=r"in-place.*\(2, 3\).*\(3,\)"):
        x += gk.ones(2, 3)
    assert x.tolist() == [0.0, 0.0, 0.0] and x._version == 0


def test_version_counter_makes_backward_refuse_a_modified_saved_tensor():
    x = gk.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y * y  # saves y
    y += 1
    with pytest.raises(RuntimeError, match="Mul.*modified by an in-place operation.*version"):
        z.sum().backward()


def test_version_counter_guards_saved_outputs_and_views():
    x = gk.tensor([1.0, 2.0], requires_grad=True)
    e = gk.exp(x * 1)  # saves its output
    e += 1
    with pytest.raises(RuntimeError, match="Exp.*in-place"):
        e.sum().backward()
    x2 = gk.tensor([1.0, 2.0], requires_grad=True)
    base = x2 * 1
    z = gk.sin(base)
    view = base.reshape(2, 1)
    with gk.no_grad():
        view.zero_()  # writes through a view of the saved tensor
    with pytest.raises(RuntimeError, match="Sin.*in-place"):
        z.sum().backward()


def test_modification_after_backward_is_fine():
    x = gk.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = (y * y).sum()
    z.backward()
    y += 1
    np.testing.assert_allclose(x.grad.numpy(), [8.0, 16.0])


def _non_leaf_programs():
    def arithmetic(a, lib):
        y = a * 2
        y += a
        y *= a
        y -= 1
        y /= a + 5
        return y

    def setitem_row(a, lib):
        y = a * 1
        y[0] = a[1] * 3
        return y * a

    def setitem_column_constant(a, lib):
        y = a * 1
        y[:, 1] = 0.0
        return y * y

    def fill(a, lib):
        y = a * 3
        y.fill_(2.0)
        return y * a

    def copy(a, lib):
        y = a * 3
        y.copy_(a * a)
        return y * a

    def zero_then_add(a, lib):
        y = lib.log(a * a)
        y.zero_()
        return y + a

    def write_into_constant(a, lib):
        y = lib.zeros(2, 3, dtype=a.dtype)
        y[1] = a[0] * 2
        y += a
        return y * y

    return [
        arithmetic,
        setitem_row,
        setitem_column_constant,
        fill,
        copy,
        zero_then_add,
        write_into_constant,
    ]


@pytest.mark.parametrize("program", _non_leaf_programs(), ids=lambda f: f.__name__)
def test_in_place_on_a_non_leaf_matches_pytorch(program):
    values = np.array([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0]], dtype=np.float32)
    a = gk.tensor(values, requires_grad=True)
    ta = torch.tensor(values, requires_grad=True)
    out, tout = program(a, gk), program(ta, torch)
    weights = np.arange(6, dtype=np.float32).reshape(2, 3)
    (out * gk.tensor(weights)).sum().backward()
    (tout * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-6)
    assert a.grad.dtype == np.float32


def _view_programs():
    def add_through_view(a, lib):
        y = a * 3
        v = y[0]
        v += 1
        return y * a

    def base_modified_view_read(a, lib):
        y = a * 3
        v = y[0]
        y += 1
        return v * a

    def scale_through_view(a, lib):
        y = a * 3
        v = y[0]
        v *= 2
        return y * a

    def scale_base_then_read_view(a, lib):
        y = a * 3
        v = y[0]
        y *= a
        return v * a

    return [
        add_through_view,
        base_modified_view_read,
        scale_through_view,
        scale_base_then_read_view,
    ]


@pytest.mark.parametrize("program", _view_programs(), ids=lambda f: f.__name__)
def test_in_place_through_views_matches_pytorch(program):
    values = np.array([[1.0, -2.0, 3.0], [0.5, 0.25, -1.0]], dtype=np.float32)
    a = gk.tensor(values, requires_grad=True)
    ta = torch.tensor(values, requires_grad=True)
    out, tout = program(a, gk), program(ta, torch)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-6)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-6)


def test_setitem_errors_name_the_op_and_change_nothing():
    x = gk.zeros(2, 3)
    with pytest.raises(IndexError, match=r"setitem.*\(2, 3\)"):
        x[5] = 1.0
    with pytest.raises(ValueError, match="setitem"):
        x[0] = gk.ones(4)
    assert x._version == 0 and not x.numpy().any()
    with pytest.raises(IndexError, match="getitem.*out of bounds"):
        x[0, 7]
