"""An LSTM forecasting sine waves: given 24 samples of a wave of random frequency, amplitude and
phase, predict the next sample. Compares the test error with the naive "repeat the last value".

    python examples/lstm_sequence.py
    python examples/lstm_sequence.py --smoke      # a few steps (used by the tests)
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import gradkit as gk
from gradkit import nn

STEPS_IN = 24


def make_waves(count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (STEPS_IN, count, 1) and next values (count, 1), float32."""
    frequency = rng.uniform(0.1, 0.4, size=(count, 1))
    amplitude = rng.uniform(0.5, 1.5, size=(count, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(count, 1))
    t = np.arange(STEPS_IN + 1)[None, :]
    waves = amplitude * np.sin(frequency * t + phase) + rng.normal(
        0, 0.01, size=(count, STEPS_IN + 1)
    )
    inputs = waves[:, :STEPS_IN].T[:, :, None].astype(np.float32)  # time-major, as nn.LSTM expects
    targets = waves[:, STEPS_IN:].astype(np.float32)
    return inputs, targets


class Forecaster(nn.Module):
    def __init__(self, hidden: int = 32) -> None:
        super().__init__()
        self.lstm = nn.LSTM(1, hidden)
        self.head = nn.Linear(hidden, 1)

    def forward(self, sequences: gk.Tensor) -> gk.Tensor:
        outputs, _ = self.lstm(sequences)  # (time, batch, hidden)
        return self.head(outputs[-1])


def main(argv: list[str] | None = None) -> tuple[float, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--smoke", action="store_true", default="GRADKIT_EXAMPLE_SMOKE" in os.environ
    )
    args = parser.parse_args(argv)
    steps = 5 if args.smoke else args.steps

    gk.manual_seed(0)
    rng = np.random.default_rng(0)
    test_inputs, test_targets = make_waves(512, rng)
    model = Forecaster()
    optimizer = gk.optim.Adam(model.parameters(), lr=1e-2)
    scheduler = gk.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    for step in range(1, steps + 1):
        inputs, targets = make_waves(args.batch_size, rng)  # fresh waves every step
        loss = nn.functional.mse_loss(model(gk.tensor(inputs)), gk.tensor(targets))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        if step % max(1, steps // 10) == 0 or step == steps:
            print(f"step {step:4d}  train mse {loss.item():.5f}")

    with gk.no_grad():
        test_mse = nn.functional.mse_loss(
            model(gk.tensor(test_inputs)), gk.tensor(test_targets)
        ).item()
    naive_mse = float(np.mean((test_inputs[-1] - test_targets) ** 2))
    print(f"test mse {test_mse:.5f}; repeating the last value: {naive_mse:.5f}")
    return test_mse, naive_mse


if __name__ == "__main__":
    main()
