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
        _assert_same(_to_host(actual), expected, name)
