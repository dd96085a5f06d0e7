"""Parameter: a leaf Tensor that a Module registers as trainable state."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend.device import cpu
from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor that requires grad by default and that Modules collect in ``parameters()``.

    ``Parameter(t)`` shares ``t``'s memory and version counter but is always a leaf, whatever
    history ``t`` had (like ``torch.nn.Parameter``). Ops on a Parameter return plain Tensors.
    """

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = Tensor._make(np.empty((0,), dtype=np.float32), cpu)
        if isinstance(data, Tensor):
            self.data = data.data
            self.device = data.device
            self._vc = data._vc
        else:
            source = Tensor(data)
            self.data = source.data
            self.device = source.device
            self._vc = source._vc
        self.requires_grad = False
        self.grad = None
        self.grad_fn = None
        self._output_nr = 0
        self._hooks = None
        self._grad_owned = False
        self._retains_grad = False
        self._fw = None
        self._view_base = None  # a Parameter is never a view (see Tensor._make)
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
