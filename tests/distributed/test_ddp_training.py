"""Two processes training with DistributedDataParallel end where one process training on the
concatenated batch ends, and the two replicas stay identical."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent / "workers"))
from training_setup import (  # noqa: E402
    CONFIGS,
    STEPS,
    batch,
    build_model,
    build_optimizer,
    initial_state,
    make_scaler,
)

import gradkit as gk  # noqa: E402
from gradkit import nn  # noqa: E402

WORLD = 2


# The poisoned step of the GradScaler case computes with an inf, by design.
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_data_parallel_training_on_two_processes(mpirun: Callable, tmp_path: Path) -> None:
    # One launch trains every configuration (starting processes is the slow part).
    done = mpirun(WORLD, "ddp_worker.py", str(tmp_path), timeout=90)
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    for name in CONFIGS:
        check_matches_one_process_on_the_whole_batch(tmp_path, name)
        check_replicas_identical(tmp_path, name)


def single_process_reference(name: str) -> dict[str, np.ndarray]:
    """The same steps in one process on the whole global batch, from rank 0's start."""
    kind, optimizer_name, _, _, poison = CONFIGS[name]
    model = build_model(kind)
    model.load_state_dict({k: gk.tensor(v) for k, v in initial_state(kind).items()})
    opt = build_optimizer(optimizer_name, list(model.parameters()))
    scaler = make_scaler(poison)
    for step in range(STEPS):
        x, y = batch(step, poison)
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(gk.tensor(x)), gk.tensor(y))
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    state["scale"] = np.asarray(scaler.get_scale())
    return state


def check_matches_one_process_on_the_whole_batch(ddp_results: Path, name: str) -> None:
    reference = single_process_reference(name)
    start = initial_state(CONFIGS[name][0])
    for rank in range(WORLD):
        got = np.load(ddp_results / f"{name}_rank{rank}.npz")
        assert sorted(got.files) == sorted(reference)
        for key, expected in reference.items():
            if key == "scale":  # the GradScaler's scale: halved after the skipped step
                assert got[key] == expected == (512.0 if CONFIGS[name][4] else 1.0)
                continue
            assert got[key].dtype == np.float32
            np.testing.assert_allclose(
                got[key], expected, rtol=1e-5, atol=1e-6, err_msg=f"{name}: {key}"
            )
            assert not np.allclose(got[key], start[key])  # training moved it


def check_replicas_identical(ddp_results: Path, name: str) -> None:
    ranks = [np.load(ddp_results / f"{name}_rank{r}.npz") for r in range(WORLD)]
    for key in ranks[0].files:
        for other in ranks[1:]:
            np.testing.assert_array_equal(ranks[0][key], other[key], err_msg=f"{name}: {key}")
