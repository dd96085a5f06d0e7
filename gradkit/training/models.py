"""The model zoo of ``gradkit train``: an MLP, a small CNN and LeNet-5, for 1- or 3-channel images.

Every builder takes the image shape (channels, height, width) and the number of classes, so the
same names work on MNIST/Fashion-MNIST (1×28×28) and CIFAR-10 (3×32×32).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gradkit import nn

from .config import MODEL_NAMES

ImageShape = tuple[int, int, int]


class Flatten(nn.Module):
    """(N, ...) → (N, features); gk.nn.Flatten when it exists is the same thing."""

    def forward(self, x: Any) -> Any:
        return x.reshape(x.shape[0], -1)


def flatten_layer() -> nn.Module:
    return nn.Flatten() if hasattr(nn, "Flatten") else Flatten()


def mlp(
    image_shape: ImageShape,
    num_classes: int = 10,
    hidden: tuple[int, ...] = (512, 512),
    dropout: float = 0.2,
) -> nn.Module:
    """Flatten → (Linear → ReLU → Dropout) per hidden width → Linear."""
    channels, height, width = image_shape
    layers: list[nn.Module] = [flatten_layer()]
    features = channels * height * width
    for width_out in hidden:
        layers += [nn.Linear(features, width_out), nn.ReLU()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        features = width_out
    layers.append(nn.Linear(features, num_classes))
    return nn.Sequential(*layers)


def cnn(image_shape: ImageShape, num_classes: int = 10, dropout: float = 0.25) -> nn.Module:
    """Two 3×3 conv blocks (32 and 64 channels, each ReLU + 2×2 max-pool) and a 128-unit head.

    Padding keeps each conv's size, so the pools alone shrink the image (28 → 14 → 7): cheap
    enough for 2 CPU cores, and above 99% on MNIST in a few epochs.
    """
    channels, height, width = image_shape
    layers: list[nn.Module] = [
        nn.Conv2d(channels, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        flatten_layer(),
    ]  # fmt: skip
    if dropout > 0:
        layers.append(nn.Dropout(dropout))
    layers += [nn.Linear(64 * (height // 4) * (width // 4), 128), nn.ReLU()]
    if dropout > 0:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(128, num_classes))
    return nn.Sequential(*layers)


def lenet(image_shape: ImageShape, num_classes: int = 10, dropout: float = 0.0) -> nn.Module:
    """LeNet-5 with ReLU and max-pooling: conv 6@5×5 (padded by 2) → pool → conv 16@5×5 →
    pool → 120 → 84 → classes."""
    channels, height, width = image_shape
    pooled_height, pooled_width = (height // 2 - 4) // 2, (width // 2 - 4) // 2
    layers: list[nn.Module] = [
        nn.Conv2d(channels, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        flatten_layer(),
        nn.Linear(16 * pooled_height * pooled_width, 120), nn.ReLU(),
    ]  # fmt: skip
    if dropout > 0:
        layers.append(nn.Dropout(dropout))
    layers += [nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, num_classes)]
    return nn.Sequential(*layers)


MODELS: dict[str, Callable[..., nn.Module]] = {"mlp": mlp, "cnn": cnn, "lenet": lenet}
assert tuple(MODELS) == MODEL_NAMES  # the CLI lists the names without importing gradkit.nn


def build_model(
    name: str, image_shape: ImageShape, num_classes: int = 10, dropout: float | None = None
) -> nn.Module:
    """The model called ``name`` for images of ``image_shape``; ``dropout=None`` keeps the
    model's default rate."""
    if name not in MODELS:
        raise ValueError(f"build_model: unknown model {name!r}; expected one of {sorted(MODELS)}")
    if len(image_shape) != 3 or min(image_shape) <= 0:
        raise ValueError(
            f"build_model: expected image_shape (channels, height, width), got {image_shape}"
        )
    kwargs: dict[str, Any] = {} if dropout is None else {"dropout": dropout}
    return MODELS[name](tuple(image_shape), num_classes, **kwargs)
