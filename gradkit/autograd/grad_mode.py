"""Whether operations record a graph: thread-local, usable as context managers and decorators."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _State(threading.local):
    enabled = True
    anomaly = False


state = _State()


def is_grad_enabled() -> bool:
    return state.enabled


class _GradModeContext:
    """Base of no_grad/enable_grad/set_grad_enabled: a context manager and a decorator."""

    _target: bool

    def __enter__(self) -> None:
        self._previous = state.enabled
        state.enabled = self._target

    def __exit__(self, *exc: object) -> None:
        state.enabled = self._previous

    def __call__(self, function: F) -> F:
        target = self._target

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            previous = state.enabled
            state.enabled = target
            try:
                return function(*args, **kwargs)
            finally:
                state.enabled = previous

        return wrapper  # type: ignore[return-value]


class no_grad(_GradModeContext):  # noqa: N801 - PyTorch's spelling
    _target = False


class enable_grad(_GradModeContext):  # noqa: N801
    _target = True


class set_grad_enabled(_GradModeContext):  # noqa: N801
    """Sets the mode at construction (like PyTorch), so it also works as a plain call."""

    def __init__(self, mode: bool) -> None:
        self._previous = state.enabled
        self._target = bool(mode)
        state.enabled = self._target

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        state.enabled = self._previous

    def __call__(self, function: F) -> F:
        # As a decorator it must not leave the mode switched by __init__ (PyTorch restores it too)
        state.enabled = self._previous
        return super().__call__(function)


class detect_anomaly(_GradModeContext):  # noqa: N801
    """Within it, backward checks every gradient and names the op that produced a NaN/Inf."""

    def __init__(self, mode: bool = True) -> None:
        self._target = bool(mode)

    def __enter__(self) -> None:
        self._previous = state.anomaly
        state.anomaly = self._target

    def __exit__(self, *exc: object) -> None:
        state.anomaly = self._previous

    def __call__(self, function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]
