"""Optimizer: parameter groups, per-parameter state, state_dict, and the step driver that makes
one fused backend call per (param group, device, dtype)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..autograd.grad_mode import enable_grad
from ..backend.device import Device
from ..tensor import Tensor, _to_device_array


class _Required:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()


class Optimizer:
    """Base class: subclasses define ``defaults``, ``_check_options(group)`` and
    ``_update(group, device, params)``, which calls one backend primitive."""

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError(
                f"{self._name}: params should be an iterable of Tensors or dicts, got a Tensor"
            )
        groups = list(params)
        if not groups:
            raise ValueError(f"{self._name}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    @property
    def _name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        lines = [f"{self._name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines) + "\n)"

    # ---- groups --------------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (the rest come from defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError(
                f"{self._name}: a param group must be a dict, got {type(param_group).__name__}"
            )
        group = dict(param_group)
        params = group.get("params")
        if params is None:
            raise ValueError(f"{self._name}: a param group needs a 'params' entry")
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{self._name}: can only optimize Tensors, got {type(p).__name__}")
            if p.grad_fn is not None:
                raise ValueError(f"{self._name}: can't optimize a non-leaf Tensor")
            if p.dtype.kind != "f":
                raise TypeError(
                    f"{self._name}: can only optimize floating point tensors, got dtype {p.dtype}"
                )
        ids = [id(p) for p in params]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{self._name}: a parameter group contains the same parameter twice")
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if taken.intersection(ids):
            raise ValueError(f"{self._name}: some parameters appear in more than one group")
        for key, default in self.defaults.items():
            if default is required and key not in group:
                raise ValueError(
                    f"{self._name}: parameter group didn't specify a value of "
                    f"required option {key!r}"
                )
            group.setdefault(key, default)
        group["params"] = params
        self._check_options(group)
        self.param_groups.append(group)

    def _check_options(self, group: dict[str, Any]) -> None:
        """Raise ValueError naming the optimizer and the bad value; subclasses extend."""
        _check_at_least(self._name, "learning rate", group["lr"], 0.0)

    # ---- gradients -----------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad = Tensor._make(p.device.xp.zeros_like(p.grad.data), p.device)

    def _buckets(self) -> list[tuple[dict, Device, list[Tensor]]]:
        """Every group's parameters that have a gradient, split by (device, dtype); every
        gradient is validated before any parameter changes."""
        buckets = []
        for group in self.param_groups:
            split: dict[tuple, list[Tensor]] = {}
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if g.device is not p.device:
                    raise RuntimeError(
                        f"{self._name}.step: a parameter of shape {tuple(p.shape)} is on "
                        f"{p.device} but its gradient is on {g.device}"
                    )
                if g.shape != p.shape:
                    raise RuntimeError(
                        f"{self._name}.step: a parameter has shape {tuple(p.shape)} but its "
                        f"gradient has shape {tuple(g.shape)}"
                    )
                if g.dtype != p.dtype:
                    raise RuntimeError(
                        f"{self._name}.step: a parameter has dtype {p.dtype} but its gradient "
                        f"has dtype {g.dtype}"
                    )
                split.setdefault((p.device, p.dtype), []).append(p)
            buckets += [(group, device, params) for (device, _), params in split.items()]
        return buckets

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; ``closure`` (re-evaluating the
        loss with gradients) is called first when given, and its result returned."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group, device, params in self._buckets():
            self._update(group, device, params)
        return loss

    def _update(self, group: dict[str, Any], device: Device, params: list[Tensor]) -> None:
        raise NotImplementedError

    # ---- state helpers -------------------------------------------------------------------
    @staticmethod
    def _state_dtype(p: Tensor) -> np.dtype:
        """float32 state (and a float32 master copy) for float16 parameters, else p's dtype."""
        return np.dtype(np.float32) if p.dtype == np.float16 else p.dtype

    @staticmethod
    def _zeros_like(p: Tensor) -> Tensor:
        return Tensor._make(
            p.device.xp.zeros(p.data.shape, dtype=Optimizer._state_dtype(p)), p.device
        )

    @staticmethod
    def _new_step(device: Device | None = None) -> Tensor:
        # PyTorch keeps "step" as a float32 0-d tensor. It lives on the parameter's device
        # (as in PyTorch's fused/capturable mode), where the fused kernels read and advance
        # it without a host round trip.
        device = Device("cpu") if device is None else device
        return Tensor._make(device.xp.zeros((), dtype=np.float32), device)

    # ---- mixed precision -----------------------------------------------------------------
    # Set by amp.GradScaler.step for the duration of one step: {device: 0-d float32 found-inf
    # flag}. Every primitive call receives its device's flag and skips the update itself when
    # the flag is set, so a scaled step never copies the flag to the host.
    _amp_found_inf: dict | None = None
    # Also set by GradScaler.step when unscale_ was not called: {device: 0-d float32 1/scale}.
    # The primitives multiply the gradients by it inside the update (the .grad arrays keep
    # their scaled values, as with PyTorch's fused optimizers).
    _amp_inv_scale: dict | None = None
    # True for optimizers whose every primitive call passes **self._amp_options(device); for
    # others GradScaler.step decides on the host (one sync), as PyTorch does.
    _step_supports_amp_scaling = False

    def _amp_options(self, device: Device, params: list[Tensor] = ()) -> dict[str, Any]:
        """Keyword arguments for a primitive call updating ``params`` (one dtype): the
        scaler's found-inf flag for ``device`` during GradScaler.step, and the float32 master
        copies when the parameters are float16 (the primitive updates the master and the
        float32 state, and writes the rounded master back into the parameter)."""
        options: dict[str, Any] = {}
        flags = self._amp_found_inf
        if flags and device in flags:
            options["found_inf"] = flags[device]
        inv_scales = self._amp_inv_scale
        if inv_scales and device in inv_scales:
            options["inv_scale"] = inv_scales[device]
        if params and params[0].dtype == np.float16:
            options["master_params"] = [self._master(p).data for p in params]
        return options

    def _master(self, p: Tensor) -> Tensor:
        """p's float32 master copy, made from p on first use; it stays authoritative (write
        to it, or reset the optimizer, after changing a float16 parameter outside step)."""
        state = self.state.setdefault(p, {})
        master = state.get("master_param")
        if master is None:
            master = state["master_param"] = Tensor._make(p.data.astype(np.float32), p.device)
        return master

    # ---- state_dict ----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """PyTorch's layout: {'state': {index: {name: tensor}}, 'param_groups': [{options...,
        'params': [indices]}]}, indices counting parameters across groups in order."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index[id(p)]] = dict(self.state[p])
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore options and state saved by ``state_dict()`` (validated first: on error
        nothing changes). State tensors are copied to each parameter's device, and floating
        ones (all but 'step') to its dtype."""
        name = self._name
        if not isinstance(state_dict, dict) or "param_groups" not in state_dict:
            raise ValueError(
                f"{name}.load_state_dict: expected a dict with 'state' and 'param_groups'"
            )
        saved_groups = list(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: the loaded state has {len(saved_groups)} parameter "
                f"groups, this optimizer has {len(self.param_groups)}"
            )
        by_index: dict[int, Tensor] = {}
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            indices = list(saved["params"])
            if len(indices) != len(group["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: parameter group {i} has {len(indices)} "
                    f"parameters in the loaded state but {len(group['params'])} here"
                )
            by_index.update({int(k): p for k, p in zip(indices, group["params"])})
        new_state: dict[Tensor, dict[str, Any]] = {}
        for key, values in dict(state_dict.get("state", {})).items():
            p = by_index.get(int(key))
            if p is None:
                raise ValueError(f"{name}.load_state_dict: state for unknown parameter {key}")
            new_state[p] = {k: _restore(v, p, k, name) for k, v in values.items()}
        new_groups = []
        for saved, group in zip(saved_groups, self.param_groups):
            restored = {
                k: (tuple(v) if isinstance(v, list) else v)
                for k, v in saved.items()
                if k != "params"
            }
            restored["params"] = group["params"]
            self._check_options({**group, **restored})
            new_groups.append({**group, **restored})
        self.state = new_state
        self.param_groups = new_groups


def _restore(value: Any, param: Tensor, key: str, name: str) -> Any:
    if isinstance(value, (int, float)) and key == "step":
        step = np.asarray(value, dtype=np.float32)
        return Tensor._make(_to_device_array(step, param.device), param.device)
    if not isinstance(value, Tensor):
        return value
    if key == "step":
        step = np.array(value.item(), dtype=np.float32)
        return Tensor._make(_to_device_array(step, param.device), param.device)
    if value.shape != param.shape:
        raise ValueError(
            f"{name}.load_state_dict: state {key!r} has shape {tuple(value.shape)} but its "
            f"parameter has shape {tuple(param.shape)}"
        )
    data = _to_device_array(value.data, param.device)
    if data.dtype.kind == "f":
        # also copies, so the loaded dict is never aliased
        data = data.astype(Optimizer._state_dtype(param))
    else:
        data = data.copy()
    return Tensor._make(data, param.device)


def _check_at_least(optimizer: str, what: str, value: Any, low: float) -> None:
    if not isinstance(value, (int, float, np.floating, np.integer)) or isinstance(value, bool):
        raise TypeError(f"{optimizer}: invalid {what} {value!r} (expected a number)")
    if math.isnan(value) or value < low:
        raise ValueError(f"{optimizer}: invalid {what}: {value} (expected >= {low})")


def _check_unit_interval(optimizer: str, what: str, value: Any) -> None:
    """0 <= value < 1 (momentum coefficients, betas)."""
    _check_at_least(optimizer, what, value, 0.0)
    if not value < 1.0:
        raise ValueError(f"{optimizer}: invalid {what}: {value} (expected 0 <= {what} < 1)")
