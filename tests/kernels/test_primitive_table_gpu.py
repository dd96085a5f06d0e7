"""The CUDA primitive table on a real GPU (CuPy), against the NumPy table: every primitive of
test_cuda_primitive_table's typical calls (skipped without a GPU)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import gradkit as gk
import gradkit.backend.cpu as cpu_table

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not gk.cuda.is_available(), reason="no usable GPU (CuPy/CUDA)"),
]


def _to_gpu(value):
    import cupy

    if isinstance(value, np.ndarray):
        return cupy.asarray(value)
    if isinstance(value, list):
        return [_to_gpu(v) for v in value]
    return value


def _to_host(value):
    if isinstance(value, tuple):
        return tuple(_to_host(v) for v in value)
    return None if value is None else np.asarray(value.get() if hasattr(value, "get") else value)


def _sibling(name: str):
    """A module of this directory (the tests run with --import-mode=importlib: no package)."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_primitive_matches_the_numpy_table_on_the_gpu():
    from gradkit.backend.cuda import primitives as cuda_table

    table_test = _sibling("test_cuda_primitive_table")
    _assert_same, _calls = table_test._assert_same, table_test._calls

    host_only = {"adaptive_pool_matrix", "conv_output_size", "pool_output_size"}
    for name, args in _calls(np.random.default_rng(0)).items():
        if name in host_only:
            continue
        expected = getattr(cpu_table, name)(*args)
        actual = getattr(cuda_table, name)(*(_to_gpu(a) for a in args))
        if name == "conv2d_forward":  # the columns are each backend's own handle
            actual, expected = actual[0], expected[0]
        _assert_same(_to_host(actual), expected, name)


def test_large_problems_match_the_numpy_table_on_the_gpu():
    """Sizes where many blocks run at once: races between blocks and phases that the CPU
    executor (blocks one after another) cannot show."""
    import cupy

    from gradkit.backend.cuda import primitives as cuda_table

    rng = np.random.default_rng(1)
    logits = rng.normal(scale=3.0, size=(4096, 5000)).astype(np.float32)
    labels = rng.integers(0, 5000, size=4096)
    labels[::7] = -100
    images = rng.normal(size=(64, 32, 33, 31)).astype(np.float32)
    pad = ((1, 1), (1, 1))
    cases = {
        "softmax_forward": (logits, 1),
        "log_softmax_forward": (logits, 0),
        "softmax_cross_entropy_forward": (logits, labels, None, -100, 0.1),
        "normalize_forward": (images, (0, 2, 3), 1e-5),
        "max_pool2d_forward": (images, (3, 3), (2, 2), (1, 1), (1, 1), True),
        "avg_pool2d_forward": (images, (3, 3), (2, 2), (1, 1), True, False, None),
        "im2col": (images[:8], (3, 3), (1, 1), pad, (1, 1), (33, 31)),
        "dropout_mask": ((1 << 24) + 3, 0.3, 12345, 6),
        "multi_tensor_l2norm": ([logits, images], 1.0),
    }
    for name, args in cases.items():
        expected = getattr(cpu_table, name)(*args)
        actual = getattr(cuda_table, name)(*(_to_gpu(a) for a in args))
        actual = _to_host(actual)
        if name == "dropout_mask":
            np.testing.assert_array_equal(actual, expected)
            continue
        expected = expected if isinstance(expected, tuple) else (expected,)
        actual = actual if isinstance(actual, tuple) else (actual,)
        for a, e in zip(actual, expected):
            assert a.dtype == e.dtype and a.shape == e.shape, name
            np.testing.assert_allclose(a, e, rtol=1e-4, atol=1e-5, err_msg=name)
    cols = cupy.asarray(rng.normal(size=(32 * 9, 8 * 33 * 31)).astype(np.float32))
    geometry = ((3, 3), (1, 1), pad, (1, 1), (33, 31))
    np.testing.assert_allclose(
        cuda_table.col2im(cols, (8, 32, 33, 31), *geometry).get(),
        cpu_table.col2im(cols.get(), (8, 32, 33, 31), *geometry),
        rtol=1e-5,
        atol=1e-5,
    )
