"""Stream and Event: thin wrappers over CuPy's, with PyTorch's method names.

    start, end = gk.cuda.Event(enable_timing=True), gk.cuda.Event(enable_timing=True)
    start.record(); ...; end.record(); end.synchronize(); start.elapsed_time(end)  # ms

Constructing either without a GPU raises a RuntimeError that names what is missing.
"""

from __future__ import annotations

from typing import Any

from .availability import require


class Stream:
    """A CUDA stream. ``with stream:`` makes it current, so kernels launched inside (gradkit's
    included) are queued on it."""

    def __init__(self, device: Any = None, priority: int = 0, *, _wrap: Any = None) -> None:
        require("cuda")
        import cupy

        from .device import _index

        if _wrap is not None:
            self._stream = _wrap
            return
        with cupy.cuda.Device(_index(device)):
            self._stream = cupy.cuda.Stream(non_blocking=True, priority=priority)

    @property
    def cupy_stream(self) -> Any:
        """The underlying cupy.cuda.Stream."""
        return self._stream

    def synchronize(self) -> None:
        """Wait until the work queued on this stream has run."""
        self._stream.synchronize()

    def query(self) -> bool:
        """True when the work queued on this stream has run."""
        return bool(self._stream.done)

    def record_event(self, event: Event | None = None) -> Event:
        event = Event() if event is None else event
        event.record(self)
        return event

    def wait_event(self, event: Event) -> None:
        """Make later work on this stream wait for ``event`` (without blocking the host)."""
        self._stream.wait_event(event.cupy_event)

    def wait_stream(self, stream: Stream) -> None:
        self.wait_event(stream.record_event())

    def __enter__(self) -> Stream:
        self._stream.__enter__()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._stream.__exit__(*exc_info)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Stream) and other._stream.ptr == self._stream.ptr

    def __hash__(self) -> int:
        return hash(self._stream.ptr)

    def __repr__(self) -> str:
        return f"<gradkit.cuda.Stream ptr={self._stream.ptr:#x}>"


def current_stream(device: Any = None) -> Stream:
    """The stream kernels are queued on now."""
    require("cuda")
    import cupy

    from .device import _index

    with cupy.cuda.Device(_index(device)):
        return Stream(_wrap=cupy.cuda.get_current_stream())


class Event:
    """A CUDA event: a marker in a stream, for ordering streams and for timing."""

    def __init__(self, enable_timing: bool = False, blocking: bool = False) -> None:
        require("cuda")
        import cupy

        self.enable_timing = enable_timing
        self._event = cupy.cuda.Event(block=blocking, disable_timing=not enable_timing)

    @property
    def cupy_event(self) -> Any:
        return self._event

    def record(self, stream: Stream | None = None) -> None:
        """Mark the point reached by ``stream`` (default: the current stream)."""
        self._event.record(None if stream is None else stream.cupy_stream)

    def synchronize(self) -> None:
        """Wait until the work before the recorded point has run."""
        self._event.synchronize()

    def query(self) -> bool:
        return bool(self._event.done)

    def wait(self, stream: Stream | None = None) -> None:
        (current_stream() if stream is None else stream).wait_event(self)

    def elapsed_time(self, end_event: Event) -> float:
        """Milliseconds from this event to ``end_event`` (both recorded with enable_timing)."""
        if not (self.enable_timing and end_event.enable_timing):
            raise RuntimeError("elapsed_time: both events need Event(enable_timing=True)")
        import cupy

        return float(cupy.cuda.get_elapsed_time(self._event, end_event._event))
