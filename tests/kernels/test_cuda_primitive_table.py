"""gradkit.backend.cuda.primitives: the same names and signatures as the NumPy table
(gradkit.backend.cpu), and, run on the CPU executor through kernel_args.use_runtime, the
same results for a typical call of every primitive."""

from __future__ import annotations

import inspect
import subprocess
import sys

import numpy as np
import pytest

import gradkit.backend.cpu as cpu_table
from gradkit.backend.cuda import primitives as cuda_table
from gradkit.backend.cuda.kernel_args import use_runtime


def _functions(module) -> dict[str, object]:
    return {
        name: value
        for name, value in vars(module).items()
        if not name.startswith("_") and inspect.isfunction(value)
    }


def _parameters(function) -> list[tuple]:
    return [
        (p.name, p.kind, p.default)
        for p in inspect.signature(function).parameters.values()
        if p.name != "runtime"
    ]


def test_same_names_as_the_numpy_table():
    assert sorted(_functions(cuda_table)) == sorted(_functions(cpu_table))


@pytest.mark.parametrize("name", sorted(_functions(cpu_table)))
def test_same_signature_as_the_twin(name):
    cuda_function = getattr(cuda_table, name)
    assert _parameters(cuda_function) == _parameters(getattr(cpu_table, name)), name
    runtime = inspect.signature(cuda_function).parameters.get("runtime")
    if runtime is not None:  # twins reused as they are take no runtime
        assert runtime.kind is inspect.Parameter.KEYWORD_ONLY and runtime.default is None


def test_importing_the_table_does_not_import_cupy():
    code = "import sys, gradkit.backend.cuda.primitives; print('cupy' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def _calls(rng) -> dict[str, tuple]:
    """name -> positional args of one typical call (float32, small)."""
    x4 = rng.normal(size=(2, 3, 6, 6)).astype(np.float32)
    w4 = rng.normal(size=(4, 3, 3, 3)).astype(np.float32)
    logits = rng.normal(size=(5, 7)).astype(np.float32)
    labels = np.array([0, 6, -100, 3, 2])
    pad = ((1, 1), (1, 1))
    log_probs = cpu_table.log_softmax_rows(logits)
    probs = rng.dirichlet(np.ones(7), size=5).astype(np.float32)
    offsets = cpu_table.max_pool2d_forward(x4, (2, 2), (2, 2), (0, 0), (1, 1), False)[1]
    pooled = rng.normal(size=(2, 3, 3, 3)).astype(np.float32)
    return {
        "activation_forward": (logits, "gelu"),
        "activation_backward": (logits, logits, None, "silu"),
        "bias_activation_forward": (logits, logits[0], "relu"),
        "softmax_forward": (x4, 1),
        "log_softmax_forward": (x4, 3),
        "log_softmax_rows": (logits,),
        "softmax_cross_entropy_forward": (logits, labels, None, -100, 0.1),
        "softmax_cross_entropy_backward": (
            log_probs,
            labels,
            None,
            -100,
            np.float32(0.25),
            np.float32(0.01),
            np.dtype(np.float32),
        ),
        "soft_cross_entropy_forward": (logits, probs, None),
        "soft_cross_entropy_backward": (
            log_probs,
            probs,
            None,
            np.float32(0.2),
            np.dtype(np.float32),
        ),
        "dropout_mask": ((4, 5), 0.3, 77, 2),
        "dropout_forward": (logits, logits > 0, 0.3),
        "random_bits": (10, 3, 4),
        "philox4x32": (np.arange(8, dtype=np.uint32).reshape(2, 4), (1, 2)),
        "im2col": (x4, (3, 3), (1, 1), pad, (1, 1), (6, 6)),
        "col2im": (
            rng.normal(size=(27, 72)).astype(np.float32),
            x4.shape,
            (3, 3),
            (1, 1),
            pad,
            (1, 1),
            (6, 6),
        ),
        "conv2d_forward": (x4, w4, None, (1, 1), pad, (1, 1), 1),
        "conv2d_backward_input": (
            rng.normal(size=(2, 4, 6, 6)).astype(np.float32),
            w4,
            x4.shape,
            (1, 1),
            pad,
            (1, 1),
            1,
        ),
        "conv2d_backward_weight": (
            x4,
            rng.normal(size=(2, 4, 6, 6)).astype(np.float32),
            w4.shape,
            (1, 1),
            pad,
            (1, 1),
            1,
        ),
        "max_pool2d_forward": (x4, (2, 2), (2, 2), (0, 0), (1, 1), False),
        "max_pool2d_backward": (pooled, offsets, x4.shape, (2, 2), (2, 2), (0, 0), (1, 1), False),
        "max_pool2d_gather": (x4, offsets, (2, 2), (2, 2), (0, 0), (1, 1), False),
        "max_pool2d_flat_indices": (offsets, (6, 6), (2, 2), (2, 2), (0, 0), (1, 1)),
        "avg_pool2d_forward": (x4, (3, 3), (2, 2), (1, 1), True, False, None),
        "avg_pool2d_backward": (pooled, x4.shape, (2, 2), (2, 2), (0, 0), False, True, None),
        "separable_apply": (
            x4,
            np.full((2, 6), 1 / 6, np.float32),
            np.full((3, 6), 1 / 6, np.float32),
        ),
        "normalize_forward": (x4, (0, 2, 3), 1e-5),
        "multi_tensor_l2norm": ([x4, w4], 1.0),
    }


def _assert_same(actual, expected, name: str) -> None:
    if isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == len(expected), name
        for a, e in zip(actual, expected):
            _assert_same(a, e, name)
        return
    if expected is None:
        assert actual is None, name
        return
    assert actual.dtype == expected.dtype and actual.shape == expected.shape, name
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6, err_msg=name)


def test_the_table_matches_the_numpy_table_on_the_executor(executor):
    calls = _calls(np.random.default_rng(0))
    with use_runtime(executor):
        for name, args in calls.items():
            actual, expected = getattr(cuda_table, name)(*args), getattr(cpu_table, name)(*args)
            if name == "conv2d_forward":
                # The saved columns are each backend's own handle for its weight gradient
                # (the NumPy twin picks its layout per shape); only y is the contract.
                assert actual[1] is not None
                actual, expected = actual[0], expected[0]
            _assert_same(actual, expected, name)
