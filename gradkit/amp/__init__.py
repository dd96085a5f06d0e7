"""Mixed precision: ``autocast`` (per-op dtype policy) and ``GradScaler`` (dynamic loss
scaling with no host sync)."""

from __future__ import annotations

from typing import Any

from .autocast_mode import autocast
from .autocast_state import get_autocast_dtype, is_autocast_enabled

__all__ = ["GradScaler", "autocast", "get_autocast_dtype", "is_autocast_enabled"]


def __getattr__(name: str) -> Any:
    # Imported on first use: the op modules import autocast_state while gradkit.tensor is
    # still initialising, and the scaler needs Tensor.
    if name == "GradScaler":
        from .grad_scaler import GradScaler

        return GradScaler
    raise AttributeError(f"module 'gradkit.amp' has no attribute {name!r}")
