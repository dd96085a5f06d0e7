"""Functional transforms on CPU: gk.func next to torch.func, measured in one run.

1. Cost relative to the plain computation: jvp vs the forward pass (target <= 3x) and hvp
   vs grad (target <= 5x), on an MLP-shaped function.
2. jacfwd (n forward passes) vs jacrev (m backward passes) for f: R^n -> R^m with n * m
   fixed: where they cross (n ~ m).
3. The same transforms against torch.func (target <= 1.0x), both on one thread, CPU time.
   torch.func's jacfwd/jacrev/hessian batch their passes with vmap; gk.func runs them one at
   a time.

Run: .venv/bin/python benchmarks/func.py   (writes benchmarks/results/func.json)
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _harness import measure, print_table, save  # noqa: E402

import gradkit as gk  # noqa: E402

QUICK = os.environ.get("GRADKIT_BENCH_QUICK") == "1"
BATCH, WIDTH = (16, 64) if QUICK else (64, 256)
REPEAT = 3 if QUICK else 5


def timing(fn) -> float:  # noqa: ANN001
    # one thread each and CPU time: steady figures on a shared, busy machine
    return measure(fn, repeat=REPEAT, min_time=0.05 if QUICK else 0.15, clock=time.process_time)


def mlp_case(lib, rng: np.random.Generator):  # noqa: ANN001, ANN201
    """f(x) = mean(tanh(tanh(x W1) W2)^2): inputs (BATCH, WIDTH), float32."""
    arrays = [
        (rng.standard_normal(s) / np.sqrt(WIDTH)).astype(np.float32)
        for s in ((WIDTH, WIDTH), (WIDTH, WIDTH))
    ]
    x = rng.standard_normal((BATCH, WIDTH)).astype(np.float32)
    v = rng.standard_normal((BATCH, WIDTH)).astype(np.float32)
    w1, w2 = (lib.tensor(a) for a in arrays)

    def f(x):  # noqa: ANN001, ANN202
        h = lib.tanh(lib.tanh(x @ w1) @ w2)
        return (h * h).mean()

    return f, lib.tensor(x), lib.tensor(v)


def relative_costs(torch) -> list[dict]:  # noqa: ANN001
    rows = []
    for name, lib, fn in (("gradkit", gk, gk.func), ("torch", torch, torch and torch.func)):
        if lib is None:
            continue
        f, x, v = mlp_case(lib, np.random.default_rng(0))
        forward = timing(lambda: f(x))  # noqa: B023 - called at once
        jvp = timing(lambda: fn.jvp(f, (x,), (v,)))  # noqa: B023 - called at once
        grad = timing(lambda: fn.grad(f)(x))  # noqa: B023 - called at once
        if lib is gk:
            hvp = timing(lambda: gk.func.hvp(f, (x,), (v,)))  # noqa: B023 - called at once
        else:  # torch.func has no hvp: forward over reverse, as its docs recommend
            hvp = timing(lambda: torch.func.jvp(torch.func.grad(f), (x,), (v,)))  # noqa: B023 - called at once
        rows.append(
            {
                "library": name,
                "forward_s": forward,
                "jvp_s": jvp,
                "grad_s": grad,
                "hvp_s": hvp,
                "jvp/forward": jvp / forward,
                "hvp/grad": hvp / grad,
            }
        )
    return rows


def jacobian_case(lib, n: int, m: int):  # noqa: ANN001, ANN201
    rng = np.random.default_rng(n * 1000 + m)
    a = lib.tensor((rng.standard_normal((m, n)) / np.sqrt(n)).astype(np.float32))
    x = lib.tensor(rng.standard_normal(n).astype(np.float32))
    return (lambda x: lib.tanh(a @ x) * 2.0), x


def crossing(torch) -> list[dict]:  # noqa: ANN001
    total = 256 if QUICK else 1024
    rows = []
    for n in (4, 8, 16, 32, 64, 128, 256) if not QUICK else (4, 16, 64):
        m = total // n
        f, x = jacobian_case(gk, n, m)
        row = {
            "n": n,
            "m": m,
            "gk_jacfwd_s": timing(lambda: gk.func.jacfwd(f)(x)),  # noqa: B023 - called at once
            "gk_jacrev_s": timing(lambda: gk.func.jacrev(f)(x)),  # noqa: B023 - called at once
        }
        row["gk_faster"] = "jacfwd" if row["gk_jacfwd_s"] < row["gk_jacrev_s"] else "jacrev"
        if torch is not None:
            tf, tx = jacobian_case(torch, n, m)
            row["torch_jacfwd_s"] = timing(lambda: torch.func.jacfwd(tf)(tx))  # noqa: B023 - called at once
            row["torch_jacrev_s"] = timing(lambda: torch.func.jacrev(tf)(tx))  # noqa: B023 - called at once
        rows.append(row)
    return rows


def against_torch(torch, costs: list[dict]) -> list[dict]:  # noqa: ANN001
    if torch is None:
        return []
    ours = next(r for r in costs if r["library"] == "gradkit")
    theirs = next(r for r in costs if r["library"] == "torch")
    rows = [
        {
            "transform": name,
            "gradkit_s": ours[key],
            "torch_s": theirs[key],
            "ratio": ours[key] / theirs[key],
        }
        for name, key in (
            ("forward", "forward_s"),
            ("jvp", "jvp_s"),
            ("grad", "grad_s"),
            ("hvp", "hvp_s"),
        )
    ]
    n = 16
    for name in ("jacfwd", "jacrev", "hessian"):
        rng = np.random.default_rng(1)
        a_np = rng.standard_normal((n, n)).astype(np.float32) / 4
        x_np = rng.standard_normal(n).astype(np.float32)
        timings = {}
        for lib, fn in ((gk, gk.func), (torch, torch.func)):
            a, x = lib.tensor(a_np), lib.tensor(x_np)
            if name == "hessian":

                def f(x, lib=lib, a=a):  # noqa: ANN001, ANN202
                    return lib.tanh(a @ x).sum()
            else:

                def f(x, lib=lib, a=a):  # noqa: ANN001, ANN202
                    return lib.tanh(a @ x)

            transformed = getattr(fn, name)(f)
            timings[lib.__name__] = timing(lambda: transformed(x))  # noqa: B023 - called at once
        rows.append(
            {
                "transform": f"{name} (n={n})",
                "gradkit_s": timings["gradkit"],
                "torch_s": timings["torch"],
                "ratio": timings["gradkit"] / timings["torch"],
            }
        )
    return rows


def main() -> None:
    try:
        import torch
        import torch.func  # noqa: F401

        torch.set_num_threads(1)
    except ImportError:
        torch = None
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        run(torch)


def run(torch) -> None:  # noqa: ANN001
    costs = relative_costs(torch)
    print_table(
        f"Cost relative to the plain computation (MLP, batch {BATCH}, width {WIDTH})",
        costs,
        ["library", "forward_s", "jvp_s", "grad_s", "hvp_s", "jvp/forward", "hvp/grad"],
    )
    cross = crossing(torch)
    print_table(
        "jacfwd vs jacrev for f: R^n -> R^m (n * m fixed)",
        cross,
        ["n", "m", "gk_jacfwd_s", "gk_jacrev_s", "gk_faster", "torch_jacfwd_s", "torch_jacrev_s"],
    )
    versus = against_torch(torch, costs)
    if versus:
        print_table(
            "gradkit / torch.func (time ratio, lower is better; target <= 1.0)",
            versus,
            ["transform", "gradkit_s", "torch_s", "ratio"],
        )
    save(
        "func",
        {
            "relative_costs": costs,
            "jacobian_crossing": cross,
            "versus_torch": versus,
            "quick": QUICK,
        },
    )


if __name__ == "__main__":
    main()
