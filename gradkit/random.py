"""One seeded generator per device kind, so ``gk.manual_seed(s)`` makes every draw reproducible."""

from __future__ import annotations

from typing import Any

import numpy as np

from .backend.device import Device

_DEFAULT_SEED = 0x5EED
_generators: dict[str, Any] = {}
_seed = _DEFAULT_SEED


def manual_seed(seed: int) -> None:
    """Reseed the CPU generator and every CUDA generator created so far (and later ones)."""
    global _seed
    if not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed: expected an int, got {type(seed).__name__}")
    _seed = int(seed)
    _generators.clear()


def initial_seed() -> int:
    return _seed


def generator_for(device: Device) -> Any:
    """The NumPy (or CuPy) Generator that draws for ``device``."""
    key = str(device)
    gen = _generators.get(key)
    if gen is None:
        if device.type == "cpu":
            gen = np.random.Generator(np.random.PCG64(_seed))
        else:
            import cupy

            with cupy.cuda.Device(device.index):
                gen = cupy.random.Generator(cupy.random.XORWOW(_seed))
        _generators[key] = gen
    return gen


def get_rng_state() -> dict:
    """The CPU generator's state as plain data (checkpointable without pickle)."""
    return {"seed": _seed, "cpu": generator_for(Device("cpu")).bit_generator.state}


def set_rng_state(state: dict) -> None:
    global _seed
    _seed = int(state["seed"])
    _generators.clear()
    generator_for(Device("cpu")).bit_generator.state = state["cpu"]
