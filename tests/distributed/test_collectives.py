"""all_reduce / broadcast / all_gather / barrier between two real MPI processes, plus the
process group's defaults for DistributedSampler and GradScaler's found-inf agreement."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

WORLD = 2
BASE = np.arange(6, dtype=np.float64).reshape(2, 3)


def test_collectives_between_two_processes(mpirun: Callable, tmp_path: Path) -> None:
    # One launch for every check (starting processes is the slow part), so each check is a
    # function below, called in turn.
    done = mpirun(WORLD, "collectives_worker.py", str(tmp_path), timeout=90)
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    results = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(WORLD)]
    for op, combine in REDUCTIONS.items():
        check_all_reduce_op(results, op, combine)
    check_all_reduce_dtypes_and_views(results)
    check_broadcast(results)
    check_all_gather(results)
    check_group_queries_and_destroy(results)
    for case, (kind, words) in BAD_CALLS.items():
        check_bad_arguments(results, case, kind, words)
    check_distributed_sampler_defaults(results)
    check_found_inf_agreement(results)
    check_host_agreement_helpers(results)


def per_rank(rank: int) -> np.ndarray:
    return BASE * (rank + 1)  # what the worker's rank contributes


REDUCTIONS = {
    "sum": lambda xs: sum(xs),
    "avg": lambda xs: sum(xs) / len(xs),
    "max": lambda xs: np.maximum.reduce(xs),
    "min": lambda xs: np.minimum.reduce(xs),
}

BAD_CALLS = {
    "bad_op": ("ValueError", ["all_reduce", "mean"]),
    "avg_int": ("TypeError", ["all_reduce", "int64"]),
    "bad_src": ("ValueError", ["broadcast", "src"]),
    "gather_len": ("ValueError", ["all_gather", "list of 2"]),
    "not_tensor": ("TypeError", ["all_reduce", "ndarray"]),
}


def check_all_reduce_op(results: list, op: str, combine) -> None:
    expected = combine([per_rank(r) for r in range(WORLD)])
    for res in results:
        np.testing.assert_allclose(res[f"all_reduce_{op}"], expected, rtol=1e-6)
        assert res[f"all_reduce_{op}_dtype"] == "float32"


def check_all_reduce_dtypes_and_views(results: list) -> None:
    for res in results:
        values, dtype = res["all_reduce_float64"]
        assert dtype == "float64"
        np.testing.assert_allclose(values, [sum(r + 0.5 for r in range(WORLD))] * 5)
        values, dtype = res["all_reduce_float16"]
        assert dtype == "float16"
        assert values == [float(sum(r + 1 for r in range(WORLD)))] * 4
        transposed = np.arange(12).reshape(3, 4).T
        expected = sum(transposed + r for r in range(WORLD))
        assert res["all_reduce_int64_transposed"] == expected.tolist()
        assert res["all_reduce_scalar_max"] == WORLD - 1
        assert res["async_completed"] is True
        assert res["version_bumped"] is True


def check_broadcast(results: list) -> None:
    for src in range(WORLD):
        for res in results:
            assert res[f"broadcast_from_{src}"] == [10.0 * src + 1] * 3


def check_all_gather(results: list) -> None:
    expected = [np.full((2, 2), r + 1.0).tolist() for r in range(WORLD)]
    for res in results:
        assert res["all_gather"] == expected


def check_group_queries_and_destroy(results: list) -> None:
    assert sorted(res["rank"] for res in results) == list(range(WORLD))
    for res in results:
        assert res["world"] == WORLD
        assert res["initialized"] is True
        assert res["initialized_after_destroy"] is False


def check_bad_arguments(results: list, case: str, kind: str, words) -> None:
    for res in results:
        got_kind, message = res["errors"][case]
        assert got_kind == kind
        for word in words:
            assert word in message, (case, message)


def check_distributed_sampler_defaults(results: list) -> None:
    for res in results:
        shards = res["sampler_shards"]
        assert [len(s) for s in shards] == [6, 6]  # 11 samples padded to 12
        flat = sorted(i for s in shards for i in s)
        assert set(flat) == set(range(11))
        assert len(flat) == 12
    assert results[0]["sampler_shards"] == results[1]["sampler_shards"]


def check_found_inf_agreement(results: list) -> None:
    for res in results:
        assert res["scaler_param_after_step"] == [1.0, 1.0, 1.0]  # step skipped
        assert res["scaler_scale_after_update"] == 2.0  # backed off from 4.0 everywhere


def check_host_agreement_helpers(results: list) -> None:
    for res in results:
        assert res["any_rank_only_rank1"] is True
        assert res["any_rank_none"] is False
        assert res["sum_over_ranks"] == [sum(r + 1 for r in range(WORLD)), 10.0 * WORLD]
        assert res["is_main_process"] is (res["rank"] == 0)
