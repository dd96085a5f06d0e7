"""Tensor metadata, conversions and repr (compared with PyTorch where it has an opinion)."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk

torch = pytest.importorskip("torch")


def test_metadata(device):
    x = gk.zeros(2, 3, 4, device=device)
    assert x.shape == (2, 3, 4)
    assert x.ndim == 3 and x.dim() == 3
    assert x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
    assert x.numel() == 24
    assert len(x) == 2
    assert x.dtype == gk.float32
    assert x.device == gk.Device(device)
    assert not x.requires_grad and x.is_leaf and x.grad is None and x.grad_fn is None


def test_size_out_of_range_names_the_dimension():
    with pytest.raises(IndexError, match="size.*3.*2 dims"):
        gk.zeros(2, 3).size(3)


def test_numpy_item_tolist_and_asarray():
    values = [[1.5, -2.0], [3.25, 4.0]]
    x = gk.tensor(values)
    assert isinstance(x.numpy(), np.ndarray)
    np.testing.assert_array_equal(x.numpy(), np.array(values, dtype=np.float32))
    assert x.tolist() == values
    assert gk.tensor([[2.5]]).item() == 2.5 and isinstance(gk.tensor(2.5).item(), float)
    assert gk.tensor(7).item() == 7 and isinstance(gk.tensor(7).item(), int)
    array = np.asarray(x)
    assert array.dtype == np.float32 and array.shape == (2, 2)
    assert np.asarray(x, dtype=np.float64).dtype == np.float64
    assert float(gk.tensor(1.5)) == 1.5 and int(gk.tensor(3)) == 3


def test_item_of_many_elements_is_an_error():
    with pytest.raises(ValueError, match="item.*one element.*\\(3,\\)"):
        gk.ones(3).item()


def test_bool_of_many_elements_is_ambiguous():
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(gk.ones(2))
    assert bool(gk.tensor([1.0]))


def test_to_dtype_and_device():
    x = gk.tensor([1.5, 2.5])
    assert x.to("float64").dtype == np.float64
    assert x.to(gk.float16).dtype == np.float16
    assert x.to(np.int32).dtype == np.int32
    assert x.to(dtype=gk.float64, device="cpu").dtype == np.float64
    assert x.to("cpu") is x and x.to(gk.Device("cpu")) is x and x.cpu() is x
    assert x.to(gk.ones(1, dtype=gk.float64)).dtype == np.float64
    assert x.float() is x
    assert x.half().dtype == np.float16 and x.double().dtype == np.float64
    assert x.long().dtype == np.int64 and x.int().dtype == np.int32 and x.bool().dtype == np.bool_
    np.testing.assert_array_equal(x.long().numpy(), [1, 2])


def test_casts_are_differentiable_between_floats():
    x = gk.tensor([1.0, 2.0], requires_grad=True)
    y = x.double()
    assert y.requires_grad and y.dtype == np.float64
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])
    assert not x.long().requires_grad


def test_detach_shares_memory_and_drops_history():
    x = gk.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    d.numpy()[0] = 10.0
    assert y.numpy()[0] == 10.0  # same memory, like PyTorch


def test_clone_copies_memory_and_keeps_history():
    x = gk.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.requires_grad and not c.is_leaf
    c.detach().numpy()[0] = 10.0
    assert x.numpy()[0] == 1.0
    (c * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_iteration_and_len():
    x = gk.arange(6).reshape(3, 2)
    rows = [r.tolist() for r in x]
    assert rows == [[0, 1], [2, 3], [4, 5]]
    with pytest.raises(TypeError):
        len(gk.tensor(1.0))


@pytest.mark.parametrize(
    "values",
    [
        [1.0, 2.0],
        [0.5, 0.25, -1.125],
        [[1.5, 2.0], [3.0, 4.0]],
        3.14159,
        [1e-5, 1e3],
        [float("nan"), 1.5],
        [1, 2, 3],
        [True, False],
        [],
    ],
)
def test_repr_looks_like_pytorch(values):
    assert repr(gk.tensor(values)) == repr(torch.tensor(values))


def test_repr_shows_dtype_and_autograd_state():
    assert "dtype=gradkit.float64" in repr(gk.ones(2, dtype=gk.float64))
    assert "dtype" not in repr(gk.ones(2))
    assert repr(gk.ones(2, requires_grad=True)).endswith("requires_grad=True)")
    assert "grad_fn=<" in repr(gk.ones(2, requires_grad=True) * 2)


def test_tensors_are_not_pickled():
    import pickle

    with pytest.raises(TypeError, match="gradkit.save"):
        pickle.dumps(gk.ones(2))
