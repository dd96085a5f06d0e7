"""Time to 98% MNIST test accuracy: one MLP trained by gradkit and by PyTorch (CPU), in one run.

Both frameworks get the same thing: the 784-512-512-10 ReLU MLP of ``gradkit train --model mlp``
(dropout 0.2) starting from the SAME initial weights (gradkit's, copied into PyTorch), the same
batches in the same order (one gradkit DataLoader; PyTorch wraps each batch's arrays without a
copy), Adam with the same one-cycle schedule, and evaluation on the full test set after every
epoch. The clock runs over training and evaluation and stops at the first epoch whose test
accuracy reaches the target. The goal: gradkit's time ≤ 1.0× PyTorch's.

Run: .venv/bin/python benchmarks/time_to_accuracy.py [--target 0.98] [--max-epochs 8]
     (writes benchmarks/results/time_to_accuracy.json)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _harness import print_table, save  # noqa: E402

import gradkit as gk  # noqa: E402
from gradkit import data, nn  # noqa: E402
from gradkit.training.datasets import load_datasets  # noqa: E402
from gradkit.training.models import build_model  # noqa: E402

BATCH_SIZE = 128
LR = 2e-3
SEED = 0


def loaders(limit_train: int | None) -> tuple[data.DataLoader, data.DataLoader]:
    splits = load_datasets("mnist", limit_train=limit_train)
    train = data.DataLoader(splits.train, batch_size=BATCH_SIZE, shuffle=True, seed=SEED)
    test = data.DataLoader(splits.test, batch_size=1000)
    return train, test


def initial_weights() -> dict[str, np.ndarray]:
    gk.manual_seed(SEED)
    model = build_model("mlp", (1, 28, 28))
    return {name: tensor.numpy().copy() for name, tensor in model.state_dict().items()}


def run_gradkit(weights, train, test, target, max_epochs) -> list[dict]:
    gk.manual_seed(SEED)
    model = build_model("mlp", (1, 28, 28))
    model.load_state_dict({name: gk.tensor(array) for name, array in weights.items()})
    optimizer = gk.optim.Adam(model.parameters(), lr=LR)
    scheduler = gk.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=LR, total_steps=max_epochs * len(train)
    )

    def train_epoch() -> None:
        model.train()
        for images, labels in train:
            loss = nn.functional.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()

    def accuracy() -> float:
        model.eval()
        correct = 0
        with gk.no_grad():
            for images, labels in test:
                correct += int((model(images).numpy().argmax(1) == labels.numpy()).sum())
        return correct / len(test.dataset)

    return timed_epochs("gradkit", train, train_epoch, accuracy, target, max_epochs)


def run_torch(weights, train, test, target, max_epochs) -> list[dict]:
    import torch

    torch.manual_seed(SEED)
    model = torch.nn.Sequential(
        torch.nn.Flatten(),
        torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Dropout(0.2),
        torch.nn.Linear(512, 512), torch.nn.ReLU(), torch.nn.Dropout(0.2),
        torch.nn.Linear(512, 10),
    )  # fmt: skip
    # gradkit's zoo MLP numbers its Linear layers 1, 4, 7 too (Flatten first, then dropout).
    model.load_state_dict({name: torch.from_numpy(array) for name, array in weights.items()})
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=LR, total_steps=max_epochs * len(train)
    )

    def train_epoch() -> None:
        model.train()
        for images, labels in train:
            inputs, targets = torch.from_numpy(images.numpy()), torch.from_numpy(labels.numpy())
            loss = torch.nn.functional.cross_entropy(model(inputs), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()

    def accuracy() -> float:
        model.eval()
        correct = 0
        with torch.no_grad():
            for images, labels in test:
                scores = model(torch.from_numpy(images.numpy()))
                correct += int((scores.argmax(1).numpy() == labels.numpy()).sum())
        return correct / len(test.dataset)

    return timed_epochs("pytorch", train, train_epoch, accuracy, target, max_epochs)


def timed_epochs(name, train, train_epoch, accuracy, target, max_epochs) -> list[dict]:
    train.set_epoch(0)  # both frameworks see epoch e's batches in the same order
    epochs, elapsed = [], 0.0
    for epoch in range(1, max_epochs + 1):
        started = time.perf_counter()
        train_epoch()
        test_accuracy = accuracy()
        elapsed += time.perf_counter() - started
        epochs.append({"epoch": epoch, "test_accuracy": test_accuracy, "elapsed_s": elapsed})
        print(f"{name}: epoch {epoch} test accuracy {100 * test_accuracy:.2f}% at {elapsed:.1f}s")
        if test_accuracy >= target:
            break
    return epochs


def summary(name: str, epochs: list[dict], target: float) -> dict:
    reached = [e for e in epochs if e["test_accuracy"] >= target]
    return {
        "framework": name,
        "epochs_to_target": reached[0]["epoch"] if reached else None,
        "time_to_target_s": reached[0]["elapsed_s"] if reached else None,
        "final_accuracy": epochs[-1]["test_accuracy"],
        "s_per_epoch": epochs[-1]["elapsed_s"] / len(epochs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=float, default=0.98)
    parser.add_argument("--max-epochs", type=int, default=8)
    parser.add_argument("--limit-train", type=int, help="fewer training images (a quick look)")
    args = parser.parse_args()

    train, test = loaders(args.limit_train)
    weights = initial_weights()
    runs = {
        "gradkit": run_gradkit(weights, train, test, args.target, args.max_epochs),
        "pytorch": run_torch(weights, train, test, args.target, args.max_epochs),
    }
    rows = [summary(name, epochs, args.target) for name, epochs in runs.items()]
    ours, theirs = rows[0]["time_to_target_s"], rows[1]["time_to_target_s"]
    ratio = ours / theirs if ours is not None and theirs is not None else None
    for row in rows:
        row["vs_pytorch"] = (
            row["time_to_target_s"] / theirs if row["time_to_target_s"] and theirs else None
        )
    print_table(
        f"time to {100 * args.target:.1f}% MNIST test accuracy (MLP 784-512-512-10, Adam "
        f"one-cycle lr {LR}, batch {BATCH_SIZE})",
        rows,
        [
            "framework",
            "epochs_to_target",
            "time_to_target_s",
            "s_per_epoch",
            "final_accuracy",
            "vs_pytorch",
        ],
    )
    print(
        f"\ngradkit / PyTorch time to target: {ratio:.2f}x (goal <= 1.0x)"
        if ratio
        else "\none of the runs did not reach the target"
    )
    save(
        "time_to_accuracy",
        {
            "target": args.target,
            "batch_size": BATCH_SIZE,
            "lr": LR,
            "seed": SEED,
            "max_epochs": args.max_epochs,
            "limit_train": args.limit_train,
            "results": rows,
            "epochs": runs,
            "gradkit_vs_pytorch": ratio,
        },
    )


if __name__ == "__main__":
    main()
