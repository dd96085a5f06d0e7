"""Adagrad (Duchi et al., 2011) with PyTorch's learning-rate decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..backend.device import Device
from ..tensor import Tensor
from .optimizer import Optimizer, _check_at_least


class Adagrad(Optimizer):
    """PyTorch's Adagrad: s += g**2, p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps).
    The accumulators exist from construction on (filled with initial_accumulator_value)."""

    _step_supports_amp_scaling = True  # reads found_inf on the device (amp.GradScaler)

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
            maximize=maximize,
        )
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        state = self.state.setdefault(p, {})
        if not state:
            state["step"] = self._new_step(p.device)
            total = p.device.xp.full(
                p.data.shape, group["initial_accumulator_value"], dtype=self._state_dtype(p)
            )
            state["sum"] = Tensor._make(total, p.device)
        return state

    def _check_options(self, group: dict[str, Any]) -> None:
        super()._check_options(group)
        _check_at_least("Adagrad", "lr_decay", group["lr_decay"], 0.0)
        _check_at_least("Adagrad", "weight_decay", group["weight_decay"], 0.0)
        _check_at_least(
            "Adagrad", "initial_accumulator_value", group["initial_accumulator_value"], 0.0
        )
        _check_at_least("Adagrad", "epsilon", group["eps"], 0.0)

    def _update(self, group: dict[str, Any], device: Device, params: list[Tensor]) -> None:
        states = [self._init_state(p, group) for p in params]
        device.primitives.adagrad_step(
            [p.data for p in params],
            [p.grad.data for p in params],
            [s["sum"].data for s in states],
            [s["step"].data for s in states],
            lr=group["lr"],
            lr_decay=group["lr_decay"],
            weight_decay=group["weight_decay"],
            eps=group["eps"],
            maximize=group["maximize"],
            **self._amp_options(device, params),
        )
