"""gk.cuda and gk.cuda.nvml on a real GPU (skipped without one)."""

from __future__ import annotations

import pytest

import gradkit as gk

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not gk.cuda.is_available(), reason="no usable GPU (CuPy/CUDA)"),
]


def test_memory_statistics_follow_allocations():
    import cupy

    gk.cuda.synchronize()
    gk.cuda.reset_peak_memory_stats()
    before = gk.cuda.memory_allocated()
    block = cupy.empty(64 << 20, dtype=cupy.uint8)
    assert gk.cuda.memory_allocated() >= before + (64 << 20)
    assert gk.cuda.memory_reserved() >= gk.cuda.memory_allocated()
    del block
    assert gk.cuda.max_memory_allocated() >= before + (64 << 20)
    assert gk.cuda.memory_allocated() == before
    gk.cuda.empty_cache()


def test_events_time_work_on_a_stream():
    import cupy

    stream = gk.cuda.Stream()
    start, end = gk.cuda.Event(enable_timing=True), gk.cuda.Event(enable_timing=True)
    with stream:
        start.record(stream)
        x = cupy.ones(1 << 24, dtype=cupy.float32)
        for _ in range(10):
            x = x * 1.0001
        end.record(stream)
    end.synchronize()
    assert stream.query()
    assert start.elapsed_time(end) > 0


def test_device_selection_and_seeding():
    gk.cuda.set_device(0)
    assert gk.cuda.current_device() == 0
    gk.cuda.manual_seed(7)
    a = gk.randn(5, device="cuda").numpy()
    gk.cuda.manual_seed(7)
    b = gk.randn(5, device="cuda").numpy()
    assert (a == b).all()


def test_nvml_reports_this_gpu():
    if not gk.cuda.nvml.is_available():
        pytest.skip(gk.cuda.nvml.unavailable_reason())
    assert gk.cuda.nvml.device_count() >= 1
    used, total = gk.cuda.nvml.memory_info(0)
    assert 0 < used <= total
    assert gk.cuda.nvml.device_name(0)
    assert 0 <= gk.cuda.nvml.utilization(0) <= 100
