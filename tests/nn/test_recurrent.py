"""RNN / LSTM / GRU against PyTorch with the same weights (copied through state_dict, whose
keys must match one to one): outputs, final states and all gradients; gradcheck."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk
from gradkit import nn
from gradkit.nn.functional.recurrent import rnn
from gradkit.testing import gradcheck

torch = pytest.importorskip("torch")

CONFIGS = [
    # (kind, kwargs, bidirectional, num_layers, batch_first, given initial states)
    ("RNN", {"nonlinearity": "tanh"}, False, 1, False, False),
    ("RNN", {"nonlinearity": "relu"}, True, 2, True, True),
    ("LSTM", {}, False, 2, False, True),
    ("LSTM", {}, True, 1, True, False),
    ("LSTM", {}, True, 2, False, True),
    ("GRU", {}, False, 1, True, True),
    ("GRU", {}, True, 2, False, False),
]


def _copy_weights(source, target):
    assert list(source.state_dict()) == list(target.state_dict())
    for (name, ours), theirs in zip(target.state_dict().items(), source.state_dict().values()):
        assert tuple(ours.shape) == tuple(theirs.shape), name
        ours.data[...] = theirs.detach().numpy()


@pytest.mark.parametrize("kind,kwargs,bidirectional,layers,batch_first,with_state", CONFIGS)
def test_recurrent_matches_torch(kind, kwargs, bidirectional, layers, batch_first, with_state):
    rng = np.random.default_rng(0)
    t_net = getattr(torch.nn, kind)(
        3, 4, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first, **kwargs
    ).double()
    g_net = getattr(nn, kind)(
        3,
        4,
        num_layers=layers,
        bidirectional=bidirectional,
        batch_first=batch_first,
        dtype="float64",
        **kwargs,
    )
    _copy_weights(t_net, g_net)
    seq, batch = 5, 2
    x = rng.standard_normal((batch, seq, 3) if batch_first else (seq, batch, 3))
    state_shape = (layers * (2 if bidirectional else 1), batch, 4)
    t_x, g_x = torch.tensor(x, requires_grad=True), gk.tensor(x, requires_grad=True)
    t_state = g_state = None
    if with_state:
        h0 = rng.standard_normal(state_shape)
        if kind == "LSTM":
            c0 = rng.standard_normal(state_shape)
            t_state = (torch.tensor(h0), torch.tensor(c0))
            g_state = (gk.tensor(h0), gk.tensor(c0))
        else:
            t_state, g_state = torch.tensor(h0), gk.tensor(h0)
    t_out, t_final = t_net(t_x, t_state)
    g_out, g_final = g_net(g_x, g_state)
    np.testing.assert_allclose(g_out.numpy(), t_out.detach().numpy(), atol=1e-12)
    t_finals = t_final if kind == "LSTM" else (t_final,)
    g_finals = g_final if kind == "LSTM" else (g_final,)
    for a, b in zip(g_finals, t_finals):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), atol=1e-12)
    weights = rng.standard_normal(tuple(t_out.shape))
    (t_out * torch.tensor(weights)).sum().add(t_finals[-1].sum()).backward()
    (g_out * gk.tensor(weights)).sum().add(g_finals[-1].sum()).backward()
    np.testing.assert_allclose(g_x.grad.numpy(), t_x.grad.numpy(), atol=1e-11)
    for ours, theirs in zip(g_net.parameters(), t_net.parameters()):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-11)


def test_unbatched_input_and_float32():
    t_net, g_net = torch.nn.GRU(3, 2), nn.GRU(3, 2)
    _copy_weights(t_net, g_net)
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    out, h = g_net(gk.tensor(x))
    t_out, t_h = t_net(torch.tensor(x))
    assert out.shape == (4, 2) and h.shape == (1, 2)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), t_out.detach().numpy(), atol=1e-6)


def test_dropout_between_layers_only_in_training():
    net = nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    x = gk.randn(5, 2, 3)
    net.eval()
    a, _ = net(x)
    b, _ = net(x)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    net.train()
    gk.manual_seed(1)
    c, _ = net(x)
    assert not np.allclose(c.numpy(), a.numpy())


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn_tanh"])
def test_recurrent_gradcheck(mode):
    rng = np.random.default_rng(0)
    gates = {"lstm": 4, "gru": 3, "rnn_tanh": 1}[mode] * 2
    shapes = [(gates, 2), (gates, 2), (gates,), (gates,)] * 2  # both directions
    params = [gk.tensor(rng.standard_normal(s) * 0.5, requires_grad=True) for s in shapes]
    x = gk.tensor(rng.standard_normal((3, 1, 2)), requires_grad=True)

    def fn(x, *p):
        return rnn(mode, x, None, [p[:4], p[4:]], 1, True)[0]

    assert gradcheck(fn, (x, *params))


def test_default_initialisation_bound():
    net = nn.GRU(3, 16, num_layers=2)
    for p in net.parameters():
        assert np.abs(p.numpy()).max() <= 1 / 4
    assert (
        abs(
            np.concatenate([p.numpy().ravel() for p in net.parameters()]).std()
            - (1 / 4) / np.sqrt(3)
        )
        < 0.01
    )


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: nn.LSTM(3, 4)(gk.zeros(5, 2, 2)), "LSTM: expected input with input_size=3"),
        (lambda: nn.GRU(3, 4)(gk.zeros(5, 2, 3), gk.zeros(2, 2, 4)), r"gru: expected h0 of shape"),
        (lambda: nn.RNN(3, 4)(gk.zeros(3)), "RNN: expected 2-D"),
        (lambda: nn.RNN(3, 4, nonlinearity="sigmoid"), "RNN: unknown nonlinearity"),
    ],
)
def test_recurrent_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()
