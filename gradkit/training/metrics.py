"""metrics.json: the record of a run (per-epoch numbers, final accuracy, environment)."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

EPOCH_KEYS = (
    "epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy",
    "epoch_time_s", "samples_per_s", "lr",
)  # fmt: skip


def build_record(
    config: dict[str, Any],
    environment: dict[str, Any],
    history: list[dict[str, Any]],
    total_time_s: float,
    interrupted: bool = False,
) -> dict[str, Any]:
    """The whole metrics.json payload from the per-epoch history."""
    accuracies = [entry["test_accuracy"] for entry in history]
    return {
        "config": config,
        "environment": environment,
        "epochs": history,
        "epochs_completed": len(history),
        "final_test_accuracy": accuracies[-1] if accuracies else None,
        "best_test_accuracy": max(accuracies) if accuracies else None,
        "final_test_loss": history[-1]["test_loss"] if history else None,
        "total_time_s": total_time_s,
        "interrupted": interrupted,
    }


def write_json_atomic(payload: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``payload`` as JSON so readers see the old file or the new one, never half of one."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "w") as stream:
            json.dump(finite(payload), stream, indent=2)
            stream.write("\n")
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def finite(value: Any) -> Any:
    """JSON has no NaN/Infinity: a diverged loss is written as null rather than invalid JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(item) for item in value]
    return value
