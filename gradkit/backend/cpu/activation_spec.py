"""What an activation call may ask for: the kinds, their parameters and the argument checks.

Shared by the NumPy twin (backend/cpu/activation.py) and the CUDA launchers
(backend/cuda/activation.py), so both accept and reject exactly the same calls.
"""

from __future__ import annotations

import numpy as np

# "gelu" is the exact (erf) form, "gelu_tanh" PyTorch's gelu(approximate="tanh").
ACTIVATION_KINDS = (
    "relu",
    "leaky_relu",
    "gelu",
    "gelu_tanh",
    "silu",
    "sigmoid",
    "tanh",
    "softplus",
)
# Kinds whose backward is computed from the forward output rather than the input.
KINDS_NEEDING_OUTPUT = frozenset({"sigmoid", "tanh"})
ACTIVATION_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def check_kind(op: str, kind: str) -> None:
    if kind not in ACTIVATION_KINDS:
        raise ValueError(
            f"{op}: unknown activation kind {kind!r}; expected one of {ACTIVATION_KINDS}"
        )


def check_floating(op: str, name: str, array) -> None:
    if array.dtype not in ACTIVATION_DTYPES:
        expected = ", ".join(str(d) for d in ACTIVATION_DTYPES)
        raise TypeError(f"{op}: {name} must have dtype {expected}; got {array.dtype}")


def check_like(op: str, name: str, array, reference, reference_name: str = "x") -> None:
    """`array` must have the shape and dtype of `reference`."""
    if array.shape != reference.shape:
        raise ValueError(
            f"{op}: {name} must have the shape of {reference_name} {reference.shape}; "
            f"got {array.shape}"
        )
    if array.dtype != reference.dtype:
        raise TypeError(
            f"{op}: {name} must have the dtype of {reference_name} ({reference.dtype}); "
            f"got {array.dtype}"
        )


def check_forward_args(op: str, x, kind: str) -> None:
    check_kind(op, kind)
    check_floating(op, "x", x)


def check_backward_args(op: str, grad_out, x, out, kind: str) -> None:
    check_kind(op, kind)
    check_floating(op, "x", x)
    check_like(op, "grad_out", grad_out, x)
    if out is None:
        if kind in KINDS_NEEDING_OUTPUT:
            raise ValueError(f"{op}: the backward of {kind!r} needs out, the forward output")
    else:
        check_like(op, "out", out, x)


def check_bias_args(op: str, x, bias, kind: str) -> None:
    check_forward_args(op, x, kind)
    if x.ndim == 0:
        raise ValueError(f"{op}: x must have at least one dimension; got a scalar")
    if bias.shape != (x.shape[-1],):
        raise ValueError(
            f"{op}: bias must have shape ({x.shape[-1]},), one value per column of x "
            f"{x.shape}; got {bias.shape}"
        )
    if bias.dtype != x.dtype:
        raise TypeError(f"{op}: bias must have the dtype of x ({x.dtype}); got {bias.dtype}")
