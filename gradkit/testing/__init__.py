"""Tools for testing derivatives (and, later, CUDA kernels without a GPU)."""

from .gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]
