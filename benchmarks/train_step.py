"""CPU training-step speed: gradkit vs PyTorch, side by side in one run.

Cases (identical layers, weights, data and optimizer in both frameworks):
  - MLP 784-512-512-10, batch 128, nn.Linear/nn.ReLU, F.cross_entropy, SGD(lr=0.01, momentum=0.9)
  - LeNet-style CNN: Conv2d(1,8,3)-ReLU-MaxPool2d(2)-Conv2d(8,16,3)-ReLU-MaxPool2d(2)-Flatten-
    Linear(400,10), batch 64 of 1x28x28, same loss and optimizer
  - Conv2d(3->16, 32x32) and Conv2d(64->64, 16x16), 3x3, padding 1, batch 32: forward + backward
    (input, weight and bias gradients) of ``conv(x).sum()``

Before timing, each case checks that both frameworks compute the same loss and gradients from the
same weights, and that every gradkit gradient is float32 (no float64 sneaking into the step).

Each case is timed with both frameworks at their default thread counts (wall time), and with
both held to one thread (torch.set_num_threads(1) and threadpoolctl for NumPy's BLAS), in wall
time and in process CPU time. The two frameworks are measured in alternating rounds and the
medians compared, so a load change on a shared machine hits both alike; on a busy machine the
1-thread CPU-time figures are the steady ones (multi-threaded wall times then mostly measure
waiting for cores).

OpenBLAS: where OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are set (some machines set them for old
OpenBLAS builds), NumPy runs a slower kernel; run this with both unset in that command alone:
``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE .venv/bin/python benchmarks/train_step.py``.
The BLAS kernel in use is printed and saved.

Run: .venv/bin/python benchmarks/train_step.py [--rounds N] [--only mlp,lenet,conv]
     (writes benchmarks/results/train_step.json)
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from threadpoolctl import threadpool_info, threadpool_limits

sys.path.insert(0, str(Path(__file__).parent))
from _harness import measure, print_table, save  # noqa: E402

import gradkit as gk  # noqa: E402
from gradkit import nn  # noqa: E402

LR, MOMENTUM = 0.01, 0.9


# ---- models ----------------------------------------------------------------------------------
def mlp(lib) -> object:
    return lib.Sequential(
        lib.Linear(784, 512), lib.ReLU(), lib.Linear(512, 512), lib.ReLU(), lib.Linear(512, 10)
    )


def lenet(lib) -> object:
    return lib.Sequential(
        lib.Conv2d(1, 8, 3),
        lib.ReLU(),
        lib.MaxPool2d(2),
        lib.Conv2d(8, 16, 3),
        lib.ReLU(),
        lib.MaxPool2d(2),
        lib.Flatten(),
        lib.Linear(16 * 5 * 5, 10),
    )


def copy_weights(torch_model, gk_model) -> None:
    """Give the gradkit model the PyTorch model's weights (same order of parameters)."""
    tparams, gparams = list(torch_model.parameters()), list(gk_model.parameters())
    assert len(tparams) == len(gparams)
    for tp, gp in zip(tparams, gparams):
        assert tuple(tp.shape) == tuple(gp.shape), (tp.shape, gp.shape)
        gp.data[...] = tp.detach().numpy()


# ---- checks ----------------------------------------------------------------------------------
def check_float32(params, what: str) -> None:
    for i, p in enumerate(params):
        assert p.dtype == gk.float32, f"{what}: parameter {i} is {p.dtype}"
        assert p.grad is not None, f"{what}: parameter {i} has no gradient"
        assert p.grad.dtype == gk.float32, f"{what}: gradient {i} is {p.grad.dtype}, not float32"


def check_same(t_loss, g_loss, tparams, gparams, what: str) -> None:
    assert g_loss.dtype == gk.float32, f"{what}: loss is {g_loss.dtype}"
    tl, gl = float(t_loss), float(g_loss.item())
    assert abs(tl - gl) <= 1e-5 * max(1.0, abs(tl)), f"{what}: loss torch {tl} vs gradkit {gl}"
    for i, (tp, gp) in enumerate(zip(tparams, gparams)):
        np.testing.assert_allclose(
            gp.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=f"{what}: grad {i}"
        )


# ---- cases -----------------------------------------------------------------------------------
def training_case(name: str, make, x_np: np.ndarray, y_np: np.ndarray) -> dict:
    torch.manual_seed(0)
    tm, gm = make(torch.nn), make(nn)
    copy_weights(tm, gm)
    tx, ty = torch.tensor(x_np), torch.tensor(y_np)
    gx, gy = gk.tensor(x_np), gk.tensor(y_np)
    topt = torch.optim.SGD(tm.parameters(), lr=LR, momentum=MOMENTUM)
    gopt = gk.optim.SGD(gm.parameters(), lr=LR, momentum=MOMENTUM)
    tparams, gparams = list(tm.parameters()), list(gm.parameters())

    def torch_step():
        topt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(tm(tx), ty)
        loss.backward()
        topt.step()
        return loss

    def gk_step():
        gopt.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(gm(gx), gy)
        loss.backward()
        gopt.step()
        return loss

    # Same loss and gradients on the first steps (momentum buffers created, then used).
    for step in range(3):
        t_loss, g_loss = torch_step(), gk_step()
        check_same(t_loss.item(), g_loss, tparams, gparams, f"{name} step {step}")
        check_float32(gparams, name)
    for i, (tp, gp) in enumerate(zip(tparams, gparams)):
        np.testing.assert_allclose(
            gp.numpy(), tp.detach().numpy(), rtol=1e-4, atol=1e-5, err_msg=f"{name}: param {i}"
        )
    return {"case": name, "torch": torch_step, "gradkit": gk_step}


def conv_case(c_in: int, c_out: int, size: int, batch: int = 32) -> dict:
    name = f"Conv2d {c_in}->{c_out} {size}x{size} b{batch} fwd+bwd"
    x_np = np.random.default_rng(0).standard_normal((batch, c_in, size, size)).astype(np.float32)
    torch.manual_seed(0)
    tconv = torch.nn.Conv2d(c_in, c_out, 3, padding=1)
    gconv = nn.Conv2d(c_in, c_out, 3, padding=1)
    copy_weights(tconv, gconv)
    tx, gx = torch.tensor(x_np, requires_grad=True), gk.tensor(x_np, requires_grad=True)
    tparams, gparams = [tx, *tconv.parameters()], [gx, *gconv.parameters()]

    def run_torch():
        for p in tparams:
            p.grad = None
        loss = tconv(tx).sum()
        loss.backward()
        return loss

    def run_gk():
        for p in gparams:
            p.grad = None
        loss = gconv(gx).sum()
        loss.backward()
        return loss

    t_loss, g_loss = run_torch(), run_gk()
    assert g_loss.dtype == gk.float32
    tl, gl = t_loss.item(), g_loss.item()
    assert abs(tl - gl) <= 1e-4 * max(1.0, abs(tl)) + 1e-2, f"{name}: sum {tl} vs {gl}"
    for i, (tp, gp) in enumerate(zip(tparams, gparams)):
        np.testing.assert_allclose(
            gp.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-3, err_msg=f"{name}: grad {i}"
        )
    check_float32(gparams, name)
    return {"case": name, "torch": run_torch, "gradkit": run_gk}


# ---- timing ----------------------------------------------------------------------------------
def paired_medians(fns: dict[str, Callable], rounds: int, clock) -> dict[str, float]:
    """Median seconds per call of each function, measured in alternating rounds."""
    samples: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(rounds):
        for key, fn in fns.items():
            samples[key].append(measure(fn, repeat=3, min_time=0.15, clock=clock))
    return {k: statistics.median(v) for k, v in samples.items()}


def time_cases(cases: list[dict], rounds: int, label: str, clock, clock_name: str) -> list[dict]:
    rows = []
    for case in cases:
        fns = {"torch": case["torch"], "gradkit": case["gradkit"]}
        t = paired_medians(fns, rounds, clock)
        rows.append(
            {
                "case": case["case"],
                "threads": label,
                "clock": clock_name,
                "torch ms": t["torch"] * 1e3,
                "gradkit ms": t["gradkit"] * 1e3,
                "gradkit/torch": t["gradkit"] / t["torch"],
            }
        )
    return rows


def blas_info() -> dict:
    info = next((i for i in threadpool_info() if i.get("user_api") == "blas"), {})
    return {
        "blas": info.get("internal_api"),
        "blas_version": info.get("version"),
        "blas_kernel": info.get("architecture"),
        "blas_threads": info.get("num_threads"),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
        "loadavg": os.getloadavg(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per case")
    parser.add_argument("--only", default="mlp,lenet,conv", help="comma-separated case groups")
    args = parser.parse_args()
    groups = set(args.only.split(","))

    blas = blas_info()
    print("BLAS:", {k: v for k, v in blas.items() if k != "loadavg"}, "load:", blas["loadavg"])
    if blas["OPENBLAS_CORETYPE"] or blas["OPENBLAS_L2_SIZE"]:
        print("note: OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE are set; NumPy's BLAS may run slower here")

    rng = np.random.default_rng(0)
    cases = []
    if "mlp" in groups:
        x = rng.standard_normal((128, 784)).astype(np.float32)
        y = rng.integers(0, 10, 128)
        cases.append(training_case("MLP 784-512-512-10 b128 step", mlp, x, y))
    if "lenet" in groups:
        x = rng.standard_normal((64, 1, 28, 28)).astype(np.float32)
        y = rng.integers(0, 10, 64)
        cases.append(training_case("LeNet b64 step", lenet, x, y))
    if "conv" in groups:
        cases += [conv_case(3, 16, 32), conv_case(64, 64, 16)]
    print("checked: same loss and gradients in both frameworks; all gradkit grads float32")

    default_threads = torch.get_num_threads()
    wall, cpu = time.perf_counter, time.process_time
    rows = time_cases(cases, args.rounds, f"default ({default_threads})", wall, "wall")
    torch.set_num_threads(1)
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            # Single-threaded, the process's CPU time is the work itself, without the time spent
            # waiting for a core on a busy machine; wall time is kept beside it.
            rows += time_cases(cases, args.rounds, "1", wall, "wall")
            rows += time_cases(cases, args.rounds, "1", cpu, "cpu")
    finally:
        torch.set_num_threads(default_threads)

    columns = ["case", "threads", "clock", "torch ms", "gradkit ms", "gradkit/torch"]
    print_table("Training step / conv time on CPU (median, lower is better)", rows, columns)
    save("train_step", {"blas": {**blas, "loadavg_end": os.getloadavg()}, "rows": rows})


if __name__ == "__main__":
    main()
