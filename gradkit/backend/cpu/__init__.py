"""NumPy implementations of the backend primitives: the CPU path and the reference that every
CUDA kernel is tested against (same signature, same semantics, same dtype rules)."""

from .activation import activation_backward, activation_forward, bias_activation_forward
from .softmax import log_softmax_forward, softmax_forward
