"""Conv2d forward+backward and a LeNet training step: gradkit vs PyTorch on CPU, same run.

Prints one line per case with both medians and the ratio (gradkit / PyTorch), and writes
the figures to benchmarks/results/conv_lenet.json.
"""

from __future__ import annotations

import json
import pathlib
import statistics
import time

import numpy as np
import torch

import gradkit as gk
from gradkit import nn


def median_ms(fn, repeats: int = 15) -> float:
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def conv_case(c_in: int, c_out: int, size: int, batch: int = 32) -> dict:
    x = np.random.default_rng(0).standard_normal((batch, c_in, size, size)).astype(np.float32)
    tconv = torch.nn.Conv2d(c_in, c_out, 3, padding=1)
    gconv = nn.Conv2d(c_in, c_out, 3, padding=1)
    tx, gx = torch.tensor(x, requires_grad=True), gk.tensor(x, requires_grad=True)

    def run_torch():
        tconv(tx).sum().backward()

    def run_gk():
        gconv(gx).sum().backward()

    return {
        "case": f"conv2d {c_in}->{c_out} {size}x{size} b{batch} fwd+bwd",
        "torch_ms": median_ms(run_torch),
        "gradkit_ms": median_ms(run_gk),
    }


def lenet(lib) -> object:
    return lib.Sequential(
        lib.Conv2d(1, 6, 5, padding=2),
        lib.ReLU(),
        lib.MaxPool2d(2),
        lib.Conv2d(6, 16, 5),
        lib.ReLU(),
        lib.MaxPool2d(2),
        lib.Flatten(),
        lib.Linear(16 * 5 * 5, 120),
        lib.ReLU(),
        lib.Linear(120, 84),
        lib.ReLU(),
        lib.Linear(84, 10),
    )


def lenet_case(batch: int = 64) -> dict:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, batch)
    tm, gm = lenet(torch.nn), lenet(nn)
    tx, ty = torch.tensor(x), torch.tensor(y)
    gx, gy = gk.tensor(x), gk.tensor(y)
    tparams, gparams = list(tm.parameters()), list(gm.parameters())

    def run_torch():
        for p in tparams:
            p.grad = None
        torch.nn.functional.cross_entropy(tm(tx), ty).backward()
        with torch.no_grad():
            for p in tparams:
                p -= 0.01 * p.grad

    def run_gk():
        for p in gparams:
            p.grad = None
        nn.functional.cross_entropy(gm(gx), gy).backward()
        for p in gparams:  # a plain SGD step on the arrays, the same work as torch's loop
            p.data -= np.float32(0.01) * p.grad.data

    return {
        "case": f"LeNet train step b{batch}",
        "torch_ms": median_ms(run_torch),
        "gradkit_ms": median_ms(run_gk),
    }


def main() -> None:
    rows = [conv_case(3, 16, 32), conv_case(64, 64, 16), lenet_case()]
    for row in rows:
        row["ratio"] = row["gradkit_ms"] / row["torch_ms"]
        print(
            f"{row['case']:40s} torch {row['torch_ms']:8.2f} ms  gradkit "
            f"{row['gradkit_ms']:8.2f} ms  ratio {row['ratio']:.2f}"
        )
    out = pathlib.Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "conv_lenet.json").write_text(
        json.dumps({"torch_threads": torch.get_num_threads(), "rows": rows}, indent=2)
    )


if __name__ == "__main__":
    main()
