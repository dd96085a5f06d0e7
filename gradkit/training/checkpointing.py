"""Training checkpoints: everything needed to continue a run exactly where it stopped.

A checkpoint holds the model, optimizer, scheduler and grad-scaler state dicts (tensors, written
by ``gk.save``, which replaces the file atomically) and one JSON string with the rest of the
trainer's state: epoch and batch reached, the random generator's state, the data loader's seed,
the partial sums of an interrupted epoch, the metric history and the run's configuration. (The
generator state holds 128-bit integers; keeping it in JSON text needs nothing special from the
file format.)

Files are named ``ckpt-EEEE-BBBBBB.gk``: EEEE epochs completed, BBBBBB batches into the next one
(non-zero only for a checkpoint written on Ctrl-C), so sorting the names sorts by progress.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradkit as gk

FORMAT = "gradkit-train-checkpoint/1"
NAME = re.compile(r"^ckpt-(\d{4,})-(\d{6,})\.gk$")


@dataclass
class TrainerState:
    """The non-tensor part of a checkpoint."""

    epochs_completed: int = 0
    batches_into_epoch: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    partial_epoch: dict[str, float] = field(default_factory=dict)
    rng_state: dict[str, Any] = field(default_factory=dict)
    loader_seed: int = 0
    config: dict[str, Any] = field(default_factory=dict)
    elapsed_s: float = 0.0


def checkpoint_name(epochs_completed: int, batches_into_epoch: int = 0) -> str:
    return f"ckpt-{epochs_completed:04d}-{batches_into_epoch:06d}.gk"


def list_checkpoints(directory: str | os.PathLike[str]) -> list[Path]:
    """The checkpoints in ``directory``, oldest progress first."""
    folder = Path(directory)
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = NAME.match(path.name)
        if match and path.is_file():
            found.append(((int(match.group(1)), int(match.group(2))), path))
    return [path for _, path in sorted(found)]


def latest_checkpoint(directory: str | os.PathLike[str]) -> Path | None:
    checkpoints = list_checkpoints(directory)
    return checkpoints[-1] if checkpoints else None


def save_checkpoint(
    directory: str | os.PathLike[str],
    state: TrainerState,
    model: Any,
    optimizer: Any,
    scheduler: Any = None,
    scaler: Any = None,
    keep_last: int = 0,
) -> Path:
    """Write the checkpoint for ``state`` (atomically, via gk.save) and, when ``keep_last`` > 0,
    delete all but the newest ``keep_last`` checkpoints of the folder."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    payload: dict[str, Any] = {
        "format": FORMAT,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "trainer": json.dumps(state.__dict__),
    }
    if scheduler is not None:
        payload["scheduler"] = scheduler.state_dict()
    if scaler is not None:
        payload["scaler"] = scaler.state_dict()
    path = folder / checkpoint_name(state.epochs_completed, state.batches_into_epoch)
    gk.save(payload, path)
    if keep_last > 0:
        for old in list_checkpoints(folder)[:-keep_last]:
            old.unlink(missing_ok=True)
    return path


def load_checkpoint(
    path: str | os.PathLike[str],
    model: Any,
    optimizer: Any,
    scheduler: Any = None,
    scaler: Any = None,
) -> TrainerState:
    """Restore model, optimizer, scheduler and scaler from ``path`` in place and return the
    trainer's state (the caller restores the random generator from ``rng_state``)."""
    payload = gk.load(path)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"load_checkpoint: {path} is not a gradkit training checkpoint")
    model.load_state_dict(payload["model"])
    optimizer.load_state_dict(payload["optimizer"])
    if scheduler is not None:
        if "scheduler" not in payload:
            raise ValueError(
                f"load_checkpoint: {path} has no scheduler state, but this run has one"
            )
        scheduler.load_state_dict(payload["scheduler"])
    if scaler is not None and "scaler" in payload:
        scaler.load_state_dict(payload["scaler"])
    return TrainerState(**json.loads(payload["trainer"]))
