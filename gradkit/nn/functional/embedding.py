"""embedding: row lookup; its gradient scatter-adds into the table (padding_idx gets none).

Gather and scatter are adjoint to each other, so the pair differentiates to any order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...autograd.function import Function
from ...backend.determinism import are_deterministic_algorithms_enabled, deterministic_add_at
from ...tensor import Tensor
from ._args import check_tensor


class _EmbeddingGather(Function):
    """out[...] = weight[indices[...]]; with ``zero_padding``, rows looked up at padding_idx
    come out as zeros (used by the adjoint of the scatter)."""

    @staticmethod
    def forward(ctx, weight, indices, padding_idx, zero_padding):
        out = weight.data[indices]
        if zero_padding and padding_idx is not None:
            out[indices == padding_idx] = 0
        ctx.indices, ctx.padding_idx, ctx.num = indices, padding_idx, weight.shape[0]
        ctx.zero_padding = zero_padding
        return Tensor._make(out, weight.device)

    @staticmethod
    def backward(ctx, grad):
        grad_w = _EmbeddingScatter.apply(grad, ctx.indices, ctx.num, ctx.padding_idx)
        return grad_w, None, None, None

    @staticmethod
    def jvp(ctx, tangent, _indices, _padding_idx, _zero_padding):
        return _EmbeddingGather.apply(tangent, ctx.indices, ctx.padding_idx, ctx.zero_padding)


class _EmbeddingScatter(Function):
    """table[k] = sum of grad rows whose index is k; the padding_idx row stays zero."""

    @staticmethod
    def forward(ctx, grad, indices, num, padding_idx):
        xp = grad.device.xp
        dim = grad.shape[-1]
        out = xp.zeros((num, dim), dtype=grad.dtype)
        flat = indices.reshape(-1)
        rows = grad.data.reshape(-1, dim)
        if xp is np:
            np.add.at(out, flat, rows)
        elif are_deterministic_algorithms_enabled():  # pragma: no cover - GPU
            deterministic_add_at(out, flat, rows, xp)
        else:  # pragma: no cover - GPU
            import cupyx

            cupyx.scatter_add(out, flat, rows)
        if padding_idx is not None:
            out[padding_idx] = 0
        ctx.indices, ctx.padding_idx, ctx.num = indices, padding_idx, num
        return Tensor._make(out, grad.device)

    @staticmethod
    def backward(ctx, grad_table):
        grad = _EmbeddingGather.apply(grad_table, ctx.indices, ctx.padding_idx, True)
        return grad, None, None, None

    @staticmethod
    def jvp(ctx, tangent, _indices, _num, _padding_idx):
        return _EmbeddingScatter.apply(tangent, ctx.indices, ctx.num, ctx.padding_idx)


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,  # noqa: A002
    max_norm: Any = None,
) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) at the integer ``input`` indices."""
    op = "embedding"
    check_tensor(weight, "weight", op)
    if weight.ndim != 2:
        raise ValueError(
            f"{op}: expected a 2-D weight (num_embeddings, dim), got shape {tuple(weight.shape)}"
        )
    if max_norm is not None:
        raise NotImplementedError(f"{op}: max_norm is not supported")
    indices = input.data if isinstance(input, Tensor) else weight.device.xp.asarray(input)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{op}: expected integer indices, got dtype {indices.dtype}")
    num = weight.shape[0]
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= num):
        bad = int(indices.min()) if int(indices.min()) < 0 else int(indices.max())
        raise IndexError(f"{op}: index {bad} is out of range for {num} embeddings")
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise ValueError(
                f"{op}: padding_idx {padding_idx} is out of range for {num} embeddings"
            )
        padding_idx %= num
    return _EmbeddingGather.apply(weight, indices, padding_idx, False)
