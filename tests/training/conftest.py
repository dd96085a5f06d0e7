"""Helpers for the training tests: running ``python -m gradkit`` in a subprocess and comparing the
weights of two runs. Tests get them through the ``cli`` fixture (the suite imports test files
with --import-mode=importlib, so a helper module next to them is not importable by name)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gradkit as gk

REPO = Path(__file__).resolve().parents[2]

# Small enough to take about a second an epoch, big enough that an epoch has many batches
# (so a signal lands in the middle of one).
TINY_RUN = [
    "--model", "mlp", "--dataset", "mnist", "--epochs", "2", "--batch-size", "32",
    "--limit-train", "768", "--limit-test", "128", "--seed", "7", "--device", "cpu",
    "--progress", "plain",
]  # fmt: skip


def gradkit_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "gradkit", *args]


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_gradkit(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        gradkit_command(*args),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment(),
        cwd=REPO,
    )


def start_gradkit(*args: str) -> subprocess.Popen:
    """A running ``gradkit`` whose stderr (the progress lines) can be read line by line."""
    return subprocess.Popen(
        gradkit_command(*args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
        cwd=REPO,
    )


def wait_for_line(process: subprocess.Popen, fragment: str) -> list[str]:
    """Read the process's stderr until a line contains ``fragment``; the lines read."""
    seen = []
    for line in process.stderr:  # type: ignore[union-attr]
        seen.append(line)
        if fragment in line:
            return seen
    raise AssertionError(
        f"the process ended before printing {fragment!r}; stderr:\n" + "".join(seen)
    )


def model_arrays(checkpoint: Path) -> dict[str, np.ndarray]:
    state = gk.load(checkpoint)["model"]
    return {name: np.asarray(tensor.numpy()) for name, tensor in state.items()}


def assert_same_weights(first: Path, second: Path) -> None:
    a, b = model_arrays(first), model_arrays(second)
    assert a.keys() == b.keys()
    for name in a:
        assert a[name].dtype == b[name].dtype, name
        assert np.array_equal(a[name], b[name]), f"{name} differs between {first} and {second}"


@pytest.fixture(scope="session")
def cli():
    """This module: ``cli.run_gradkit(...)``, ``cli.TINY_RUN``, ``cli.assert_same_weights(...)``."""
    return sys.modules[__name__]
