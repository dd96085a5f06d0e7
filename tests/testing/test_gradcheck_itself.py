"""gradcheck must catch wrong gradients, name where they are wrong, and handle edge cases."""

import pytest

import gradkit as gk
from gradkit.testing import GradcheckError, gradcheck, gradgradcheck


class WrongSquare(gk.autograd.Function):
    """x**2 whose backward is off by a factor at one element."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        wrong = grad * 2 * x
        wrong[1] = wrong[1] * 1.5
        return wrong


def test_a_wrong_gradient_is_reported_with_its_location():
    x = gk.tensor([1.0, 2.0, 3.0], dtype=gk.float64, requires_grad=True)
    with pytest.raises(GradcheckError, match=r"input 0 .*element 1.*analytical 6.0.*numerical 4"):
        gradcheck(WrongSquare.apply, (x,))
    assert gradcheck(WrongSquare.apply, (x,), raise_exception=False) is False


def test_right_gradients_pass_first_and_second_order():
    x = gk.tensor([0.5, -1.0, 2.0], dtype=gk.float64, requires_grad=True)
    assert gradcheck(lambda t: (t.sin() * t).sum(), (x,))
    assert gradgradcheck(lambda t: t.sin() * t, (x,))


def test_float32_inputs_are_refused():
    x = gk.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="float64"):
        gradcheck(lambda t: t * 2, (x,))


def test_an_empty_input_has_an_empty_jacobian():
    x = gk.zeros(0, 3, dtype=gk.float64, requires_grad=True)
    assert gradcheck(lambda t: (t * 2).sum(axis=0), (x,))
