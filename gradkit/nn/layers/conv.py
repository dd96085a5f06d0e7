"""Conv1d, Conv2d and ConvTranspose2d (PyTorch's shapes, options and initialisation)."""

from __future__ import annotations

from typing import Any

from ...tensor import Tensor
from ..functional._args import pair
from ..functional.conv import conv1d_impl, conv2d_impl, conv_transpose2d_impl
from ..module import Module
from ._params import empty_parameter, kaiming_default_


def _check_channels(in_channels: int, out_channels: int, groups: int, layer: str) -> None:
    if groups < 1 or in_channels % groups or out_channels % groups:
        raise ValueError(
            f"{layer}: in_channels ({in_channels}) and out_channels "
            f"({out_channels}) must be divisible by groups ({groups})"
        )


def _check_padding_mode(padding_mode: str, layer: str) -> None:
    if padding_mode != "zeros":
        raise ValueError(f"{layer}: only padding_mode='zeros' is supported, got {padding_mode!r}")


class _ConvNd(Module):
    def _init_params(self, weight_shape: tuple, bias: bool, device: Any, dtype: Any) -> None:
        self.weight = empty_parameter(weight_shape, device, dtype)
        out = self.out_channels
        self.bias = empty_parameter((out,), device, dtype) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # PyTorch computes fan_in from dim 1 of the weight for both conv and conv_transpose
        shape = tuple(self.weight.shape)
        fan_in = shape[1]
        for k in shape[2:]:
            fan_in *= k
        kaiming_default_(self.weight, self.bias, fan_in)

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding not in (0, (0, 0), (0,)):
            text += f", padding={self.padding}"
        if self.dilation not in (1, (1, 1), (1,)):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class Conv2d(_ConvNd):
    """2-D convolution over (N, C, H, W) or (C, H, W) input."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        _check_channels(in_channels, out_channels, groups, "Conv2d")
        _check_padding_mode(padding_mode, "Conv2d")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = pair(kernel_size, "kernel_size", "Conv2d", 1)
        self.stride = pair(stride, "stride", "Conv2d", 1)
        self.padding = padding if isinstance(padding, str) else pair(padding, "padding", "Conv2d")
        self.dilation = pair(dilation, "dilation", "Conv2d", 1)
        self.padding_mode = padding_mode
        if padding == "same" and self.stride != (1, 1):
            raise ValueError("Conv2d: padding='same' is not supported for strided convolutions")
        self._init_params(
            (out_channels, in_channels // groups) + self.kernel_size, bias, device, dtype
        )

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return conv2d_impl(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
            f"Conv2d({self.extra_repr()})",
        )


class Conv1d(_ConvNd):
    """1-D convolution over (N, C, L) or (C, L) input."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        _check_channels(in_channels, out_channels, groups, "Conv1d")
        _check_padding_mode(padding_mode, "Conv1d")
        one = lambda v: (v[0] if isinstance(v, (tuple, list)) else v,)  # noqa: E731
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size, self.stride = one(kernel_size), one(stride)
        self.padding = padding if isinstance(padding, str) else one(padding)
        self.dilation = one(dilation)
        self.padding_mode = padding_mode
        self._init_params(
            (out_channels, in_channels // groups) + self.kernel_size, bias, device, dtype
        )

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        padding = self.padding if isinstance(self.padding, str) else self.padding[0]
        return conv1d_impl(
            input,
            self.weight,
            self.bias,
            self.stride[0],
            padding,
            self.dilation[0],
            self.groups,
            f"Conv1d({self.extra_repr()})",
        )


class ConvTranspose2d(_ConvNd):
    """The transpose of Conv2d; weight (in_channels, out_channels/groups, kh, kw)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        layer = "ConvTranspose2d"
        _check_channels(in_channels, out_channels, groups, layer)
        _check_padding_mode(padding_mode, layer)
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = pair(kernel_size, "kernel_size", layer, 1)
        self.stride = pair(stride, "stride", layer, 1)
        self.padding = pair(padding, "padding", layer)
        self.output_padding = pair(output_padding, "output_padding", layer)
        self.dilation = pair(dilation, "dilation", layer, 1)
        self.padding_mode = padding_mode
        self._init_params(
            (in_channels, out_channels // groups) + self.kernel_size, bias, device, dtype
        )

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return conv_transpose2d_impl(
            input,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self.output_padding,
            self.groups,
            self.dilation,
            f"ConvTranspose2d({self.extra_repr()})",
        )
