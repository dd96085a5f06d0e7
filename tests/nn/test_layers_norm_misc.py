"""BatchNorm (running statistics over several steps, momentum None, eval mode), LayerNorm,
GroupNorm, Dropout, Embedding and the activation modules against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk
from gradkit import nn

torch = pytest.importorskip("torch")


def _copy(source, target):
    assert list(source.state_dict()) == list(target.state_dict())
    for ours, theirs in zip(target.state_dict().values(), source.state_dict().values()):
        ours.data[...] = theirs.detach().numpy()


@pytest.mark.parametrize(
    "kind,shape",
    [("BatchNorm1d", (8, 3)), ("BatchNorm1d", (4, 3, 5)), ("BatchNorm2d", (4, 3, 2, 2))],
)
@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_running_stats_follow_torch(kind, shape, momentum, affine):
    rng = np.random.default_rng(0)
    t_bn = getattr(torch.nn, kind)(3, momentum=momentum, affine=affine)
    g_bn = getattr(nn, kind)(3, momentum=momentum, affine=affine)
    if affine:
        with torch.no_grad():
            t_bn.weight.uniform_(0.5, 1.5)
            t_bn.bias.uniform_(-1, 1)
    _copy(t_bn, g_bn)
    for _ in range(4):
        x = (rng.standard_normal(shape) * 3 + 2).astype(np.float32)
        tx, gx = torch.tensor(x, requires_grad=True), gk.tensor(x, requires_grad=True)
        ty, gy = t_bn(tx), g_bn(gx)
        np.testing.assert_allclose(gy.numpy(), ty.detach().numpy(), atol=1e-5)
        ty.pow(2).sum().backward()
        (gy * gy).sum().backward()
        np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), atol=1e-4)
    for name, buf in g_bn.named_buffers():
        np.testing.assert_allclose(buf.numpy(), getattr(t_bn, name).numpy(), rtol=1e-5)
    t_bn.eval()
    g_bn.eval()
    x = rng.standard_normal(shape).astype(np.float32)
    np.testing.assert_allclose(
        g_bn(gk.tensor(x)).numpy(), t_bn(torch.tensor(x)).detach().numpy(), atol=1e-5
    )
    assert int(g_bn.num_batches_tracked.item()) == 4


def test_batch_norm_without_running_stats_uses_batch_stats_in_eval():
    t_bn, g_bn = (
        torch.nn.BatchNorm2d(2, track_running_stats=False),
        nn.BatchNorm2d(2, track_running_stats=False),
    )
    t_bn.eval()
    g_bn.eval()
    x = np.random.default_rng(0).standard_normal((3, 2, 2, 2)).astype(np.float32)
    np.testing.assert_allclose(
        g_bn(gk.tensor(x)).numpy(), t_bn(torch.tensor(x)).detach().numpy(), atol=1e-5
    )
    assert list(g_bn.state_dict()) == list(t_bn.state_dict())


def test_layer_and_group_norm_modules():
    x = np.random.default_rng(0).standard_normal((2, 4, 3)).astype(np.float32)
    for t_mod, g_mod in [
        (torch.nn.LayerNorm((4, 3)), nn.LayerNorm((4, 3))),
        (torch.nn.GroupNorm(2, 4), nn.GroupNorm(2, 4)),
    ]:
        with torch.no_grad():
            for p in t_mod.parameters():
                p.uniform_(-1, 1)
        _copy(t_mod, g_mod)
        np.testing.assert_allclose(
            g_mod(gk.tensor(x)).numpy(), t_mod(torch.tensor(x)).detach().numpy(), atol=1e-5
        )


def test_batch_norm_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\): expected 4-D input"):
        nn.BatchNorm2d(3)(gk.zeros(2, 3))
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3\): expected input with 3 channels"):
        nn.BatchNorm1d(3)(gk.zeros(2, 4))


def test_dropout_modules_train_and_eval():
    x = gk.ones(20, 30)
    layer = nn.Dropout(0.3)
    y = layer(x).numpy()
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.7)}
    layer.eval()
    assert layer(x) is x
    x4 = gk.ones(2, 3, 4, 4)
    assert nn.Dropout2d(0.5).eval()(x4) is x4


def test_embedding_module():
    t_emb = torch.nn.Embedding(10, 4, padding_idx=0)
    g_emb = nn.Embedding(10, 4, padding_idx=0)
    assert (g_emb.weight.numpy()[0] == 0).all()
    assert abs(g_emb.weight.numpy()[1:].std() - 1) < 0.4  # N(0, 1) init like PyTorch
    _copy(t_emb, g_emb)
    idx = np.array([[0, 3], [9, 3]])
    g_out = g_emb(gk.tensor(idx))
    t_out = t_emb(torch.tensor(idx))
    g_out.sum().backward()
    t_out.sum().backward()
    np.testing.assert_allclose(g_out.numpy(), t_out.detach().numpy())
    np.testing.assert_allclose(g_emb.weight.grad.numpy(), t_emb.weight.grad.numpy())


@pytest.mark.parametrize(
    "name,args",
    [
        ("ReLU", ()),
        ("LeakyReLU", (0.2,)),
        ("GELU", ()),
        ("SiLU", ()),
        ("Tanh", ()),
        ("Sigmoid", ()),
        ("Softplus", (2.0, 5.0)),
        ("Softmax", (1,)),
        ("LogSoftmax", (-1,)),
    ],
)
def test_activation_modules(name, args):
    x = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32) * 3
    ours = getattr(nn, name)(*args)(gk.tensor(x))
    theirs = getattr(torch.nn, name)(*args)(torch.tensor(x))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)
    assert ours.dtype == np.float32
