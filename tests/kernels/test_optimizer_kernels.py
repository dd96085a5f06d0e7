"""kernels/optimizer.cu through the real launchers on the CPU executor, against the NumPy
twins in gradkit.backend.cpu.optimizer: several tensors of odd sizes, empty tensors, tensors
spanning several chunks, float32/float64 and float16 parameters with float32 masters, device
learning rates, inverse scales, and found_inf leaving everything bit-identical."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from gradkit.backend.cpu import optimizer as twin
from gradkit.backend.cuda import multi_tensor
from gradkit.backend.cuda import optimizer as kernels

SIZES = (7, 0, 1000, 1, 333)
# (name, per-tensor state lists, whether the primitive takes steps, options)
CASES = [
    (
        "sgd_step",
        ["momentum_buffers"],
        False,
        dict(weight_decay=0.0, momentum=0.0, dampening=0.0, nesterov=False, maximize=False),
    ),
    (
        "sgd_step",
        ["momentum_buffers"],
        False,
        dict(weight_decay=0.01, momentum=0.9, dampening=0.1, nesterov=False, maximize=True),
    ),
    (
        "sgd_step",
        ["momentum_buffers"],
        False,
        dict(weight_decay=0.0, momentum=0.9, dampening=0.0, nesterov=True, maximize=False),
    ),
    (
        "adam_step",
        ["exp_avgs", "exp_avg_sqs", "max_exp_avg_sqs"],
        True,
        dict(
            beta1=0.9,
            beta2=0.999,
            eps=1e-8,
            weight_decay=0.0,
            amsgrad=False,
            maximize=False,
            decoupled_weight_decay=False,
        ),
    ),
    (
        "adam_step",
        ["exp_avgs", "exp_avg_sqs", "max_exp_avg_sqs"],
        True,
        dict(
            beta1=0.6,
            beta2=0.99,
            eps=1e-6,
            weight_decay=0.1,
            amsgrad=True,
            maximize=True,
            decoupled_weight_decay=False,
        ),
    ),
    (
        "adam_step",
        ["exp_avgs", "exp_avg_sqs", "max_exp_avg_sqs"],
        True,
        dict(
            beta1=0.9,
            beta2=0.999,
            eps=1e-8,
            weight_decay=0.01,
            amsgrad=True,
            maximize=False,
            decoupled_weight_decay=True,
        ),
    ),
    (
        "rmsprop_step",
        ["square_avgs", "grad_avgs", "momentum_buffers"],
        True,
        dict(alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False, maximize=False),
    ),
    (
        "rmsprop_step",
        ["square_avgs", "grad_avgs", "momentum_buffers"],
        True,
        dict(alpha=0.9, eps=1e-6, weight_decay=0.05, momentum=0.8, centered=True, maximize=True),
    ),
    (
        "adagrad_step",
        ["state_sums"],
        True,
        dict(lr_decay=0.01, weight_decay=0.02, eps=1e-10, maximize=False),
    ),
    (
        "adagrad_step",
        ["state_sums"],
        True,
        dict(lr_decay=0.0, weight_decay=0.0, eps=1e-10, maximize=True),
    ),
]
CASE_IDS = [f"{name}-{i}" for i, (name, *_) in enumerate(CASES)]
LRS = (0.01, 0.003, 0.02)


def _problem(sizes, dtype, master: bool, states, with_steps: bool, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    state_dtype = np.float32 if master else dtype
    params = [rng.normal(size=n).astype(dtype) for n in sizes]
    problem = {
        "params": params,
        "master_params": [p.astype(np.float32) for p in params] if master else None,
        "grads": [[rng.normal(size=n).astype(dtype) for n in sizes] for _ in LRS],
    }
    for name in states:
        # Adagrad starts from a positive accumulator; the others from zeros.
        start = 0.1 if name == "state_sums" else 0.0
        problem[name] = [np.full(n, start, dtype=state_dtype) for n in sizes]
    if with_steps:
        problem["steps"] = [np.zeros((), dtype=np.float32) for _ in sizes]
    return problem


def _call(
    fn, name: str, problem: dict, states, with_steps: bool, options: dict, step: int, **extra
):
    args = [problem["params"], problem["grads"][step], *(problem[s] for s in states)]
    if with_steps:
        args.append(problem["steps"])
    fn(*args, master_params=problem["master_params"], **options, **extra)


def _run_both(executor, case, sizes, dtype, master, lr_on_device=False, inv_scale=None):
    name, states, with_steps, options = case
    problem = _problem(sizes, dtype, master, states, with_steps)
    expected, actual = copy.deepcopy(problem), copy.deepcopy(problem)
    for step, lr in enumerate(LRS):
        kernel_lr = np.asarray(lr, dtype=np.float64) if lr_on_device else lr
        extra = {} if inv_scale is None else {"inv_scale": np.asarray(inv_scale, np.float32)}
        _call(
            getattr(twin, name),
            name,
            expected,
            states,
            with_steps,
            dict(options, lr=lr),
            step,
            **extra,
        )
        _call(
            getattr(kernels, name),
            name,
            actual,
            states,
            with_steps,
            dict(options, lr=kernel_lr),
            step,
            runtime=executor,
            **extra,
        )
    return expected, actual


def _assert_same(expected: dict, actual: dict) -> None:
    for key, arrays in expected.items():
        if key == "grads" or arrays is None:
            continue
        for i, (e, a) in enumerate(zip(arrays, actual[key])):
            assert a.dtype == e.dtype, (key, i)
            # The executor runs the same IEEE operations in the same order as NumPy.
            np.testing.assert_array_equal(a, e, err_msg=f"{key}[{i}]")


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_twin(executor, case, dtype):
    expected, actual = _run_both(executor, case, SIZES, dtype, master=False, lr_on_device=True)
    _assert_same(expected, actual)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_float16_params_with_float32_master_match_twin(executor, case):
    expected, actual = _run_both(executor, case, SIZES, np.float16, master=True, inv_scale=0.25)
    _assert_same(expected, actual)
    assert actual["params"][0].dtype == np.float16
    # The fp16 parameter is the rounded master.
    for p, m in zip(actual["params"], actual["master_params"]):
        np.testing.assert_array_equal(p, m.astype(np.float16))


@pytest.mark.parametrize("case", [CASES[2], CASES[5], CASES[7], CASES[8]], ids=str)
def test_inv_scale_matches_twin(executor, case):
    expected, actual = _run_both(executor, case, SIZES, np.float32, master=False, inv_scale=2**-10)
    _assert_same(expected, actual)


@pytest.mark.parametrize("case", [CASES[1], CASES[5]], ids=["sgd", "adamw"])
def test_tensors_spanning_many_chunks(executor, case, monkeypatch):
    monkeypatch.setattr(multi_tensor, "CHUNK_SIZE", 64)  # 1000 elements -> 16 chunks
    expected, actual = _run_both(executor, case, (1000, 3, 130), np.float32, master=False)
    _assert_same(expected, actual)


def test_a_tensor_larger_than_the_default_chunk(executor):
    size = multi_tensor.CHUNK_SIZE + 1001
    expected, actual = _run_both(executor, CASES[5], (size, 5), np.float32, master=False)
    _assert_same(expected, actual)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@pytest.mark.parametrize("master", [False, True])
def test_found_inf_leaves_everything_bit_identical(executor, case, master):
    name, states, with_steps, options = case
    dtype = np.float16 if master else np.float32
    problem = _problem(SIZES, dtype, master, states, with_steps)
    # One clean step first, so that the state is not all zeros.
    _call(
        getattr(kernels, name),
        name,
        problem,
        states,
        with_steps,
        dict(options, lr=0.1),
        0,
        runtime=executor,
    )
    before = copy.deepcopy(problem)
    problem["grads"][1][0][:] = np.inf
    _call(
        getattr(kernels, name),
        name,
        problem,
        states,
        with_steps,
        dict(options, lr=0.1),
        1,
        runtime=executor,
        found_inf=np.ones((), np.float32),
    )
    for key, arrays in before.items():
        if key == "grads" or arrays is None:
            continue
        for b, a in zip(arrays, problem[key]):
            assert a.tobytes() == b.tobytes(), key


def test_many_tensors_in_one_launch(executor):
    """More tensors than fit in a kernel's 4 KiB of arguments: metadata is in memory."""
    sizes = [int(n) for n in np.random.default_rng(3).integers(0, 40, size=700)]
    expected, actual = _run_both(executor, CASES[3], sizes, np.float32, master=False)
    _assert_same(expected, actual)


def test_rejects_float16_without_master_and_bad_state(executor):
    p = np.zeros(4, np.float16)
    with pytest.raises(TypeError, match="sgd_step: .*float16 parameters with float32 master"):
        kernels.sgd_step(
            [p],
            [p],
            None,
            lr=0.1,
            weight_decay=0.0,
            momentum=0.0,
            dampening=0.0,
            nesterov=False,
            maximize=False,
            runtime=executor,
        )
    p = np.zeros(4, np.float32)
    with pytest.raises(ValueError, match=r"adam_step: exp_avg_sqs\[0\] must be float32"):
        kernels.adam_step(
            [p],
            [p],
            [p.copy()],
            [np.zeros(3, np.float32)],
            None,
            [np.zeros((), np.float32)],
            lr=0.1,
            beta1=0.9,
            beta2=0.99,
            eps=1e-8,
            weight_decay=0.0,
            amsgrad=False,
            maximize=False,
            decoupled_weight_decay=False,
            runtime=executor,
        )
    strided = np.zeros(8, np.float32)[::2]
    with pytest.raises(ValueError, match=r"params\[0\] must be C-contiguous"):
        kernels.sgd_step(
            [strided],
            [strided.copy()],
            None,
            lr=0.1,
            weight_decay=0.0,
            momentum=0.0,
            dampening=0.0,
            nesterov=False,
            maximize=False,
            runtime=executor,
        )
