"""gradkit: tensors with reverse- and forward-mode autodiff, on CPU (NumPy) and NVIDIA GPUs."""

from __future__ import annotations

from . import autograd, cuda, data, testing
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .backend.determinism import (
    are_deterministic_algorithms_enabled,
    use_deterministic_algorithms,
)
from .backend.device import Device
from .backend.device import Device as device  # noqa: N813 - gk.device("cuda") like PyTorch
from .backend.dtypes import (
    bool_,
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    long,
    uint8,
)
from .creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .dlpack import from_dlpack
from .ops import *  # noqa: F403 - every op is also a top-level function, as in PyTorch
from .random import get_rng_state, initial_seed, manual_seed, set_rng_state
from .serialization import load, save
from .tensor import Tensor

# isort: split
# nn and optim after Tensor: nn.functional imports ops, which need Tensor defined first
from . import (
    amp,
    distributed,
    func,  # gk.func.grad, jvp, jacfwd, hessian, ... (after ops)
    nn,
    optim,
)

bool = bool_  # noqa: A001 - gk.bool like torch.bool
float = float32  # noqa: A001
int = int32  # noqa: A001

__version__ = "0.1.0"
