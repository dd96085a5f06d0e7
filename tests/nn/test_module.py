"""Module registration, traversal, modes, to(), state_dict/load_state_dict, containers."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk
from gradkit import nn


class TinyLinear(nn.Module):
    """x @ w.T + b with elementwise ops only (no dependence on the layers' timing)."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(gk.randn(n_out, n_in) * 0.1)
        self.bias = nn.Parameter(gk.zeros(n_out))

    def forward(self, x):
        return (x.reshape(x.shape[0], 1, x.shape[1]) * self.weight).sum(-1) + self.bias

    def extra_repr(self):
        return f"in_features={self.weight.shape[1]}, out_features={self.weight.shape[0]}"


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(TinyLinear(4, 3), nn.Identity())
        self.head = TinyLinear(3, 2)
        self.register_buffer("running", gk.zeros(2))
        self.register_buffer("scratch", gk.zeros(1), persistent=False)

    def forward(self, x):
        return self.head(self.body(x))


def test_parameter_is_a_leaf_sharing_memory():
    x = gk.randn(2, 3, requires_grad=True)
    y = x * 2
    p = nn.Parameter(y)
    assert isinstance(p, gk.Tensor) and p.is_leaf and p.requires_grad
    assert p.data is y.data
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert type(p * 2) is gk.Tensor
    assert not nn.Parameter(gk.zeros(2), requires_grad=False).requires_grad


def test_registration_and_traversal_order():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["body.0.weight", "body.0.bias", "head.weight", "head.bias"]
    assert [n for n, _ in net.named_buffers()] == ["running", "scratch"]
    assert [n for n, _ in net.named_children()] == ["body", "head"]
    assert [n for n, _ in net.named_modules()] == ["", "body", "body.0", "body.1", "head"]
    assert list(net.state_dict()) == [
        "running",
        "body.0.weight",
        "body.0.bias",
        "head.weight",
        "head.bias",
    ]
    assert len(list(net.parameters())) == 4 and len(list(net.children())) == 2


def test_shared_parameters_are_listed_once():
    net = Net()
    net.tied = net.head  # the same module twice
    assert len(list(net.parameters())) == 4


def test_assignment_rules():
    net = Net()
    with pytest.raises(TypeError, match="parameter 'weight'"):
        net.head.weight = gk.zeros(2, 3)
    net.head.bias = None
    assert "bias" not in dict(net.head.named_parameters())
    net.head.extra = 5
    assert net.head.extra == 5
    del net.head.weight
    with pytest.raises(AttributeError, match="weight"):
        _ = net.head.weight

    class Broken(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(gk.zeros(1))

    with pytest.raises(AttributeError, match="super"):
        Broken()


def test_forward_hooks_and_call():
    net = Net()
    x = gk.randn(5, 4)
    seen = []
    handle = net.register_forward_hook(lambda m, args, out: seen.append(out.shape))
    pre = net.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    out = net(x)
    assert seen == [(5, 2)]
    np.testing.assert_allclose(out.numpy(), np.broadcast_to(net.head.bias.numpy(), (5, 2)))
    handle.remove()
    pre.remove()
    net(x)
    assert len(seen) == 1


def test_train_eval_zero_grad_apply():
    net = Net()
    net.eval()
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    net(gk.randn(2, 4)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(np.all(p.grad.numpy() == 0) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    visited = []
    net.apply(lambda m: visited.append(type(m).__name__))
    assert visited[-1] == "Net" and visited.count("TinyLinear") == 2


def test_to_dtype_converts_in_place_keeping_identity():
    net = Net()
    params = list(net.parameters())
    net.to(gk.float64)
    assert [id(p) for p in net.parameters()] == [id(p) for p in params]
    assert all(p.dtype == gk.float64 for p in net.parameters())
    assert net.running.dtype == gk.float64
    out = net(gk.randn(3, 4, dtype=gk.float64))
    assert out.dtype == gk.float64
    net.float()
    assert all(p.dtype == gk.float32 for p in params)
    with pytest.raises(TypeError, match="floating"):
        net.to(gk.int32)


def test_repr_is_a_readable_tree():
    text = repr(Net())
    assert text.splitlines()[0] == "Net("
    assert "(body): Sequential(\n    (0): TinyLinear(in_features=4, out_features=3)" in text
    assert "(1): Identity()" in text and text.endswith("\n)")


def test_state_dict_round_trip_and_copies_values():
    a, b = Net(), Net()
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (_, p), (_, q) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
        assert p.data is not q.data
    sd = a.state_dict()
    assert sd["head.weight"].data is a.head.weight.data  # shares memory, detached
    assert not sd["head.weight"].requires_grad


def test_load_state_dict_errors_list_keys_and_change_nothing():
    net = Net()
    before = {k: v.numpy().copy() for k, v in net.state_dict().items()}
    sd = {k: v.clone() + 1 for k, v in Net().state_dict().items()}
    del sd["head.bias"]
    sd["extra.weight"] = gk.zeros(1)
    with pytest.raises(
        nn.LoadStateDictError,
        match=r"(?s)missing.*head\.bias.*unexpected"
        r".*extra\.weight",
    ):
        net.load_state_dict(sd)
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])
    result = net.load_state_dict(sd, strict=False)
    assert result == (["head.bias"], ["extra.weight"])
    assert not np.array_equal(net.head.weight.numpy(), before["head.weight"])

    bad = Net().state_dict()
    bad["head.weight"] = gk.zeros(5, 5)
    with pytest.raises(ValueError, match=r"size mismatch for head\.weight.*\(5, 5\).*\(2, 3\)"):
        net.load_state_dict(bad, strict=False)
    with pytest.raises(RuntimeError):  # also what PyTorch code catches
        net.load_state_dict(bad)


def test_load_state_dict_converts_dtype_and_accepts_arrays():
    net = Net()
    sd = {k: v.numpy().astype(np.float64) * 0 + 3 for k, v in Net().state_dict().items()}
    net.load_state_dict(sd)
    assert net.head.weight.dtype == gk.float32
    assert np.all(net.head.weight.numpy() == 3)


def test_sequential_indexing_slicing_and_mutation():
    layers = [TinyLinear(4, 4) for _ in range(3)]
    seq = nn.Sequential(*layers)
    assert len(seq) == 3 and seq[0] is layers[0] and seq[-1] is layers[2]
    sliced = seq[1:]
    assert isinstance(sliced, nn.Sequential) and list(sliced) == layers[1:]
    seq.append(nn.Identity())
    assert len(seq) == 4 and list(seq.state_dict())[-1] == "2.bias"
    del seq[0]
    assert [n for n, _ in seq.named_children()] == ["0", "1", "2"] and seq[0] is layers[1]
    with pytest.raises(IndexError, match="Sequential"):
        seq[10]
    x = gk.randn(2, 4)
    np.testing.assert_allclose(seq(x).numpy(), layers[2](layers[1](x)).numpy(), rtol=1e-6)
    from collections import OrderedDict

    named = nn.Sequential(OrderedDict(first=layers[0], second=nn.Identity()))
    assert [n for n, _ in named.named_children()] == ["first", "second"]


def test_module_list_and_dict():
    items = nn.ModuleList([TinyLinear(2, 2), TinyLinear(2, 2)])
    items.append(TinyLinear(2, 1))
    items.extend([nn.Identity()])
    items.insert(0, nn.Identity())
    assert len(items) == 5 and isinstance(items[1:3], nn.ModuleList)
    assert len(list(items.parameters())) == 6
    table = nn.ModuleDict({"a": TinyLinear(2, 2)})
    table["b"] = nn.Identity()
    assert list(table.keys()) == ["a", "b"] and "a" in table and len(table) == 2
    assert list(table.state_dict()) == ["a.weight", "a.bias"]
    table.pop("a")
    assert list(table) == ["b"]


def test_flatten_and_unflatten():
    x = gk.randn(2, 3, 4, 5)
    assert nn.Flatten()(x).shape == (2, 60)
    assert nn.Flatten(0, 1)(x).shape == (6, 4, 5)
    assert nn.Flatten(1, 2)(x).shape == (2, 12, 5)
    assert nn.Unflatten(1, (3, 20))(nn.Flatten()(x)).shape == (2, 3, 20)
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    with pytest.raises(IndexError, match="Flatten"):
        nn.Flatten(3, 1)(x)
    flat = nn.Flatten()(gk.randn(2, 3, 4, requires_grad=True))
    assert flat.requires_grad


def test_modules_are_not_pickled():
    import pickle

    with pytest.raises(TypeError, match="gradkit.save"):
        pickle.dumps(Net())
