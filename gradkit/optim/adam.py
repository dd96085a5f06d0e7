"""Adam and AdamW (Kingma & Ba, 2015; Loshchilov & Hutter, 2019), with AMSGrad."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..backend.device import Device
from ..tensor import Tensor
from .optimizer import Optimizer, _check_at_least, _check_unit_interval


class Adam(Optimizer):
    """PyTorch's Adam: L2 weight decay added to the gradient, bias-corrected moments,
    p -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)."""

    _step_supports_amp_scaling = True  # reads found_inf on the device (amp.GradScaler)

    _decoupled = False

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=tuple(betas),
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _check_options(self, group: dict[str, Any]) -> None:
        super()._check_options(group)
        name = self._name
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{name}: betas must be a pair of numbers, got {betas!r}")
        _check_unit_interval(name, "beta1", betas[0])
        _check_unit_interval(name, "beta2", betas[1])
        _check_at_least(name, "epsilon", group["eps"], 0.0)
        _check_at_least(name, "weight_decay", group["weight_decay"], 0.0)

    def _update(self, group: dict[str, Any], device: Device, params: list[Tensor]) -> None:
        amsgrad = group["amsgrad"]
        for p in params:
            state = self.state.setdefault(p, {})
            if not state:
                state["step"] = self._new_step(p.device)
                state["exp_avg"] = self._zeros_like(p)
                state["exp_avg_sq"] = self._zeros_like(p)
                if amsgrad:
                    state["max_exp_avg_sq"] = self._zeros_like(p)
            elif amsgrad and "max_exp_avg_sq" not in state:
                state["max_exp_avg_sq"] = self._zeros_like(p)
        states = [self.state[p] for p in params]
        beta1, beta2 = group["betas"]
        device.primitives.adam_step(
            [p.data for p in params],
            [p.grad.data for p in params],
            [s["exp_avg"].data for s in states],
            [s["exp_avg_sq"].data for s in states],
            [s["max_exp_avg_sq"].data for s in states] if amsgrad else None,
            [s["step"].data for s in states],
            lr=group["lr"],
            beta1=beta1,
            beta2=beta2,
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            amsgrad=amsgrad,
            maximize=group["maximize"],
            decoupled_weight_decay=self._decoupled,
            **self._amp_options(device, params),
        )


class AdamW(Adam):
    """Adam with decoupled weight decay: p *= 1 - lr * weight_decay before the Adam update."""

    _decoupled = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
