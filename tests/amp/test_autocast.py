"""gk.amp.autocast on the CPU (float16 through NumPy): the dtype policy per op, gradients in
each tensor's own dtype, the weight-cast cache, nesting, decorator use and thread locality.
The lower-precision list and the loss list are checked against torch.autocast("cpu",
float16); softmax/exp/log/reductions/norms follow PyTorch's CUDA list (float32), which
PyTorch's CPU autocast does not apply, so those are checked against the documented policy."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import gradkit as gk
import gradkit.nn.functional as F
from gradkit.amp import autocast_state

F16, F32, F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)


def _inputs(seed=0):
    gk.manual_seed(seed)
    return {
        "x": gk.randn(4, 3),
        "w": gk.randn(5, 3, requires_grad=True),
        "img": gk.randn(1, 2, 5, 5),
        "k": gk.randn(3, 2, 3, 3, requires_grad=True),
        "t": gk.randn(4, 3),
        "labels": gk.tensor([0, 1, 2, 0]),
    }


# name -> (gradkit call, torch call): the dtype of the result must agree with torch's CPU
# autocast in float16.
AGREES_WITH_TORCH = {
    "matmul": (lambda g, a: g.matmul(a["x"], a["w"].T), lambda t, a: a["x"] @ a["w"].T),
    "mm": (lambda g, a: g.mm(a["x"], a["w"].T), lambda t, a: t.mm(a["x"], a["w"].T)),
    "bmm": (
        lambda g, a: g.bmm(a["x"][None], a["w"].T[None]),
        lambda t, a: t.bmm(a["x"][None], a["w"].T[None]),
    ),
    "linear": (
        lambda g, a: F.linear(a["x"], a["w"]),
        lambda t, a: t.nn.functional.linear(a["x"], a["w"]),
    ),
    "conv2d": (
        lambda g, a: F.conv2d(a["img"], a["k"]),
        lambda t, a: t.nn.functional.conv2d(a["img"], a["k"]),
    ),
    "mse_loss": (
        lambda g, a: F.mse_loss(a["x"].half(), a["t"].half()),
        lambda t, a: t.nn.functional.mse_loss(a["x"].half(), a["t"].half()),
    ),
    "l1_loss": (
        lambda g, a: F.l1_loss(a["x"].half(), a["t"].half()),
        lambda t, a: t.nn.functional.l1_loss(a["x"].half(), a["t"].half()),
    ),
    "cross_entropy": (
        lambda g, a: F.cross_entropy(a["x"].half(), a["labels"]),
        lambda t, a: t.nn.functional.cross_entropy(a["x"].half(), a["labels"]),
    ),
    "nll_loss": (
        lambda g, a: F.nll_loss(a["x"].half(), a["labels"]),
        lambda t, a: t.nn.functional.nll_loss(a["x"].half(), a["labels"]),
    ),
    "binary_cross_entropy_with_logits": (
        lambda g, a: F.binary_cross_entropy_with_logits(a["x"].half(), a["t"].sigmoid().half()),
        lambda t, a: t.nn.functional.binary_cross_entropy_with_logits(
            a["x"].half(), a["t"].sigmoid().half()
        ),
    ),
    "add_mixed": (lambda g, a: a["x"].half() + a["t"], lambda t, a: a["x"].half() + a["t"]),
    "matmul_float64": (
        lambda g, a: g.matmul(a["x"].double(), a["t"].double().T),
        lambda t, a: a["x"].double() @ a["t"].double().T,
    ),
}


def _torch_inputs(torch, ours):
    return {k: torch.tensor(v.detach().numpy()) for k, v in ours.items()}


@pytest.mark.parametrize("name", list(AGREES_WITH_TORCH))
def test_result_dtype_matches_torch_cpu_autocast(name):
    torch = pytest.importorskip("torch")
    ours, call_torch = AGREES_WITH_TORCH[name]
    a = _inputs()
    ta = _torch_inputs(torch, a)
    with gk.amp.autocast("cpu"):
        got = ours(gk, a)
    with torch.autocast("cpu", dtype=torch.float16):
        expected = call_torch(torch, ta)
    assert str(got.dtype) == str(expected.dtype).replace("torch.", "")
    np.testing.assert_allclose(
        got.detach().numpy().astype(np.float64),
        expected.detach().float().numpy().astype(np.float64),
        rtol=1e-2,
        atol=1e-2,
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda a: gk.softmax(a["x"].half(), axis=-1),
        lambda a: gk.log_softmax(a["x"].half(), axis=-1),
        lambda a: gk.exp(a["x"].half()),
        lambda a: gk.log(a["x"].abs().half() + 1),
        lambda a: a["x"].half().sum(),
        lambda a: a["x"].half().mean(axis=0),
        lambda a: gk.norm(a["x"].half()),
        lambda a: F.layer_norm(a["x"].half(), (3,)),
        lambda a: F.group_norm(a["img"].half(), 1),
        lambda a: F.batch_norm(a["img"].half(), None, None, training=True),
        lambda a: F.smooth_l1_loss(a["x"].half(), a["t"].half()),
    ],
    ids=[
        "softmax",
        "log_softmax",
        "exp",
        "log",
        "sum",
        "mean",
        "norm",
        "layer_norm",
        "group_norm",
        "batch_norm",
        "smooth_l1_loss",
    ],
)
def test_float32_ops_follow_the_cuda_policy(call):
    a = _inputs()
    with gk.amp.autocast("cpu"):
        assert call(a).dtype == F32
    assert call(a).dtype == F16  # outside autocast nothing is cast


def test_gradients_flow_back_in_each_tensors_own_dtype():
    a = _inputs()
    x16 = a["x"].half().detach().requires_grad_()
    with gk.amp.autocast("cpu"):
        h = F.linear(a["x"], a["w"])  # float16
        loss = F.cross_entropy(h, a["labels"]) + gk.exp(x16).sum()
    assert h.dtype == F16 and loss.dtype == F32
    loss.backward()
    assert a["w"].grad.dtype == F32 and x16.grad.dtype == F16
    # d/dx16 sum(exp(x16)) computed in float32 then cast back
    np.testing.assert_allclose(
        x16.grad.numpy(), np.exp(x16.detach().numpy().astype(np.float32)), rtol=1e-3
    )


def test_weight_casts_are_cached_within_a_region_and_track_versions(monkeypatch):
    import importlib

    cast_ops = importlib.import_module("gradkit.ops.cast")

    calls = []
    original = cast_ops.cast
    monkeypatch.setattr(cast_ops, "cast", lambda t, d: calls.append(t) or original(t, d))
    a = _inputs()
    w = a["w"]
    with gk.amp.autocast("cpu"):
        F.linear(a["x"], w)
        F.linear(a["t"], w)
        weight_casts = sum(t is w for t in calls)
        assert weight_casts == 1
        with gk.no_grad():
            w += 1.0  # a new version must be cast again
        F.linear(a["x"], w)
        assert sum(t is w for t in calls) == 2
    assert autocast_state._local.cache == {}  # cleared on leaving the region


def test_nesting_decorator_and_disable():
    a = _inputs()

    @gk.amp.autocast("cpu")
    def forward(x, w):
        return F.linear(x, w)

    assert forward(a["x"], a["w"]).dtype == F16
    assert F.linear(a["x"], a["w"]).dtype == F32
    with gk.amp.autocast("cpu"):
        assert gk.amp.is_autocast_enabled("cpu")
        with gk.amp.autocast("cpu", enabled=False):
            assert F.linear(a["x"], a["w"]).dtype == F32
        assert F.linear(a["x"], a["w"]).dtype == F16
        # autocast for another device type leaves CPU tensors alone
    with gk.amp.autocast("cuda"):
        assert F.linear(a["x"], a["w"]).dtype == F32
    assert not gk.amp.is_autocast_enabled("cpu")
    assert autocast_state.active == 0


def test_autocast_is_thread_local():
    a = _inputs()
    seen = []
    inside, done = threading.Event(), threading.Event()

    def other():
        inside.wait()
        seen.append(F.linear(a["x"], a["w"]).dtype)
        done.set()

    thread = threading.Thread(target=other)
    thread.start()
    with gk.amp.autocast("cpu"):
        inside.set()
        done.wait()
    thread.join()
    assert seen == [F32]


def test_bad_arguments():
    with pytest.raises(ValueError, match="autocast: device_type"):
        gk.amp.autocast("tpu")
    with pytest.raises(TypeError, match="autocast: supported dtype is float16"):
        gk.amp.autocast("cpu", dtype=gk.float64)


def test_layers_follow_the_policy():
    gk.manual_seed(0)
    net = gk.nn.Sequential(
        gk.nn.Conv2d(2, 4, 3),
        gk.nn.BatchNorm2d(4),
        gk.nn.ReLU(),
        gk.nn.Flatten(),
        gk.nn.Linear(4 * 3 * 3, 5),
    )
    x = gk.randn(2, 2, 5, 5)
    with gk.amp.autocast("cpu"):
        conv = net[0](x)
        normed = net[1](conv)
        out = net(x)
        loss = F.cross_entropy(out, gk.tensor([1, 3]))
    assert (conv.dtype, normed.dtype, out.dtype, loss.dtype) == (F16, F32, F16, F32)
    loss.backward()
    assert all(p.grad.dtype == F32 for p in net.parameters())
