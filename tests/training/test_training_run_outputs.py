"""A one-epoch tiny run writes metrics.json (with the documented keys), a PNG and a checkpoint."""

from __future__ import annotations

import json

import pytest

from gradkit.cli import main
from gradkit.training import checkpointing
from gradkit.training.metrics import EPOCH_KEYS

TINY = ["--dataset", "mnist", "--epochs", "1", "--limit-train", "256", "--limit-test", "128",
        "--batch-size", "64", "--device", "cpu", "--progress", "plain"]  # fmt: skip


@pytest.fixture(scope="module")
def mlp_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    code = main(["train", "--model", "mlp", "--out", str(out), *TINY])
    return code, out


def test_exit_code_and_files(mlp_run):
    code, out = mlp_run
    assert code == 0
    assert (out / "metrics.json").is_file()
    png = (out / "training_curves.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 1000
    assert [p.name for p in checkpointing.list_checkpoints(out / "checkpoints")] == [
        "ckpt-0001-000000.gk"
    ]


def test_metrics_json_keys_and_values(mlp_run):
    _, out = mlp_run
    record = json.loads((out / "metrics.json").read_text())
    for key in (
        "config",
        "environment",
        "epochs",
        "final_test_accuracy",
        "best_test_accuracy",
        "total_time_s",
        "interrupted",
        "epochs_completed",
    ):
        assert key in record, key
    assert record["interrupted"] is False and record["epochs_completed"] == 1
    (epoch,) = record["epochs"]
    assert set(EPOCH_KEYS) <= set(epoch)
    assert epoch["epoch"] == 1
    assert 0.0 <= epoch["train_accuracy"] <= 1.0 and 0.0 <= epoch["test_accuracy"] <= 1.0
    assert epoch["train_loss"] > 0 and epoch["test_loss"] > 0
    assert epoch["epoch_time_s"] > 0 and epoch["samples_per_s"] > 0
    assert record["final_test_accuracy"] == epoch["test_accuracy"]
    # 4 batches of a 10-class problem from scratch: better than chance already.
    assert epoch["test_accuracy"] > 0.2
    environment = record["environment"]
    for key in ("gradkit", "numpy", "python", "device", "seed", "git_revision"):
        assert key in environment, key
    assert environment["device"] == "cpu" and environment["seed"] == 0
    assert record["config"]["model"] == "mlp" and record["config"]["limit_train"] == 256


def test_summary_and_final_accuracy_are_printed(tmp_path, capsys):
    assert main(["train", "--model", "lenet", "--out", str(tmp_path), *TINY]) == 0
    captured = capsys.readouterr()
    assert "epoch 1/1: train loss" in captured.out
    assert "test accuracy: " in captured.out
    assert "epoch 1/1 [4/4]" in captured.err  # plain progress lines, not a bar


def test_resume_of_a_finished_run_trains_no_more(mlp_run, capsys):
    _, out = mlp_run
    before = json.loads((out / "metrics.json").read_text())
    assert main(["train", "--model", "mlp", "--out", str(out), "--resume", *TINY]) == 0
    after = json.loads((out / "metrics.json").read_text())
    assert after["epochs"] == before["epochs"]
    assert "resumed from" in capsys.readouterr().err


def test_resume_with_other_settings_is_refused(mlp_run, capsys):
    _, out = mlp_run
    argv = ["train", "--model", "mlp", "--out", str(out), "--resume", "--lr", "0.5", *TINY]
    assert main(argv) == 2
    assert "lr: checkpoint has" in capsys.readouterr().err


def test_amp_on_cpu_is_accepted_and_explained(tmp_path, capsys):
    import gradkit as gk

    if gk.cuda.is_available():
        pytest.skip("on a GPU machine --amp --device cpu is the same, but auto would pick cuda")
    assert main(["train", "--model", "mlp", "--amp", "--out", str(tmp_path), *TINY]) == 0
    assert "autocast needs a CUDA device" in capsys.readouterr().err
