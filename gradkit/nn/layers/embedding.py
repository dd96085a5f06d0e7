"""Embedding: a lookup table of num_embeddings vectors of size embedding_dim."""

from __future__ import annotations

from typing import Any

from ... import creation
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from .. import init
from ..functional.embedding import embedding
from ..module import Module
from ..parameter import Parameter


class Embedding(Module):
    """Initialised from N(0, 1) like PyTorch; the padding_idx row is zero and gets no
    gradient."""

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        device: Any = None,
        dtype: Any = None,
        _weight: Tensor | None = None,
    ) -> None:
        super().__init__()
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(
                    f"Embedding: padding_idx {padding_idx} is out of range for "
                    f"{num_embeddings} embeddings"
                )
            padding_idx %= num_embeddings
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = padding_idx
        if _weight is not None:
            self.weight = Parameter(_weight)
        else:
            self.weight = Parameter(
                creation.empty(
                    num_embeddings, embedding_dim, device=device, dtype=dtype or "float32"
                )
            )
            self.reset_parameters()

    def reset_parameters(self) -> None:
        with no_grad():
            init.normal_(self.weight)
            if self.padding_idx is not None:
                self.weight.data[self.padding_idx] = 0

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        return embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None else "")

    @classmethod
    def from_pretrained(
        cls, embeddings: Tensor, freeze: bool = True, padding_idx: int | None = None
    ) -> Embedding:
        module = cls(
            embeddings.shape[0],
            embeddings.shape[1],
            padding_idx,
            _weight=embeddings.detach().clone(),
        )
        module.weight.requires_grad_(not freeze)
        return module
