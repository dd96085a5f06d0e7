"""gk.amp.GradScaler against torch.amp.GradScaler("cpu"): a scripted run of clean and
overflowing steps gives the same scales, skipped steps, parameters and optimizer state; a
skipped step leaves parameters and state bit-identical; the API's errors and state_dict."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk
import gradkit.nn.functional as F

torch = pytest.importorskip("torch")

# None: a clean step; a float: written into one gradient element after backward.
SCRIPT = [None, None, np.inf, None, None, None, None, np.nan, None, -np.inf, None, None, None]
SCALER_OPTIONS = dict(init_scale=2.0**10, growth_factor=2.0, backoff_factor=0.5, growth_interval=3)
OPTIMIZERS = {
    "adam": (
        lambda o, params: o.Adam(params, lr=0.05, weight_decay=0.01),
        ["exp_avg", "exp_avg_sq", "step"],
    ),
    "sgd": (lambda o, params: o.SGD(params, lr=0.05, momentum=0.9), ["momentum_buffer"]),
}


class PlainSGD(gk.optim.Optimizer):
    """An optimizer of the user's that knows nothing of found_inf or master weights."""

    def __init__(self, params, lr):
        super().__init__(params, {"lr": lr})

    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                p.data -= group["lr"] * p.grad.data


def _data():
    rng = np.random.default_rng(0)
    return {
        "w": rng.normal(size=(4, 3)).astype(np.float32),
        "b": rng.normal(size=3).astype(np.float32),
        "x": rng.normal(size=(16, 4)).astype(np.float32),
        "y": rng.normal(size=(16, 3)).astype(np.float32),
    }


def _state_arrays(state: dict, keys) -> dict:
    return {
        k: np.array(state[k].numpy() if hasattr(state[k], "numpy") else state[k]).copy()
        for k in keys
        if k in state
    }


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_scripted_run_matches_torch(name):
    make_optimizer, state_keys = OPTIMIZERS[name]
    d = _data()
    w, b = gk.tensor(d["w"], requires_grad=True), gk.tensor(d["b"], requires_grad=True)
    tw, tb = (torch.tensor(d[k], requires_grad=True) for k in ("w", "b"))
    opt, topt = make_optimizer(gk.optim, [w, b]), make_optimizer(torch.optim, [tw, tb])
    scaler = gk.amp.GradScaler("cpu", **SCALER_OPTIONS)
    tscaler = torch.amp.GradScaler("cpu", **SCALER_OPTIONS)
    x, y, tx, ty = gk.tensor(d["x"]), gk.tensor(d["y"]), torch.tensor(d["x"]), torch.tensor(d["y"])
    skipped = 0
    for step, poison in enumerate(SCRIPT):
        loss = F.mse_loss(x @ w + b, y)
        tloss = torch.nn.functional.mse_loss(tx @ tw + tb, ty)
        scaler.scale(loss).backward()
        tscaler.scale(tloss).backward()
        if poison is not None:
            g = w.grad.numpy().copy()
            g[1, 2] = poison
            w.grad = gk.tensor(g)
            tw.grad[1, 2] = poison
        before = (
            w.numpy().copy(),
            b.numpy().copy(),
            {id(p): _state_arrays(opt.state.get(p, {}), state_keys) for p in (w, b)},
        )
        scaler.step(opt)
        tscaler.step(topt)
        scaler.update()
        tscaler.update()
        assert scaler.get_scale() == tscaler.get_scale(), step
        assert scaler.state_dict() == tscaler.state_dict(), step
        if poison is not None:
            skipped += 1
            assert w.numpy().tobytes() == before[0].tobytes()
            assert b.numpy().tobytes() == before[1].tobytes()
            for p in (w, b):
                after = _state_arrays(opt.state.get(p, {}), state_keys)
                for k, v in before[2][id(p)].items():
                    assert after[k].tobytes() == v.tobytes(), (step, k)
        np.testing.assert_allclose(w.numpy(), tw.detach().numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(b.numpy(), tb.detach().numpy(), rtol=1e-5, atol=1e-6)
        for p, tp in ((w, tw), (b, tb)):
            ours, theirs = opt.state.get(p, {}), topt.state.get(tp, {})
            for k in state_keys:
                if k in theirs:
                    np.testing.assert_allclose(
                        np.asarray(ours[k].numpy(), dtype=np.float64),
                        theirs[k].detach().numpy().astype(np.float64),
                        rtol=1e-5,
                        atol=1e-7,
                        err_msg=f"{k} at step {step}",
                    )
        opt.zero_grad()
        topt.zero_grad()
    assert skipped == 3
    assert scaler.get_scale() != SCALER_OPTIONS["init_scale"]  # it both grew and backed off


def test_unscale_then_clip_matches_torch():
    d = _data()
    w = gk.tensor(d["w"], requires_grad=True)
    tw = torch.tensor(d["w"], requires_grad=True)
    opt, topt = gk.optim.SGD([w], lr=0.1), torch.optim.SGD([tw], lr=0.1)
    scaler, tscaler = gk.amp.GradScaler("cpu"), torch.amp.GradScaler("cpu")
    scaler.scale((gk.tensor(d["x"]) @ w).square().sum()).backward()
    tscaler.scale((torch.tensor(d["x"]) @ tw).square().sum()).backward()
    scaler.unscale_(opt)
    tscaler.unscale_(topt)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-6)
    norm = gk.nn.utils.clip_grad_norm_([w], 1.0)
    tnorm = torch.nn.utils.clip_grad_norm_([tw], 1.0)
    np.testing.assert_allclose(norm.item(), tnorm.item(), rtol=1e-5)
    with pytest.raises(RuntimeError, match="unscale_\\(\\) has already been called"):
        scaler.unscale_(opt)
    scaler.step(opt)
    tscaler.step(topt)
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        scaler.step(opt)
    with pytest.raises(RuntimeError, match="unscale_\\(\\) is being called after step"):
        scaler.unscale_(opt)
    scaler.update()
    tscaler.update()
    np.testing.assert_allclose(w.numpy(), tw.detach().numpy(), rtol=1e-6)


def test_defaults_state_dict_and_disabled():
    scaler, tscaler = gk.amp.GradScaler("cpu"), torch.amp.GradScaler("cpu")
    assert scaler.state_dict() == tscaler.state_dict()
    assert set(scaler.state_dict()) == {
        "scale",
        "growth_factor",
        "backoff_factor",
        "growth_interval",
        "_growth_tracker",
    }
    assert scaler.get_scale() == 2.0**16
    saved = dict(scaler.state_dict(), scale=8.0, _growth_tracker=5)
    loaded = gk.amp.GradScaler("cpu")
    loaded.load_state_dict(saved)
    assert loaded.get_scale() == 8.0 and loaded.state_dict()["_growth_tracker"] == 5
    loss = gk.tensor(2.0, requires_grad=True)
    assert loaded.scale(loss).item() == 16.0  # the loaded scale is used by scale()
    disabled = gk.amp.GradScaler("cpu", enabled=False)
    assert disabled.state_dict() == {} and disabled.get_scale() == 1.0
    assert disabled.scale(loss) is loss
    with pytest.raises(RuntimeError, match="state dict is empty"):
        loaded.load_state_dict({})
    with pytest.raises(ValueError, match="growth_factor"):
        gk.amp.GradScaler("cpu", growth_factor=0.9)


def test_cuda_scaler_without_a_gpu_warns_and_disables():
    if gk.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.warns(UserWarning, match="CUDA is not available"):
        scaler = gk.amp.GradScaler()
    assert not scaler.is_enabled()


def test_update_with_new_scale_and_fp16_grads_refused_for_foreign_optimizers():
    scaler = gk.amp.GradScaler("cpu")
    w = gk.tensor([1.0, 2.0], requires_grad=True)
    scaler.scale((w * w).sum()).backward()
    opt = gk.optim.SGD([w], lr=0.1)
    scaler.step(opt)
    scaler.update(new_scale=4.0)
    assert scaler.get_scale() == 4.0
    h = gk.tensor([1.0], dtype=gk.float16, requires_grad=True)
    scaler.scale((h * h).sum()).backward()
    with pytest.raises(ValueError, match="Attempting to unscale FP16 gradients"):
        scaler.unscale_(PlainSGD([h], lr=0.1))


def test_an_optimizer_that_cannot_read_the_flag_is_skipped_from_the_host():
    w = gk.tensor([1.0, 2.0], requires_grad=True)
    opt = PlainSGD([w], lr=0.1)
    scaler = gk.amp.GradScaler("cpu")
    scaler.scale((w * w).sum()).backward()
    w.grad = gk.tensor([np.inf, 1.0])
    scaler.step(opt)
    scaler.update()
    assert w.tolist() == [1.0, 2.0] and scaler.get_scale() == 2.0**15
    opt.zero_grad()
    scaler.scale((w * w).sum()).backward()
    scaler.step(opt)
    np.testing.assert_allclose(w.numpy(), [0.8, 1.6], rtol=1e-6)


def test_float16_model_with_float32_masters_matches_torch_in_float32():
    """A float16 model: the optimizer keeps float32 masters and state, so the trajectory is
    torch's float32 one driven by the same (float16-rounded, unscaled) gradients, and each
    float16 parameter is its master rounded."""
    d = _data()
    w16 = gk.tensor(d["w"], dtype=gk.float16, requires_grad=True)
    tw = torch.tensor(d["w"].astype(np.float16).astype(np.float32), requires_grad=True)
    opt = gk.optim.AdamW([w16], lr=0.05)
    topt = torch.optim.AdamW([tw], lr=0.05)
    scaler = gk.amp.GradScaler("cpu", init_scale=2.0**8)
    x = gk.tensor(d["x"], dtype=gk.float16)
    for step in range(4):
        scaler.scale((x @ w16).float().square().mean()).backward()
        if step == 1:
            w16.grad = gk.tensor(np.full((4, 3), np.inf, np.float16))
        grad = w16.grad.numpy().astype(np.float32)
        inv_scale = np.float32(1 / scaler.get_scale())
        scaler.step(opt)
        scaler.update()
        if np.isfinite(grad).all():
            tw.grad = torch.tensor(grad * inv_scale)
            topt.step()
        master = opt.state[w16]["master_param"].numpy()
        assert master.dtype == np.float32 and opt.state[w16]["exp_avg"].dtype == gk.float32
        np.testing.assert_allclose(master, tw.detach().numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(w16.numpy(), master.astype(np.float16))
        opt.zero_grad()
    assert scaler.get_scale() == 2.0**7
