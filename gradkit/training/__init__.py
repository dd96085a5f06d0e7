"""Training end to end: the model zoo, the loop behind ``gradkit train``, checkpoints, metrics.

from gradkit.training import TrainConfig, train
record = train(TrainConfig(model="cnn", dataset="mnist", epochs=3, out="runs/cnn"))
record["final_test_accuracy"]
"""

from __future__ import annotations

from typing import Any

from .config import TrainConfig


def train(config: TrainConfig, **streams: Any) -> dict[str, Any]:
    """Run ``config`` (see ``gradkit.training.trainer.train``) and return its metrics record."""
    from .trainer import train as run  # imported here: gradkit.nn/optim load only when training

    return run(config, **streams)


__all__ = ["TrainConfig", "train"]
