"""Framework overhead on CPU: gradkit vs PyTorch vs hand-written NumPy, measured in one run.

1. Per-op cost of a 100-op chain on a 16-element tensor (forward+backward, and forward under
   no_grad), where the time is all bookkeeping, not arithmetic.
2. One MLP training step (784-512-512-10, batch 128, ReLU, cross entropy via log_softmax, SGD with
   momentum applied by hand under no_grad), where the arithmetic should dominate.

Everything runs on one thread (torch.set_num_threads(1), NumPy's BLAS limited by threadpoolctl)
and is timed in process CPU time, so a busy shared machine changes the figures little and the three
libraries are compared on equal terms.

Run: .venv/bin/python benchmarks/overhead.py   (writes benchmarks/results/overhead.json)
"""

from __future__ import annotations

import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _harness import measure, print_table, save  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import gradkit as gk  # noqa: E402

measure = partial(measure, clock=time.process_time)  # noqa: F811 - CPU time, see the docstring

CHAIN = 100
SIZE = 16


# ---- 1. per-op chain ------------------------------------------------------------------------
def chain(y, tanh):
    """100 ops cycling through mul, add and tanh (a mix of binary-with-scalar and unary ops)."""
    for i in range(CHAIN):
        k = i % 3
        if k == 0:
            y = y * 1.0001
        elif k == 1:
            y = y + 0.001
        else:
            y = tanh(y)
    return y


def numpy_chain_forward_backward(x: np.ndarray) -> np.ndarray:
    outs = []
    y = x
    for i in range(CHAIN):
        k = i % 3
        if k == 0:
            y = y * np.float32(1.0001)
        elif k == 1:
            y = y + np.float32(0.001)
        else:
            y = np.tanh(y)
            outs.append(y)
    grad = np.ones_like(y)
    for i in reversed(range(CHAIN)):
        k = i % 3
        if k == 0:
            grad = grad * np.float32(1.0001)
        elif k == 2:
            t = outs.pop()
            grad = grad * (1 - t * t)
    return grad


def bench_chain() -> list[dict]:
    rows = []
    x_np = np.random.default_rng(0).standard_normal(SIZE).astype(np.float32)
    xg = gk.tensor(x_np, requires_grad=True)

    def gk_fwd_bwd():
        xg.grad = None
        chain(xg, gk.tanh).sum().backward()

    def gk_fwd_nograd():
        with gk.no_grad():
            chain(xg, gk.tanh)

    results = {
        "gradkit": {"fwd+bwd": measure(gk_fwd_bwd), "fwd no_grad": measure(gk_fwd_nograd)},
        "numpy": {
            "fwd+bwd": measure(lambda: numpy_chain_forward_backward(x_np)),
            "fwd no_grad": measure(lambda: chain(x_np, np.tanh)),
        },
    }
    try:
        import torch

        xt = torch.tensor(x_np, requires_grad=True)

        def torch_fwd_bwd():
            xt.grad = None
            chain(xt, torch.tanh).sum().backward()

        def torch_fwd_nograd():
            with torch.no_grad():
                chain(xt, torch.tanh)

        results["torch"] = {
            "fwd+bwd": measure(torch_fwd_bwd),
            "fwd no_grad": measure(torch_fwd_nograd),
        }
    except ImportError:
        pass
    for mode in ("fwd+bwd", "fwd no_grad"):
        row = {"case": f"100-op chain, {mode}"}
        for lib, r in results.items():
            row[f"{lib} us/op"] = r[mode] / CHAIN * 1e6
        if "torch" in results:
            row["gradkit/torch"] = results["gradkit"][mode] / results["torch"][mode]
        row["gradkit/numpy"] = results["gradkit"][mode] / results["numpy"][mode]
        rows.append(row)
    return rows


# ---- 2. MLP training step --------------------------------------------------------------------
SIZES = (784, 512, 512, 10)
BATCH = 128
LR, MOMENTUM = 0.01, 0.9


def init_weights(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
    return params


def batch(seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((BATCH, SIZES[0])).astype(np.float32),
        rng.integers(0, SIZES[-1], BATCH),
    )


def gradkit_step_fn(params_np, x_np, y_np):
    params = [gk.tensor(p, requires_grad=True) for p in params_np]
    velocity = [gk.zeros_like(p) for p in params]
    x, y = gk.tensor(x_np), gk.tensor(y_np)
    rows = gk.arange(BATCH)

    def step():
        h = x
        for i in range(0, len(params) - 2, 2):
            h = (h @ params[i].T + params[i + 1]).relu()
        logits = h @ params[-2].T + params[-1]
        loss = -gk.log_softmax(logits, axis=1)[rows, y].mean()
        for p in params:
            p.grad = None
        loss.backward()
        with gk.no_grad():
            for p, v in zip(params, velocity):
                v *= MOMENTUM
                v += p.grad
                p -= LR * v
        return loss

    return step


def torch_step_fn(params_np, x_np, y_np):
    import torch

    params = [torch.tensor(p, requires_grad=True) for p in params_np]
    velocity = [torch.zeros_like(p) for p in params]
    x, y = torch.tensor(x_np), torch.tensor(y_np)
    rows = torch.arange(BATCH)

    def step():
        h = x
        for i in range(0, len(params) - 2, 2):
            h = (h @ params[i].T + params[i + 1]).relu()
        logits = h @ params[-2].T + params[-1]
        loss = -torch.log_softmax(logits, dim=1)[rows, y].mean()
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p, v in zip(params, velocity):
                v.mul_(MOMENTUM).add_(p.grad)
                p.sub_(LR * v)
        return loss

    return step


def numpy_step_fn(params_np, x_np, y_np):
    params = [p.copy() for p in params_np]
    velocity = [np.zeros_like(p) for p in params]
    rows = np.arange(BATCH)

    def step():
        activations = [x_np]
        h = x_np
        for i in range(0, len(params) - 2, 2):
            h = np.maximum(h @ params[i].T + params[i + 1], 0)
            activations.append(h)
        logits = h @ params[-2].T + params[-1]
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -log_probs[rows, y_np].mean()
        grad = np.exp(log_probs)
        grad[rows, y_np] -= 1
        grad /= BATCH
        grads = [None] * len(params)
        for layer in reversed(range(len(params) // 2)):
            h_in = activations[layer]
            grads[2 * layer] = grad.T @ h_in
            grads[2 * layer + 1] = grad.sum(axis=0)
            if layer:
                grad = (grad @ params[2 * layer]) * (h_in > 0)
        for p, v, g in zip(params, velocity, grads):
            v *= MOMENTUM
            v += g
            p -= LR * v
        return loss

    return step


def bench_mlp() -> list[dict]:
    params, (x, y) = init_weights(), batch()
    times = {
        "gradkit": measure(gradkit_step_fn(params, x, y), repeat=5),
        "numpy": measure(numpy_step_fn(params, x, y), repeat=5),
    }
    try:
        times["torch"] = measure(torch_step_fn(params, x, y), repeat=5)
    except ImportError:
        pass
    row = {"case": "MLP 784-512-512-10 step, batch 128"}
    for lib, t in times.items():
        row[f"{lib} ms"] = t * 1e3
    if "torch" in times:
        row["gradkit/torch"] = times["gradkit"] / times["torch"]
    row["gradkit/numpy"] = times["gradkit"] / times["numpy"]
    return [row]


def check_same_losses() -> None:
    """The three MLP steps compute the same thing: compare their first losses."""
    params, (x, y) = init_weights(), batch()
    a = float(gradkit_step_fn(params, x, y)())
    b = float(numpy_step_fn(params, x, y)())
    if abs(a - b) > 1e-4 * max(1.0, abs(b)):
        raise SystemExit(f"gradkit and NumPy MLP losses differ: {a} vs {b}")


def main() -> None:
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    with threadpool_limits(limits=1, user_api="blas"):
        run()


def run() -> None:
    check_same_losses()
    chain_rows = bench_chain()
    print_table(
        "Per-op overhead (16 elements)",
        chain_rows,
        ["case", "gradkit us/op", "torch us/op", "numpy us/op", "gradkit/torch", "gradkit/numpy"],
    )
    mlp_rows = bench_mlp()
    print_table(
        "MLP training step",
        mlp_rows,
        ["case", "gradkit ms", "torch ms", "numpy ms", "gradkit/torch", "gradkit/numpy"],
    )
    save(
        "overhead",
        {
            "chain": chain_rows,
            "mlp": mlp_rows,
            "targets": {
                "chain fwd+bwd gradkit/torch": 1.0,
                "mlp gradkit/torch": 1.0,
                "mlp gradkit/numpy": 1.1,
            },
        },
    )


if __name__ == "__main__":
    main()
