"""A PNG of a run's loss and accuracy curves (matplotlib, Agg: no display needed)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def plot_curves(
    history: list[dict[str, Any]], path: str | os.PathLike[str], title: str = ""
) -> Path:
    """Loss (left) and accuracy (right) per epoch, train and test, saved as ``path``."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    epochs = [entry["epoch"] for entry in history]
    figure, (loss_axes, accuracy_axes) = plt.subplots(1, 2, figsize=(10, 4))
    for split, style in (("train", "o-"), ("test", "s--")):
        loss_axes.plot(epochs, [e[f"{split}_loss"] for e in history], style, label=split)
        accuracy_axes.plot(
            epochs, [100 * e[f"{split}_accuracy"] for e in history], style, label=split
        )
    loss_axes.set(xlabel="epoch", ylabel="cross-entropy loss", title="loss")
    accuracy_axes.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    for axes in (loss_axes, accuracy_axes):
        axes.grid(alpha=0.3)
        axes.legend()
        if epochs:
            axes.set_xticks(epochs if len(epochs) <= 20 else axes.get_xticks())
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp.png")
    figure.savefig(temporary, dpi=100)
    plt.close(figure)
    os.replace(temporary, target)
    return target
