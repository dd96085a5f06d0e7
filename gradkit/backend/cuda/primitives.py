"""The CUDA primitive table: the same names and signatures as gradkit.backend.cpu (the NumPy
twins), each either a launcher of our kernels (kernels/*.cu) or, where generic array code is
as fast (GEMMs, tiny index arithmetic), the twin's formula with CuPy as the array module.

Device("cuda").primitives imports this module. Every function also takes a keyword-only
``runtime`` (default: the one set by kernel_args.use_runtime, else CuPy), which is how the
tests run this very table on the CPU executor. Importing it never imports CuPy.

Where each primitive comes from:
- kernels: activations, softmax/log_softmax, softmax-cross-entropy (class indices),
  dropout masks and random bits, im2col/col2im, max/avg pooling, normalisation statistics
  and backward (Welford), the global L2 norm, the fused optimizers and loss scaling
  (kernels/optimizer.cu, kernels/amp.cu);
- array code around kernels: conv2d (im2col/col2im kernels + cuBLAS GEMMs), soft-target
  cross-entropy (the log-softmax kernel + elementwise CuPy);
- the NumPy twin itself, which is written only with array methods, ufuncs and functions
  that CuPy overrides through NumPy's dispatch protocols (__array_ufunc__,
  __array_function__), or only computes geometry on the host: affine_forward, reduce_to,
  conv_output_size, pool_output_size, adaptive_pool_matrix (a host matrix the caller copies).
"""

# ruff: noqa: F401 - this file only re-exports

from gradkit.backend.cuda.activation import (
    activation_backward,
    activation_forward,
    bias_activation_forward,
)
from gradkit.backend.cuda.amp import (
    multi_tensor_scale,
    non_finite_check,
    non_finite_check_and_unscale,
    update_scale,
)
from gradkit.backend.cuda.conv import (
    col2im,
    conv2d_backward_input,
    conv2d_backward_weight,
    conv2d_forward,
    conv_output_size,
    im2col,
)
from gradkit.backend.cuda.dropout import dropout_forward, dropout_mask, philox4x32, random_bits
from gradkit.backend.cuda.global_norm import multi_tensor_l2norm
from gradkit.backend.cuda.normalization import (
    affine_forward,
    normalize_backward,
    normalize_forward,
    reduce_to,
)
from gradkit.backend.cuda.optimizer import adagrad_step, adam_step, rmsprop_step, sgd_step
from gradkit.backend.cuda.pooling import (
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
from gradkit.backend.cuda.softmax import log_softmax_forward, softmax_forward
from gradkit.backend.cuda.softmax_cross_entropy import (
    log_softmax_rows,
    soft_cross_entropy_backward,
    soft_cross_entropy_forward,
    softmax_cross_entropy_backward,
    softmax_cross_entropy_forward,
)
