"""The settings of a training run, and the defaults each model trains well with."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

MODEL_NAMES = ("mlp", "cnn", "lenet")
OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
SCHEDULERS = ("none", "step", "cosine", "onecycle")

# Recipes that reach the accuracy bars on MNIST (MLP ≥ 98%, CNN ≥ 99%) and Fashion-MNIST
# (CNN ≥ 90%) on 2 CPU cores; measured settings are in the README's "Training" section.
MODEL_DEFAULTS: dict[str, dict[str, Any]] = {
    "mlp": {"epochs": 5, "lr": 2e-3, "optimizer": "adam", "scheduler": "onecycle"},
    "cnn": {"epochs": 3, "lr": 2e-3, "optimizer": "adam", "scheduler": "onecycle"},
    "lenet": {"epochs": 5, "lr": 3e-3, "optimizer": "adam", "scheduler": "onecycle"},
}
DATASET_EPOCHS = {("cnn", "fashion-mnist"): 5, ("mlp", "fashion-mnist"): 8}


@dataclass
class TrainConfig:
    """Everything ``gradkit train`` takes; ``None`` fields get the model's default."""

    model: str = "mlp"
    dataset: str = "mnist"
    data_dir: str | None = None
    device: str = "auto"
    epochs: int | None = None
    batch_size: int = 128
    eval_batch_size: int = 1000
    lr: float | None = None
    optimizer: str | None = None
    momentum: float = 0.9
    weight_decay: float | None = None
    scheduler: str | None = None
    dropout: float | None = None
    amp: bool = False
    seed: int = 0
    out: str = "runs/latest"
    checkpoint_dir: str | None = None
    keep_checkpoints: int = 3
    resume: bool = False
    limit_train: int | None = None
    limit_test: int | None = None
    progress: str = "auto"  # auto (bar on a terminal), bar, plain

    def resolved(self) -> TrainConfig:
        """A copy with every None default filled in for this model and dataset."""
        values = asdict(self)
        defaults = MODEL_DEFAULTS.get(self.model, MODEL_DEFAULTS["mlp"])
        for key, value in defaults.items():
            if values[key] is None:
                values[key] = value
        if self.epochs is None:
            values["epochs"] = DATASET_EPOCHS.get((self.model, self.dataset), defaults["epochs"])
        if values["checkpoint_dir"] is None:
            values["checkpoint_dir"] = f"{values['out'].rstrip('/')}/checkpoints"
        return TrainConfig(**values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# Settings that must match for --resume to continue the same run bit for bit.
RESUME_MUST_MATCH = (
    "model", "dataset", "batch_size", "lr", "optimizer", "momentum", "weight_decay",
    "scheduler", "dropout", "seed", "limit_train", "limit_test", "amp",
)  # fmt: skip


def resume_mismatches(saved: dict[str, Any], current: TrainConfig) -> list[str]:
    """Human-readable differences between a checkpoint's settings and this run's."""
    names = {f.name for f in fields(TrainConfig)}
    keys = list(RESUME_MUST_MATCH)
    if current.scheduler in ("cosine", "onecycle"):
        keys.append("epochs")  # these schedules are laid out over the whole run
    return [
        f"{key}: checkpoint has {saved.get(key)!r}, this run {getattr(current, key)!r}"
        for key in keys
        if key in names and saved.get(key) != getattr(current, key)
    ]
