"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..backend.device import Device
from ..tensor import Tensor
from .optimizer import Optimizer, _check_at_least


class SGD(Optimizer):
    """PyTorch's SGD: buf = momentum * buf + (1 - dampening) * g (buf = g on the first step),
    g = g + momentum * buf with Nesterov else buf, p -= lr * g."""

    _step_supports_amp_scaling = True  # reads found_inf on the device (amp.GradScaler)

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )
        super().__init__(params, defaults)

    def _check_options(self, group: dict[str, Any]) -> None:
        super()._check_options(group)
        _check_at_least("SGD", "momentum", group["momentum"], 0.0)
        _check_at_least("SGD", "dampening", group["dampening"], 0.0)
        _check_at_least("SGD", "weight_decay", group["weight_decay"], 0.0)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "SGD: Nesterov momentum requires a momentum > 0 and zero dampening, "
                f"got momentum={group['momentum']}, dampening={group['dampening']}"
            )

    def _update(self, group: dict[str, Any], device: Device, params: list[Tensor]) -> None:
        options = dict(
            lr=group["lr"],
            weight_decay=group["weight_decay"],
            momentum=group["momentum"],
            nesterov=group["nesterov"],
            maximize=group["maximize"],
        )
        if group["momentum"] == 0:
            device.primitives.sgd_step(
                [p.data for p in params],
                [p.grad.data for p in params],
                None,
                dampening=group["dampening"],
                **options,
                **self._amp_options(device, params),
            )
            return
        old, new = [], []
        for p in params:
            state = self.state.setdefault(p, {})
            if state.get("momentum_buffer") is None:
                state["momentum_buffer"] = self._zeros_like(p)
                new.append(p)
            else:
                old.append(p)
        # A new buffer starts as the gradient itself: zero buffer, no dampening.
        for chosen, dampening in ((old, group["dampening"]), (new, 0.0)):
            if chosen:
                device.primitives.sgd_step(
                    [p.data for p in chosen],
                    [p.grad.data for p in chosen],
                    [self.state[p]["momentum_buffer"].data for p in chosen],
                    dampening=dampening,
                    **options,
                    **self._amp_options(device, chosen),
                )
