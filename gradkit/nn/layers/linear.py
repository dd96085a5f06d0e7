"""Linear: y = x W^T + b."""

from __future__ import annotations

from typing import Any

from ... import ops
from ...tensor import Tensor
from ..module import Module
from ._params import empty_parameter, kaiming_default_


class Linear(Module):
    """Applies x @ weight.T + bias; weight (out_features, in_features), bias (out_features,)."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = empty_parameter((out_features, in_features), device, dtype)
        self.bias = empty_parameter((out_features,), device, dtype) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        kaiming_default_(self.weight, self.bias, self.in_features)

    def forward(self, input: Tensor) -> Tensor:  # noqa: A002
        if not isinstance(input, Tensor):
            raise TypeError(f"Linear: expected a Tensor input, got {type(input).__name__}")
        if input.ndim == 0 or input.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear({self.in_features}, {self.out_features}): expected input "
                f"with last dim in_features={self.in_features}, got input of "
                f"shape {tuple(input.shape)}"
            )
        return ops.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )
