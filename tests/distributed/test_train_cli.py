"""``mpirun -n 2 gradkit train --distributed``: both ranks train, rank 0 alone reports."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

TINY_RUN = [
    "--model", "mlp", "--dataset", "mnist", "--epochs", "2", "--batch-size", "32",
    "--limit-train", "512", "--limit-test", "128", "--seed", "7", "--device", "cpu",
    "--progress", "plain",
]  # fmt: skip


def test_distributed_train_command(mpirun: Callable, tmp_path: Path) -> None:
    out = tmp_path / "run"
    done = mpirun(
        2, "-m", "gradkit", "train", "--distributed", *TINY_RUN, "--out", str(out), timeout=120
    )
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    # Only rank 0 prints: one header, one summary line per epoch.
    assert done.stdout.count("training mlp on mnist") == 1
    assert done.stdout.count("epoch 1/2:") == 1
    assert done.stdout.count("epoch 2/2:") == 1
    assert "2 processes" in done.stdout
    record = json.loads((out / "metrics.json").read_text())
    assert record["epochs_completed"] == 2
    history = record["epochs"]
    assert record["environment"]["distributed"] == {"backend": "mpi", "world_size": 2}
    assert all(entry["train_accuracy"] > 0.3 for entry in history)
    checkpoints = sorted((out / "checkpoints").iterdir())
    assert checkpoints, "rank 0 wrote no checkpoint"
