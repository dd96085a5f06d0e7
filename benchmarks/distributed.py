"""Data-parallel scaling on the CPU: the MLP training step on 1 and 2 MPI processes, and MPI
all-reduce bandwidth against message size.

The driver (this script without --worker) starts ``mpirun -n N`` on this same file with
``--worker``; rank 0 of each job writes its figures to a temporary JSON file, and the driver
prints the tables and saves benchmarks/results/distributed.json.

- Step: MLP 784-512-512-10, SGD(momentum), a fixed global batch (strong scaling: each of N
  processes gets global/N samples), DistributedDataParallel with its default 25 MB buckets.
  Measured per step: the synchronised step; the same step under ``no_sync()`` (compute only);
  a blocking all-reduce of a buffer as large as all gradients (communication only). The
  "exposed communication" is step - compute: what overlap did not hide. The 2.6 MB of
  gradients fit one default bucket, which is only ready at the end of backward (no overlap);
  the step is also timed with 0.25 MB buckets, which start during backward.
- Bandwidth: all-reduce(sum) of float32 buffers from 1 KiB to 64 MiB; algorithm bandwidth
  = bytes / time, bus bandwidth = algbw * 2 (N-1) / N (what each link carries in a ring).

Every process runs one BLAS thread, so N processes use N cores: on a machine with fewer idle
cores than processes the figures measure waiting for a core. Times are the median over
repeats of the slowest rank's time (each repeat starts after a barrier), and then the median
over ``--rounds`` launches, alternating the process counts.

Run: .venv/bin/python benchmarks/distributed.py [--processes 1,2] [--global-batch 256] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _harness import print_table, save  # noqa: E402

MESSAGE_BYTES = [2**k for k in range(10, 27, 2)]  # 1 KiB .. 64 MiB
SMALL_BUCKET_MB = 0.25


# ---- worker side (inside mpirun) -----------------------------------------------------------
def timed(fn: Callable[[], object], group, repeat: int, min_time: float = 0.05) -> float:
    """Median over ``repeat`` of the slowest rank's seconds per call."""
    fn()
    loops = 1
    while True:  # every rank must run the same loop count: agree on the largest
        group.barrier()
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        elapsed = np.asarray([time.perf_counter() - start])
        group.all_reduce(elapsed, "max").wait()
        if elapsed[0] >= min_time or loops >= 4096:
            break
        loops *= 2
    samples = []
    for _ in range(repeat):
        group.barrier()
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        elapsed = np.asarray([(time.perf_counter() - start) / loops])
        group.all_reduce(elapsed, "max").wait()
        samples.append(float(elapsed[0]))
    return statistics.median(samples)


def worker(out: str, global_batch: int, bandwidth: bool, repeat: int) -> None:
    import gradkit as gk
    from gradkit import distributed as dist
    from gradkit import nn

    dist.init_process_group("mpi", timeout=300)
    group = dist.process_group.default_communicator("benchmark")
    rank, world = group.rank, group.world_size
    gk.manual_seed(0)
    net = nn.Sequential(
        nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10)
    )
    model = nn.parallel.DistributedDataParallel(net)
    opt = gk.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    local = global_batch // world
    rng = np.random.default_rng(rank)
    x = gk.tensor(rng.standard_normal((local, 784)).astype(np.float32))
    y = gk.tensor(rng.integers(0, 10, local))

    def step() -> None:
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    def compute_only() -> None:
        with model.no_sync():
            step()

    gradient_elements = sum(p.data.size for p in net.parameters())
    gradients = np.zeros(gradient_elements, dtype=np.float32)

    def communicate() -> None:
        group.all_reduce(gradients, "sum").wait()

    result: dict = {
        "processes": world,
        "global_batch": global_batch,
        "local_batch": local,
        "gradient_mb": gradients.nbytes / 2**20,
        "buckets": len(model.bucket_sizes),
        "step_s": timed(step, group, repeat),
        "compute_s": timed(compute_only, group, repeat),
        "allreduce_grads_s": timed(communicate, group, repeat) if world > 1 else 0.0,
    }
    result["exposed_comm_s"] = max(0.0, result["step_s"] - result["compute_s"])
    # The same step with small buckets: more, smaller messages, started earlier in backward.
    model._reducer.remove_hooks()
    small = nn.parallel.DistributedDataParallel(net, bucket_cap_mb=SMALL_BUCKET_MB)

    def step_small_buckets() -> None:
        opt.zero_grad()
        nn.functional.cross_entropy(small(x), y).backward()
        opt.step()

    result["small_buckets"] = len(small.bucket_sizes)
    result["step_small_buckets_s"] = timed(step_small_buckets, group, repeat)
    result["samples_per_s"] = global_batch / result["step_s"]
    if bandwidth and world > 1:
        rows = []
        for nbytes in MESSAGE_BYTES:
            buffer = np.zeros(nbytes // 4, dtype=np.float32)
            seconds = timed(lambda b=buffer: group.all_reduce(b, "sum").wait(), group, repeat)
            algbw = nbytes / seconds / 1e9
            rows.append(
                {
                    "bytes": nbytes,
                    "time_us": seconds * 1e6,
                    "algbw_GBps": algbw,
                    "busbw_GBps": algbw * 2 * (world - 1) / world,
                }
            )
        result["allreduce_bandwidth"] = rows
    if rank == 0:
        Path(out).write_text(json.dumps(result))
    dist.destroy_process_group()


# ---- driver side ---------------------------------------------------------------------------
def median_run(results: list[dict]) -> dict:
    """Each numeric figure's median over rounds (the bandwidth table from the first round)."""
    merged = dict(results[0])
    for key, value in results[0].items():
        if isinstance(value, float):
            merged[key] = statistics.median(r[key] for r in results)
    merged["rounds"] = len(results)
    return merged


def launch(processes: int, out: Path, args: argparse.Namespace, bandwidth: bool) -> dict:
    command = ["mpirun", "-n", str(processes)]
    if os.geteuid() == 0:
        command.append("--allow-run-as-root")
    command += ["--oversubscribe", "--bind-to", "none", sys.executable, __file__, "--worker"]
    command += ["--out", str(out), "--global-batch", str(args.global_batch)]
    command += ["--repeat", str(args.repeat)]
    if processes > 1 and bandwidth:
        command.append("--bandwidth")
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    subprocess.run(command, env=env, check=True, timeout=900)
    return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", default="1,2", help="comma-separated (default: 1,2)")
    parser.add_argument("--global-batch", type=int, default=256)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3, help="launches per process count")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--bandwidth", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.out, args.global_batch, args.bandwidth, args.repeat)
        return
    if shutil.which("mpirun") is None:
        sys.exit("benchmarks/distributed.py needs mpirun (apt-get install openmpi-bin)")
    counts = [int(p) for p in args.processes.split(",")]
    rounds: dict[int, list[dict]] = {n: [] for n in counts}
    with tempfile.TemporaryDirectory() as tmp:
        # Alternate the process counts round by round, so that a change in the machine's
        # load hits every count alike; then take each figure's median over the rounds.
        for round_index in range(args.rounds):
            for n in counts:
                path = Path(tmp) / f"n{n}_r{round_index}.json"
                rounds[n].append(launch(n, path, args, bandwidth=round_index == 0))
    runs = [median_run(rounds[n]) for n in counts]
    base = runs[0]
    for run in runs:
        ideal = base["samples_per_s"] * run["processes"] / base["processes"]
        run["speedup"] = run["samples_per_s"] / base["samples_per_s"]
        run["scaling_efficiency"] = run["samples_per_s"] / ideal
    columns = ["processes", "local_batch", "step_s", "compute_s", "exposed_comm_s"]
    columns += ["allreduce_grads_s", "samples_per_s", "speedup", "scaling_efficiency"]
    columns += ["small_buckets", "step_small_buckets_s"]
    print_table(
        f"MLP 784-512-512-10 step, global batch {args.global_batch} (strong scaling, CPU, "
        f"{os.cpu_count()} cores, 1 BLAS thread per process)",
        runs,
        columns,
    )
    bandwidth = next((r["allreduce_bandwidth"] for r in runs if "allreduce_bandwidth" in r), [])
    if bandwidth:
        print_table(
            "MPI all-reduce(sum) of float32, 2 processes",
            bandwidth,
            ["bytes", "time_us", "algbw_GBps", "busbw_GBps"],
        )
    save(
        "distributed",
        {
            "global_batch": args.global_batch,
            "load_average": os.getloadavg(),
            "step_scaling": [
                {k: v for k, v in r.items() if k != "allreduce_bandwidth"} for r in runs
            ],
            "allreduce_bandwidth": bandwidth,
        },
    )


if __name__ == "__main__":
    main()
