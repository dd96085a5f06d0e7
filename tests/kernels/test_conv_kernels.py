"""kernels/im2col.cu through the launchers of gradkit.backend.cuda.conv on the CPU executor,
against the NumPy twin gradkit.backend.cpu.conv (and PyTorch for the convolutions)."""

from __future__ import annotations

import numpy as np
import pytest

from gradkit.backend.cpu import conv as twin
from gradkit.backend.cuda import conv as kernels

# (x shape, kernel, stride, padding ((top, bottom), (left, right)), dilation)
GEOMETRIES = [
    ((2, 3, 7, 6), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1)),
    ((1, 2, 9, 8), (3, 2), (2, 3), ((0, 0), (2, 1)), (1, 1)),
    ((2, 1, 11, 10), (3, 3), (2, 2), ((2, 2), (1, 0)), (2, 3)),  # dilation, uneven padding
    ((1, 1, 1, 1), (1, 1), (1, 1), ((0, 0), (0, 0)), (1, 1)),  # one element
    ((3, 4, 5, 5), (5, 5), (1, 1), ((0, 0), (0, 0)), (1, 1)),  # kernel = input
]
IDS = ["same3x3", "strided", "dilated", "one", "full"]


def _out_hw(x_shape, kernel, stride, padding, dilation):
    return tuple(
        twin.conv_output_size(x_shape[2 + a], padding[a], kernel[a], stride[a], dilation[a])
        for a in (0, 1)
    )


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize(
    ("x_shape", "kernel", "stride", "padding", "dilation"), GEOMETRIES, ids=IDS
)
def test_im2col_and_col2im_match_twin(executor, x_shape, kernel, stride, padding, dilation, dtype):
    rng = np.random.default_rng(0)
    x = rng.normal(size=x_shape).astype(dtype)
    out_hw = _out_hw(x_shape, kernel, stride, padding, dilation)
    geometry = (kernel, stride, padding, dilation, out_hw)
    cols = kernels.im2col(x, *geometry, runtime=executor)
    np.testing.assert_array_equal(cols, twin.im2col(x, *geometry))  # a pure copy: exact
    grad_cols = rng.normal(size=cols.shape).astype(dtype)
    actual = kernels.col2im(grad_cols, x_shape, *geometry, runtime=executor)
    expected = twin.col2im(grad_cols, x_shape, *geometry)
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    if dtype == np.float16:  # the twin accumulates in float16, the kernel in float32
        np.testing.assert_allclose(
            actual.astype(np.float32), expected.astype(np.float32), rtol=5e-3, atol=5e-3
        )
    else:  # the same additions in the same order
        np.testing.assert_array_equal(actual, expected)


def test_col2im_is_the_adjoint_of_im2col(executor):
    rng = np.random.default_rng(1)
    x_shape, kernel, stride, padding, dilation = GEOMETRIES[2]
    out_hw = _out_hw(x_shape, kernel, stride, padding, dilation)
    geometry = (kernel, stride, padding, dilation, out_hw)
    x = rng.normal(size=x_shape)
    cols = rng.normal(size=kernels.im2col(x, *geometry, runtime=executor).shape)
    left = np.vdot(kernels.im2col(x, *geometry, runtime=executor), cols)
    right = np.vdot(x, kernels.col2im(cols, x_shape, *geometry, runtime=executor))
    assert left == pytest.approx(right, rel=1e-12)


def test_non_contiguous_input_and_empty_batch(executor):
    x = np.random.default_rng(2).normal(size=(3, 5, 6, 2)).astype(np.float32).transpose(3, 0, 1, 2)
    assert not x.flags.c_contiguous
    geometry = ((2, 2), (1, 1), ((1, 0), (0, 1)), (1, 1), (5, 6))
    np.testing.assert_array_equal(
        kernels.im2col(x, *geometry, runtime=executor), twin.im2col(x, *geometry)
    )
    empty = np.zeros((0, 3, 4, 4), np.float32)
    cols = kernels.im2col(empty, (3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1), (2, 2), runtime=executor)
    assert cols.shape == (27, 0)
    back = kernels.col2im(
        cols, empty.shape, (3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1), (2, 2), runtime=executor
    )
    assert back.shape == empty.shape


@pytest.mark.parametrize("groups", [1, 2])
def test_convolution_matches_twin_and_pytorch(executor, groups):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 4, 9, 8))
    weight = rng.normal(size=(6, 4 // groups, 3, 3))
    bias = rng.normal(size=6)
    stride, padding, dilation = (2, 1), ((1, 1), (2, 2)), (1, 2)
    y, cols = kernels.conv2d_forward(
        x, weight, bias, stride, padding, dilation, groups, runtime=executor
    )
    y_twin, _ = twin.conv2d_forward(x, weight, bias, stride, padding, dilation, groups)
    np.testing.assert_allclose(y, y_twin, rtol=1e-12, atol=1e-12)
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(weight, requires_grad=True)
    ty = torch.nn.functional.conv2d(tx, tw, torch.tensor(bias), stride, (1, 2), dilation, groups)
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-10, atol=1e-10)
    g = rng.normal(size=y.shape)
    ty.backward(torch.tensor(g))
    grad_x = kernels.conv2d_backward_input(
        g, weight, x.shape, stride, padding, dilation, groups, runtime=executor
    )
    grad_w = kernels.conv2d_backward_weight(
        x, g, weight.shape, stride, padding, dilation, groups, cols, runtime=executor
    )
    grad_w_recomputed = kernels.conv2d_backward_weight(
        x, g, weight.shape, stride, padding, dilation, groups, runtime=executor
    )
    np.testing.assert_allclose(grad_x, tx.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(grad_w, tw.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(grad_w, grad_w_recomputed)


def test_rejects_integer_input(executor):
    with pytest.raises(TypeError, match="im2col: x must have dtype"):
        kernels.im2col(
            np.zeros((1, 1, 3, 3), np.int32),
            (1, 1),
            (1, 1),
            ((0, 0), (0, 0)),
            (1, 1),
            (3, 3),
            runtime=executor,
        )
