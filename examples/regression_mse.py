"""Fit a small MLP to a noisy 1-D function with mean squared error: the smallest end-to-end demo.

python examples/regression_mse.py            # 500 full-batch steps
python examples/regression_mse.py --smoke    # a handful of steps (used by the tests)
"""

from __future__ import annotations

import argparse
import math
import os

import numpy as np

import gradkit as gk
from gradkit import nn


def make_data(count: int, rng: np.random.Generator) -> tuple[gk.Tensor, gk.Tensor]:
    """x in [-3, 3], y = sin(2x) + x/2 + noise, as float32 column vectors."""
    x = rng.uniform(-3.0, 3.0, size=(count, 1)).astype(np.float32)
    y = (np.sin(2 * x) + 0.5 * x + rng.normal(0.0, 0.1, size=x.shape)).astype(np.float32)
    return gk.tensor(x), gk.tensor(y)


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument(
        "--smoke", action="store_true", default="GRADKIT_EXAMPLE_SMOKE" in os.environ
    )
    args = parser.parse_args(argv)
    steps = 20 if args.smoke else args.steps

    gk.manual_seed(0)
    rng = np.random.default_rng(0)
    x_train, y_train = make_data(1024, rng)
    x_test, y_test = make_data(256, rng)
    model = nn.Sequential(
        nn.Linear(1, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 1)
    )
    optimizer = gk.optim.Adam(model.parameters(), lr=1e-2)
    scheduler = gk.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)

    for step in range(1, steps + 1):
        loss = nn.functional.mse_loss(model(x_train), y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        if step % max(1, steps // 10) == 0 or step == steps:
            print(f"step {step:5d}  train mse {loss.item():.4f}")

    with gk.no_grad():
        test_mse = nn.functional.mse_loss(model(x_test), y_test).item()
    # The noise alone has variance 0.01: a good fit gets close to it.
    print(f"test mse {test_mse:.4f} (noise floor 0.0100, rmse {math.sqrt(test_mse):.3f})")
    return test_mse


if __name__ == "__main__":
    main()
