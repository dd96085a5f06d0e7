"""The one textual change a CUDA source needs before g++ can compile it for the executor.

`__shared__` expands to `static` (see include/cuda_cpu.h), but `extern __shared__ T name[];`
(dynamic shared memory, sized at launch) cannot become `extern static`. It becomes a pointer
to the executor's dynamic shared buffer instead; like on a GPU, every such array in a kernel
starts at the same address.
"""

from __future__ import annotations

import re

_ALIGN = r"__align__\s*\((?:[^()]|\([^()]*\))*\)"
_DYNAMIC_SHARED = re.compile(
    r"\bextern\s+__shared__\s+(?P<type>[^;\[\]]*?)\s*\b(?P<name>[A-Za-z_]\w*)\s*\[\s*\]\s*;"
)
_LEFTOVER = re.compile(r"\bextern\s+__shared__\b[^;]*;?")


class UnsupportedSourceError(ValueError):
    """A construct the executor cannot emulate; the message names file and line."""


def rewrite_dynamic_shared(source: str, file: str) -> str:
    def replace(match: re.Match) -> str:
        element_type = re.sub(_ALIGN, "", match.group("type")).strip()
        # Keep the line count so compiler messages still point at the right lines.
        newlines = "\n" * match.group(0).count("\n")
        return (
            f"{element_type}* const {match.group('name')} = "
            f"reinterpret_cast<{element_type}*>(::gkcpu::dynamic_shared_memory());{newlines}"
        )

    rewritten = _DYNAMIC_SHARED.sub(replace, source)
    leftover = _LEFTOVER.search(rewritten)
    if leftover:
        line = rewritten.count("\n", 0, leftover.start()) + 1
        raise UnsupportedSourceError(
            f"{file} (line {line} of the preprocessed text): unsupported dynamic shared memory "
            f"declaration {leftover.group(0)!r}; write one `extern __shared__ T name[];` per line"
        )
    return rewritten
