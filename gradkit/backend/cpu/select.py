"""where(mask, values, +0.0) without where()'s branch.

NumPy's where() and masked copies branch per element; on data-dependent masks (ReLU's signs,
max pooling's winners) the mispredictions make them ~10-20x slower than a plain pass. ANDing
the values' bits with an all-ones/all-zeros mask gives the same result bit for bit (NaN and inf
values included, unlike ``values * mask``, and +0.0 where the mask is off).
"""

from __future__ import annotations

import numpy as np


def select_or_zero(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``where(mask, values, 0)`` for a boolean ``mask`` and float ``values`` of one shape."""
    bits = np.dtype(f"i{values.dtype.itemsize}")
    ones = mask.view(np.int8).astype(bits)
    np.negative(ones, out=ones)  # 1 -> all bits set
    return np.bitwise_and(values.view(bits), ones, out=ones).view(values.dtype)
