"""dropout / dropout2d on the counter-based (Philox) mask; embedding."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk
from gradkit.backend.cpu import dropout as philox
from gradkit.nn import functional as F
from gradkit.testing import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")


def test_philox_known_answers():
    # Random123's published Philox-4x32-10 test vectors
    zero = philox.philox4x32(np.zeros((1, 4), np.uint32), (0, 0))[0]
    assert [hex(v) for v in zero] == ["0x6627e8d5", "0xe169c58d", "0xbc57ac4c", "0x9b00dbd8"]
    ones = philox.philox4x32(np.full((1, 4), 0xFFFFFFFF, np.uint32), (0xFFFFFFFF, 0xFFFFFFFF))[0]
    assert [hex(v) for v in ones] == ["0x408f276d", "0x41c83b0e", "0xa20bc7c6", "0x6d5451fd"]


def test_mask_is_a_function_of_seed_offset_and_index():
    a = philox.dropout_mask((7, 9), 0.3, seed=123, offset=5)
    b = philox.dropout_mask((7, 9), 0.3, seed=123, offset=5)
    np.testing.assert_array_equal(a, b)
    # element i only depends on i: a longer mask starts with the same bits
    longer = philox.dropout_mask((100,), 0.3, seed=123, offset=5)
    np.testing.assert_array_equal(longer[:63], a.reshape(-1))
    assert not np.array_equal(a, philox.dropout_mask((7, 9), 0.3, seed=124, offset=5))
    assert not np.array_equal(a, philox.dropout_mask((7, 9), 0.3, seed=123, offset=6))


def test_mask_keep_rate():
    mask = philox.dropout_mask((200_000,), 0.25, seed=7, offset=0)
    assert abs(mask.mean() - 0.75) < 0.005


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_scales_kept_values_and_same_seed_same_mask(dtype):
    x = gk.tensor(np.random.default_rng(0).random((50, 40)).astype(dtype) + 1)
    gk.manual_seed(3)
    y1 = F.dropout(x, 0.4)
    gk.manual_seed(3)
    y2 = F.dropout(x, 0.4)
    np.testing.assert_array_equal(y1.numpy(), y2.numpy())
    kept = y1.numpy() != 0
    np.testing.assert_allclose(y1.numpy()[kept], x.numpy()[kept] / (1 - 0.4), rtol=1e-6)
    assert abs(kept.mean() - 0.6) < 0.05
    assert y1.dtype == np.dtype(dtype)
    assert not np.array_equal(F.dropout(x, 0.4).numpy(), y1.numpy())  # the next call differs


def test_dropout_identity_cases_and_gradient():
    x = gk.randn(5, 6, requires_grad=True)
    assert F.dropout(x, 0.0) is x
    assert F.dropout(x, 0.7, training=False) is x
    assert (F.dropout(x, 1.0).numpy() == 0).all()
    y = F.dropout(x, 0.5)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), (y.numpy() != 0) * 2.0)
    assert x.grad.dtype == np.float32


def test_dropout_gradcheck():
    x = gk.tensor(np.random.default_rng(0).standard_normal((3, 4)), requires_grad=True)

    def fn(x):
        gk.manual_seed(11)  # the same mask at every probe
        return F.dropout(x, 0.5)

    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_dropout2d_drops_whole_channels():
    x = gk.ones(4, 8, 3, 3)
    y = F.dropout2d(x, 0.5).numpy()
    per_channel = y.reshape(4, 8, -1)
    assert ((per_channel == 0).all(-1) | (per_channel == 2).all(-1)).all()
    unbatched = F.dropout2d(gk.ones(8, 3, 3), 0.5).numpy().reshape(8, -1)
    assert ((unbatched == 0).all(-1) | (unbatched == 2).all(-1)).all()


def test_dropout_bad_p():
    with pytest.raises(ValueError, match="dropout: expected a probability p in"):
        F.dropout(gk.ones(2), 1.5)


@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding_matches_torch(padding_idx):
    rng = np.random.default_rng(0)
    w = rng.standard_normal((6, 3))
    idx = np.array([[0, 2, 5], [2, 2, 1]])
    gw = gk.tensor(w, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    y = F.embedding(gk.tensor(idx), gw, padding_idx=padding_idx)
    ty = torch.nn.functional.embedding(torch.tensor(idx), tw, padding_idx=padding_idx)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy())
    g = rng.standard_normal(y.shape)
    y.backward(gk.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(gw.grad.numpy(), tw.grad.numpy(), atol=1e-12)


def test_embedding_gradcheck_and_errors():
    w = gk.tensor(np.random.default_rng(0).standard_normal((4, 2)), requires_grad=True)
    idx = gk.tensor(np.array([1, 3, 1, 0]))
    assert gradcheck(lambda w: F.embedding(idx, w), (w,))
    # (padding_idx's row gets no gradient by definition, so only the vjp is checked with it)
    assert gradgradcheck(lambda w: F.embedding(idx, w, padding_idx=0) ** 2, (w,))
    with pytest.raises(IndexError, match="embedding: index 4 is out of range for 4"):
        F.embedding(gk.tensor(np.array([4])), w)
    with pytest.raises(TypeError, match="embedding: expected integer indices"):
        F.embedding(gk.tensor([1.0]), w)
