"""Optimizer plumbing: param groups, zero_grad, state_dict resume, closures, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

import gradkit as gk
from gradkit import nn, optim

torch = pytest.importorskip("torch")


def _params(seed=0, shapes=((3, 2), (2,))):
    rng = np.random.default_rng(seed)
    return [nn.Parameter(gk.tensor(rng.standard_normal(s).astype(np.float32))) for s in shapes]


def _set_grads(params, step):
    rng = np.random.default_rng(1000 + step)
    for p in params:
        p.grad = gk.tensor(rng.standard_normal(p.shape).astype(np.float32))


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
        lambda ps: optim.Adam(ps, lr=0.01, amsgrad=True),
        lambda ps: optim.AdamW(ps, lr=0.01),
        lambda ps: optim.RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
        lambda ps: optim.Adagrad(ps, lr=0.1, lr_decay=0.01),
    ],
)
def test_resume_from_saved_state_continues_exactly(make, tmp_path):
    straight = _params()
    opt = make(straight)
    for t in range(20):
        _set_grads(straight, t)
        opt.step()

    first = _params()
    opt1 = make(first)
    for t in range(10):
        _set_grads(first, t)
        opt1.step()
    gk.save({"params": [p.detach() for p in first], "optim": opt1.state_dict()}, tmp_path / "ck.gk")
    checkpoint = gk.load(tmp_path / "ck.gk")
    resumed = [nn.Parameter(t.clone()) for t in checkpoint["params"]]
    opt2 = make(resumed)
    opt2.load_state_dict(checkpoint["optim"])
    for t in range(10, 20):
        _set_grads(resumed, t)
        opt2.step()
    for a, b in zip(straight, resumed):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_state_dict_has_pytorch_layout():
    ps = _params()
    tps = [torch.nn.Parameter(torch.tensor(p.numpy())) for p in ps]
    opt = optim.Adam([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.5}], lr=0.1)
    ref = torch.optim.Adam([{"params": tps[:1]}, {"params": tps[1:], "lr": 0.5}], lr=0.1)
    _set_grads(ps, 0)
    for p, q in zip(ps, tps):
        q.grad = torch.tensor(p.grad.numpy())
    opt.step()
    ref.step()
    ours, theirs = opt.state_dict(), ref.state_dict()
    assert sorted(ours["state"]) == sorted(theirs["state"]) == [0, 1]
    for index, state in theirs["state"].items():
        assert set(ours["state"][index]) == set(state)
        np.testing.assert_allclose(
            ours["state"][index]["exp_avg"].numpy(), state["exp_avg"].numpy(), rtol=1e-6
        )
        assert ours["state"][index]["step"].dtype == gk.float32
    assert [g["params"] for g in ours["param_groups"]] == [[0], [1]]
    assert [g["lr"] for g in ours["param_groups"]] == [0.1, 0.5]


def test_param_groups_use_their_own_options():
    a, b = _params()
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.0}], lr=1.0)
    before_b = b.numpy().copy()
    before_a = a.numpy().copy()
    _set_grads([a, b], 0)
    opt.step()
    np.testing.assert_array_equal(b.numpy(), before_b)
    np.testing.assert_allclose(a.numpy(), before_a - a.grad.numpy(), rtol=1e-6)


def test_add_param_group_and_zero_grad():
    a, b = _params()
    opt = optim.Adam([a], lr=0.1)
    opt.add_param_group({"params": b, "lr": 0.2})
    assert opt.param_groups[1]["lr"] == 0.2 and opt.param_groups[1]["betas"] == (0.9, 0.999)
    with pytest.raises(ValueError, match="more than one group"):
        opt.add_param_group({"params": [a]})
    _set_grads([a, b], 0)
    opt.zero_grad(set_to_none=False)
    assert np.all(a.grad.numpy() == 0) and np.all(b.grad.numpy() == 0)
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_step_calls_the_closure_with_grad_enabled():
    (a,) = _params(shapes=((2,),))
    opt = optim.SGD([a], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (a * a).sum()
        loss.backward()
        return loss

    with gk.no_grad():
        loss = opt.step(closure)
    assert isinstance(loss, gk.Tensor) and a.grad is not None


def test_fused_step_runs_once_per_device_dtype_group(monkeypatch):
    from gradkit.backend import cpu as cpu_primitives

    calls = []
    real = cpu_primitives.adam_step
    monkeypatch.setattr(
        cpu_primitives, "adam_step", lambda *a, **k: (calls.append(len(a[0])), real(*a, **k))[1]
    )
    ps = _params(shapes=((3, 2), (2,), (4,)))
    ps.append(nn.Parameter(gk.zeros(3, dtype=gk.float64)))
    opt = optim.Adam(ps, lr=0.1)
    for p in ps:
        p.grad = gk.ones_like(p)
    opt.step()
    assert sorted(calls) == [1, 3]


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda ps: optim.SGD(ps, lr=-0.1), "SGD.*-0.1"),
        (lambda ps: optim.SGD(ps, lr=float("nan")), "SGD.*nan"),
        (lambda ps: optim.SGD(ps, lr=0.1, momentum=-0.5), "SGD.*momentum"),
        (lambda ps: optim.SGD(ps, lr=0.1, nesterov=True), "SGD.*Nesterov"),
        (lambda ps: optim.Adam(ps, betas=(1.0, 0.999)), "Adam.*beta1.*1.0"),
        (lambda ps: optim.Adam(ps, betas=(0.9, -0.1)), "Adam.*beta2"),
        (lambda ps: optim.AdamW(ps, eps=-1e-8), "AdamW.*epsilon"),
        (lambda ps: optim.Adam(ps, weight_decay=-1), "Adam.*weight_decay"),
        (lambda ps: optim.RMSprop(ps, alpha=-0.1), "RMSprop.*alpha"),
        (lambda ps: optim.RMSprop(ps, momentum=math.nan), "RMSprop.*momentum"),
        (lambda ps: optim.Adagrad(ps, lr_decay=-1), "Adagrad.*lr_decay"),
        (lambda ps: optim.Adagrad(ps, initial_accumulator_value=-1), "Adagrad.*initial_acc"),
        (lambda ps: optim.Adam([]), "Adam.*empty"),
    ],
)
def test_bad_hyperparameters_raise(make, match):
    with pytest.raises(ValueError, match=match):
        make(_params())


def test_bad_gradients_raise_at_step_and_change_nothing():
    a, b = _params()
    opt = optim.SGD([a, b], lr=0.1)
    before = [a.numpy().copy(), b.numpy().copy()]
    a.grad = gk.ones_like(a)
    b.grad = gk.ones(5)
    with pytest.raises(RuntimeError, match=r"SGD.step.*shape \(2,\).*\(5,\)"):
        opt.step()
    np.testing.assert_array_equal(a.numpy(), before[0])  # validated before any update
    b.grad = gk.ones(2, dtype=gk.float64)
    with pytest.raises(RuntimeError, match="SGD.step.*dtype"):
        opt.step()


def test_non_leaf_and_integer_tensors_are_refused():
    (a,) = _params(shapes=((2,),))
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([a * 2], lr=0.1)
    with pytest.raises(TypeError, match="floating"):
        optim.SGD([gk.zeros(2, dtype=gk.int64)], lr=0.1)


def test_load_state_dict_mismatch_raises_and_keeps_state():
    ps = _params()
    opt = optim.Adam(ps, lr=0.1)
    other = optim.Adam(_params(shapes=((2,),)), lr=0.3)
    with pytest.raises(ValueError, match="parameter group 0 has 1"):
        opt.load_state_dict(other.state_dict())
    assert opt.param_groups[0]["lr"] == 0.1
