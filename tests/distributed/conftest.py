"""Launching real multi-process jobs with ``mpirun`` for the distributed tests."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

WORKERS = Path(__file__).parent / "workers"


def _missing_piece() -> str | None:
    if shutil.which("mpirun") is None:
        return "mpirun not found (apt-get install openmpi-bin libopenmpi-dev)"
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return "mpi4py is not installed (pip install mpi4py; needs libopenmpi-dev)"
    return None


def mpirun_command(n: int, script: str, *args: str) -> list[str]:
    command = ["mpirun", "-n", str(n)]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-run-as-root")
    # More ranks than cores is fine (gradkit's waits sleep); bind nothing, so ranks can share.
    command += ["--oversubscribe", "--bind-to", "none"]
    target = [script] if script == "-m" else [str(WORKERS / script)]  # "-m", "gradkit", ...
    return command + [sys.executable, *target, *args]


def mpi_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    # A container's /dev/shm and ptrace rules can break Open MPI's shared-memory single copy.
    env.setdefault("OMPI_MCA_btl_vader_single_copy_mechanism", "none")
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    return env


@pytest.fixture(scope="session")
def mpirun() -> Callable[..., subprocess.CompletedProcess]:
    """``mpirun(n, script, *args, timeout=...)`` runs tests/distributed/workers/<script> (or,
    with script "-m", a module: ``mpirun(2, "-m", "gradkit", "train", ...)``) on ``n`` ranks
    and returns the finished process (stdout/stderr captured as text)."""
    missing = _missing_piece()
    if missing:
        pytest.skip(f"distributed tests need MPI: {missing}")

    def run(n: int, script: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        command = mpirun_command(n, script, *args)
        # A session of its own, so that a timeout kills mpirun and every rank it started.
        with subprocess.Popen(
            command,
            env=mpi_environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        ) as process:
            try:
                stdout, stderr = process.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                stdout, stderr = process.communicate()
                pytest.fail(
                    f"{script} on {n} ranks did not finish within {timeout} s (hang)\n"
                    f"stdout:\n{stdout}\nstderr:\n{stderr}"
                )
        return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)

    return run


@pytest.fixture(scope="session")
def mpirun_start() -> Callable[..., subprocess.Popen]:
    """``mpirun_start(n, script, *args)``: like ``mpirun`` but returns the running job (its own
    session: kill it with ``os.killpg(job.pid, ...)``), stdout and stderr as text pipes."""
    missing = _missing_piece()
    if missing:
        pytest.skip(f"distributed tests need MPI: {missing}")

    def start(n: int, script: str, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            mpirun_command(n, script, *args),
            env=mpi_environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    return start
