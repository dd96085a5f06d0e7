"""A run killed (SIGKILL) or stopped with Ctrl-C (SIGINT) and then resumed ends with the same
weights, bit for bit, as a run that was never interrupted (CPU, same seed)."""

from __future__ import annotations

import json
import signal

import pytest

from gradkit.training import checkpointing

FINAL = "ckpt-0002-000000.gk"


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, cli):
    out = tmp_path_factory.mktemp("uninterrupted")
    result = cli.run_gradkit("train", *cli.TINY_RUN, "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def test_sigkill_in_epoch_2_then_resume_matches(uninterrupted, tmp_path, cli):
    process = cli.start_gradkit("train", *cli.TINY_RUN, "--out", str(tmp_path))
    try:
        # The first progress line of epoch 2 comes after epoch 1's checkpoint is on disk.
        cli.wait_for_line(process, "epoch 2/2 [")
        assert (tmp_path / "checkpoints" / "ckpt-0001-000000.gk").is_file()
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        process.kill()
        process.wait()
    assert not (tmp_path / "checkpoints" / FINAL).exists()  # killed before the end

    resumed = cli.run_gradkit("train", *cli.TINY_RUN, "--out", str(tmp_path), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed from" in resumed.stderr and "ckpt-0001-000000.gk" in resumed.stderr
    cli.assert_same_weights(uninterrupted / "checkpoints" / FINAL, tmp_path / "checkpoints" / FINAL)
    history = json.loads((tmp_path / "metrics.json").read_text())["epochs"]
    reference = json.loads((uninterrupted / "metrics.json").read_text())["epochs"]
    assert [e["epoch"] for e in history] == [1, 2]
    assert [e["test_accuracy"] for e in history] == [e["test_accuracy"] for e in reference]


def test_sigint_saves_a_checkpoint_and_resume_matches(uninterrupted, tmp_path, cli):
    process = cli.start_gradkit("train", *cli.TINY_RUN, "--out", str(tmp_path))
    try:
        cli.wait_for_line(process, "epoch 2/2 [")
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 130, stderr
    assert "interrupted: saved" in stdout and "--resume" in stdout
    assert "Traceback" not in stderr
    names = [p.name for p in checkpointing.list_checkpoints(tmp_path / "checkpoints")]
    # Stopped inside epoch 2: the newest checkpoint is part-way into it.
    assert names[-1].startswith("ckpt-0001-") and names[-1] != "ckpt-0001-000000.gk", names
    record = json.loads((tmp_path / "metrics.json").read_text())
    assert record["interrupted"] is True and record["epochs_completed"] == 1

    resumed = cli.run_gradkit("train", *cli.TINY_RUN, "--out", str(tmp_path), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    cli.assert_same_weights(uninterrupted / "checkpoints" / FINAL, tmp_path / "checkpoints" / FINAL)
    final = json.loads((tmp_path / "metrics.json").read_text())
    assert final["interrupted"] is False and final["epochs_completed"] == 2
