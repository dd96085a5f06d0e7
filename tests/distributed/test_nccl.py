"""The NCCL backend on a GPU machine (world size 1 there): collectives and DDP on CUDA."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import gradkit as gk

pytestmark = pytest.mark.gpu


def _nccl_missing() -> str | None:
    if not gk.cuda.is_available():
        return "no usable GPU (CuPy/CUDA)"
    try:
        from cupy.cuda import nccl  # noqa: F401
    except ImportError as error:
        return f"CuPy has no NCCL: {error}"
    return None


def test_nccl_collectives_and_ddp(mpirun: Callable, tmp_path: Path) -> None:
    missing = _nccl_missing()
    if missing:
        pytest.skip(missing)
    world = 1  # one GPU machines; with more GPUs, raise this
    done = mpirun(world, "nccl_worker.py", str(tmp_path), timeout=240)
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
