"""The NCCL backend on a GPU machine (world size 1 there): collectives and DDP on CUDA."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import gradkit as gk

pytestmark = pytest.mark.gpu
WORKERS = Path(__file__).parent / "workers"


def _nccl_missing() -> str | None:
    if not gk.cuda.is_available():
        return "no usable GPU (CuPy/CUDA)"
    try:
        from cupy.cuda import nccl  # noqa: F401
    except ImportError as error:
        return f"CuPy has no NCCL: {error}"
    return None


def test_nccl_collectives_and_ddp(tmp_path: Path) -> None:
    missing = _nccl_missing()
    if missing:
        pytest.skip(missing)
    pytest.importorskip("mpi4py", reason="the NCCL rendezvous runs over MPI")
    # World size 1: MPI starts as a singleton, so no mpirun is needed on a one-GPU machine.
    world = 1
    done = subprocess.run(
        [sys.executable, str(WORKERS / "nccl_worker.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    res = json.loads((tmp_path / "nccl.json").read_text())
    base = np.arange(4, dtype=np.float64)
    contributions = [base * (r + 1) for r in range(world)]
    assert res["backend"] == "nccl"
    np.testing.assert_allclose(res["all_reduce_sum"], sum(contributions))
    np.testing.assert_allclose(res["all_reduce_avg"], sum(contributions) / world)
    np.testing.assert_allclose(res["all_reduce_max"], np.maximum.reduce(contributions))
    np.testing.assert_allclose(res["all_reduce_min"], np.minimum.reduce(contributions))
    assert res["broadcast"] == [7.0] * 3
    assert res["all_gather"] == [[float(r)] * 2 for r in range(world)]
    assert "nccl backend works on cuda tensors" in res["cpu_tensor_error"]
    assert res["ddp_max_abs_diff"] < 1e-5
