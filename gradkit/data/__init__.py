"""Data loading: datasets, samplers, the DataLoader, transforms and real dataset formats.

Typical training input::

    train = gradkit.data.MNIST(train=True)  # float32 1×28×28 images in [0, 1]
    loader = gradkit.data.DataLoader(train, batch_size=128, shuffle=True, seed=0, device="cuda")
    for images, labels in loader:  # float32 (128, 1, 28, 28), int64 (128,)
        ...
"""

from . import transforms
from .collate import default_collate
from .dataset import Dataset, Subset, TensorDataset, random_split
from .datasets import (
    CIFAR10,
    MNIST,
    FashionMNIST,
    ImageDataset,
    read_cifar10_binary,
    read_idx,
    write_idx,
)
from .distributed_sampler import DistributedSampler
from .loader import DataLoader
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler
from .transforms import Compose, Normalize, RandomCrop, RandomHorizontalFlip, ToFloat

__all__ = [
    "CIFAR10",
    "MNIST",
    "BatchSampler",
    "Compose",
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "FashionMNIST",
    "ImageDataset",
    "Normalize",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "TensorDataset",
    "ToFloat",
    "default_collate",
    "random_split",
    "read_cifar10_binary",
    "read_idx",
    "transforms",
    "write_idx",
]
