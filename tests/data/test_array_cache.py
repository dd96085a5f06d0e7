"""The parsed-array cache: a hit only for an intact entry with the same fingerprint."""

from __future__ import annotations

import numpy as np

from gradkit.data.datasets.array_cache import (
    cache_dir,
    load_cached_arrays,
    save_arrays_atomically,
)

FINGERPRINT = {"source": "/x/mnist_train.csv", "size": 10, "mtime_ns": 5, "version": "0.1.3"}


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("GRADKIT_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_dir() == tmp_path / "gradkit"
    monkeypatch.setenv("GRADKIT_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"


def test_round_trip_with_the_same_fingerprint(tmp_path):
    arrays = {"images": np.arange(6, dtype=np.uint8).reshape(2, 3), "labels": np.array([1, 2])}
    path = tmp_path / "sub" / "entry.npz"
    assert save_arrays_atomically(path, arrays, FINGERPRINT)
    loaded = load_cached_arrays(path, FINGERPRINT)
    assert loaded is not None and set(loaded) == {"images", "labels"}
    np.testing.assert_array_equal(loaded["images"], arrays["images"])
    assert [p.name for p in path.parent.iterdir()] == ["entry.npz"]  # no temporary left


def test_a_changed_source_makes_the_entry_stale(tmp_path):
    path = tmp_path / "entry.npz"
    save_arrays_atomically(path, {"a": np.zeros(3)}, FINGERPRINT)
    assert load_cached_arrays(path, {**FINGERPRINT, "mtime_ns": 6}) is None
    assert load_cached_arrays(path, {**FINGERPRINT, "version": "0.2"}) is None


def test_missing_damaged_or_foreign_files_are_misses(tmp_path):
    assert load_cached_arrays(tmp_path / "absent.npz", FINGERPRINT) is None
    (tmp_path / "garbage.npz").write_bytes(b"not a zip file")
    assert load_cached_arrays(tmp_path / "garbage.npz", FINGERPRINT) is None
    np.savez(tmp_path / "foreign.npz", a=np.zeros(2))  # no fingerprint inside
    assert load_cached_arrays(tmp_path / "foreign.npz", FINGERPRINT) is None
    np.save(tmp_path / "lone.npy", np.zeros(2))
    assert load_cached_arrays(tmp_path / "lone.npy", FINGERPRINT) is None


def test_an_unwritable_cache_is_not_an_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    assert not save_arrays_atomically(blocker / "entry.npz", {"a": np.zeros(2)}, FINGERPRINT)
