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
            probe = Tensor._make(
                x.device.xp.asarray(host.astype(x.dtype)), x.device, x.requires_grad
            )
            args = inputs[:index] + (probe,) + inputs[index + 1 :]
            with no_grad():
                values.append(
                    [np.array(o, dtype=np.float64).reshape(-1) for o in _outputs(fn, args)]
                )
        flat[k] = original
        columns.append([(plus - minus) / (2 * eps) for plus, minus in zip(*values)])
    if not columns:  # an empty input: every Jacobian has zero columns
        with no_grad():
            return [np.zeros((o.data.size, 0)) for o in _outputs(fn, inputs)]
    return [np.stack([col[j] for col in columns], axis=1) for j in range(len(columns[0]))]


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
                unit = unit.reshape(out.shape).astype(out.dtype)
                seed = Tensor._make(out.device.xp.asarray(unit), out.device)
                (g,) = autograd_grad([out], [x], [seed], retain_graph=True, allow_unused=True)
                if g is not None:
                    jac[r] = np.asarray(g, dtype=np.float64).reshape(-1)
        jacobians.append(jac)
    return jacobians


def _forward_jacobian(fn: Callable, inputs: Any, index: int) -> list[np.ndarray]:
    """Column by column: one forward-mode (dual number) pass per basis direction of the
    input. The pass runs without recording, so ops' no-graph fast paths are checked too."""
    from ..autograd import forward_ad

    x = inputs[index]
    columns = []
    outs_meta = None
    for k in range(x.data.size):
        unit = np.zeros(x.data.size)
        unit[k] = 1.0
        tangent = Tensor._make(x.device.xp.asarray(unit.reshape(x.shape).astype(x.dtype)), x.device)
        with forward_ad.dual_level():
            with enable_grad():  # the dual stays connected to x (gradgradcheck needs that)
                dual = forward_ad.make_dual(x, tangent)
            args = inputs[:index] + (dual,) + inputs[index + 1 :]
            with no_grad():
                outs = _outputs(fn, args)
            column = []
            for j, out in enumerate(outs):
                t = forward_ad.unpack_dual(out).tangent
                if t is None:
                    column.append(np.zeros(out.data.size))
                    continue
                if t.shape != out.shape or t.dtype != out.dtype:
                    raise GradcheckError(
                        f"gradcheck: the forward-mode tangent of output {j} has shape "
                        f"{tuple(t.shape)} and dtype {t.dtype}, the output {tuple(out.shape)} "
                        f"and {out.dtype}"
                    )
                column.append(
                    np.array(
                        t.data if t.device.type == "cpu" else t.data.get(), dtype=np.float64
                    ).reshape(-1)
                )
            outs_meta = [o.data.size for o in outs]
        columns.append(column)
    if not columns:
        outs_meta = [o.data.size for o in _outputs(fn, inputs)]
    return [
        np.stack([c[j] for c in columns], axis=1) if columns else np.zeros((size, 0))
        for j, size in enumerate(outs_meta)
    ]


def _compare(
    kind: str,
    numerical: list,
    analytical: list,
    i: int,
    atol: float,
    rtol: float,
    raise_exception: bool,
) -> bool:
    for j, (num, ana) in enumerate(zip(numerical, analytical)):
        bad = np.abs(num - ana) > atol + rtol * np.abs(num)
        if bad.any():
            diff = np.abs(num - ana)
            r, c = np.unravel_index(int(np.argmax(np.where(bad, diff, -1))), diff.shape)
            message = (
                f"gradcheck: {kind} derivative of output {j} w.r.t. input {i} disagrees at "
                f"output element {r}, input element {c}: analytical {float(ana[r, c])!r}, "
                f"numerical {float(num[r, c])!r} (atol={atol}, rtol={rtol})"
            )
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True


def gradcheck(
    fn: Callable,
    inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    check_forward_ad: bool = False,
) -> bool:
    """Compare reverse-mode gradients of ``fn`` with central finite differences.

    Inputs that require grad should be float64: in lower precision the finite differences
    themselves are too noisy to judge anything. With ``check_forward_ad`` the forward-mode
    Jacobian (one dual-number pass per input element) is compared with them as well.
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
        if not _compare("reverse-mode", numerical, analytical, i, atol, rtol, raise_exception):
            return False
        if check_forward_ad:
            forward = _forward_jacobian(fn, inputs, i)
            if not _compare("forward-mode", numerical, forward, i, atol, rtol, raise_exception):
                return False
    return True


def gradgradcheck(
    fn: Callable,
    inputs: Any,
    grad_outputs: Sequence[Any] | None = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
    check_forward_ad: bool = False,
) -> bool:
    """gradcheck of the map inputs -> vector-Jacobian product, i.e. of second derivatives.

    With ``check_forward_ad`` that map is also differentiated in forward mode: tangents
    through the backward pass (forward over reverse, as Hessian-vector products do)."""
    inputs = _as_tuple(inputs)
    diff_idx = _differentiable(inputs)
    with enable_grad():
        outs = _outputs(fn, inputs)
    rng = np.random.default_rng(seed)
    if grad_outputs is None:
        grad_outputs = [
            Tensor._make(o.device.xp.asarray(rng.standard_normal(o.shape)), o.device) for o in outs
        ]
    grad_outputs = list(grad_outputs)

    def first_derivatives(*args: Any) -> tuple:
        with enable_grad():
            results = _outputs(fn, args)
            pairs = [(o, g) for o, g in zip(results, grad_outputs) if o.requires_grad]
            wrt = [args[i] for i in diff_idx]
            grads = autograd_grad(
                [p[0] for p in pairs],
                wrt,
                [p[1] for p in pairs],
                create_graph=True,
                allow_unused=True,
            )
        return tuple(g for g in grads if g is not None)

    return gradcheck(
        first_derivatives,
        inputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
        check_forward_ad=check_forward_ad,
    )
