"""Run by ``mpirun -n 2``: data-parallel steps where rank 1 fails after step 2, either by
raising (MODE=raise) or by hanging (MODE=hang). Rank 0 must not wait forever."""

from __future__ import annotations

import sys
import time

import gradkit as gk
from gradkit import distributed as dist
from gradkit import nn


def main(mode: str) -> None:
    dist.init_process_group("mpi", timeout=3)
    rank = dist.get_rank()
    model = nn.parallel.DistributedDataParallel(nn.Linear(4, 2))
    opt = gk.optim.SGD(model.parameters(), lr=0.1)
    for step in range(1, 6):
        if rank == 1 and step == 3:
            if mode == "raise":
                raise RuntimeError("rank 1 failed on purpose after step 2")
            time.sleep(120)  # a hung rank: rank 0's all-reduce must time out
        loss = model(gk.ones(3, 4)).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        print(f"rank {rank} finished step {step}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
