"""On a GPU machine: a tiny run on CUDA, with and without --amp (skipped elsewhere)."""

from __future__ import annotations

import json

import pytest

import gradkit as gk
from gradkit.cli import main

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not gk.cuda.is_available(), reason="no usable GPU (CuPy/CUDA)"),
]

TINY = ["--epochs", "1", "--limit-train", "512", "--limit-test", "256", "--batch-size", "64",
        "--progress", "plain"]  # fmt: skip


@pytest.mark.parametrize("model", ["mlp", "cnn"])
@pytest.mark.parametrize("amp", [False, True])
def test_tiny_run_on_cuda(tmp_path, model, amp):
    argv = ["train", "--model", model, "--device", "cuda", "--out", str(tmp_path), *TINY]
    assert main(argv + (["--amp"] if amp else [])) == 0
    record = json.loads((tmp_path / "metrics.json").read_text())
    assert record["environment"]["device"].startswith("cuda")
    assert record["final_test_accuracy"] > 0.2


def test_auto_picks_cuda(tmp_path):
    assert main(["train", "--device", "auto", "--out", str(tmp_path), *TINY]) == 0
    record = json.loads((tmp_path / "metrics.json").read_text())
    assert record["environment"]["device"].startswith("cuda")
