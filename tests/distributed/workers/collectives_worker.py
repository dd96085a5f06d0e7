"""Run by ``mpirun -n N``: every collective on a few shapes and dtypes; each rank writes what
it ended with to OUT/rank<r>.json for the test to check against values it computes itself."""

from __future__ import annotations

import json
import sys

import numpy as np

import gradkit as gk
from gradkit import distributed as dist


def main(out_dir: str) -> None:
    dist.init_process_group("mpi", timeout=30)
    rank, world = dist.get_rank(), dist.get_world_size()
    results: dict = {"rank": rank, "world": world, "initialized": dist.is_initialized()}

    base = np.arange(6, dtype=np.float32).reshape(2, 3)
    for op in ("sum", "avg", "max", "min"):
        t = gk.tensor(base * (rank + 1))
        dist.all_reduce(t, op=op)
        results[f"all_reduce_{op}"] = t.numpy().tolist()
        results[f"all_reduce_{op}_dtype"] = str(t.dtype)

    f64 = gk.tensor(np.full(5, rank + 0.5, dtype=np.float64))
    dist.all_reduce(f64)
    results["all_reduce_float64"] = [f64.numpy().tolist(), str(f64.dtype)]

    f16 = gk.tensor(np.full(4, rank + 1, dtype=np.float16))
    dist.all_reduce(f16, op="sum")
    results["all_reduce_float16"] = [f16.numpy().tolist(), str(f16.dtype)]

    ints = gk.arange(12).reshape(3, 4).T + rank  # a non-contiguous int64 view
    dist.all_reduce(ints, op="sum")
    results["all_reduce_int64_transposed"] = ints.numpy().tolist()

    scalar = gk.tensor(float(rank))
    dist.all_reduce(scalar, op="max")
    results["all_reduce_scalar_max"] = scalar.item()

    work = dist.all_reduce(gk.ones(3), op="sum", async_op=True)
    work.wait()
    results["async_completed"] = work.is_completed()

    for src in range(world):
        b = gk.tensor(np.full(3, 10.0 * rank + 1, dtype=np.float32))
        dist.broadcast(b, src=src)
        results[f"broadcast_from_{src}"] = b.numpy().tolist()

    outs = [gk.zeros(2, 2) for _ in range(world)]
    dist.all_gather(outs, gk.full((2, 2), float(rank + 1)))
    results["all_gather"] = [o.numpy().tolist() for o in outs]

    # A leaf's version counter moves, so autograd sees the in-place write.
    leaf = gk.ones(2, requires_grad=True)
    before = leaf._vc[0]
    dist.all_reduce(leaf)
    results["version_bumped"] = leaf._vc[0] > before

    errors = {}
    for name, call in {
        "bad_op": lambda: dist.all_reduce(gk.ones(2), op="mean"),
        "avg_int": lambda: dist.all_reduce(gk.arange(3), op="avg"),
        "bad_src": lambda: dist.broadcast(gk.ones(2), src=world),
        "gather_len": lambda: dist.all_gather([gk.zeros(2)] * (world + 1), gk.ones(2)),
        "not_tensor": lambda: dist.all_reduce(np.ones(2)),
    }.items():
        try:
            call()
        except Exception as error:  # noqa: BLE001 - the test checks type and message
            errors[name] = [type(error).__name__, str(error)]
    results["errors"] = errors

    # DistributedSampler with the group's defaults: gather every rank's shard.
    sampler = gk.data.DistributedSampler(range(11), seed=3)
    sampler.set_epoch(2)
    shard = gk.tensor(sampler.epoch_indices())
    shards = [gk.zeros(len(sampler), dtype=gk.int64) for _ in range(world)]
    dist.all_gather(shards, shard)
    results["sampler_shards"] = [s.numpy().tolist() for s in shards]

    # GradScaler on the CPU: only rank 1 sees an inf; after all_reduce_found_inf every rank
    # skips the step.
    param = gk.nn.Parameter(gk.ones(3))
    opt = gk.optim.SGD([param], lr=0.5)
    scaler = gk.amp.GradScaler(device="cpu", init_scale=4.0)
    poison = float("inf") if rank == 1 else 1.0
    scaler.scale((param * poison).sum()).backward()
    dist.all_reduce_found_inf(scaler, opt)
    scaler.step(opt)
    scaler.update()
    results["scaler_param_after_step"] = param.numpy().tolist()
    results["scaler_scale_after_update"] = scaler.get_scale()

    # Host-side agreement helpers for training loops.
    results["any_rank_only_rank1"] = dist.any_rank(rank == 1)
    results["any_rank_none"] = dist.any_rank(False)
    results["sum_over_ranks"] = dist.sum_over_ranks(rank + 1, 10.0)
    results["is_main_process"] = dist.is_main_process()

    dist.barrier()
    dist.destroy_process_group()
    results["initialized_after_destroy"] = dist.is_initialized()
    with open(f"{out_dir}/rank{rank}.json", "w") as f:
        json.dump(results, f)


if __name__ == "__main__":
    main(sys.argv[1])
