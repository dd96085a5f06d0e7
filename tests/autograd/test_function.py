"""User-defined gk.autograd.Function subclasses, the PyTorch way."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk
from gradkit.testing import gradcheck, gradgradcheck


class ScaledProductAndSum(gk.autograd.Function):
    """(a * b * k, a + b): two outputs, one non-tensor argument."""

    @staticmethod
    def forward(ctx, a, b, k):
        ctx.save_for_backward(a, b)
        ctx.k = k
        ctx.seen_needs = ctx.needs_input_grad
        return (
            gk.Tensor._make(a.data * b.data * k, a.device),
            gk.Tensor._make(a.data + b.data, a.device),
        )

    @staticmethod
    def backward(ctx, grad_product, grad_sum):
        a, b = ctx.saved_tensors
        grad_a = grad_product * b * ctx.k + grad_sum if ctx.needs_input_grad[0] else None
        grad_b = grad_product * a * ctx.k + grad_sum if ctx.needs_input_grad[1] else None
        return grad_a, grad_b, None


class Cube(gk.autograd.Function):
    """Backward written with Tensor ops, so it is itself differentiable."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 3 * x * x


def test_forward_backward_with_two_outputs_and_a_non_tensor_arg():
    a = gk.tensor([1.0, 2.0], requires_grad=True)
    b = gk.tensor([3.0, 4.0], requires_grad=True)
    product, total = ScaledProductAndSum.apply(a, b, 2.0)
    assert product.grad_fn is total.grad_fn and isinstance(product.grad_fn, ScaledProductAndSum)
    np.testing.assert_allclose(product.detach().numpy(), [6.0, 16.0])
    (product.sum() + 10 * total.sum()).backward()
    np.testing.assert_allclose(a.grad.numpy(), [6.0 + 10, 8.0 + 10])
    np.testing.assert_allclose(b.grad.numpy(), [2.0 + 10, 4.0 + 10])


def test_unused_output_gets_a_zero_gradient():
    a = gk.tensor([1.0, 2.0], requires_grad=True)
    b = gk.tensor([3.0, 4.0], requires_grad=True)
    product, _ = ScaledProductAndSum.apply(a, b, 1.0)
    product.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [3.0, 4.0])


def test_needs_input_grad():
    a = gk.tensor([1.0], requires_grad=True)
    b = gk.tensor([3.0])
    product, _ = ScaledProductAndSum.apply(a, b, 1.0)
    assert product.grad_fn.seen_needs == (True, False, False)
    product.sum().backward()
    assert b.grad is None


def test_no_graph_when_nothing_requires_grad():
    product, total = ScaledProductAndSum.apply(gk.ones(2), gk.ones(2), 1.0)
    assert not product.requires_grad and product.grad_fn is None
    with gk.no_grad():
        product, _ = ScaledProductAndSum.apply(gk.ones(2, requires_grad=True), gk.ones(2), 1.0)
    assert not product.requires_grad


def test_custom_function_passes_gradcheck_and_gradgradcheck():
    x = gk.tensor([0.5, -1.2, 2.0], dtype=gk.float64, requires_grad=True)
    assert gradcheck(Cube.apply, (x,))
    assert gradgradcheck(Cube.apply, (x,))
    a = gk.tensor([0.5, -1.2], dtype=gk.float64, requires_grad=True)
    b = gk.tensor([1.5, 0.3], dtype=gk.float64, requires_grad=True)
    assert gradcheck(lambda p, q: ScaledProductAndSum.apply(p, q, 3.0), (a, b))


def test_saved_tensors_after_release_name_retain_graph():
    x = gk.tensor([2.0], requires_grad=True)
    y = Cube.apply(x)
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        _ = y.grad_fn.saved_tensors


def test_wrong_number_of_gradients_is_an_error():
    class TwoGrads(gk.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    with pytest.raises(RuntimeError, match="TwoGrads.*2 gradients.*expected 1"):
        TwoGrads.apply(gk.ones(1, requires_grad=True)).sum().backward()


def test_returning_a_non_tensor_gradient_is_an_error():
    class NumpyGrad(gk.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad.numpy()

    with pytest.raises(TypeError, match="NumpyGrad.*Tensors or None"):
        NumpyGrad.apply(gk.ones(1, requires_grad=True)).sum().backward()


def test_forward_returning_its_input_does_not_rewrite_history():
    class Identity(gk.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad * 5

    x = gk.tensor([1.0], requires_grad=True)
    y = Identity.apply(x)
    assert y is not x and x.is_leaf
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [5.0])
