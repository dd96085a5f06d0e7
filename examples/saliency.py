"""Saliency maps: which pixels move a trained classifier's score the most.

Trains a small MLP on MNIST for one epoch (or loads a ``gradkit train`` checkpoint of the
'mlp' model with --checkpoint), then takes the gradient of each image's top class score with
respect to the input pixels and saves the images next to |gradient| as a PNG.

    python examples/saliency.py --out saliency.png
    python examples/saliency.py --checkpoint runs/demo/checkpoints/ckpt-0002-000000.gk
    python examples/saliency.py --smoke --out /tmp/saliency.png   # (used by the tests)
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import gradkit as gk
from gradkit import data, nn
from gradkit.training.datasets import load_datasets
from gradkit.training.models import build_model


def train_briefly(model: nn.Module, train_set: data.Dataset, batches: int) -> None:
    optimizer = gk.optim.Adam(model.parameters(), lr=1e-3)
    loader = data.DataLoader(train_set, batch_size=128, shuffle=True, seed=0)
    model.train()
    for step, (images, labels) in enumerate(loader):
        if step == batches:
            break
        loss = nn.functional.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def saliency(model: nn.Module, images: gk.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """(|d top-score / d pixel| per image, predicted classes)."""
    model.eval()
    images = images.detach().requires_grad_(True)
    scores = model(images)
    predicted = scores.numpy().argmax(axis=1)
    # One backward pass for all images: each image's top score depends only on its own pixels.
    chosen = gk.tensor(np.eye(scores.shape[1], dtype=np.float32)[predicted])
    (scores * chosen).sum().backward()
    return np.abs(images.grad.numpy()).max(axis=1), predicted


def save_figure(images: np.ndarray, maps: np.ndarray, predicted: np.ndarray, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    count = len(images)
    figure, axes = plt.subplots(2, count, figsize=(1.6 * count, 3.4))
    for column in range(count):
        axes[0, column].imshow(images[column, 0], cmap="gray")
        axes[0, column].set_title(f"pred {predicted[column]}", fontsize=9)
        axes[1, column].imshow(maps[column], cmap="hot")
        for row in (0, 1):
            axes[row, column].axis("off")
    figure.suptitle("MNIST digits (top) and |d score / d pixel| (bottom)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", help="a gradkit train checkpoint of --model mlp")
    parser.add_argument("--count", type=int, default=8, help="how many test images")
    parser.add_argument("--out", default="saliency.png")
    parser.add_argument(
        "--smoke", action="store_true", default="GRADKIT_EXAMPLE_SMOKE" in os.environ
    )
    args = parser.parse_args(argv)

    gk.manual_seed(0)
    splits = load_datasets("mnist", limit_train=1024 if args.smoke else None, limit_test=args.count)
    model = build_model("mlp", splits.image_shape, splits.num_classes)
    if args.checkpoint:
        model.load_state_dict(gk.load(args.checkpoint)["model"])
    else:
        train_briefly(model, splits.train, batches=4 if args.smoke else 469)
    images, _ = next(iter(data.DataLoader(splits.test, batch_size=args.count)))
    maps, predicted = saliency(model, images)
    save_figure(images.numpy(), maps, predicted, args.out)
    print(f"saved saliency maps of {len(maps)} test images to {args.out}")
    return args.out


if __name__ == "__main__":
    main()
