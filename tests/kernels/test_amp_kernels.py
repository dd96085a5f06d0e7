"""kernels/amp.cu through the real launchers on the CPU executor, against the NumPy twins in
gradkit.backend.cpu.amp: the fused non-finite check + unscale, the multi-tensor scale used by
gradient clipping, and the loss-scale update."""

from __future__ import annotations

import numpy as np
import pytest

from gradkit.backend.cpu import amp as twin
from gradkit.backend.cuda import amp as kernels
from gradkit.backend.cuda import multi_tensor

SIZES = (5, 0, 1000, 1, 77)


def _grads(dtype, sizes=SIZES, seed=0, poison=None):
    rng = np.random.default_rng(seed)
    grads = [(rng.normal(size=n) * 1000).astype(dtype) for n in sizes]
    if poison is not None:
        index, value = poison
        grads[index][index % max(grads[index].size, 1)] = value
    return grads


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("poison", [None, (2, np.inf), (4, -np.inf), (0, np.nan)], ids=str)
@pytest.mark.parametrize("in_place", [True, False])
def test_non_finite_check_and_unscale_matches_twin(executor, dtype, poison, in_place):
    expected, actual = _grads(dtype, poison=poison), _grads(dtype, poison=poison)
    inv_scale = np.asarray(1 / 3, dtype=np.float32)  # not a power of two: rounding matters
    flags = [np.zeros((), np.float32), np.zeros((), np.float32)]
    outs = [None if in_place else [np.full_like(g, 7) for g in gs] for gs in (expected, actual)]
    twin.non_finite_check_and_unscale(expected, flags[0], inv_scale, out=outs[0])
    kernels.non_finite_check_and_unscale(actual, flags[1], inv_scale, out=outs[1], runtime=executor)
    assert float(flags[1]) == (0.0 if poison is None else 1.0) == float(flags[0])
    results = (expected, actual) if in_place else outs
    for e, a in zip(*results):
        assert a.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(a, e)


def test_unscale_keeps_a_set_flag_and_spans_chunks(executor, monkeypatch):
    monkeypatch.setattr(multi_tensor, "CHUNK_SIZE", 100)
    grads = _grads(np.float32, sizes=(1000, 3))
    flag = np.ones((), np.float32)  # set by an earlier optimizer's grads: never cleared
    kernels.non_finite_check_and_unscale(grads, flag, np.asarray(0.5, np.float32), runtime=executor)
    assert float(flag) == 1.0
    np.testing.assert_array_equal(grads[0], _grads(np.float32, sizes=(1000, 3))[0] * 0.5)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("coef_dtype", [np.float32, np.float64])
def test_multi_tensor_scale_matches_twin(executor, dtype, coef_dtype):
    expected, actual = _grads(dtype), _grads(dtype)
    coef = np.asarray(0.3183, dtype=coef_dtype)
    twin.multi_tensor_scale(expected, coef)
    kernels.multi_tensor_scale(actual, coef, runtime=executor)
    for e, a in zip(expected, actual):
        np.testing.assert_array_equal(a, e)


@pytest.mark.parametrize(
    ("found", "tracker", "interval", "factor"),
    [
        (0.0, 0, 3, 2.0),  # counts a clean step
        (0.0, 2, 3, 2.0),  # grows after `interval` clean steps
        (1.0, 2, 3, 2.0),  # backs off and restarts
        (np.nan, 1, 3, 2.0),  # a NaN flag counts as found
        (0.0, 0, 1, 1e30),  # growth into inf is refused, tracker still restarts
    ],
)
def test_update_scale_matches_twin(executor, found, tracker, interval, factor):
    states = []
    for update, extra in ((twin.update_scale, {}), (kernels.update_scale, {"runtime": executor})):
        scale = np.asarray(65536.0, np.float32)
        growth_tracker = np.asarray(tracker, np.int32)
        update(
            scale,
            growth_tracker,
            np.asarray(found, np.float32),
            growth_factor=factor,
            backoff_factor=0.5,
            growth_interval=interval,
            **extra,
        )
        states.append((float(scale), int(growth_tracker)))
    assert states[0] == states[1]
    if found == 0.0 and tracker + 1 == interval and factor == 2.0:
        assert states[1] == (131072.0, 0)
    if found != 0.0:
        assert states[1] == (32768.0, 0)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("poison", [None, (2, np.inf), (0, np.nan)], ids=str)
def test_non_finite_check_matches_twin_and_writes_nothing(executor, dtype, poison):
    grads = _grads(dtype, poison=poison)
    for g in grads:
        g.flags.writeable = False  # the check must not write: read-only inputs are fine
    flags = [np.zeros((), np.float32), np.zeros((), np.float32)]
    twin.non_finite_check(grads, flags[0])
    kernels.non_finite_check(grads, flags[1], runtime=executor)
    assert float(flags[1]) == float(flags[0]) == (0.0 if poison is None else 1.0)
    for e, a in zip(_grads(dtype, poison=poison), grads):
        np.testing.assert_array_equal(a, e)
