"""Changing dtype or device, and copying: differentiable between floating point types."""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..backend.device import Device
from ..tensor import Tensor, _to_device_array


class Cast(Function):
    @staticmethod
    def forward(ctx, x, dtype):
        ctx.in_dtype = x.data.dtype
        return Tensor._make(x.data.astype(dtype), x.device)

    @staticmethod
    def backward(ctx, grad):
        return grad.to(ctx.in_dtype), None

    @staticmethod
    def jvp(ctx, tangent, _dtype):
        return tangent  # Function.apply casts a tangent to its output's dtype


class ToDevice(Function):
    @staticmethod
    def forward(ctx, x, device):
        ctx.in_device = x.device
        ctx.out_device = device
        return Tensor._make(_to_device_array(x.data, device), device)

    @staticmethod
    def backward(ctx, grad):
        return grad.to(ctx.in_device), None

    @staticmethod
    def jvp(ctx, tangent, _device):
        return tangent.to(ctx.out_device)


class Clone(Function):
    @staticmethod
    def forward(ctx, x):
        return Tensor._make(x.data.copy(), x.device)

    @staticmethod
    def backward(ctx, grad):
        return grad

    @staticmethod
    def jvp(ctx, tangent):
        return clone(tangent)


def cast(x: Tensor, dtype: np.dtype) -> Tensor:
    if x.data.dtype == dtype:
        return x
    if dtype.kind != "f" or x.data.dtype.kind != "f":
        # to or from integers/bool the value is piecewise constant: no gradient flows
        return Tensor._make(x.data.astype(dtype), x.device)
    return Cast.apply(x, dtype)


def to_device(x: Tensor, device: Device) -> Tensor:
    if x.device is device:
        return x
    return ToDevice.apply(x, device)


def clone(x: Tensor) -> Tensor:
    return Clone.apply(x)


def contiguous(x: Tensor) -> Tensor:
    data = x.data
    if data.flags.c_contiguous:
        return x
    return Clone.apply(x)
