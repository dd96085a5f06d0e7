"""Run by ``mpirun -n N``: data-parallel training of the problems in training_setup.py; each
rank writes its final parameters to OUT/<config>_rank<r>.npz."""

from __future__ import annotations

import sys

import numpy as np
from training_setup import (
    CONFIGS,
    GLOBAL_BATCH,
    STEPS,
    batch,
    build_model,
    build_optimizer,
    make_scaler,
)

import gradkit as gk
from gradkit import distributed as dist
from gradkit import nn


def train(name: str, rank: int, world: int) -> dict:
    kind, optimizer_name, bucket_cap_mb, micro_batches, poison = CONFIGS[name]
    # Rank 0 starts where training_setup.initial_state does; the others start elsewhere, so
    # DDP must broadcast rank 0's parameters.
    gk.manual_seed(0 if rank == 0 else 1000 + rank)
    model = nn.parallel.DistributedDataParallel(build_model(kind), bucket_cap_mb=bucket_cap_mb)
    opt = build_optimizer(optimizer_name, list(model.parameters()))
    scaler = make_scaler(poison)
    local = GLOBAL_BATCH // world
    for step in range(STEPS):
        x, y = batch(step, poison)
        x, y = x[rank * local : (rank + 1) * local], y[rank * local : (rank + 1) * local]
        opt.zero_grad()
        chunks = np.array_split(np.arange(local), micro_batches)
        for i, rows in enumerate(chunks):
            loss = nn.functional.cross_entropy(model(gk.tensor(x[rows])), gk.tensor(y[rows]))
            loss = loss * (len(rows) / local)
            if i < len(chunks) - 1:
                with model.no_sync():
                    scaler.scale(loss).backward()
            else:
                scaler.scale(loss).backward()
        scaler.step(opt)  # skipped on every rank when the averaged gradients hold an inf
        scaler.update()
    state = {k: v.numpy() for k, v in model.module.state_dict().items()}
    state["scale"] = np.asarray(scaler.get_scale())
    return state


def main(out_dir: str) -> None:
    dist.init_process_group("mpi", timeout=30)
    rank, world = dist.get_rank(), dist.get_world_size()
    for name in CONFIGS:
        np.savez(f"{out_dir}/{name}_rank{rank}.npz", **train(name, rank, world))
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
