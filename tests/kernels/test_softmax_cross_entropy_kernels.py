"""kernels/softmax_cross_entropy.cu through its launchers on the CPU executor, against the
NumPy twin gradkit.backend.cpu.softmax_cross_entropy (and PyTorch for the end result)."""

from __future__ import annotations

import numpy as np
import pytest

from gradkit.backend.cpu import softmax_cross_entropy as twin
from gradkit.backend.cuda import softmax_cross_entropy as kernels

DTYPES = (np.float16, np.float32, np.float64)
TOLERANCES = {  # results are in the computing dtype: float32 for float16 logits
    np.float32: {"rtol": 2e-5, "atol": 2e-6},
    np.float64: {"rtol": 1e-12, "atol": 1e-13},
}
OUT_TOLERANCES = {np.float16: {"rtol": 2e-3, "atol": 2e-5}, **TOLERANCES}


def _close(actual, expected, tolerances=TOLERANCES) -> None:
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    np.testing.assert_allclose(
        actual.astype(np.float64), expected.astype(np.float64), **tolerances[actual.dtype.type]
    )


def _problem(n, c, dtype, ignore_index=-100, seed=0, weighted=False):
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=3.0, size=(n, c)).astype(dtype)
    labels = rng.integers(0, c, size=n)
    labels[::3] = ignore_index  # every third row ignored
    weight = rng.uniform(0.2, 2.0, size=c).astype(dtype) if weighted else None
    return logits, labels, weight


def _both_forwards(executor, *args):
    expected = twin.softmax_cross_entropy_forward(*args)
    actual = kernels.softmax_cross_entropy_forward(*args, runtime=executor)
    return actual, expected


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_forward_matches_twin(executor, dtype, weighted, smoothing):
    logits, labels, weight = _problem(13, 37, dtype, weighted=weighted)
    actual, expected = _both_forwards(executor, logits, labels, weight, -100, smoothing)
    for a, e in zip(actual, expected):
        _close(a, e)
    assert (actual[0][::3] == 0).all() and (actual[1][::3] == 0).all()  # ignored rows


@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_backward_matches_twin(executor, dtype, weighted, smoothing):
    logits, labels, weight = _problem(13, 37, dtype, weighted=weighted, seed=1)
    log_probs = twin.softmax_cross_entropy_forward(logits, labels, weight, -100, smoothing)[2]
    rng = np.random.default_rng(2)
    nll_scale = rng.uniform(0.5, 2.0, size=13).astype(log_probs.dtype)
    smooth_scale = log_probs.dtype.type(smoothing / 37)
    args = (log_probs, labels, weight, -100, nll_scale, smooth_scale, np.dtype(dtype))
    actual = kernels.softmax_cross_entropy_backward(*args, runtime=executor)
    _close(actual, twin.softmax_cross_entropy_backward(*args), OUT_TOLERANCES)


@pytest.mark.parametrize(("n", "c"), [(1, 1), (1, 7), (9, 33), (2, 5000), (20, 10)])
def test_shapes_around_warp_block_and_grid_sizes(executor, n, c):
    logits, labels, weight = _problem(n, c, np.float32, ignore_index=3, seed=c, weighted=True)
    actual, expected = _both_forwards(executor, logits, labels, weight, 3, 0.1)
    for a, e in zip(actual, expected):
        _close(a, e)
    scale = np.float32(0.5)
    args = (expected[2], labels, weight, 3, scale, scale, np.dtype(np.float32))
    _close(
        kernels.softmax_cross_entropy_backward(*args, runtime=executor),
        twin.softmax_cross_entropy_backward(*args),
    )


def test_empty_batch(executor):
    logits = np.zeros((0, 5), np.float32)
    labels = np.zeros(0, np.int64)
    nll, smooth, log_probs = kernels.softmax_cross_entropy_forward(
        logits, labels, None, -100, 0.1, runtime=executor
    )
    assert nll.shape == smooth.shape == (0,) and log_probs.shape == (0, 5)
    grad = kernels.softmax_cross_entropy_backward(
        log_probs, labels, None, -100, np.float32(1), np.float32(0), np.float32, runtime=executor
    )
    assert grad.shape == (0, 5) and grad.dtype == np.float32


def test_non_contiguous_logits_and_int32_labels(executor):
    logits, labels, _ = _problem(30, 12, np.float32, seed=4)
    strided = logits.T.copy().T[::2]  # Fortran-ordered, then every other row
    assert not strided.flags.c_contiguous
    small_labels = labels[::2].astype(np.int32)
    actual, expected = _both_forwards(executor, strided, small_labels, None, -100, 0.0)
    for a, e in zip(actual, expected):
        _close(a, e)


def test_large_logits_stay_finite(executor):
    logits = np.array([[1e4, -1e4, 0.0], [-5e4, -5e4, -5e4]], np.float32)
    labels = np.array([1, 2])
    nll, _, log_probs = kernels.softmax_cross_entropy_forward(
        logits, labels, None, -100, 0.0, runtime=executor
    )
    assert np.isfinite(nll).all() and np.isfinite(log_probs).all()
    np.testing.assert_allclose(nll, [2e4, np.log(3.0)], rtol=1e-6)


def test_label_out_of_range_gives_nan_not_a_crash(executor):
    logits = np.zeros((2, 4), np.float32)
    labels = np.array([7, 1])
    nll, _, log_probs = kernels.softmax_cross_entropy_forward(
        logits, labels, None, -100, 0.0, runtime=executor
    )
    assert np.isnan(nll[0]) and nll[1] == pytest.approx(np.log(4.0))
    grad = kernels.softmax_cross_entropy_backward(
        log_probs, labels, None, -100, np.float32(1), np.float32(0), np.float32, runtime=executor
    )
    assert np.isnan(grad[0]).all() and np.isfinite(grad[1]).all()


@pytest.mark.parametrize("weighted", [False, True])
def test_loss_and_gradient_agree_with_pytorch(executor, weighted):
    torch = pytest.importorskip("torch")
    logits, labels, weight = _problem(11, 6, np.float64, ignore_index=-1, seed=5, weighted=weighted)
    smoothing = 0.2
    t = torch.tensor(logits, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(
        t,
        torch.tensor(labels),
        weight=None if weight is None else torch.tensor(weight),
        ignore_index=-1,
        label_smoothing=smoothing,
        reduction="sum",
    )
    loss.backward()
    nll, smooth, log_probs = kernels.softmax_cross_entropy_forward(
        logits, labels, weight, -1, smoothing, runtime=executor
    )
    a, b = 1.0 - smoothing, smoothing / 6
    np.testing.assert_allclose((nll * a + smooth * b).sum(), loss.item(), rtol=1e-12)
    grad = kernels.softmax_cross_entropy_backward(
        log_probs,
        labels,
        weight,
        -1,
        np.float64(a),
        np.float64(b),
        np.float64,
        runtime=executor,
    )
    np.testing.assert_allclose(grad, t.grad.numpy(), rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_soft_targets_match_twin(executor, dtype):
    rng = np.random.default_rng(6)
    logits = rng.normal(size=(7, 9)).astype(dtype)
    target = rng.dirichlet(np.ones(9), size=7).astype(dtype)
    weight = rng.uniform(0.5, 1.5, size=9).astype(dtype)
    losses, log_probs = kernels.soft_cross_entropy_forward(logits, target, weight, runtime=executor)
    expected_losses, expected_log_probs = twin.soft_cross_entropy_forward(logits, target, weight)
    _close(losses, expected_losses)
    _close(log_probs, expected_log_probs)
    scale = rng.uniform(size=7).astype(log_probs.dtype)
    _close(
        kernels.soft_cross_entropy_backward(
            log_probs, target, weight, scale, dtype, runtime=executor
        ),
        twin.soft_cross_entropy_backward(log_probs, target, weight, scale, dtype),
        OUT_TOLERANCES,
    )


def test_bad_arguments_name_the_op(executor):
    logits = np.zeros((3, 4), np.float32)
    with pytest.raises(ValueError, match=r"softmax_cross_entropy_forward: expected labels of"):
        kernels.softmax_cross_entropy_forward(
            logits, np.zeros(2, np.int64), None, -100, 0.0, runtime=executor
        )
    with pytest.raises(TypeError, match="softmax_cross_entropy_forward: expected integer"):
        kernels.softmax_cross_entropy_forward(
            logits, np.zeros(3), None, -100, 0.0, runtime=executor
        )
    with pytest.raises(ValueError, match="expected a class weight of shape"):
        kernels.softmax_cross_entropy_forward(
            logits, np.zeros(3, np.int64), np.ones(5, np.float32), -100, 0.0, runtime=executor
        )
    with pytest.raises(ValueError, match=r"softmax_cross_entropy_backward: expected \(N, C\)"):
        kernels.softmax_cross_entropy_backward(
            np.zeros(3, np.float32),
            np.zeros(3, np.int64),
            None,
            -100,
            1.0,
            0.0,
            np.float32,
            runtime=executor,
        )
