"""Normalisation over a set of axes in NumPy (batch, layer and group norm all reduce to it):
the CPU path and the reference for the CUDA kernels.

float16 inputs are normalised in float32 and rounded once; statistics come back in the
computing dtype with the reduced axes kept, so they broadcast against x.
"""

from __future__ import annotations

import numpy as np


def _computing(x: np.ndarray) -> np.ndarray:
    return x.astype(np.float32) if x.dtype == np.float16 else x


def normalize_forward(
    x: np.ndarray, axes: tuple[int, ...], eps: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(xhat, mean, biased var, invstd): xhat = (x - mean) / sqrt(var + eps) over ``axes``."""
    xc = _computing(x)
    mean = xc.mean(axis=axes, keepdims=True)
    centered = xc - mean
    var = np.mean(np.square(centered), axis=axes, keepdims=True)
    invstd = 1 / np.sqrt(var + xc.dtype.type(eps))
    centered *= invstd
    return centered.astype(x.dtype, copy=False), mean, var, invstd


def normalize_backward(
    grad_xhat: np.ndarray, xhat: np.ndarray, invstd: np.ndarray, axes: tuple[int, ...]
) -> np.ndarray:
    """d(loss)/dx from d(loss)/dxhat: invstd * (g - mean(g) - xhat * mean(g * xhat))."""
    g = _computing(grad_xhat)
    xh = _computing(xhat)
    mean_g = g.mean(axis=axes, keepdims=True)
    mean_gx = np.mean(g * xh, axis=axes, keepdims=True)
    out = (g - mean_g - xh * mean_gx) * invstd
    return out.astype(grad_xhat.dtype, copy=False)


def affine_forward(
    xhat: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None
) -> np.ndarray:
    """xhat * weight + bias, with weight/bias shaped to broadcast against xhat."""
    out = xhat * weight if weight is not None else xhat.copy()
    if bias is not None:
        out += bias
    return out


def reduce_to(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` down to a broadcastable ``shape`` of the same rank (a parameter's grad)."""
    axes = tuple(a for a, n in enumerate(shape) if n == 1 and grad.shape[a] != 1)
    return grad.sum(axis=axes, keepdims=True) if axes else grad
