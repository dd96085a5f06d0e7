"""Turning the user's ``seed=`` / ``generator=`` arguments into a NumPy random generator.

Everything random in ``gradkit.data`` (shuffling, splitting, random transforms) draws from its own
``numpy.random.Generator`` so that a seed makes it reproducible without touching global state.
"""

from __future__ import annotations

import numpy as np

SeedLike = int | np.integer | np.random.Generator | None


def resolve_seed_argument(owner: str, seed: SeedLike, generator: SeedLike) -> SeedLike:
    """Accept ``seed=`` and ``generator=`` as synonyms, but not both at once."""
    if seed is not None and generator is not None:
        raise ValueError(f"{owner}: pass either seed= or generator=, not both")
    return generator if seed is None else seed


def make_generator(owner: str, seed: SeedLike) -> np.random.Generator:
    """A generator from an int seed, an existing Generator (used as is) or None (fresh entropy)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng(draw_base_seed())
    return np.random.default_rng(check_seed(owner, seed))


def draw_base_seed() -> int:
    """A seed for when the user gave none, drawn from gradkit's global CPU generator, so that
    ``gk.manual_seed(s)`` makes unseeded loaders and splits reproducible (as in PyTorch)."""
    try:
        from gradkit.backend.device import cpu
        from gradkit.random import generator_for
    except ImportError:  # the core is not importable: fall back to fresh OS entropy
        return int(np.random.default_rng().integers(0, 2**63 - 1))
    return int(generator_for(cpu).integers(0, 2**63 - 1))


def base_seed_of(owner: str, seed: SeedLike) -> int:
    """An integer seed: the given one, one drawn from a given Generator, or a fresh one."""
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63 - 1))
    if seed is None:
        return draw_base_seed()
    return check_seed(owner, seed)


def check_seed(owner: str, seed: object) -> int:
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(
            f"{owner}: seed must be an int or a numpy.random.Generator, got {type(seed).__name__}"
        )
    if seed < 0:
        raise ValueError(f"{owner}: seed must be non-negative, got {seed}")
    return int(seed)
