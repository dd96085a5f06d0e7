"""gk.cuda without a GPU (every query answers "none", every action names what is missing) and,
with a stand-in CuPy module, the logic gradkit adds on top of CuPy: the peak-memory tracking
allocator, device selection and event timing."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

import gradkit as gk
from gradkit.cuda import availability, memory

needs_no_gpu = pytest.mark.skipif(gk.cuda.is_available(), reason="a GPU is present")


def test_importing_gradkit_does_not_import_cupy_or_pynvml():
    code = "import sys, gradkit; print('cupy' in sys.modules, 'pynvml' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]


@needs_no_gpu
def test_queries_answer_none_without_a_gpu():
    assert gk.cuda.is_available() is False
    assert gk.cuda.device_count() == 0
    assert gk.cuda.memory_allocated() == gk.cuda.memory_reserved() == 0
    assert gk.cuda.max_memory_allocated() == 0
    gk.cuda.reset_peak_memory_stats()
    gk.cuda.empty_cache()
    gk.cuda.manual_seed(3)  # a no-op, as in PyTorch, so scripts can call it unconditionally
    gk.cuda.manual_seed_all(3)


@needs_no_gpu
@pytest.mark.parametrize(
    "action",
    [
        lambda: gk.cuda.synchronize(),
        lambda: gk.cuda.set_device(0),
        lambda: gk.cuda.Stream(),
        lambda: gk.cuda.Event(enable_timing=True),
        lambda: gk.cuda.current_stream(),
        lambda: gk.zeros(2, device="cuda"),
    ],
)
def test_actions_name_the_missing_piece_without_a_gpu(action):
    with pytest.raises(RuntimeError, match=r"cannot use device cuda(:0)?: "):
        action()


def test_manual_seed_rejects_non_integers():
    with pytest.raises(TypeError, match="manual_seed: expected an int"):
        gk.cuda.manual_seed(1.5)


class _FakePool:
    def __init__(self):
        self.used = 0
        self.held = 0

    def malloc(self, size):
        self.used += size
        self.held = max(self.held, self.used)
        return types.SimpleNamespace(device_id=0, size=size)

    def free(self, size):
        self.used -= size

    def used_bytes(self):
        return self.used

    def total_bytes(self):
        return self.held

    def free_all_blocks(self):
        self.held = self.used


class _FakeDevice:
    current = 0
    synchronized: list = []

    def __init__(self, index=None):
        self.id = _FakeDevice.current if index is None else index

    def __enter__(self):
        self._previous, _FakeDevice.current = _FakeDevice.current, self.id
        return self

    def __exit__(self, *exc):
        _FakeDevice.current = self._previous

    def use(self):
        _FakeDevice.current = self.id

    def synchronize(self):
        _FakeDevice.synchronized.append(self.id)


class _FakeEvent:
    def __init__(self, block=False, disable_timing=False):
        self.disable_timing = disable_timing
        self.time = None

    def record(self, stream=None):
        self.time = _FakeEvent.clock

    def synchronize(self):
        pass


@pytest.fixture
def fake_cupy(monkeypatch):
    """A stand-in `cupy` with two GPUs: enough of its API for gradkit.cuda's own logic."""
    pool, pinned = _FakePool(), _FakePool()
    allocator = {}
    cuda = types.SimpleNamespace(
        runtime=types.SimpleNamespace(
            getDeviceCount=lambda: 2, getDevice=lambda: _FakeDevice.current
        ),
        Device=_FakeDevice,
        Event=_FakeEvent,
        set_allocator=lambda f: allocator.__setitem__("malloc", f),
        get_elapsed_time=lambda a, b: (b.time - a.time) * 1000.0,
    )
    fake = types.ModuleType("cupy")
    fake.cuda = cuda
    fake.get_default_memory_pool = lambda: pool
    fake.get_default_pinned_memory_pool = lambda: pinned
    monkeypatch.setitem(sys.modules, "cupy", fake)
    availability.missing_piece.cache_clear()
    monkeypatch.setattr(memory, "_installed", False)
    monkeypatch.setattr(memory, "_peaks", {})
    _FakeDevice.current, _FakeDevice.synchronized = 0, []
    yield types.SimpleNamespace(pool=pool, allocator=allocator)
    availability.missing_piece.cache_clear()


def test_peak_memory_is_tracked_by_the_installed_allocator(fake_cupy):
    assert gk.cuda.is_available() and gk.cuda.device_count() == 2
    assert gk.cuda.memory_allocated() == 0
    malloc = fake_cupy.allocator["malloc"]  # installed by the first statistic
    malloc(1000)
    malloc(500)
    fake_cupy.pool.free(1200)
    assert gk.cuda.memory_allocated() == 300
    assert gk.cuda.max_memory_allocated() == 1500
    assert gk.cuda.memory_reserved() == 1500
    gk.cuda.reset_peak_memory_stats()
    assert gk.cuda.max_memory_allocated() == 300
    malloc(100)
    assert gk.cuda.max_memory_allocated() == 400
    gk.cuda.empty_cache()
    assert gk.cuda.memory_reserved() == 400


def test_set_device_and_synchronize(fake_cupy):
    gk.cuda.set_device(1)
    assert gk.cuda.current_device() == 1
    gk.cuda.synchronize("cuda:0")
    gk.cuda.synchronize()
    assert _FakeDevice.synchronized == [0, 1]
    with pytest.raises(ValueError, match=r"set_device: expected a device index in \[0, 2\)"):
        gk.cuda.set_device(5)
    with pytest.raises(ValueError, match="expected a CUDA device"):
        gk.cuda.synchronize("cpu")


def test_event_elapsed_time_in_milliseconds(fake_cupy):
    start, end = gk.cuda.Event(enable_timing=True), gk.cuda.Event(enable_timing=True)
    _FakeEvent.clock = 1.0
    start.record()
    _FakeEvent.clock = 1.25
    end.record()
    end.synchronize()
    assert start.elapsed_time(end) == pytest.approx(250.0)
    with pytest.raises(RuntimeError, match="enable_timing=True"):
        gk.cuda.Event().elapsed_time(end)
