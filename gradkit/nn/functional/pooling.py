"""Pooling: max_pool2d, avg_pool2d (and their 1-d forms), adaptive_avg_pool2d.

Each pooling is one Function on a backend primitive. Pooling is linear in its input once the
maxima are located, so the backward of each Function is its adjoint, another Function whose
backward is the original one: derivatives of any order work.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ...autograd.function import Function
from ...ops import shape as _shape
from ...tensor import Tensor
from ._args import check_floating, check_tensor, pair


class PoolGeometry(NamedTuple):
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    ceil_mode: bool


class _MaxPool2d(Function):
    @staticmethod
    def forward(ctx, x, geometry):
        g = geometry
        y, offsets = x.device.primitives.max_pool2d_forward(
            x.data, g.kernel, g.stride, g.padding, g.dilation, g.ceil_mode
        )
        ctx.geometry, ctx.offsets, ctx.x_shape = geometry, offsets, x.shape
        return Tensor._make(y, x.device)

    @staticmethod
    def backward(ctx, grad):
        return _MaxPoolScatter.apply(grad, ctx.offsets, ctx.x_shape, ctx.geometry), None

    @staticmethod
    def jvp(ctx, tangent, _geometry):
        return _MaxPoolGather.apply(tangent, ctx.offsets, ctx.geometry)  # tangent at the max


class _MaxPoolScatter(Function):
    """Gradient of max pooling: each output's gradient goes to where its maximum was."""

    @staticmethod
    def forward(ctx, grad, offsets, x_shape, geometry):
        g = geometry
        out = grad.device.primitives.max_pool2d_backward(
            grad.data, offsets, x_shape, g.kernel, g.stride, g.padding, g.dilation, g.ceil_mode
        )
        ctx.geometry, ctx.offsets, ctx.x_shape = geometry, offsets, x_shape
        return Tensor._make(out, grad.device)

    @staticmethod
    def backward(ctx, grad_grad):
        return _MaxPoolGather.apply(grad_grad, ctx.offsets, ctx.geometry), None, None, None

    @staticmethod
    def jvp(ctx, tangent, _offsets, _x_shape, _geometry):
        return _MaxPoolScatter.apply(tangent, ctx.offsets, ctx.x_shape, ctx.geometry)  # linear


class _MaxPoolGather(Function):
    """The adjoint of _MaxPoolScatter: read each window's maximum position."""

    @staticmethod
    def forward(ctx, values, offsets, geometry):
        g = geometry
        out = values.device.primitives.max_pool2d_gather(
            values.data, offsets, g.kernel, g.stride, g.padding, g.dilation, g.ceil_mode
        )
        ctx.geometry, ctx.offsets, ctx.shape = geometry, offsets, values.shape
        return Tensor._make(out, values.device)

    @staticmethod
    def backward(ctx, grad):
        return _MaxPoolScatter.apply(grad, ctx.offsets, ctx.shape, ctx.geometry), None, None

    @staticmethod
    def jvp(ctx, tangent, _offsets, _geometry):
        return _MaxPoolGather.apply(tangent, ctx.offsets, ctx.geometry)  # linear


class AvgGeometry(NamedTuple):
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    ceil_mode: bool
    count_include_pad: bool
    divisor_override: int | None


class _AvgPool2d(Function):
    @staticmethod
    def forward(ctx, x, geometry):
        g = geometry
        y = x.device.primitives.avg_pool2d_forward(
            x.data,
            g.kernel,
            g.stride,
            g.padding,
            g.ceil_mode,
            g.count_include_pad,
            g.divisor_override,
        )
        ctx.geometry, ctx.x_shape = geometry, x.shape
        return Tensor._make(y, x.device)

    @staticmethod
    def backward(ctx, grad):
        return _AvgPoolTranspose.apply(grad, ctx.x_shape, ctx.geometry), None

    @staticmethod
    def jvp(ctx, tangent, _geometry):
        return _AvgPool2d.apply(tangent, ctx.geometry)  # linear


class _AvgPoolTranspose(Function):
    @staticmethod
    def forward(ctx, grad, x_shape, geometry):
        g = geometry
        out = grad.device.primitives.avg_pool2d_backward(
            grad.data,
            x_shape,
            g.kernel,
            g.stride,
            g.padding,
            g.ceil_mode,
            g.count_include_pad,
            g.divisor_override,
        )
        ctx.geometry, ctx.x_shape = geometry, x_shape
        return Tensor._make(out, grad.device)

    @staticmethod
    def backward(ctx, grad_grad):
        return _AvgPool2d.apply(grad_grad, ctx.geometry), None, None

    @staticmethod
    def jvp(ctx, tangent, _x_shape, _geometry):
        return _AvgPoolTranspose.apply(tangent, ctx.x_shape, ctx.geometry)  # linear


class _SeparableLinear(Function):
    """rows @ x @ cols^T over the last two axes; its adjoint is the same with the matrices
    transposed (adaptive average pooling and its gradient)."""

    @staticmethod
    def forward(ctx, x, rows, cols):
        ctx.rows, ctx.cols = rows, cols
        return Tensor._make(x.device.primitives.separable_apply(x.data, rows, cols), x.device)

    @staticmethod
    def backward(ctx, grad):
        return _SeparableLinear.apply(grad, ctx.rows.T, ctx.cols.T), None, None

    @staticmethod
    def jvp(ctx, tangent, _rows, _cols):
        return _SeparableLinear.apply(tangent, ctx.rows, ctx.cols)  # linear


# ---- argument handling ---------------------------------------------------------------------
def _pool_input(x: Any, op: str) -> tuple[Tensor, bool]:
    check_tensor(x, "input", op)
    check_floating(x, "input", op)
    if x.ndim not in (3, 4):
        raise ValueError(
            f"{op}: expected 3-D (C, H, W) or 4-D (N, C, H, W) input, got input "
            f"of shape {tuple(x.shape)}"
        )
    return x, x.ndim == 3


def _check_padding(kernel: tuple, padding: tuple, op: str) -> None:
    for k, p in zip(kernel, padding):
        if p > k // 2:
            raise ValueError(
                f"{op}: padding should be at most half of the kernel size, got "
                f"padding={padding} for kernel_size={kernel}"
            )


def _check_output(x: Tensor, out_hw: tuple, op: str) -> None:
    if min(out_hw) < 1:
        raise ValueError(
            f"{op}: the kernel is larger than the padded input: input of shape "
            f"{tuple(x.shape)} gives an output of size {out_hw}"
        )


def max_pool2d_impl(
    x: Tensor,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    ceil_mode: bool,
    return_indices: bool,
    op: str,
) -> Any:
    x, _ = _pool_input(x, op)
    kernel = pair(kernel_size, "kernel_size", op, 1)
    stride = kernel if stride is None or stride == [] else pair(stride, "stride", op, 1)
    padding = pair(padding, "padding", op)
    dilation = pair(dilation, "dilation", op, 1)
    _check_padding(kernel, padding, op)
    prims = x.device.primitives
    out_hw = tuple(
        prims.pool_output_size(
            x.shape[-2 + a], kernel[a], stride[a], padding[a], dilation[a], bool(ceil_mode)
        )
        for a in (0, 1)
    )
    _check_output(x, out_hw, op)
    geometry = PoolGeometry(kernel, stride, padding, dilation, bool(ceil_mode))
    y = _MaxPool2d.apply(x, geometry)
    if not return_indices:
        return y
    offsets = (
        y.grad_fn.offsets
        if y.grad_fn is not None
        else prims.max_pool2d_forward(x.data, kernel, stride, padding, dilation, bool(ceil_mode))[1]
    )
    flat = prims.max_pool2d_flat_indices(
        offsets, tuple(x.shape[-2:]), kernel, stride, padding, dilation
    )
    return y, Tensor._make(flat, x.device)


def max_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,  # noqa: A002
    dilation: Any = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Any:
    """Max over kh x kw windows of (N, C, H, W) or (C, H, W) input (stride defaults to the
    kernel size; padding counts as -inf)."""
    return max_pool2d_impl(
        input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, "max_pool2d"
    )


def avg_pool2d_impl(
    x: Tensor,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: Any,
    op: str,
) -> Tensor:
    x, _ = _pool_input(x, op)
    kernel = pair(kernel_size, "kernel_size", op, 1)
    stride = kernel if stride is None or stride == [] else pair(stride, "stride", op, 1)
    padding = pair(padding, "padding", op)
    _check_padding(kernel, padding, op)
    if divisor_override is not None and (
        not isinstance(divisor_override, int) or divisor_override <= 0
    ):
        raise ValueError(f"{op}: divisor_override must be a positive int, got {divisor_override!r}")
    prims = x.device.primitives
    out_hw = tuple(
        prims.pool_output_size(
            x.shape[-2 + a], kernel[a], stride[a], padding[a], 1, bool(ceil_mode)
        )
        for a in (0, 1)
    )
    _check_output(x, out_hw, op)
    geometry = AvgGeometry(
        kernel, stride, padding, bool(ceil_mode), bool(count_include_pad), divisor_override
    )
    return _AvgPool2d.apply(x, geometry)


def avg_pool2d(
    input: Tensor,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,  # noqa: A002
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over kh x kw windows of (N, C, H, W) or (C, H, W) input."""
    return avg_pool2d_impl(
        input,
        kernel_size,
        stride,
        padding,
        ceil_mode,
        count_include_pad,
        divisor_override,
        "avg_pool2d",
    )


def _to_2d(x: Tensor, op: str) -> Tensor:
    check_tensor(x, "input", op)
    if x.ndim not in (2, 3):
        raise ValueError(
            f"{op}: expected 2-D (C, L) or 3-D (N, C, L) input, got input of shape {tuple(x.shape)}"
        )
    return _shape.reshape(x, tuple(x.shape[:-1]) + (1, x.shape[-1]))


def _from_2d(y: Tensor) -> Tensor:
    return _shape.reshape(y, tuple(y.shape[:-2]) + (y.shape[-1],))


def max_pool1d(
    input: Tensor,
    kernel_size: int,
    stride: Any = None,
    padding: int = 0,  # noqa: A002
    dilation: int = 1,
    ceil_mode: bool = False,
) -> Tensor:
    """Max over windows of (N, C, L) or (C, L) input."""
    x = _to_2d(input, "max_pool1d")
    stride = kernel_size if stride is None else stride
    y = max_pool2d_impl(
        x,
        (1, kernel_size),
        (1, stride),
        (0, padding),
        (1, dilation),
        ceil_mode,
        False,
        "max_pool1d",
    )
    return _from_2d(y)


def avg_pool1d(
    input: Tensor,
    kernel_size: int,
    stride: Any = None,
    padding: int = 0,  # noqa: A002
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """Mean over windows of (N, C, L) or (C, L) input."""
    x = _to_2d(input, "avg_pool1d")
    stride = kernel_size if stride is None else stride
    y = avg_pool2d_impl(
        x,
        (1, kernel_size),
        (1, stride),
        (0, padding),
        ceil_mode,
        count_include_pad,
        None,
        "avg_pool1d",
    )
    return _from_2d(y)


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:  # noqa: A002
    """Average pooling to a fixed (out_h, out_w); None in output_size keeps that axis."""
    op = "adaptive_avg_pool2d"
    x, _ = _pool_input(input, op)
    if isinstance(output_size, int):
        output_size = (output_size, output_size)
    if not isinstance(output_size, (tuple, list)) or len(output_size) != 2:
        raise TypeError(f"{op}: expected output_size to be an int or a pair, got {output_size!r}")
    h, w = x.shape[-2:]
    oh = h if output_size[0] is None else int(output_size[0])
    ow = w if output_size[1] is None else int(output_size[1])
    if oh < 1 or ow < 1:
        raise ValueError(f"{op}: expected a positive output_size, got {output_size!r}")
    prims = x.device.primitives
    rows = x.device.xp.asarray(prims.adaptive_pool_matrix(h, oh, x.dtype))
    cols = x.device.xp.asarray(prims.adaptive_pool_matrix(w, ow, x.dtype))
    return _SeparableLinear.apply(x, rows, cols)
