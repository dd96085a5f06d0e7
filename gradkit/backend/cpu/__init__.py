"""NumPy implementations of the backend primitives: the CPU path and the reference that every
CUDA kernel is tested against (same signature, same semantics, same dtype rules)."""
