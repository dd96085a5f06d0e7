"""A small on-disk cache of parsed arrays (``.npz``), for datasets that are slow to parse.

Each entry stores a fingerprint of its source (path, size, mtime, package version, format
version); an entry whose fingerprint differs, or that cannot be read, is treated as missing, so
a reinstalled package or a half-written file never serves stale data. Writes go to a temporary
file that is renamed into place, so concurrent readers see either the old entry or the new one.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

FINGERPRINT_KEY = "__fingerprint__"


def cache_dir() -> Path:
    """``$GRADKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/gradkit``, else ``~/.cache/gradkit``."""
    explicit = os.environ.get("GRADKIT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "gradkit"


def load_cached_arrays(path: Path, fingerprint: dict[str, Any]) -> dict[str, np.ndarray] | None:
    """The arrays stored at ``path`` if it holds an intact entry for ``fingerprint``, else None."""
    try:
        # Our own file handle: np.load(path) leaks its handle when the zip is damaged.
        with open(path, "rb") as stream:
            entry = np.load(stream, allow_pickle=False)
            if not isinstance(entry, np.lib.npyio.NpzFile):  # a lone .npy array
                return None
            with entry:
                if json.loads(str(entry[FINGERPRINT_KEY])) != fingerprint:
                    return None
                return {key: entry[key] for key in entry.files if key != FINGERPRINT_KEY}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None


def save_arrays_atomically(
    path: Path, arrays: dict[str, np.ndarray], fingerprint: dict[str, Any]
) -> bool:
    """Store ``arrays`` at ``path``; False (and nothing left behind) when the cache is not
    writable, since a cache is an optimisation and must never make loading fail."""
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(
            dir=path.parent, prefix=path.name + ".", suffix=".tmp"
        )
        with os.fdopen(descriptor, "wb") as stream:
            np.savez(stream, **arrays, **{FINGERPRINT_KEY: np.array(json.dumps(fingerprint))})
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
        return True
    except OSError:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        return False
