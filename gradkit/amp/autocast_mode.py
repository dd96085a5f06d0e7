"""``gk.amp.autocast``: a context manager and decorator that turns autocast on (or off) for
one device type in the current thread."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from . import autocast_state

_SUPPORTED_DTYPES = (np.dtype(np.float16),)


class autocast:  # noqa: N801 - PyTorch's spelling
    """Inside the region, matmul/linear/conv run in ``dtype`` (float16), softmax, log, exp,
    reductions, norms and losses in float32, and other ops in the widest input dtype (see
    autocast_state.POLICY). ``device_type`` is "cuda" or "cpu" (float16 through NumPy)."""

    def __init__(
        self,
        device_type: str = "cuda",
        dtype: Any = None,
        enabled: bool = True,
        cache_enabled: bool = True,
    ) -> None:
        if device_type not in ("cuda", "cpu"):
            raise ValueError(f"autocast: device_type must be 'cuda' or 'cpu', got {device_type!r}")
        dtype = np.dtype(np.float16) if dtype is None else np.dtype(dtype)
        if dtype not in _SUPPORTED_DTYPES:
            raise TypeError(f"autocast: supported dtype is float16, got {dtype}")
        if not isinstance(enabled, bool):
            raise TypeError(f"autocast: enabled must be a bool, got {type(enabled).__name__}")
        self.device_type = device_type
        self.fast_dtype = dtype
        self._enabled = enabled
        self._cache_enabled = cache_enabled

    def __enter__(self) -> autocast:
        autocast_state.enter(self.device_type, self.fast_dtype, self._enabled, self._cache_enabled)
        return self

    def __exit__(self, *exc: Any) -> None:
        autocast_state.leave()

    def __call__(self, fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with autocast(self.device_type, self.fast_dtype, self._enabled, self._cache_enabled):
                return fn(*args, **kwargs)

        return wrapper
