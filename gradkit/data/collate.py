"""Collation: turning a list of samples into one batch of gradkit tensors.

Two steps, kept apart so the DataLoader can skip the first for datasets that fetch whole
batches: ``stack_samples`` stacks the samples' arrays and numbers into ndarrays (following
tuples, lists and dicts), and ``to_tensors`` wraps those arrays as tensors on a device.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

import gradkit

from .dataset import is_gradkit_tensor


def default_collate(samples: Sequence[Any]) -> Any:
    """Stack samples into a batch of gradkit tensors with the samples' structure.

    Arrays and tensors are stacked along a new first axis keeping their dtype; Python ints and
    NumPy integers become int64 (labels), Python floats float32 (gradkit's default float, so a
    scalar target never promotes float32 work to float64), bools bool. Strings stay a list.
    """
    return to_tensors(stack_samples(samples), owned=True)


def stack_samples(samples: Sequence[Any]) -> Any:
    if len(samples) == 0:
        raise ValueError("default_collate: cannot collate an empty list of samples")
    first = samples[0]
    if is_gradkit_tensor(first):
        # np.stack dispatches to CuPy for GPU arrays (__array_function__): device-neutral.
        return np.stack([sample.data for sample in samples])
    if isinstance(first, np.ndarray):
        return np.stack(samples)
    if isinstance(first, (bool, np.bool_)):
        return np.asarray(samples, dtype=np.bool_)
    if isinstance(first, (int, np.integer)):
        return np.asarray(samples, dtype=np.int64)
    if isinstance(first, np.floating):
        return np.asarray(samples, dtype=first.dtype)
    if isinstance(first, float):
        return np.asarray(samples, dtype=np.float32)
    if isinstance(first, (str, bytes)):
        return list(samples)
    if isinstance(first, Mapping):
        keys = set(first)
        for sample in samples:
            if not isinstance(sample, Mapping) or set(sample) != keys:
                raise ValueError(
                    f"default_collate: every dict sample needs the keys {sorted(keys, key=str)}, "
                    f"got {sorted(sample, key=str) if isinstance(sample, Mapping) else sample!r}"
                )
        return {key: stack_samples([sample[key] for sample in samples]) for key in first}
    if isinstance(first, (tuple, list)):
        width = len(first)
        if any(len(sample) != width for sample in samples):
            raise ValueError(
                "default_collate: every sample must have the same number of fields, "
                f"got lengths {sorted({len(sample) for sample in samples})}"
            )
        fields = [stack_samples(list(column)) for column in zip(*samples)]
        if hasattr(first, "_fields"):  # a namedtuple keeps its type
            return type(first)(*fields)
        return type(first)(fields) if isinstance(first, tuple) else fields
    raise TypeError(
        "default_collate: samples must be arrays, tensors, numbers, strings or tuples/lists/dicts "
        f"of them; got {type(first).__name__}"
    )


def to_tensors(batch: Any, device: Any = None, owned: bool = False) -> Any:
    """Wrap every array in ``batch`` as a gradkit tensor (on ``device`` when given); tensors
    already there move to ``device``; strings and other leaves stay as they are.

    ``owned``: the arrays were just made for this batch and nobody else holds them, so CPU
    tensors may share their memory instead of copying it.
    """
    if is_gradkit_tensor(batch):
        return batch if device is None else batch.to(device)
    if isinstance(batch, (str, bytes)):
        return batch
    if isinstance(batch, Mapping):
        return {key: to_tensors(value, device, owned) for key, value in batch.items()}
    if isinstance(batch, tuple):
        converted = [to_tensors(value, device, owned) for value in batch]
        return type(batch)(*converted) if hasattr(batch, "_fields") else tuple(converted)
    if isinstance(batch, list):
        return [to_tensors(value, device, owned) for value in batch]
    if owned and isinstance(batch, np.ndarray) and (device is None or device == "cpu"):
        return gradkit.from_numpy(batch)
    if hasattr(batch, "shape") and hasattr(batch, "dtype"):  # a NumPy or CuPy array
        return gradkit.tensor(batch, device=device)
    return batch
