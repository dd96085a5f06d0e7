"""Launchers for kernels/activation.cu; same signatures and semantics as
gradkit.backend.cpu.activation, plus `runtime` (default: the CuPy runtime)."""

from __future__ import annotations

import numpy as np

from gradkit.backend.cpu.activation_spec import (
    ACTIVATION_DTYPES,
    ACTIVATION_KINDS,
    check_backward_args,
    check_bias_args,
    check_forward_args,
)
from gradkit.backend.cuda.kernel_args import c_contiguous, resolve_runtime
from gradkit.backend.cuda.launch import KernelRuntime, elementwise_geometry, launch

KERNEL_FILE = "activation.cu"
FUNCTIONS = ("activation_forward", "activation_backward", "bias_activation_forward")

_KIND_ENUMERATORS = {  # kind -> the ActivationKind enumerator in activation.cu
    "relu": "ActivationKind::Relu",
    "leaky_relu": "ActivationKind::LeakyRelu",
    "gelu": "ActivationKind::GeluErf",
    "gelu_tanh": "ActivationKind::GeluTanh",
    "silu": "ActivationKind::Silu",
    "sigmoid": "ActivationKind::Sigmoid",
    "tanh": "ActivationKind::Tanh",
    "softplus": "ActivationKind::Softplus",
}
_C_TYPES = {
    np.dtype(np.float16): "__half",
    np.dtype(np.float32): "float",
    np.dtype(np.float64): "double",
}


def kernel_name(function: str, dtype, kind: str) -> str:
    """The name expression, e.g. "activation_forward<float, ActivationKind::Relu>"."""
    return f"{function}<{_C_TYPES[np.dtype(dtype)]}, {_KIND_ENUMERATORS[kind]}>"


NAME_EXPRESSIONS = tuple(
    kernel_name(function, dtype, kind)
    for function in FUNCTIONS
    for dtype in ACTIVATION_DTYPES
    for kind in ACTIVATION_KINDS
)


def activation_forward(
    x,
    kind: str,
    *,
    negative_slope: float = 0.01,
    beta: float = 1.0,
    threshold: float = 20.0,
    runtime: KernelRuntime | None = None,
):
    check_forward_args("activation_forward", x, kind)
    runtime = resolve_runtime(runtime)
    x = c_contiguous(runtime, x)
    out = runtime.xp.empty_like(x)
    if x.size:
        launch(
            runtime,
            KERNEL_FILE,
            kernel_name("activation_forward", x.dtype, kind),
            *elementwise_geometry(runtime, x.size),
            (x, out, np.int64(x.size), *_kernel_params(kind, negative_slope, beta, threshold)),
        )
    return out


def activation_backward(
    grad_out,
    x,
    out,
    kind: str,
    *,
    negative_slope: float = 0.01,
    beta: float = 1.0,
    threshold: float = 20.0,
    runtime: KernelRuntime | None = None,
):
    check_backward_args("activation_backward", grad_out, x, out, kind)
    runtime = resolve_runtime(runtime)
    grad_out, x = c_contiguous(runtime, grad_out), c_contiguous(runtime, x)
    # Kinds that do not read `out` still need a valid pointer in its place.
    out = x if out is None else c_contiguous(runtime, out)
    grad_in = runtime.xp.empty_like(x)
    if x.size:
        launch(
            runtime,
            KERNEL_FILE,
            kernel_name("activation_backward", x.dtype, kind),
            *elementwise_geometry(runtime, x.size),
            (
                grad_out,
                x,
                out,
                grad_in,
                np.int64(x.size),
                *_kernel_params(kind, negative_slope, beta, threshold),
            ),
        )
    return grad_in


def bias_activation_forward(
    x,
    bias,
    kind: str,
    *,
    negative_slope: float = 0.01,
    beta: float = 1.0,
    threshold: float = 20.0,
    runtime: KernelRuntime | None = None,
):
    check_bias_args("bias_activation_forward", x, bias, kind)
    runtime = resolve_runtime(runtime)
    x, bias = c_contiguous(runtime, x), c_contiguous(runtime, bias)
    out = runtime.xp.empty_like(x)
    if x.size:
        cols = x.shape[-1]
        launch(
            runtime,
            KERNEL_FILE,
            kernel_name("bias_activation_forward", x.dtype, kind),
            *elementwise_geometry(runtime, x.size),
            (
                x,
                bias,
                out,
                np.int64(x.size // cols),
                np.int64(cols),
                *_kernel_params(kind, negative_slope, beta, threshold),
            ),
        )
    return out


def _kernel_params(
    kind: str, negative_slope: float, beta: float, threshold: float
) -> tuple[np.float64, np.float64]:
    """(param0, param1) as activation.cu's ActivationKind documents them."""
    if kind == "leaky_relu":
        return np.float64(negative_slope), np.float64(0.0)
    if kind == "softplus":
        return np.float64(beta), np.float64(threshold)
    return np.float64(0.0), np.float64(0.0)
