"""Dropout masks from a counter-based RNG (Philox-4x32-10), in NumPy.

Element i of a call keyed by (seed, offset) keeps its value iff
``philox(counter=(i // 4 as 64 bits, offset as 64 bits), key=seed as 2x32 bits)[i % 4] >> 8``
is at least ``round(p * 2**24)``: a pure function of (seed, offset, i), so the CUDA kernel,
which evaluates the same formula per thread, produces the same mask bit for bit, and no
generator state needs to travel between devices.
"""

from __future__ import annotations

import numpy as np

_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = np.uint32(0x9E3779B9)
_W1 = np.uint32(0xBB67AE85)
_LOW = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)
_ROUNDS = 10
UNIFORM_BITS = 24  # uniforms are multiples of 2**-24: exact in float32


def philox4x32(counters: np.ndarray, key: tuple[int, int]) -> np.ndarray:
    """Philox-4x32-10 of counters (n, 4) uint32 under a 2x32-bit key -> (n, 4) uint32."""
    c0, c1, c2, c3 = (counters[:, i].astype(np.uint64) for i in range(4))
    k0, k1 = np.uint32(key[0]), np.uint32(key[1])
    for round_index in range(_ROUNDS):
        if round_index:
            k0 = np.uint32((int(k0) + int(_W0)) & 0xFFFFFFFF)
            k1 = np.uint32((int(k1) + int(_W1)) & 0xFFFFFFFF)
        p0 = _M0 * c0  # 32x32 -> 64-bit products; NumPy's uint64 holds them exactly
        p1 = _M1 * c2
        hi0, lo0 = p0 >> _SHIFT, p0 & _LOW
        hi1, lo1 = p1 >> _SHIFT, p1 & _LOW
        c0, c1, c2, c3 = (hi1 ^ c1 ^ np.uint64(k0), lo1, hi0 ^ c3 ^ np.uint64(k1), lo0)
    return np.stack([c0, c1, c2, c3], axis=1).astype(np.uint32)


def random_bits(count: int, seed: int, offset: int) -> np.ndarray:
    """``count`` uint32 words: word i is lane i % 4 of the Philox block i // 4."""
    blocks = (count + 3) // 4
    index = np.arange(blocks, dtype=np.uint64)
    counters = np.empty((blocks, 4), dtype=np.uint32)
    counters[:, 0] = (index & _LOW).astype(np.uint32)
    counters[:, 1] = (index >> _SHIFT).astype(np.uint32)
    counters[:, 2] = offset & 0xFFFFFFFF
    counters[:, 3] = (offset >> 32) & 0xFFFFFFFF
    key = (seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF)
    return philox4x32(counters, key).reshape(-1)[:count]


def keep_threshold(p: float) -> int:
    return int(round(p * (1 << UNIFORM_BITS)))


def dropout_mask(shape: tuple[int, ...], p: float, seed: int, offset: int) -> np.ndarray:
    """Boolean keep-mask of ``shape``: each element kept with probability 1 - p."""
    count = int(np.prod(shape, dtype=np.int64))
    bits = random_bits(count, seed, offset) >> np.uint32(32 - UNIFORM_BITS)
    return (bits >= np.uint32(keep_threshold(p))).reshape(shape)


def dropout_forward(x: np.ndarray, mask: np.ndarray, p: float) -> np.ndarray:
    """x * mask / (1 - p) in x's dtype (mask broadcasts: Dropout2d drops whole channels)."""
    scale = x.dtype.type(1.0 / (1.0 - p))
    return np.where(mask, x * scale, x.dtype.type(0))
