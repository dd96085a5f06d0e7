"""Every kernel instantiation the launchers use, per source file.

NVRTC only emits a template kernel that is named when the module is compiled, so the loader
passes these name expressions to CuPy, the compile check compiles exactly these, and the
CPU executor wraps exactly these.
"""

from __future__ import annotations


def manifest() -> dict[str, tuple[str, ...]]:
    """{source file name: name expressions} for every .cu file the runtime loads."""
    from gradkit.backend.cuda import (
        activation,
        conv,
        dropout,
        global_norm,
        normalization,
        pooling,
        softmax,
        softmax_cross_entropy,
    )

    families = (
        activation,
        softmax,
        softmax_cross_entropy,
        dropout,
        conv,
        pooling,
        global_norm,
        normalization,
    )
    from gradkit.backend.cuda import amp, optimizer  # fused optimizers and loss scaling

    families = (*families, optimizer, amp)
    return {family.KERNEL_FILE: family.NAME_EXPRESSIONS for family in families}


def name_expressions(file: str) -> tuple[str, ...]:
    try:
        return manifest()[file]
    except KeyError:
        raise KeyError(
            f"{file!r} is not in gradkit.backend.cuda.kernel_manifest; add its launcher's "
            "name expressions there"
        ) from None
