"""Shared helpers for the data tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    """An empty gradkit cache folder, so a test never reads or writes the user's cache."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("GRADKIT_CACHE_DIR", str(folder))
    return folder
