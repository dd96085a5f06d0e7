"""kernels/normalization.cu through the launchers of gradkit.backend.cuda.normalization on the
CPU executor, against the NumPy twin gradkit.backend.cpu.normalization (and PyTorch)."""

from __future__ import annotations

import numpy as np
import pytest

from gradkit.backend.cpu import normalization as twin
from gradkit.backend.cuda import normalization as kernels

DTYPES = (np.float16, np.float32, np.float64)
# Welford vs the twin's two-pass mean/variance, tree vs pairwise sums: a few ulp of the
# computing dtype; xhat in float16 may then round one ulp apart.
TOLERANCES = {
    np.float16: {"rtol": 2e-3, "atol": 2e-3},
    np.float32: {"rtol": 2e-5, "atol": 2e-5},
    np.float64: {"rtol": 1e-11, "atol": 1e-12},
}
CASES = [  # (shape, axes): batch norm, layer norm, instance norm, all, kept axes apart
    ((4, 3, 5, 5), (0, 2, 3)),
    ((6, 37), (1,)),
    ((2, 5, 70), (1, 2)),
    ((2, 3, 4, 4), (2, 3)),
    ((3, 7), (0, 1)),
    ((3, 4, 5), (1,)),  # keeps axes 0 and 2: the transposing path
    ((2, 2000), (1,)),  # a long row
    ((1,), (0,)),  # one element
]


def _close(actual, expected) -> None:
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    np.testing.assert_allclose(
        actual.astype(np.float64), expected.astype(np.float64), **TOLERANCES[actual.dtype.type]
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "axes"), CASES, ids=[str(c) for c in CASES])
def test_forward_and_backward_match_twin(executor, shape, axes, dtype):
    rng = np.random.default_rng(0)
    x = (rng.normal(size=shape) * 3 + 1.5).astype(dtype)
    actual = kernels.normalize_forward(x, axes, 1e-5, runtime=executor)
    expected = twin.normalize_forward(x, axes, 1e-5)
    for a, e in zip(actual, expected):
        _close(a, e)
    g = rng.normal(size=shape).astype(dtype)
    xhat, invstd = expected[0], expected[3]
    _close(
        kernels.normalize_backward(g, xhat, invstd, axes, runtime=executor),
        twin.normalize_backward(g, xhat, invstd, axes),
    )


def test_large_offset_does_not_lose_the_variance(executor):
    # A two-pass or Welford variance survives a mean of 1e4 with unit spread in float32; the
    # naive E[x^2] - E[x]^2 would not.
    x = (np.random.default_rng(1).normal(size=(3, 4096)) + 1e4).astype(np.float32)
    _, _, var, _ = kernels.normalize_forward(x, (1,), 1e-5, runtime=executor)
    np.testing.assert_allclose(var.reshape(-1), x.astype(np.float64).var(axis=1), rtol=1e-3)


def test_batch_norm_agrees_with_pytorch(executor):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(2).normal(size=(4, 3, 6, 5))
    g = np.random.default_rng(3).normal(size=x.shape)
    t = torch.tensor(x, requires_grad=True)
    y = torch.nn.functional.batch_norm(t, None, None, training=True, eps=1e-5)
    y.backward(torch.tensor(g))
    xhat, _, _, invstd = kernels.normalize_forward(x, (0, 2, 3), 1e-5, runtime=executor)
    np.testing.assert_allclose(xhat, y.detach().numpy(), rtol=1e-10, atol=1e-12)
    grad = kernels.normalize_backward(g, xhat, invstd, (0, 2, 3), runtime=executor)
    np.testing.assert_allclose(grad, t.grad.numpy(), rtol=1e-9, atol=1e-11)


def test_non_contiguous_and_empty(executor):
    x = np.random.default_rng(4).normal(size=(5, 6, 4)).astype(np.float32).transpose(2, 0, 1)
    assert not x.flags.c_contiguous
    for a, e in zip(
        kernels.normalize_forward(x, (1, 2), 1e-5, runtime=executor),
        twin.normalize_forward(x, (1, 2), 1e-5),
    ):
        _close(a, e)
    empty = np.zeros((0, 4), np.float32)
    xhat, mean, var, invstd = kernels.normalize_forward(empty, (0,), 1e-5, runtime=executor)
    assert xhat.shape == (0, 4) and mean.shape == (1, 4)
    assert np.isnan(mean).all() and np.isnan(var).all()


def test_bad_arguments_name_the_op(executor):
    with pytest.raises(ValueError, match="normalize_forward: axes"):
        kernels.normalize_forward(np.zeros((2, 3), np.float32), (2,), 1e-5, runtime=executor)
    with pytest.raises(TypeError, match="normalize_forward: x must have dtype"):
        kernels.normalize_forward(np.zeros((2, 3), np.int32), (1,), 1e-5, runtime=executor)
    with pytest.raises(ValueError, match="normalize_backward: expected xhat"):
        kernels.normalize_backward(
            np.zeros((2, 3), np.float32),
            np.zeros((3, 2), np.float32),
            np.ones((2, 1), np.float32),
            (1,),
            runtime=executor,
        )
