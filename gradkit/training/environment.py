"""What a training run ran on: versions, device, seed and the source revision, as plain data."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

import gradkit


def git_revision() -> str | None:
    """The git commit of the gradkit source tree (``+dirty`` when it has local changes), or None
    when gradkit is not running from a git checkout or git is missing."""
    source_root = Path(gradkit.__file__).resolve().parent.parent
    if not (source_root / ".git").exists():
        return None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=source_root,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=source_root,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}+dirty" if dirty else commit


def cuda_status() -> dict[str, Any]:
    """Whether CUDA is usable and, if not, the sentence that says why."""
    from gradkit.cuda import availability

    reason = availability.missing_piece()
    status: dict[str, Any] = {"available": reason is None, "device_count": 0}
    if reason is not None:
        status["reason"] = reason
        return status
    status["device_count"] = availability.device_count()
    return status


def describe(device: Any = None, seed: int | None = None) -> dict[str, Any]:
    """The environment block of metrics.json: enough to reproduce or compare a run."""
    info: dict[str, Any] = {
        "gradkit": gradkit.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "executable": sys.executable,
        "git_revision": git_revision(),
        "cuda": cuda_status(),
    }
    if device is not None:
        info["device"] = str(device)
    if seed is not None:
        info["seed"] = seed
    return info


def blas_description() -> list[str]:
    """Lines naming the BLAS/LAPACK NumPy was built with and, via threadpoolctl when installed,
    the libraries and thread counts in use right now."""
    lines = []
    try:
        config = np.show_config(mode="dicts")  # NumPy >= 1.26
    except TypeError:
        config = None
    if isinstance(config, dict):
        for role, entry in config.get("Build Dependencies", {}).items():
            if isinstance(entry, dict) and entry.get("found", True):
                name, version = entry.get("name", "?"), entry.get("version", "?")
                lines.append(f"numpy {role}: {name} {version}")
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        lines.append("threadpoolctl not installed: runtime BLAS threads unknown")
    else:
        for pool in threadpool_info():
            lines.append(
                f"runtime {pool.get('user_api')}: {pool.get('internal_api')} "
                f"{pool.get('version')}, {pool.get('num_threads')} threads"
            )
    return lines


def cuda_details() -> list[str]:
    """CUDA devices through CuPy and, when nvidia-ml-py is installed, the driver through NVML."""
    status = cuda_status()
    if not status["available"]:
        return [f"CUDA: not available: {status['reason']}"]
    import cupy

    lines = [f"CUDA: available, {status['device_count']} device(s), CuPy {cupy.__version__}"]
    runtime = cupy.cuda.runtime
    lines.append(f"CUDA runtime {runtime.runtimeGetVersion()}, driver {runtime.driverGetVersion()}")
    for index in range(status["device_count"]):
        properties = runtime.getDeviceProperties(index)
        name = properties["name"]
        name = name.decode() if isinstance(name, bytes) else name
        memory_gib = properties["totalGlobalMem"] / 2**30
        lines.append(
            f"cuda:{index}: {name}, {memory_gib:.1f} GiB, compute capability "
            f"{properties['major']}.{properties['minor']}"
        )
    try:
        import pynvml
    except ImportError:
        lines.append("NVML: nvidia-ml-py not installed (pip install 'gradkit[nvml]')")
        return lines
    try:
        pynvml.nvmlInit()
        driver = pynvml.nvmlSystemGetDriverVersion()
        lines.append(f"NVML: driver {driver.decode() if isinstance(driver, bytes) else driver}")
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            memory = pynvml.nvmlDeviceGetMemoryInfo(handle)
            utilization = pynvml.nvmlDeviceGetUtilizationRates(handle)
            lines.append(
                f"NVML gpu {index}: {memory.used / 2**30:.1f}/{memory.total / 2**30:.1f} GiB "
                f"used, {utilization.gpu}% busy"
            )
        pynvml.nvmlShutdown()
    except Exception as error:  # NVML present but unusable: report it, do not fail `info`
        lines.append(f"NVML: unavailable ({error})")
    return lines


def print_info(stream: Any = None) -> None:
    """What ``gradkit info`` prints."""
    stream = stream if stream is not None else sys.stdout
    info = describe()
    print(f"gradkit {info['gradkit']} ({Path(gradkit.__file__).parent})", file=stream)
    print(f"git revision: {info['git_revision'] or 'unknown (not a git checkout)'}", file=stream)
    print(f"python {info['python']} ({info['executable']})", file=stream)
    print(f"numpy {info['numpy']}", file=stream)
    print(f"platform: {info['platform']}, {info['cpu_count']} CPUs", file=stream)
    devices = ["cpu"] + [f"cuda:{i}" for i in range(info["cuda"]["device_count"])]
    print(f"devices: {', '.join(devices)}", file=stream)
    for line in cuda_details() + blas_description():
        print(line, file=stream)
