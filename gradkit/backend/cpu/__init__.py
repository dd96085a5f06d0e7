"""NumPy implementations of the backend primitives: the CPU path and the reference that every
CUDA kernel is tested against (same signature, same semantics, same dtype rules)."""

# ruff: noqa: F401 - this file only re-exports

from .activation import activation_backward, activation_forward, bias_activation_forward
from .amp import (
    multi_tensor_scale,
    non_finite_check,
    non_finite_check_and_unscale,
    update_scale,
)
from .conv import (
    col2im,
    conv2d_backward_input,
    conv2d_backward_weight,
    conv2d_forward,
    conv_output_size,
    im2col,
)
from .dropout import dropout_forward, dropout_mask, philox4x32, random_bits
from .global_norm import multi_tensor_l2norm
from .normalization import affine_forward, normalize_backward, normalize_forward, reduce_to
from .optimizer import adagrad_step, adam_step, rmsprop_step, sgd_step
from .pooling import (
    adaptive_pool_matrix,
    avg_pool2d_backward,
    avg_pool2d_forward,
    max_pool2d_backward,
    max_pool2d_flat_indices,
    max_pool2d_forward,
    max_pool2d_gather,
    pool_output_size,
    separable_apply,
)
from .softmax import log_softmax_forward, softmax_forward
from .softmax_cross_entropy import (
    log_softmax_rows,
    soft_cross_entropy_backward,
    soft_cross_entropy_forward,
    softmax_cross_entropy_backward,
    softmax_cross_entropy_forward,
)
