"""Convolutions: conv1d, conv2d and conv_transpose2d, on the im2col/col2im primitives.

Three Functions close under differentiation, so every order of derivative works:
``y = conv(x, w)``, its input gradient ``conv_input_grad(g, w)`` (which is also
conv_transpose2d) and its weight gradient ``conv_weight_grad(x, g)``. Each is bilinear and the
backward of each is made of the other two.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ...amp import autocast_state as _amp
from ...autograd.function import Function
from ...ops import reduce as _reduce
from ...ops import shape as _shape
from ...tensor import Tensor
from ._args import check_floating, check_same_dtype_device, check_tensor, pair, single


class ConvGeometry(NamedTuple):
    stride: tuple[int, int]
    padding: tuple[tuple[int, int], tuple[int, int]]  # ((top, bottom), (left, right))
    dilation: tuple[int, int]
    groups: int


class _Conv2d(Function):
    @staticmethod
    def forward(ctx, x, weight, bias, geometry):
        g = geometry
        keep = len(ctx.needs_input_grad) > 1 and ctx.needs_input_grad[1]
        y, cols = x.device.primitives.conv2d_forward(
            x.data,
            weight.data,
            None if bias is None else bias.data,
            g.stride,
            g.padding,
            g.dilation,
            g.groups,
            keep_columns=keep,
        )
        ctx.geometry = geometry
        ctx.cols = cols
        ctx.save_for_backward(x, weight)
        return Tensor._make(y, x.device)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        g = ctx.geometry
        grad_x = _ConvInputGrad.apply(grad, weight, x.shape, g) if need_x else None
        grad_w = _ConvWeightGrad.apply(x, grad, weight.shape, g, ctx.cols) if need_w else None
        grad_b = _reduce.sum(grad, axis=(0, 2, 3)) if need_b else None
        return grad_x, grad_w, grad_b, None

    @staticmethod
    def jvp(ctx, tangent_x, tangent_w, tangent_b, _geometry):
        # bilinear in (x, w): conv of each tangent with the other operand, plus the bias's
        x, weight = ctx.saved_tensors
        g = ctx.geometry
        terms = []
        if tangent_x is not None:
            terms.append(_Conv2d.apply(tangent_x, weight, None, g))
        if tangent_w is not None:
            terms.append(_Conv2d.apply(x, tangent_w, None, g))
        if tangent_b is not None:
            terms.append(_shape.reshape(tangent_b, (1, -1, 1, 1)))
        return _sum_present(terms)


class _ConvInputGrad(Function):
    """The transpose of x -> conv(x, w) applied to g: conv2d's input gradient and
    conv_transpose2d's forward."""

    @staticmethod
    def forward(ctx, grad, weight, x_shape, geometry):
        g = geometry
        out = grad.device.primitives.conv2d_backward_input(
            grad.data, weight.data, tuple(x_shape), g.stride, g.padding, g.dilation, g.groups
        )
        ctx.geometry = geometry
        ctx.x_shape = tuple(x_shape)
        ctx.save_for_backward(grad, weight)
        return Tensor._make(out, grad.device)

    @staticmethod
    def backward(ctx, grad_grad):
        grad, weight = ctx.saved_tensors
        need_g, need_w = ctx.needs_input_grad[:2]
        g = ctx.geometry
        d_grad = _fit(_Conv2d.apply(grad_grad, weight, None, g), grad.shape) if need_g else None
        d_weight = _ConvWeightGrad.apply(grad_grad, grad, weight.shape, g, None) if need_w else None
        return d_grad, d_weight, None, None

    @staticmethod
    def jvp(ctx, tangent_g, tangent_w, _x_shape, _geometry):
        grad, weight = ctx.saved_tensors
        g = ctx.geometry
        terms = []
        if tangent_g is not None:
            terms.append(_ConvInputGrad.apply(tangent_g, weight, ctx.x_shape, g))
        if tangent_w is not None:
            terms.append(_ConvInputGrad.apply(grad, tangent_w, ctx.x_shape, g))
        return _sum_present(terms)


class _ConvWeightGrad(Function):
    """d<g, conv(x, w)>/dw as a function of (x, g)."""

    @staticmethod
    def forward(ctx, x, grad, weight_shape, geometry, cols):
        g = geometry
        out = x.device.primitives.conv2d_backward_weight(
            x.data,
            grad.data,
            tuple(weight_shape),
            g.stride,
            g.padding,
            g.dilation,
            g.groups,
            cols=cols,
        )
        ctx.geometry = geometry
        ctx.weight_shape = tuple(weight_shape)
        ctx.save_for_backward(x, grad)
        return Tensor._make(out, x.device)

    @staticmethod
    def backward(ctx, grad_weight):
        x, grad = ctx.saved_tensors
        need_x, need_g = ctx.needs_input_grad[:2]
        g = ctx.geometry
        d_x = _ConvInputGrad.apply(grad, grad_weight, x.shape, g) if need_x else None
        d_grad = _fit(_Conv2d.apply(x, grad_weight, None, g), grad.shape) if need_g else None
        return d_x, d_grad, None, None, None

    @staticmethod
    def jvp(ctx, tangent_x, tangent_g, _weight_shape, _geometry, _cols):
        x, grad = ctx.saved_tensors
        g = ctx.geometry
        terms = []
        if tangent_x is not None:
            terms.append(_ConvWeightGrad.apply(tangent_x, grad, ctx.weight_shape, g, None))
        if tangent_g is not None:
            terms.append(_ConvWeightGrad.apply(x, tangent_g, ctx.weight_shape, g, None))
        return _sum_present(terms)


def _sum_present(terms: list) -> Any:
    """The sum of a product rule's terms (None when no input had a tangent)."""
    if not terms:
        return None
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _fit(y: Tensor, shape: tuple) -> Tensor:
    """Crop a convolution's output to ``shape``: with conv_transpose's output_padding (when
    dilation > stride) the rows it added produce extra outputs that the gradient never saw."""
    if tuple(y.shape) == tuple(shape):
        return y
    return y[:, :, : shape[2], : shape[3]]


# ---- argument handling ---------------------------------------------------------------------
def _conv_padding(
    padding: Any,
    kernel: tuple[int, int],
    stride: tuple[int, int],
    dilation: tuple[int, int],
    op: str,
) -> tuple[tuple[int, int], tuple[int, int]]:
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0), (0, 0))
        if padding == "same":
            if stride != (1, 1):
                raise ValueError(
                    f"{op}: padding='same' is not supported for strided "
                    f"convolutions, got stride={stride}"
                )
            sides = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)
                sides.append((total // 2, total - total // 2))  # the extra one goes last
            return tuple(sides)
        raise ValueError(
            f"{op}: expected padding to be 'same', 'valid', an int or a pair, got {padding!r}"
        )
    ph, pw = pair(padding, "padding", op)
    return ((ph, ph), (pw, pw))


def _check_conv_input(x: Tensor, weight: Tensor, bias: Any, groups: int, op: str) -> None:
    check_floating(x, "input", op)
    check_same_dtype_device(op, input=x, weight=weight, bias=bias)
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"{op}: expected groups to be a positive int, got {groups!r}")
    out_channels = weight.shape[0]
    if out_channels % groups:
        raise ValueError(
            f"{op}: out_channels ({out_channels}) must be divisible by groups ({groups})"
        )
    expected = weight.shape[1] * groups
    if x.shape[1] != expected:
        raise ValueError(
            f"{op}: expected input with {expected} channels (weight of shape "
            f"{tuple(weight.shape)}, groups={groups}), got {x.shape[1]} channels in input of "
            f"shape {tuple(x.shape)}"
        )
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise ValueError(
            f"{op}: expected a bias of shape ({out_channels},), got {tuple(bias.shape)}"
        )


def _check_kernel_fits(
    x_hw: tuple, kernel: tuple, padding: tuple, dilation: tuple, op: str
) -> None:
    for axis in (0, 1):
        padded = x_hw[axis] + padding[axis][0] + padding[axis][1]
        span = dilation[axis] * (kernel[axis] - 1) + 1
        if span > padded:
            raise ValueError(
                f"{op}: the (dilated) kernel size {kernel[0]}x{kernel[1]} (span "
                f"{span} along spatial axis {axis}) is larger than the padded input "
                f"({padded} = {x_hw[axis]} + padding {padding[axis][0]}+{padding[axis][1]})"
            )


def _batched_2d_operands(
    x: Tensor, weight: Tensor, bias: Tensor | None, amp_name: str, weight_layout: str, op: str
) -> tuple[Tensor, Tensor, Tensor | None, bool]:
    """Autocast, check a 4-D weight and a (C, H, W) or (N, C, H, W) input, and add the batch
    dim to an unbatched input (the last item says whether it was added)."""
    if _amp.active:
        x, weight, bias = _amp.cast_inputs(amp_name, x, weight, bias)
    check_tensor(x, "input", op)
    check_tensor(weight, "weight", op)
    if weight.ndim != 4:
        raise ValueError(
            f"{op}: expected a 4-D weight {weight_layout}, got shape {tuple(weight.shape)}"
        )
    if x.ndim not in (3, 4):
        raise ValueError(
            f"{op}: expected 3-D (C, H, W) or 4-D (N, C, H, W) input, got "
            f"input of shape {tuple(x.shape)}"
        )
    unbatched = x.ndim == 3
    if unbatched:
        x = _shape.reshape(x, (1,) + tuple(x.shape))
    return x, weight, bias, unbatched


def conv2d_impl(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: int,
    op: str,
) -> Tensor:
    """conv2d with error messages naming ``op`` (the functional or the layer)."""
    x, weight, bias, unbatched = _batched_2d_operands(
        x, weight, bias, "conv2d", "(out, in/groups, kh, kw)", op
    )
    _check_conv_input(x, weight, bias, groups, op)
    kernel = tuple(weight.shape[2:])
    stride = pair(stride, "stride", op, 1)
    dilation = pair(dilation, "dilation", op, 1)
    pads = _conv_padding(padding, kernel, stride, dilation, op)
    _check_kernel_fits(tuple(x.shape[2:]), kernel, pads, dilation, op)
    y = _Conv2d.apply(x, weight, bias, ConvGeometry(stride, pads, dilation, groups))
    return _shape.reshape(y, tuple(y.shape[1:])) if unbatched else y


def conv2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,  # noqa: A002
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """2-D convolution (cross-correlation, like PyTorch) of (N, C, H, W) or (C, H, W) input
    with weight (out, C/groups, kh, kw); padding is an int, a pair, 'same' or 'valid'."""
    return conv2d_impl(input, weight, bias, stride, padding, dilation, groups, "conv2d")


def conv1d_impl(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: int,
    op: str,
) -> Tensor:
    check_tensor(x, "input", op)
    check_tensor(weight, "weight", op)
    if weight.ndim != 3:
        raise ValueError(
            f"{op}: expected a 3-D weight (out, in/groups, k), got shape {tuple(weight.shape)}"
        )
    if x.ndim not in (2, 3):
        raise ValueError(
            f"{op}: expected 2-D (C, L) or 3-D (N, C, L) input, got input of shape {tuple(x.shape)}"
        )
    stride = single(stride, "stride", op, 1)
    dilation = single(dilation, "dilation", op, 1)
    if not isinstance(padding, str):
        padding = (0, single(padding, "padding", op))
    # a length-L signal is a 1 x L image
    x2 = _shape.reshape(x, tuple(x.shape[:-1]) + (1, x.shape[-1]))
    w2 = _shape.reshape(weight, tuple(weight.shape[:2]) + (1, weight.shape[2]))
    y = conv2d_impl(x2, w2, bias, (1, stride), padding, (1, dilation), groups, op)
    return _shape.reshape(y, tuple(y.shape[:-2]) + (y.shape[-1],))


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,  # noqa: A002
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """1-D convolution of (N, C, L) or (C, L) input with weight (out, C/groups, k)."""
    return conv1d_impl(input, weight, bias, stride, padding, dilation, groups, "conv1d")


def conv_transpose2d_impl(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None,
    stride: Any,
    padding: Any,
    output_padding: Any,
    groups: int,
    dilation: Any,
    op: str,
) -> Tensor:
    x, weight, bias, unbatched = _batched_2d_operands(
        x, weight, bias, "conv_transpose2d", "(in, out/groups, kh, kw)", op
    )
    check_floating(x, "input", op)
    check_same_dtype_device(op, input=x, weight=weight, bias=bias)
    if not isinstance(groups, int) or groups < 1:
        raise ValueError(f"{op}: expected groups to be a positive int, got {groups!r}")
    in_channels = weight.shape[0]
    if x.shape[1] != in_channels or in_channels % groups:
        raise ValueError(
            f"{op}: expected input with {in_channels} channels (weight of shape "
            f"{tuple(weight.shape)}, groups={groups}), got {x.shape[1]} channels in input of "
            f"shape {tuple(x.shape)}"
        )
    out_channels = weight.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise ValueError(
            f"{op}: expected a bias of shape ({out_channels},), got {tuple(bias.shape)}"
        )
    stride = pair(stride, "stride", op, 1)
    dilation = pair(dilation, "dilation", op, 1)
    pad = pair(padding, "padding", op)
    out_pad = pair(output_padding, "output_padding", op)
    kernel = tuple(weight.shape[2:])
    out_hw = []
    for a in (0, 1):
        if out_pad[a] >= max(stride[a], dilation[a]):
            raise ValueError(
                f"{op}: output_padding ({out_pad[a]}) must be smaller than either "
                f"stride ({stride[a]}) or dilation ({dilation[a]})"
            )
        size = (
            (x.shape[2 + a] - 1) * stride[a]
            - 2 * pad[a]
            + dilation[a] * (kernel[a] - 1)
            + out_pad[a]
            + 1
        )
        if size <= 0:
            raise ValueError(
                f"{op}: the output would be empty (size {size} along spatial "
                f"axis {a}) for input of shape {tuple(x.shape)}"
            )
        out_hw.append(size)
    geometry = ConvGeometry(stride, ((pad[0], pad[0]), (pad[1], pad[1])), dilation, groups)
    y = _ConvInputGrad.apply(x, weight, (x.shape[0], out_channels, *out_hw), geometry)
    if bias is not None:
        y = y + _shape.reshape(bias, (1, out_channels, 1, 1))
    return _shape.reshape(y, tuple(y.shape[1:])) if unbatched else y


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,  # noqa: A002
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """The transpose (gradient) of conv2d: weight (in, out/groups, kh, kw)."""
    return conv_transpose2d_impl(
        input, weight, bias, stride, padding, output_padding, groups, dilation, "conv_transpose2d"
    )
