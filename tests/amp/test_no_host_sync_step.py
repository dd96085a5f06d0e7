"""A full mixed-precision training step (autocast forward, scaled backward, unscale_, clip,
step, update, zero_grad) with the CUDA launchers running on the CPU executor makes zero
device-to-host transfers, counted by gradkit.backend.sync_counter; and it follows the same
trajectory (scales, skipped steps, parameters) as the NumPy primitives."""

from __future__ import annotations

import functools
import importlib
import types

import numpy as np
import pytest

import gradkit as gk
import gradkit.nn.functional as F
from gradkit.backend import sync_counter
from gradkit.backend.device import cpu
from gradkit.backend.host_sync import count_cpu_transfers

cpu_primitives = importlib.import_module("gradkit.backend.cpu")  # the NumPy table

LAUNCHERS = {
    "gradkit.backend.cuda.optimizer": ("sgd_step", "adam_step", "rmsprop_step", "adagrad_step"),
    "gradkit.backend.cuda.amp": (
        "non_finite_check_and_unscale",
        "non_finite_check",
        "multi_tensor_scale",
        "update_scale",
    ),
    "gradkit.backend.cuda.global_norm": ("multi_tensor_l2norm",),
}


@pytest.fixture
def cuda_launchers_on_the_executor():
    """The CPU device's primitive table with our CUDA launchers, bound to the executor."""
    from gradkit.testing.cuda_executor import CpuExecutorRuntime

    runtime = CpuExecutorRuntime()
    table = types.ModuleType("executor_primitives")
    table.__dict__.update({k: v for k, v in vars(cpu_primitives).items() if not k.startswith("_")})
    for module_name, names in LAUNCHERS.items():
        module = importlib.import_module(module_name)
        for name in names:
            setattr(table, name, functools.partial(getattr(module, name), runtime=runtime))
    previous = cpu._primitives
    object.__setattr__(cpu, "_primitives", table)
    try:
        yield
    finally:
        object.__setattr__(cpu, "_primitives", previous)


def _model_and_data():
    gk.manual_seed(0)
    model = gk.nn.Sequential(gk.nn.Linear(8, 16), gk.nn.ReLU(), gk.nn.Linear(16, 4))
    x = gk.randn(32, 8)
    y = gk.randint(0, 4, (32,))
    return model, x, y


POISONED_STEP = 1  # an inf in that step's input: its loss and gradients overflow


def _train(steps: int, make_optimizer, init_scale: float = 2.0**16):
    model, x, y = _model_and_data()
    x_poisoned = x.clone()
    x_poisoned.data[3, 2] = np.inf
    opt = make_optimizer(model.parameters())
    scaler = gk.amp.GradScaler("cpu", init_scale=init_scale, growth_interval=2)
    history, counts = [], []
    for _ in range(steps):
        before = sync_counter()
        with count_cpu_transfers():
            with gk.amp.autocast("cpu"):
                inputs = x_poisoned if len(history) == POISONED_STEP else x
                loss = F.cross_entropy(model(inputs), y)
            scaler.scale(loss).backward()
            scaler.unscale_(opt)
            gk.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            scaler.step(opt)
            scaler.update()
            opt.zero_grad()
        counts.append(sync_counter() - before)
        history.append((scaler.get_scale(), [p.numpy().copy() for p in model.parameters()]))
    return counts, history


OPTIMIZERS = {
    "adamw": lambda params: gk.optim.AdamW(params, lr=1e-2),
    "sgd_momentum": lambda params: gk.optim.SGD(params, lr=1e-2, momentum=0.9, nesterov=True),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_a_full_amp_step_makes_no_host_sync(cuda_launchers_on_the_executor, name):
    counts, history = _train(5, OPTIMIZERS[name])
    assert counts == [0] * 5
    scales = [scale for scale, _ in history]
    assert scales == [2.0**16, 2.0**15, 2.0**15, 2.0**16, 2.0**16]  # back off, then grow
    # the overflowing step changed nothing, the others trained
    for (_, before), (_, after) in zip(history[POISONED_STEP - 1 :], history[POISONED_STEP:][:1]):
        assert all(a.tobytes() == b.tobytes() for a, b in zip(after, before))
    assert not np.array_equal(history[-1][1][0], history[POISONED_STEP][1][0])


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_the_executor_path_follows_the_numpy_path(cuda_launchers_on_the_executor, name):
    _, on_executor = _train(5, OPTIMIZERS[name])
    object.__setattr__(cpu, "_primitives", cpu_primitives)
    _, on_numpy = _train(5, OPTIMIZERS[name])
    for (scale_a, params_a), (scale_b, params_b) in zip(on_executor, on_numpy):
        assert scale_a == scale_b
        for a, b in zip(params_a, params_b):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_the_counter_counts_host_transfers():
    x = gk.ones(3)
    before = sync_counter()
    with count_cpu_transfers():
        x.sum().item()
        float(x[0])
        x.tolist()
        np.asarray(x)
    assert sync_counter() - before == 4
    x.sum().item()  # CPU values are free outside the executor path
    assert sync_counter() - before == 4


def _train_float16_model(steps: int):
    model, x, y = _model_and_data()
    model = model.half()
    opt = gk.optim.AdamW(model.parameters(), lr=1e-2)  # float32 masters and state
    scaler = gk.amp.GradScaler("cpu")
    counts, history = [], []
    for _ in range(steps):
        before = sync_counter()
        with count_cpu_transfers():
            loss = F.cross_entropy(model(x.half()), y)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            opt.zero_grad()
        counts.append(sync_counter() - before)
        history.append([p.numpy().copy() for p in model.parameters()])
    return counts, history


def test_a_float16_model_with_master_weights(cuda_launchers_on_the_executor):
    counts, on_executor = _train_float16_model(3)
    assert counts == [0, 0, 0]
    assert all(p.dtype == np.float16 for p in on_executor[-1])
    object.__setattr__(cpu, "_primitives", cpu_primitives)
    _, on_numpy = _train_float16_model(3)
    for params_a, params_b in zip(on_executor, on_numpy):
        for a, b in zip(params_a, params_b):
            np.testing.assert_array_equal(a, b)  # the same fp32 updates, rounded alike
