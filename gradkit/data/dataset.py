"""Map-style datasets: the base class, arrays held in memory, subsets and random splits.

Datasets that hold all their samples in arrays can also hand out a whole batch at once
(``get_batch``): one fancy-index per array instead of one ``__getitem__`` per sample, which is
what keeps the DataLoader's cost per MNIST epoch in milliseconds.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from ._seeding import SeedLike, make_generator, resolve_seed_argument


class Dataset:
    """A map-style dataset: ``dataset[i]`` is sample ``i`` for ``0 <= i < len(dataset)``.

    Subclasses that keep their samples in arrays may set ``supports_batches`` and implement
    ``get_batch(indices)``, returning the batch already stacked (same structure as one sample,
    with a leading batch dimension on every array) in new arrays that share no memory with the
    dataset (fancy indexing makes such copies), since batches may wrap them without copying.
    """

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    @property
    def supports_batches(self) -> bool:
        return False

    def get_batch(self, indices: np.ndarray) -> Any:
        raise NotImplementedError(f"{type(self).__name__} cannot fetch whole batches")


def normalize_index(owner: str, index: Any, length: int) -> int:
    """An int index in range, with Python's negative indexing; a clear IndexError otherwise."""
    if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
        raise TypeError(f"{owner}: index must be an int, got {type(index).__name__}")
    position = int(index) + length if index < 0 else int(index)
    if not 0 <= position < length:
        raise IndexError(f"{owner}: index {index} is out of range for {length} samples")
    return position


def take_rows(array: Any, indices: np.ndarray) -> Any:
    """``array[indices]`` for NumPy arrays and for arrays of other modules (CuPy on the GPU),
    whose fancy indexing wants an index array of their own module."""
    if isinstance(array, np.ndarray):
        return array[indices]
    array_module = sys.modules[type(array).__module__.split(".")[0]]
    return array[array_module.asarray(indices)]


def is_gradkit_tensor(value: Any) -> bool:
    # Looked up at call time: gradkit.data is imported while gradkit itself is still loading.
    tensor_class = getattr(sys.modules.get("gradkit"), "Tensor", None)
    return tensor_class is not None and isinstance(value, tensor_class)


def underlying_array(value: Any) -> Any:
    """The ndarray behind a gradkit Tensor (NumPy or CuPy); anything else through np.asarray."""
    if isinstance(value, np.ndarray):
        return value
    if is_gradkit_tensor(value):
        return value.data
    return np.asarray(value)


class TensorDataset(Dataset):
    """Samples are the rows of tensors (or arrays) that share their first dimension.

    ``dataset[i]`` is ``(t[i] for t in tensors)``, e.g. ``(image, label)``.
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor, got none")
        arrays = [underlying_array(t) for t in tensors]
        shapes = [tuple(a.shape) for a in arrays]
        if any(len(shape) == 0 for shape in shapes):
            raise ValueError(
                f"TensorDataset: every tensor needs a first (sample) dimension; got shapes {shapes}"
            )
        if len({shape[0] for shape in shapes}) != 1:
            raise ValueError(
                "TensorDataset: every tensor must have the same first dimension "
                f"(the number of samples); got shapes {shapes}"
            )
        # Keep the caller's objects for __getitem__ (Tensor rows stay Tensors) and their arrays
        # for whole-batch fancy indexing.
        self.tensors = tuple(t if hasattr(t, "shape") else a for t, a in zip(tensors, arrays))
        self._arrays = tuple(arrays)

    def __len__(self) -> int:
        return int(self._arrays[0].shape[0])

    def __getitem__(self, index: int) -> tuple[Any, ...]:
        position = normalize_index("TensorDataset", index, len(self))
        return tuple(t[position] for t in self.tensors)

    @property
    def supports_batches(self) -> bool:
        return True

    def get_batch(self, indices: np.ndarray) -> tuple[Any, ...]:
        return tuple(take_rows(a, indices) for a in self._arrays)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices: Sequence[int] | np.ndarray) -> None:
        index_array = np.asarray(indices)
        if index_array.size == 0:
            index_array = index_array.astype(np.int64)
        if index_array.ndim != 1 or index_array.dtype.kind not in "iu":
            raise TypeError(
                "Subset: indices must be a 1-D sequence of ints, "
                f"got shape {index_array.shape} of {index_array.dtype}"
            )
        size = len(dataset)
        if index_array.size and (index_array.min() < -size or index_array.max() >= size):
            raise IndexError(
                f"Subset: indices must lie in [-{size}, {size}) for a dataset of {size} samples; "
                f"got values from {index_array.min()} to {index_array.max()}"
            )
        self.dataset = dataset
        self.indices = np.where(index_array < 0, index_array + size, index_array).astype(np.int64)

    def __len__(self) -> int:
        return int(self.indices.shape[0])

    def __getitem__(self, index: int) -> Any:
        position = normalize_index("Subset", index, len(self))
        return self.dataset[int(self.indices[position])]

    @property
    def supports_batches(self) -> bool:
        return self.dataset.supports_batches if isinstance(self.dataset, Dataset) else False

    def get_batch(self, indices: np.ndarray) -> Any:
        return self.dataset.get_batch(self.indices[indices])


def split_lengths(total: int, lengths: Sequence[int | float]) -> list[int]:
    """Absolute sizes from ``lengths``: ints that add up to ``total``, or fractions adding to 1.

    Fractions are floored and the samples left over go one each to the first parts, so every
    sample lands in exactly one part (PyTorch's rule).
    """
    if len(lengths) == 0:
        raise ValueError("random_split: lengths must not be empty")
    if all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) for n in lengths):
        if any(n < 0 for n in lengths):
            raise ValueError(f"random_split: lengths must be non-negative, got {list(lengths)}")
        if sum(lengths) != total:
            raise ValueError(
                f"random_split: lengths {list(lengths)} add up to {sum(lengths)}, "
                f"but the dataset has {total} samples"
            )
        return [int(n) for n in lengths]
    if all(isinstance(f, (float, np.floating)) for f in lengths):
        if any(not 0.0 <= f <= 1.0 for f in lengths) or not math.isclose(
            sum(lengths), 1.0, abs_tol=1e-6
        ):
            raise ValueError(
                "random_split: fractions must lie in [0, 1] and add up to 1, "
                f"got {list(lengths)} (sum {sum(lengths)})"
            )
        sizes = [math.floor(total * f) for f in lengths]
        for part in range(total - sum(sizes)):
            sizes[part % len(sizes)] += 1
        return sizes
    raise TypeError(
        f"random_split: lengths must be all ints or all floats (fractions), got {list(lengths)}"
    )


def random_split(
    dataset: Dataset,
    lengths: Sequence[int | float],
    seed: SeedLike = None,
    generator: SeedLike = None,
) -> list[Subset]:
    """Split ``dataset`` into disjoint random subsets of the given sizes (or fractions)."""
    sizes = split_lengths(len(dataset), lengths)
    rng = make_generator("random_split", resolve_seed_argument("random_split", seed, generator))
    permutation = rng.permutation(len(dataset))
    bounds = np.cumsum([0, *sizes])
    return [
        Subset(dataset, permutation[start:stop]) for start, stop in zip(bounds[:-1], bounds[1:])
    ]
