"""gk.nn.functional (F): the stateless forms of the layers, the losses, and the activations
and softmax of gradkit.ops re-exported under PyTorch's names."""

# ruff: noqa: F401 - this file only re-exports

from ...ops import (
    elu,
    gelu,
    hardtanh,
    leaky_relu,
    linear,
    log_softmax,
    relu,
    relu6,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)
from .conv import conv1d, conv2d, conv_transpose2d
from .cross_entropy import cross_entropy
from .dropout import dropout, dropout2d
from .embedding import embedding
from .loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    nll_loss,
    smooth_l1_loss,
)
from .normalization import batch_norm, group_norm, layer_norm
from .pooling import (
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)

__all__ = [name for name in dir() if not name.startswith("_")]
