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
            ["git", "rev-parse", "HEAD"], cwd=source_root, capture_output=True, text=True,
            timeout=5, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=source_root,
            capture_output=True, text=True, timeout=5, check=True,
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
