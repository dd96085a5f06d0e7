"""Datasets read from their real file formats: IDX (MNIST, Fashion-MNIST), CIFAR-10 binary."""

from .cifar10 import CIFAR10
from .cifar10_binary import read_cifar10_binary
from .idx import read_idx, write_idx
from .image_dataset import ImageDataset
from .mnist import MNIST, FashionMNIST

__all__ = [
    "CIFAR10",
    "MNIST",
    "FashionMNIST",
    "ImageDataset",
    "read_cifar10_binary",
    "read_idx",
    "write_idx",
]
