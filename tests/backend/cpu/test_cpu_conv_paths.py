"""Every path of the NumPy convolution primitives agrees with PyTorch: both column layouts
(sample-major when C*kh*kw <= Ho*Wo, else channel-major), the input gradient as a flipped-kernel
convolution (stride 1, out/group <= in/group) or as a col2im scatter-add, with groups,
dilation, uneven padding, strides, and columns passed from the forward or recomputed."""

from __future__ import annotations

import numpy as np
import pytest

from gradkit.backend.cpu import conv

torch = pytest.importorskip("torch")

# (N, C, H, W), (O, kh, kw), stride, ((top, bottom), (left, right)), dilation, groups
CASES = [
    ((2, 3, 9, 8), (4, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1),  # sample-major, col2im (O>C)
    ((2, 8, 6, 5), (4, 3, 3), (1, 1), ((1, 1), (0, 0)), (1, 1), 1),  # channel-major, flipped
    ((2, 4, 7, 9), (4, 2, 3), (1, 1), ((0, 1), (1, 1)), (2, 1), 2),  # groups, dilation, uneven
    ((2, 6, 9, 9), (6, 3, 3), (2, 2), ((1, 1), (1, 1)), (1, 1), 3),  # strided: col2im
    ((1, 2, 12, 11), (2, 3, 3), (1, 2), ((2, 2), (0, 0)), (2, 1), 1),  # sample-major, strided
]


def _torch_reference(x, weight, bias, stride, padding, dilation, groups, grad):
    (top, bottom), (left, right) = padding
    tx = torch.tensor(np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right))))
    tx.requires_grad_(True)
    tw = torch.tensor(weight, requires_grad=True)
    ty = torch.nn.functional.conv2d(tx, tw, torch.tensor(bias), stride, 0, dilation, groups)
    ty.backward(torch.tensor(grad))
    h, w = x.shape[2:]
    grad_x = tx.grad.numpy()[:, :, top : top + h, left : left + w]
    return ty.detach().numpy(), grad_x, tw.grad.numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES)
def test_conv_primitives_match_torch(case, dtype):
    x_shape, (o, kh, kw), stride, padding, dilation, groups = case
    rng = np.random.default_rng(0)
    x = rng.standard_normal(x_shape).astype(dtype)
    weight = rng.standard_normal((o, x_shape[1] // groups, kh, kw)).astype(dtype)
    bias = rng.standard_normal(o).astype(dtype)
    y, cols = conv.conv2d_forward(x, weight, bias, stride, padding, dilation, groups)
    grad = rng.standard_normal(y.shape).astype(dtype)
    y_ref, grad_x_ref, grad_w_ref = _torch_reference(
        x, weight, bias, stride, padding, dilation, groups, grad
    )
    tol = {"rtol": 1e-4, "atol": 1e-4} if dtype == np.float32 else {"rtol": 1e-10, "atol": 1e-10}
    np.testing.assert_allclose(y, y_ref, **tol)
    grad_x = conv.conv2d_backward_input(grad, weight, x.shape, stride, padding, dilation, groups)
    np.testing.assert_allclose(grad_x, grad_x_ref, **tol)
    for columns in (cols, None):
        grad_w = conv.conv2d_backward_weight(
            x, grad, weight.shape, stride, padding, dilation, groups, cols=columns
        )
        np.testing.assert_allclose(grad_w, grad_w_ref, **tol)
        assert grad_w.dtype == dtype
    assert y.dtype == grad_x.dtype == dtype
    assert y.flags.c_contiguous and grad_x.flags.c_contiguous


def test_non_contiguous_gradient_is_accepted():
    # a broadcast gradient (the backward of a sum) has zero strides: BLAS needs real ones
    x = np.random.default_rng(1).standard_normal((2, 3, 6, 6)).astype(np.float32)
    weight = np.random.default_rng(2).standard_normal((5, 3, 3, 3)).astype(np.float32)
    padding = ((1, 1), (1, 1))
    y, cols = conv.conv2d_forward(x, weight, None, (1, 1), padding, (1, 1), 1)
    ones = np.broadcast_to(np.float32(1), y.shape)
    grad_x = conv.conv2d_backward_input(ones, weight, x.shape, (1, 1), padding, (1, 1), 1)
    grad_w = conv.conv2d_backward_weight(x, ones, weight.shape, (1, 1), padding, (1, 1), 1, cols)
    dense = np.ones(y.shape, np.float32)
    np.testing.assert_array_equal(
        grad_x, conv.conv2d_backward_input(dense, weight, x.shape, (1, 1), padding, (1, 1), 1)
    )
    np.testing.assert_array_equal(
        grad_w, conv.conv2d_backward_weight(x, dense, weight.shape, (1, 1), padding, (1, 1), 1)
    )
