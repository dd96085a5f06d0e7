"""Shared helpers for the data tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest


def to_numpy(value: Any) -> Any:
    """A batch with every gradkit tensor replaced by its NumPy array (structure kept)."""
    if isinstance(value, dict):
        return {key: to_numpy(item) for key, item in value.items()}
    if isinstance(value, tuple):
        items = [to_numpy(item) for item in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    if isinstance(value, list):
        return [to_numpy(item) for item in value]
    if hasattr(value, "numpy"):
        return value.numpy()
    return value


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    """An empty gradkit cache folder, so a test never reads or writes the user's cache."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("GRADKIT_CACHE_DIR", str(folder))
    return folder
