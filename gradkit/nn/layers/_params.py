"""Parameter creation with PyTorch's default initialisation, shared by the layers."""

from __future__ import annotations

import math
from typing import Any

from ... import creation
from ...autograd.grad_mode import no_grad
from .. import init
from ..parameter import Parameter


def empty_parameter(shape: tuple[int, ...], device: Any, dtype: Any) -> Parameter:
    return Parameter(creation.empty(*shape, device=device, dtype=dtype or "float32"))


def kaiming_default_(weight: Parameter, bias: Parameter | None, fan_in: int) -> None:
    """PyTorch's Linear/Conv reset: kaiming_uniform(a=sqrt(5)) for the weight (a bound of
    1/sqrt(fan_in)) and U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias."""
    with no_grad():
        init.kaiming_uniform_(weight, a=math.sqrt(5))
        if bias is not None:
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(bias, -bound, bound)
