"""metrics.json writing (atomic, valid JSON even for a diverged loss), the plot, progress lines."""

from __future__ import annotations

import io
import json
import math

from gradkit.training.metrics import build_record, write_json_atomic
from gradkit.training.plotting import plot_curves
from gradkit.training.progress import EpochProgress


def epoch(number, accuracy, loss=0.5):
    return {"epoch": number, "train_loss": loss, "train_accuracy": accuracy,
            "test_loss": loss, "test_accuracy": accuracy}  # fmt: skip


def test_record_summarises_the_history():
    record = build_record(
        {"model": "mlp"}, {"seed": 1}, [epoch(1, 0.9), epoch(2, 0.95), epoch(3, 0.93)], 12.5
    )
    assert record["final_test_accuracy"] == 0.93 and record["best_test_accuracy"] == 0.95
    assert record["epochs_completed"] == 3 and record["interrupted"] is False
    empty = build_record({}, {}, [], 0.0, interrupted=True)
    assert empty["final_test_accuracy"] is None and empty["interrupted"] is True


def test_json_is_written_atomically_and_without_nan(tmp_path):
    path = tmp_path / "deep" / "metrics.json"
    write_json_atomic({"loss": math.nan, "list": [math.inf, 1.0]}, path)
    assert json.loads(path.read_text()) == {"loss": None, "list": [None, 1.0]}
    assert [p.name for p in path.parent.iterdir()] == ["metrics.json"]  # no temporary left


def test_plot_is_a_png(tmp_path):
    path = plot_curves([epoch(1, 0.5, 1.0), epoch(2, 0.8, 0.4)], tmp_path / "curves.png", "t")
    assert path.read_bytes().startswith(b"\x89PNG")


def test_plain_progress_prints_about_ten_lines_per_epoch():
    stream = io.StringIO()
    progress = EpochProgress(1, 3, total_batches=100, stream=stream)  # StringIO is no TTY
    for _ in range(100):
        progress.update(32, 0.25, 0.5)
    progress.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 10
    assert lines[-1].startswith("epoch 1/3 [100/100] loss 0.2500 acc 0.5000")
    assert "samples/s" in lines[-1]


def test_bar_progress_uses_tqdm():
    stream = io.StringIO()
    progress = EpochProgress(2, 2, total_batches=10, stream=stream, bar=True)
    for _ in range(10):
        progress.update(8, 1.0, 0.75)
    progress.close()
    text = stream.getvalue()
    assert "epoch 2/2" in text and "10/10" in text and "acc=0.7500" in text
