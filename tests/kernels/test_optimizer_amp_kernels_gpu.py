"""The fused optimizer and loss-scaling launchers on a real GPU through CuPy, against the
NumPy twins, and a full AMP step on CUDA with zero host transfers (skipped without a GPU; the
CPU executor covers the kernels everywhere else)."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk
from gradkit.backend.cpu import amp as amp_twin
from gradkit.backend.cpu import optimizer as twin
from gradkit.backend.cuda import amp as amp_kernels
from gradkit.backend.cuda import optimizer as kernels


def _gpu_available() -> bool:
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # noqa: BLE001 - no CuPy, no driver, no device: all mean "no GPU"
        return False


pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not _gpu_available(), reason="no usable GPU (CuPy/CUDA)"),
]
SIZES = (7, 0, 100_000, 1, 333)  # 100_000 spans several chunks


@pytest.mark.parametrize("master", [False, True])
def test_adamw_matches_twin_on_gpu(master):
    import cupy

    rng = np.random.default_rng(0)
    dtype = np.float16 if master else np.float32
    host = {
        "p": [rng.normal(size=n).astype(dtype) for n in SIZES],
        "g": [rng.normal(size=n).astype(dtype) for n in SIZES],
        "m": [np.zeros(n, np.float32) for n in SIZES],
        "v": [np.zeros(n, np.float32) for n in SIZES],
        "s": [np.zeros((), np.float32) for _ in SIZES],
    }
    host["master"] = [p.astype(np.float32) for p in host["p"]] if master else None
    dev = {k: None if v is None else [cupy.asarray(a) for a in v] for k, v in host.items()}
    options = dict(
        beta1=0.9,
        beta2=0.999,
        eps=1e-8,
        weight_decay=0.01,
        amsgrad=False,
        maximize=False,
        decoupled_weight_decay=True,
    )
    for lr in (1e-2, 3e-3):
        for fn, d in ((twin.adam_step, host), (kernels.adam_step, dev)):
            fn(
                d["p"],
                d["g"],
                d["m"],
                d["v"],
                None,
                d["s"],
                lr=lr,
                master_params=d["master"],
                **options,
            )
    for key in ("p", "m", "v", "s"):
        for e, a in zip(host[key], dev[key]):
            np.testing.assert_allclose(
                cupy.asnumpy(a).astype(np.float64),
                e.astype(np.float64),
                rtol=2e-3 if master else 1e-5,
                atol=1e-6,
            )


def test_unscale_and_update_scale_match_twin_on_gpu():
    import cupy

    grads = [np.array([1.0, np.inf, 3.0], np.float32), np.arange(5, dtype=np.float32)]
    dev = [cupy.asarray(g) for g in grads]
    flag, dflag = np.zeros((), np.float32), cupy.zeros((), cupy.float32)
    inv, dinv = np.asarray(0.5, np.float32), cupy.asarray(0.5, cupy.float32)
    amp_twin.non_finite_check_and_unscale(grads, flag, inv)
    amp_kernels.non_finite_check_and_unscale(dev, dflag, dinv)
    assert float(dflag) == float(flag) == 1.0
    for e, a in zip(grads, dev):
        np.testing.assert_array_equal(cupy.asnumpy(a), e)
    scale, tracker = cupy.asarray(1024.0, cupy.float32), cupy.zeros((), cupy.int32)
    amp_kernels.update_scale(
        scale, tracker, dflag, growth_factor=2.0, backoff_factor=0.5, growth_interval=3
    )
    assert float(scale) == 512.0 and int(tracker) == 0


def test_a_full_amp_step_on_cuda_makes_no_host_sync():
    from gradkit.backend import sync_counter

    gk.manual_seed(0)
    model = gk.nn.Sequential(gk.nn.Linear(64, 128), gk.nn.ReLU(), gk.nn.Linear(128, 10))
    model = model.to("cuda")
    x, y = gk.randn(256, 64, device="cuda"), gk.randint(0, 10, (256,), device="cuda")
    opt = gk.optim.AdamW(model.parameters(), lr=1e-3)
    scaler = gk.amp.GradScaler()
    for _ in range(3):
        before = sync_counter()
        with gk.amp.autocast("cuda"):
            loss = gk.nn.functional.cross_entropy(model(x), y)
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        gk.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(opt)
        scaler.update()
        opt.zero_grad()
        assert sync_counter() == before
    assert np.isfinite(scaler.get_scale())
