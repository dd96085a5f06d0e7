"""Finite-difference checks of gradients (first and second order), in float64."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..autograd.api import grad as autograd_grad
from ..autograd.grad_mode import enable_grad, no_grad
from ..tensor import Tensor


class GradcheckError(AssertionError):
    """The analytic and the numerical gradient disagree."""


def _as_tuple(value: Any) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _differentiable(inputs: tuple) -> list[int]:
    return [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]


def _outputs(fn: Callable, inputs: tuple) -> tuple:
    outs = _as_tuple(fn(*inputs))
    return tuple(o for o in outs if isinstance(o, Tensor) and o.dtype.kind == "f")


def _numerical_jacobian(fn: Callable, inputs: tuple, index: int, eps: float) -> list[np.ndarray]:
    """d(each output)/d(inputs[index]) by central differences: one column per input element."""
    x = inputs[index]
    host = np.array(x.data if x.device.type == "cpu" else x.data.get(), dtype=np.float64)
    flat = host.reshape(-1)
    columns: list[list[np.ndarray]] = []
    for k in range(flat.size):
        original = flat[k]
        values = []
        for delta in (eps, -eps):
            flat[k] = original + delta
            probe = Tensor._make(x.device.xp.asarray(host.astype(x.dtype)), x.device,
                                 x.requires_grad)
            args = inputs[:index] + (probe,) + inputs[index + 1:]
            with no_grad():
                values.append([np.array(o, dtype=np.float64).reshape(-1)
                               for o in _outputs(fn, args)])
        flat[k] = original
        columns.append([(plus - minus) / (2 * eps) for plus, minus in zip(*values)])
    n_out = len(columns[0]) if columns else len(_outputs(fn, inputs))
    jacobians = []
    for j in range(n_out):
        size = columns[0][j].size if columns else 0
        jac = np.zeros((size, flat.size))
        for k, col in enumerate(columns):
            jac[:, k] = col[j]
        jacobians.append(jac)
    return jacobians


def _analytical_jacobian(fn: Callable, inputs: tuple, index: int) -> list[np.ndarray]:
    """Row by row via vector-Jacobian products with unit vectors."""
    with enable_grad():
        outs = _outputs(fn, inputs)
    x = inputs[index]
    jacobians = []
    for out in outs:
        jac = np.zeros((out.data.size, x.data.size))
        if out.requires_grad:
            for r in range(out.data.size):
                unit = np.zeros(out.data.size)
                unit[r] = 1.0
                seed = Tensor._make(out.device.xp.asarray(unit.reshape(out.shape).astype(out.dtype)),
                                    out.device)
                (g,) = autograd_grad([out], [x], [seed], retain_graph=True, allow_unused=True)
                if g is not None:
                    jac[r] = np.asarray(g, dtype=np.float64).reshape(-1)
        jacobians.append(jac)
    return jacobians


def gradcheck(fn: Callable, inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True) -> bool:
    """Compare reverse-mode gradients of ``fn`` with central finite differences.

    Inputs that require grad should be float64: in lower precision the finite differences
    themselves are too noisy to judge anything.
    """
    inputs = _as_tuple(inputs)
    for i in _differentiable(inputs):
        if inputs[i].dtype != np.float64:
            raise ValueError(
                f"gradcheck: input {i} has dtype {inputs[i].dtype}; use float64 inputs"
            )
    for i in _differentiable(inputs):
        numerical = _numerical_jacobian(fn, inputs, i, eps)
        analytical = _analytical_jacobian(fn, inputs, i)
        for j, (num, ana) in enumerate(zip(numerical, analytical)):
            bad = np.abs(num - ana) > atol + rtol * np.abs(num)
            if bad.any():
                diff = np.abs(num - ana)
                r, c = np.unravel_index(int(np.argmax(np.where(bad, diff, -1))), diff.shape)
                message = (
                    f"gradcheck: gradient of output {j} w.r.t. input {i} disagrees at "
                    f"output element {r}, input element {c}: analytical {ana[r, c]!r}, "
                    f"numerical {num[r, c]!r} (atol={atol}, rtol={rtol})"
                )
                if raise_exception:
                    raise GradcheckError(message)
                return False
    return True


def gradgradcheck(fn: Callable, inputs: Any, grad_outputs: Sequence[Any] | None = None,
                  eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  raise_exception: bool = True, seed: int = 0) -> bool:
    """gradcheck of the map inputs -> vector-Jacobian product, i.e. of second derivatives."""
    inputs = _as_tuple(inputs)
    diff_idx = _differentiable(inputs)
    with enable_grad():
        outs = _outputs(fn, inputs)
    rng = np.random.default_rng(seed)
    if grad_outputs is None:
        grad_outputs = [
            Tensor._make(o.device.xp.asarray(rng.standard_normal(o.shape)), o.device)
            for o in outs
        ]
    grad_outputs = list(grad_outputs)

    def first_derivatives(*args: Any) -> tuple:
        with enable_grad():
            results = _outputs(fn, args)
            pairs = [(o, g) for o, g in zip(results, grad_outputs) if o.requires_grad]
            wrt = [args[i] for i in diff_idx]
            grads = autograd_grad([p[0] for p in pairs], wrt, [p[1] for p in pairs],
                                  create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivatives, inputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
