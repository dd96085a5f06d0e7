"""Train a small CNN on MNIST (≥ 99% in 3 epochs) or Fashion-MNIST (≥ 90% in 5).

python examples/mnist_cnn.py                              # MNIST, 3 epochs
python examples/mnist_cnn.py --dataset fashion-mnist --epochs 5
python examples/mnist_cnn.py --smoke                      # 256 images, one epoch (tests)
"""

from __future__ import annotations

import argparse
import os
import time

import gradkit as gk
from gradkit import data, nn

DATASETS = {
    "mnist": (data.MNIST, 0.1307, 0.3081),
    "fashion-mnist": (data.FashionMNIST, 0.2860, 0.3530),
}


def build_model(dropout: float = 0.25) -> nn.Module:
    """Two conv blocks (28 → 14 → 7 pixels) and a 128-unit classifier head."""
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(dropout),
        nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(128, 10),
    )  # fmt: skip


def evaluate(model: nn.Module, loader: data.DataLoader) -> float:
    model.eval()
    correct = seen = 0
    with gk.no_grad():
        for images, labels in loader:
            predictions = model(images).numpy().argmax(axis=1)
            correct += int((predictions == labels.numpy()).sum())
            seen += len(predictions)
    return correct / seen


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=sorted(DATASETS), default="mnist")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--device", default="cuda" if gk.cuda.is_available() else "cpu")
    parser.add_argument(
        "--smoke", action="store_true", default="GRADKIT_EXAMPLE_SMOKE" in os.environ
    )
    args = parser.parse_args(argv)

    gk.manual_seed(0)
    dataset_class, mean, std = DATASETS[args.dataset]
    to_inputs = data.Compose([data.ToFloat(), data.Normalize(mean, std)])
    train_set = dataset_class(train=True, transform=to_inputs)
    test_set = dataset_class(train=False, transform=to_inputs)
    epochs = args.epochs
    if args.smoke:
        train_set, test_set, epochs = (
            data.Subset(train_set, range(256)),
            data.Subset(test_set, range(128)),
            1,
        )
    train_loader = data.DataLoader(
        train_set, batch_size=args.batch_size, shuffle=True, seed=0, device=args.device
    )
    test_loader = data.DataLoader(test_set, batch_size=500, device=args.device)

    model = build_model().to(args.device)
    optimizer = gk.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = gk.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=args.lr, total_steps=epochs * len(train_loader)
    )
    accuracy = 0.0
    for epoch in range(1, epochs + 1):
        model.train()
        started = time.perf_counter()
        for images, labels in train_loader:
            loss = nn.functional.cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
        accuracy = evaluate(model, test_loader)
        print(
            f"epoch {epoch}: last batch loss {loss.item():.4f}, {args.dataset} test accuracy "
            f"{100 * accuracy:.2f}% ({time.perf_counter() - started:.1f}s)"
        )
    return accuracy


if __name__ == "__main__":
    main()
