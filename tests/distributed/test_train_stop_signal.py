"""A stop signal that reaches one rank of ``gradkit train --distributed`` stops every rank at
the same batch (the ranks agree on it every step), with a checkpoint to ``--resume`` from."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

RUN = [
    "train", "--distributed", "--model", "mlp", "--dataset", "mnist", "--epochs", "1",
    "--batch-size", "16", "--limit-train", "2048", "--limit-test", "128", "--seed", "3",
    "--device", "cpu", "--progress", "plain", "--scheduler", "none",
]  # fmt: skip


def rank_pids(mpirun_pid: int) -> dict[int, int]:
    """{rank: pid} of the processes mpirun started (read from their environment)."""
    pids = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if parent != mpirun_pid:
                continue
            env = (entry / "environ").read_bytes().split(b"\0")
        except (OSError, IndexError, ValueError):
            continue
        for item in env:
            if item.startswith(b"OMPI_COMM_WORLD_RANK="):
                pids[int(item.split(b"=", 1)[1])] = int(entry.name)
    return pids


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux's /proc")
def test_sigterm_to_one_rank_stops_all_at_the_same_batch(
    mpirun_start: Callable, mpirun: Callable, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    job = mpirun_start(2, "-m", "gradkit", *RUN, "--out", str(out))
    progress: list[str] = []
    reached = threading.Event()

    def read_progress() -> None:  # rank 0's progress lines arrive on mpirun's stderr
        for line in job.stderr:
            progress.append(line)
            found = re.search(r"epoch 1/1 \[(\d+)/", line)
            if found and int(found.group(1)) >= 10:
                reached.set()

    reader = threading.Thread(target=read_progress, daemon=True)
    reader.start()
    try:
        assert reached.wait(90), "training never passed batch 10:\n" + "".join(progress)
        pids = rank_pids(job.pid)
        assert sorted(pids) == [0, 1], pids
        os.kill(pids[1], signal.SIGTERM)  # rank 1 only
        stdout, _ = job.communicate(timeout=60)
    except BaseException:
        os.killpg(job.pid, signal.SIGKILL)
        raise
    reader.join(5)
    assert job.returncode != 0  # an interrupted run
    assert "interrupted: saved" in stdout, stdout + "".join(progress)
    assert "DistributedTimeoutError" not in "".join(progress)  # nobody was left waiting
    # One checkpoint part-way into the first epoch (ckpt-<epochs>-<batches>.gk), written by
    # rank 0 after both ranks agreed on the batch to stop at.
    (checkpoint,) = (out / "checkpoints").iterdir()
    epochs_done, batches_done = (int(part) for part in checkpoint.stem.split("-")[1:])
    assert epochs_done == 0 and batches_done >= 10
    resumed = mpirun(2, "-m", "gradkit", *RUN, "--out", str(out), "--resume", timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads((out / "metrics.json").read_text())["epochs_completed"] == 1
