"""Fused optimizer steps: AdamW and SGD with momentum over 10**7 (CPU: also 10**6) float32
parameters split into realistic tensor sizes (4 KiB .. 16 MiB), time per step, side by side in
one run with:

- CPU: torch.optim (foreach) on the same tensors; our fused call (one primitive call per
  group) against one call per parameter; a copy moving the same bytes (AdamW reads p, g, m, v
  and writes p, m, v: 28 bytes per parameter; SGD-momentum 20).
- GPU (when CuPy and a GPU are present): our multi-tensor kernels (kernels/optimizer.cu)
  against torch's AdamW(fused=True) / SGD(fused=True) and a device copy of the same bytes.

    python benchmarks/optim.py [--quick]

Writes benchmarks/results/optim.json.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from _harness import measure, print_table, save  # noqa: E402

import gradkit as gk  # noqa: E402

BYTES_PER_PARAM = {"adamw": 28, "sgd_momentum": 20}
# 4 KiB .. 16 MiB of float32 in a layer-like cycle, small tensors (biases, norm scales) between
# the weight matrices, as in a real model.
TENSOR_SIZES = (
    1 << 10,
    1 << 10,
    1 << 12,
    1 << 16,
    1 << 10,
    1 << 18,
    1 << 10,
    1 << 12,
    1 << 20,
    1 << 10,
    1 << 10,
    1 << 22,
)


def split(total: int) -> list[int]:
    sizes, i = [], 0
    while sum(sizes) < total:
        sizes.append(min(TENSOR_SIZES[i % len(TENSOR_SIZES)], total - sum(sizes)))
        i += 1
    return sizes


def _ours(kind: str, params: list, device: str):
    if kind == "adamw":
        return gk.optim.AdamW(params, lr=1e-3, weight_decay=0.01)
    return gk.optim.SGD(params, lr=1e-3, momentum=0.9)


def _torch(torch, kind: str, params: list, **flags):
    if kind == "adamw":
        return torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01, **flags)
    return torch.optim.SGD(params, lr=1e-3, momentum=0.9, **flags)


def _make_params(sizes: list[int], device: str) -> list:
    rng = np.random.default_rng(0)
    params = []
    for n in sizes:
        p = gk.tensor(rng.standard_normal(n, dtype=np.float32), device=device, requires_grad=True)
        p.grad = gk.tensor(rng.standard_normal(n, dtype=np.float32), device=device)
        params.append(p)
    return params


def _per_parameter_step(kind: str, opt) -> None:
    """The same update, one primitive call per parameter (what a non-fused loop costs)."""
    primitives = importlib.import_module("gradkit.backend.cpu")  # the NumPy table
    group = opt.param_groups[0]
    for p in group["params"]:
        state = opt.state[p]
        if kind == "adamw":
            beta1, beta2 = group["betas"]
            primitives.adam_step(
                [p.data],
                [p.grad.data],
                [state["exp_avg"].data],
                [state["exp_avg_sq"].data],
                None,
                [state["step"].data],
                lr=group["lr"],
                beta1=beta1,
                beta2=beta2,
                eps=group["eps"],
                weight_decay=group["weight_decay"],
                amsgrad=False,
                maximize=False,
                decoupled_weight_decay=True,
            )
        else:
            primitives.sgd_step(
                [p.data],
                [p.grad.data],
                [state["momentum_buffer"].data],
                lr=group["lr"],
                weight_decay=0.0,
                momentum=group["momentum"],
                dampening=0.0,
                nesterov=False,
                maximize=False,
            )


def cpu_rows(totals: list[int], repeat: int) -> list[dict]:
    # CPU time of this process: everything here is single-threaded (NumPy's elementwise
    # loops, torch held to one thread), and on a shared machine wall time counts the waits.
    clock = time.process_time
    torch = _import_torch()
    rows = []
    for total in totals:
        sizes = split(total)
        for kind in ("adamw", "sgd_momentum"):
            params = _make_params(sizes, "cpu")
            opt = _ours(kind, params, "cpu")
            opt.step()  # creates the state
            fused = measure(opt.step, repeat=repeat, min_time=0.3, clock=clock)
            per_param = measure(
                functools.partial(_per_parameter_step, kind, opt),
                repeat=repeat,
                min_time=0.3,
                clock=clock,
            )
            nbytes = BYTES_PER_PARAM[kind] * total // 2
            src = np.ones(nbytes // 4, np.float32)
            dst = np.empty_like(src)
            copy = measure(
                functools.partial(np.copyto, dst, src), repeat=repeat, min_time=0.3, clock=clock
            )
            row = {
                "device": "cpu",
                "optimizer": kind,
                "params": total,
                "tensors": len(sizes),
                "gradkit_fused_ms": fused * 1e3,
                "gradkit_per_param_ms": per_param * 1e3,
                "fused_speedup": per_param / fused,
                "copy_same_bytes_ms": copy * 1e3,
                "fused_vs_copy": fused / copy,
            }
            if torch is not None:
                tparams = [torch.tensor(p.numpy(), requires_grad=True) for p in params]
                for tp, p in zip(tparams, params):
                    tp.grad = torch.tensor(p.grad.numpy())
                topt = _torch(torch, kind, tparams, foreach=True)
                topt.step()
                with torch.no_grad():
                    theirs = measure(topt.step, repeat=repeat, min_time=0.3, clock=clock)
                row["torch_foreach_ms"] = theirs * 1e3
                row["gradkit_vs_torch"] = fused / theirs
            rows.append(row)
    return rows


def gpu_rows(totals: list[int], repeat: int) -> list[dict]:
    if not gk.cuda.is_available():
        return []
    import cupy

    torch = _import_torch()
    rows = []

    def timed(fn) -> float:
        def run():
            fn()
            cupy.cuda.get_current_stream().synchronize()

        return measure(run, repeat=repeat, min_time=0.3)

    for total in totals:
        sizes = split(total)
        for kind in ("adamw", "sgd_momentum"):
            params = _make_params(sizes, "cuda")
            opt = _ours(kind, params, "cuda")
            opt.step()
            fused = timed(opt.step)
            nbytes = BYTES_PER_PARAM[kind] * total // 2
            src = cupy.ones(nbytes // 4, cupy.float32)
            dst = cupy.empty_like(src)
            copy = timed(functools.partial(cupy.copyto, dst, src))
            row = {
                "device": "cuda",
                "optimizer": kind,
                "params": total,
                "tensors": len(sizes),
                "gradkit_fused_ms": fused * 1e3,
                "copy_same_bytes_ms": copy * 1e3,
                "fused_vs_copy": fused / copy,
            }
            if torch is not None and torch.cuda.is_available():
                tparams = [torch.randn(n, device="cuda", requires_grad=True) for n in sizes]
                for tp in tparams:
                    tp.grad = torch.randn_like(tp)
                topt = _torch(torch, kind, tparams, fused=True)
                topt.step()

                def torch_step(topt=topt):
                    topt.step()
                    torch.cuda.synchronize()

                with torch.no_grad():
                    theirs = measure(torch_step, repeat=repeat, min_time=0.3)
                row["torch_fused_ms"] = theirs * 1e3
                row["gradkit_vs_torch"] = fused / theirs
            rows.append(row)
    return rows


def _import_torch():
    try:
        import torch

        torch.set_num_threads(1)
        return torch
    except ImportError:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10**6 parameters only, 3 repeats")
    args = parser.parse_args()
    repeat = 3 if args.quick else 5
    cpu_totals = [10**6] if args.quick else [10**6, 10**7]
    started = time.time()
    rows = cpu_rows(cpu_totals, repeat) + gpu_rows([10**7], repeat)
    columns = [
        "device",
        "optimizer",
        "params",
        "tensors",
        "gradkit_fused_ms",
        "gradkit_per_param_ms",
        "fused_speedup",
        "torch_foreach_ms",
        "torch_fused_ms",
        "gradkit_vs_torch",
        "copy_same_bytes_ms",
        "fused_vs_copy",
    ]
    print_table(
        "Optimizer step time (CPU: process time, one thread; GPU: wall time)", rows, columns
    )
    save("optim", {"rows": rows, "seconds": time.time() - started})


if __name__ == "__main__":
    main()
