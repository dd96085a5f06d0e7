"""dropout and dropout2d on the counter-based mask primitive.

Each call draws a 64-bit key from the CPU generator (so ``gk.manual_seed`` fixes every mask,
on every device) and asks the backend for the mask of (key, offset 0): the CPU primitive and
the CUDA kernel compute the same Philox function of (key, offset, element index).
"""

from __future__ import annotations

from ...autograd.function import Function
from ...backend.device import cpu
from ...random import generator_for
from ...tensor import Tensor
from ._args import check_floating, check_tensor


class _Dropout(Function):
    @staticmethod
    def forward(ctx, x, mask, p):
        prims = x.device.primitives
        y = prims.dropout_forward(x.data, mask, p)
        ctx.multiplier = prims.dropout_forward(x.device.xp.ones((), dtype=x.dtype), mask, p)
        return Tensor._make(y, x.device)

    @staticmethod
    def backward(ctx, grad):
        return grad * Tensor._make(ctx.multiplier, grad.device), None, None

    @staticmethod
    def jvp(ctx, tangent, _mask, _p):
        return _Dropout.backward(ctx, tangent)[0]  # the same mask and scale: a diagonal map


def _check(x: Tensor, p: float, op: str) -> None:
    check_tensor(x, "input", op)
    check_floating(x, "input", op)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op}: expected a probability p in [0, 1], got {p}")


def next_dropout_seed() -> int:
    """A fresh 64-bit key for the mask RNG, drawn from the (seeded) CPU generator."""
    return int(generator_for(cpu).integers(0, 2**63 - 1, dtype="int64"))


def _apply(x: Tensor, p: float, mask_shape: tuple) -> Tensor:
    if p == 1.0:
        return x * 0.0
    mask = x.device.primitives.dropout_mask(mask_shape, p, next_dropout_seed(), 0)
    return _Dropout.apply(x, mask, float(p))


def dropout(
    input: Tensor,
    p: float = 0.5,
    training: bool = True,  # noqa: A002
    inplace: bool = False,
) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (training only).
    ``inplace`` is accepted for PyTorch compatibility; the result is always a new tensor."""
    _check(input, p, "dropout")
    if not training or p == 0.0:
        return input
    return _apply(input, p, tuple(input.shape))


def dropout2d(
    input: Tensor,
    p: float = 0.5,
    training: bool = True,  # noqa: A002
    inplace: bool = False,
) -> Tensor:
    """Zero whole channels of (N, C, H, W) or (C, H, W) input with probability p."""
    op = "dropout2d"
    _check(input, p, op)
    if input.ndim not in (3, 4):
        raise ValueError(
            f"{op}: expected 3-D (C, H, W) or 4-D (N, C, H, W) input, got input "
            f"of shape {tuple(input.shape)}"
        )
    if not training or p == 0.0:
        return input
    spatial = input.ndim - 2 if input.ndim == 4 else 2
    channels = tuple(input.shape[: input.ndim - spatial])
    return _apply(input, p, channels + (1,) * spatial)
