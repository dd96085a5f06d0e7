"""The binary version of CIFAR-10 (``cifar-10-binary.tar.gz``).

Each ``*.bin`` file is a run of 3,073-byte records: one label byte (0..9), then a 32×32 image as
1,024 red, 1,024 green and 1,024 blue bytes, rows top to bottom (C×H×W order).
"""

from __future__ import annotations

import os

import numpy as np

CHANNELS, HEIGHT, WIDTH = 3, 32, 32
RECORD_BYTES = 1 + CHANNELS * HEIGHT * WIDTH


def read_cifar10_binary(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """(images N×3×32×32 uint8, labels N int64) from one CIFAR-10 binary batch file."""
    path = os.fspath(path)
    with open(path, "rb") as stream:
        raw = np.frombuffer(stream.read(), dtype=np.uint8)
    if raw.size == 0 or raw.size % RECORD_BYTES:
        raise ValueError(
            f"CIFAR-10 file {path}: wrong size, {raw.size} bytes is not a positive multiple of "
            f"the {RECORD_BYTES}-byte record (1 label byte + 3×32×32 pixels); truncated, or "
            "not the binary version?"
        )
    records = raw.reshape(-1, RECORD_BYTES)
    labels = records[:, 0].astype(np.int64)
    if labels.max() > 9:
        bad = int(np.argmax(labels > 9))
        raise ValueError(
            f"CIFAR-10 file {path}: record {bad} has label {labels[bad]}, expected 0..9 "
            "(corrupt, or not a CIFAR-10 binary file?)"
        )
    images = records[:, 1:].reshape(-1, CHANNELS, HEIGHT, WIDTH).copy()
    return images, labels
