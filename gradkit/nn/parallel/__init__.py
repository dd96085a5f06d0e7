"""Data parallelism: ``DistributedDataParallel`` (one replica per process, averaged gradients)."""

from .distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
