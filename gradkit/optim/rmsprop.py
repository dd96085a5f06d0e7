"""RMSprop (Hinton's lecture 6e), optionally centered (Graves, 2013) and with momentum."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..backend.device import Device
from ..tensor import Tensor
from .optimizer import Optimizer, _check_at_least


class RMSprop(Optimizer):
    """PyTorch's RMSprop: v = alpha * v + (1 - alpha) * g**2; with ``centered`` the running mean
    of g is subtracted: denominator sqrt(v - mean**2) + eps."""

    _step_supports_amp_scaling = True  # reads found_inf on the device (amp.GradScaler)

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _check_options(self, group: dict[str, Any]) -> None:
        super()._check_options(group)
        _check_at_least("RMSprop", "alpha", group["alpha"], 0.0)
        _check_at_least("RMSprop", "epsilon", group["eps"], 0.0)
        _check_at_least("RMSprop", "momentum", group["momentum"], 0.0)
        _check_at_least("RMSprop", "weight_decay", group["weight_decay"], 0.0)

    def _update(self, group: dict[str, Any], device: Device, params: list[Tensor]) -> None:
        centered, momentum = group["centered"], group["momentum"]
        for p in params:
            state = self.state.setdefault(p, {})
            if not state:
                state["step"] = self._new_step(p.device)
                state["square_avg"] = self._zeros_like(p)
            if momentum > 0 and "momentum_buffer" not in state:
                state["momentum_buffer"] = self._zeros_like(p)
            if centered and "grad_avg" not in state:
                state["grad_avg"] = self._zeros_like(p)
        states = [self.state[p] for p in params]
        device.primitives.rmsprop_step(
            [p.data for p in params],
            [p.grad.data for p in params],
            [s["square_avg"].data for s in states],
            [s["grad_avg"].data for s in states] if centered else None,
            [s["momentum_buffer"].data for s in states] if momentum > 0 else None,
            [s["step"].data for s in states],
            lr=group["lr"],
            alpha=group["alpha"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            momentum=momentum,
            centered=centered,
            maximize=group["maximize"],
            **self._amp_options(device, params),
        )
