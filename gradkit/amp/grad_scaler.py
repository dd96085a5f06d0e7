"""GradScaler: dynamic loss scaling with PyTorch's semantics, defaults and state_dict keys,
and no host synchronisation in a training step.

The scale (float32), the growth tracker (int32) and each optimizer's found-inf flag (float32)
are 0-d arrays on the device. ``unscale_`` is one fused multi-tensor pass per device and dtype
(non-finite check + multiply by 1/scale) that sets the flag; ``step`` hands the flag to the
optimizer's fused primitive, which leaves parameters, state and step counts untouched when it
is set; ``update`` is a one-thread device kernel. Only ``get_scale``/``state_dict`` (which
return Python numbers) copy to the host.
"""

from __future__ import annotations

import enum
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..backend.device import Device
from ..tensor import Tensor


class _Stage(enum.Enum):
    READY = 0
    UNSCALED = 1
    STEPPED = 2


class GradScaler:
    """``scaler.scale(loss).backward(); scaler.unscale_(opt)`` (optional, e.g. before
    clipping); ``scaler.step(opt); scaler.update()``."""

    def __init__(
        self,
        device: str = "cuda",
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        self._device = str(device)
        if enabled and str(device).startswith("cuda"):
            from ..cuda import availability

            if not availability.is_available():
                warnings.warn(
                    "GradScaler is enabled, but CUDA is not available; disabling it "
                    f"({availability.missing_piece()})",
                    stacklevel=2,
                )
                enabled = False
        if growth_factor <= 1.0:
            raise ValueError(f"GradScaler: growth_factor must be > 1, got {growth_factor}")
        if not 0.0 < backoff_factor < 1.0:
            raise ValueError(f"GradScaler: backoff_factor must be in (0, 1), got {backoff_factor}")
        if not isinstance(growth_interval, int) or growth_interval <= 0:
            raise ValueError(
                f"GradScaler: growth_interval must be a positive int, got {growth_interval!r}"
            )
        self._enabled = bool(enabled)
        self._init_scale = float(init_scale)
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = growth_interval
        self._init_growth_tracker = 0
        self._scale: Tensor | None = None  # created lazily on the first output's device
        self._growth_tracker: Tensor | None = None
        self._per_optimizer: dict[int, dict[str, Any]] = {}

    # ---- scaling ---------------------------------------------------------------------------
    def is_enabled(self) -> bool:
        return self._enabled

    def _lazy_init(self, device: Device) -> None:
        xp = device.xp
        self._scale = Tensor._make(xp.full((), self._init_scale, dtype=np.float32), device)
        self._growth_tracker = Tensor._make(
            xp.full((), self._init_growth_tracker, dtype=np.int32), device
        )

    def scale(self, outputs: Any) -> Any:
        """``outputs`` (a Tensor or nested lists/tuples of them) times the current scale, in
        each output's dtype."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            if self._scale is None:
                self._lazy_init(outputs.device)
            scale = self._scale.data
            if outputs.device is not self._scale.device:
                raise ValueError(
                    f"GradScaler.scale: the scale lives on {self._scale.device} but the output "
                    f"is on {outputs.device}"
                )
            return outputs * Tensor._make(scale.astype(outputs.dtype), outputs.device)
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        if isinstance(outputs, Iterable):
            return map(self.scale, outputs)
        raise ValueError("GradScaler.scale: outputs must be a Tensor or an iterable of Tensors")

    def _state(self, optimizer: Any) -> dict[str, Any]:
        return self._per_optimizer.setdefault(
            id(optimizer), {"stage": _Stage.READY, "found_inf_per_device": {}}
        )

    def unscale_(self, optimizer: Any) -> None:
        """Divide the optimizer's gradients by the scale, in one fused pass per device and
        dtype that also records whether any of them holds an inf or a NaN."""
        if not self._enabled:
            return
        self._check_scale("unscale_")
        state = self._state(optimizer)
        if state["stage"] is _Stage.UNSCALED:
            raise RuntimeError(
                "unscale_() has already been called on this optimizer since the last update()."
            )
        if state["stage"] is _Stage.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        scale = self._scale.data
        # 1/scale in double, then float32 (PyTorch's rounding), on the device.
        xp = self._scale.device.xp
        # (NumPy turns 0-d results into scalars; the kernels need arrays.)
        inv_scale = xp.asarray(xp.reciprocal(scale.astype(np.float64)), dtype=np.float32)
        masters = getattr(optimizer, "_step_supports_amp_scaling", False)
        found: dict[Device, Any] = {}
        per_device: dict[Device, tuple[list, list]] = {}
        for group in optimizer.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                # PyTorch refuses float16 gradients: the optimizer would update float16
                # weights with them. Ours keep float32 masters for float16 parameters.
                if g.dtype == np.float16 and not masters:
                    raise ValueError("Attempting to unscale FP16 gradients.")
                data = g.data
                # Unscale in place only into a buffer nobody else holds (the engine may hand
                # one gradient array to several leaves); otherwise into a fresh one.
                if p._grad_owned and data.flags.c_contiguous and data.flags.writeable:
                    out = data
                else:
                    out = g.device.xp.empty_like(data, order="C")
                    if not data.flags.c_contiguous:
                        data = g.device.xp.ascontiguousarray(data)
                    p.grad = Tensor._make(out, g.device)
                    p._grad_owned = True
                inputs, outputs = per_device.setdefault(g.device, ([], []))
                inputs.append(data)
                outputs.append(out)
        for device, (inputs, outputs) in per_device.items():
            flag = device.xp.zeros((), dtype=np.float32)
            factor = inv_scale if device is self._scale.device else _to_device(inv_scale, device)
            device.primitives.non_finite_check_and_unscale(inputs, flag, factor, outputs)
            found[device] = flag
        state["found_inf_per_device"] = found
        state["stage"] = _Stage.UNSCALED

    def step(self, optimizer: Any, *args: Any, **kwargs: Any) -> Any:
        """Check for inf/NaN and step. gradkit's optimizers unscale inside their fused update
        (unless ``unscale_`` already did) and skip it on the device when a gradient was
        inf/NaN, so nothing waits for the flag; their ``.grad`` then keeps the scaled values,
        as with PyTorch's fused optimizers. Other optimizers get ``unscale_`` and a host-side
        decision. Returns what ``optimizer.step`` returns."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs or args:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_scale("step")
        state = self._state(optimizer)
        if state["stage"] is _Stage.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        supported = getattr(optimizer, "_step_supports_amp_scaling", False)
        if state["stage"] is _Stage.READY:
            if supported:
                self._check_only(optimizer, state)
            else:
                self.unscale_(optimizer)
        flags = state["found_inf_per_device"]
        if not flags:
            raise AssertionError("No inf checks were recorded for this optimizer.")
        if supported:
            optimizer._amp_found_inf = flags
            optimizer._amp_inv_scale = state.get("inv_scale_per_device")
            try:
                result = optimizer.step()
            finally:
                optimizer._amp_found_inf = None
                optimizer._amp_inv_scale = None
        else:
            # A foreign optimizer cannot read the flag: decide on the host (one sync).
            result = None
            if not sum(float(Tensor._make(f, d).item()) for d, f in flags.items()):
                result = optimizer.step()
        state["stage"] = _Stage.STEPPED
        return result

    def _check_only(self, optimizer: Any, state: dict[str, Any]) -> None:
        """The inf/NaN check alone (one read of every gradient, nothing written); the
        optimizer's fused update multiplies by 1/scale itself, in float32 even for float16
        gradients."""
        scale = self._scale.data
        xp = self._scale.device.xp
        inv_scale = xp.asarray(xp.reciprocal(scale.astype(np.float64)), dtype=np.float32)
        per_device: dict[Device, list] = {}
        for group in optimizer.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    per_device.setdefault(p.grad.device, []).append(p.grad.data)
        found, inverse = {}, {}
        for device, grads in per_device.items():
            flag = device.xp.zeros((), dtype=np.float32)
            device.primitives.non_finite_check(grads, flag)
            found[device] = flag
            inverse[device] = (
                inv_scale if device is self._scale.device else _to_device(inv_scale, device)
            )
        state["found_inf_per_device"] = found
        state["inv_scale_per_device"] = inverse

    def update(self, new_scale: float | Tensor | None = None) -> None:
        """Set the scale for the next iteration: ``new_scale`` if given, else back off after
        an inf/NaN in any optimizer's gradients and grow after ``growth_interval`` clean
        steps in a row (a device kernel: no sync)."""
        if not self._enabled:
            return
        self._check_scale("update")
        scale = self._scale
        if new_scale is not None:
            if isinstance(new_scale, Tensor):
                if new_scale.data.size != 1:
                    raise ValueError("GradScaler.update: new_scale must have one element")
                scale.data[...] = _to_device(new_scale.data.astype(np.float32), scale.device)
            else:
                scale.data.fill(float(new_scale))
        else:
            flags = [
                _to_device(f, scale.device)
                for state in self._per_optimizer.values()
                for f in state["found_inf_per_device"].values()
            ]
            if not flags:
                raise AssertionError("No inf checks were recorded prior to update.")
            combined = flags[0]
            for f in flags[1:]:
                combined = scale.device.xp.asarray(combined + f)
            scale.device.primitives.update_scale(
                scale.data,
                self._growth_tracker.data,
                combined,
                growth_factor=self._growth_factor,
                backoff_factor=self._backoff_factor,
                growth_interval=self._growth_interval,
            )
        self._per_optimizer = {}

    def _check_scale(self, method: str) -> None:
        if self._scale is None:
            raise RuntimeError(
                f"GradScaler.{method}: no scale yet; this may indicate that the first call "
                "of this iteration was not scaler.scale(loss)"
            )

    # ---- inspection and persistence -------------------------------------------------------
    def get_scale(self) -> float:
        """The current scale as a Python float (a host copy), 1.0 when disabled."""
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else float(self._scale.item())

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = float(new_factor)

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = float(new_factor)

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = int(new_interval)

    def _get_growth_tracker(self) -> int:
        if self._growth_tracker is None:
            return self._init_growth_tracker
        return int(self._growth_tracker.item())

    def state_dict(self) -> dict[str, Any]:
        """PyTorch's keys: scale, growth_factor, backoff_factor, growth_interval,
        _growth_tracker ({} when disabled)."""
        if not self._enabled:
            return {}
        return {
            "scale": self.get_scale(),
            "growth_factor": self._growth_factor,
            "backoff_factor": self._backoff_factor,
            "growth_interval": self._growth_interval,
            "_growth_tracker": self._get_growth_tracker(),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError(
                "The source state dict is empty, possibly because it was saved "
                "from a disabled instance of GradScaler."
            )
        self._init_scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._init_growth_tracker = int(state_dict["_growth_tracker"])
        if self._scale is not None:
            self._scale.data.fill(self._init_scale)
        if self._growth_tracker is not None:
            self._growth_tracker.data.fill(self._init_growth_tracker)


def _to_device(array: Any, device: Device) -> Any:
    """``array`` on ``device`` (a device-to-device copy when it lives elsewhere)."""
    if isinstance(array, np.ndarray) and device.type == "cpu":
        return array
    return device.xp.asarray(array)
