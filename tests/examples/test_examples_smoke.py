"""Every example runs as a script on a small slice (``--smoke``) and prints its result."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(name: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, MPLBACKEND="Agg")
    env.pop("GRADKIT_EXAMPLE_SMOKE", None)
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name), "--smoke", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=EXAMPLES.parent,
    )


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("regression_mse.py", "test mse"),
        ("mnist_mlp.py", "test accuracy"),
        ("mnist_cnn.py", "mnist test accuracy"),
        ("lstm_sequence.py", "repeating the last value"),
    ],
)
def test_example_runs(script, expected):
    result = run_example(script)
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout


def test_cnn_example_on_fashion_mnist():
    result = run_example("mnist_cnn.py", "--dataset", "fashion-mnist")
    assert result.returncode == 0, result.stderr
    assert "fashion-mnist test accuracy" in result.stdout


def test_saliency_example_writes_a_png(tmp_path):
    out = tmp_path / "saliency.png"
    result = run_example("saliency.py", "--out", str(out), "--count", "4")
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(b"\x89PNG")
