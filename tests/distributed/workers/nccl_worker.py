"""Run by ``mpirun -n N`` on a GPU machine: collectives and DDP over NCCL on CUDA tensors;
rank 0 writes OUT/nccl.json."""

from __future__ import annotations

import json
import sys

import numpy as np

import gradkit as gk
from gradkit import distributed as dist
from gradkit import nn


def main(out_dir: str) -> None:
    dist.init_process_group("nccl", timeout=60)
    rank, world = dist.get_rank(), dist.get_world_size()
    results: dict = {"world": world, "backend": dist.get_backend()}

    for op in ("sum", "avg", "max", "min"):
        t = gk.tensor(np.arange(4, dtype=np.float32) * (rank + 1), device="cuda")
        dist.all_reduce(t, op=op)
        results[f"all_reduce_{op}"] = t.numpy().tolist()
    b = gk.full((3,), float(rank + 7), device="cuda")
    dist.broadcast(b, src=0)
    results["broadcast"] = b.numpy().tolist()
    outs = [gk.zeros(2, device="cuda") for _ in range(world)]
    dist.all_gather(outs, gk.full((2,), float(rank), device="cuda"))
    results["all_gather"] = [o.numpy().tolist() for o in outs]
    try:
        dist.all_reduce(gk.ones(2))
    except ValueError as error:
        results["cpu_tensor_error"] = str(error)
    dist.barrier()

    # DDP on the GPU against the same steps without it (identical ranks: same data).
    def run(wrap: bool) -> list[np.ndarray]:
        gk.manual_seed(0)
        model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4)).to("cuda")
        net = nn.parallel.DistributedDataParallel(model, bucket_cap_mb=1e-3) if wrap else model
        opt = gk.optim.Adam(net.parameters(), lr=0.01)
        rng = np.random.default_rng(0)
        for _ in range(3):
            x = gk.tensor(rng.standard_normal((6, 8)).astype(np.float32), device="cuda")
            y = gk.tensor(rng.integers(0, 4, 6), device="cuda")
            opt.zero_grad()
            nn.functional.cross_entropy(net(x), y).backward()
            opt.step()
        return [p.numpy() for p in model.parameters()]

    plain, parallel = run(False), run(True)
    results["ddp_max_abs_diff"] = max(float(np.abs(a - b).max()) for a, b in zip(plain, parallel))
    dist.destroy_process_group()
    if rank == 0:
        with open(f"{out_dir}/nccl.json", "w") as f:
            json.dump(results, f)


if __name__ == "__main__":
    main(sys.argv[1])
