"""The op table for the forward-mode checks: name -> (function, input specs, gradcheck options).

An input spec is a shape (standard normal values) or (shape, low, high) for uniform values
away from an op's kinks and poles. Every Function subclass in gradkit.ops and
gradkit.nn.functional must be reached by some entry (test_forward_ad_ops checks that).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import gradkit as gk
import gradkit.nn.functional as F
from gradkit.ops.cast import ToDevice
from gradkit.ops.index import IndexBackward
from gradkit.ops.reduce import ExclusiveProd, ReverseCumsum

POS = 0.5, 2.0  # a positive range: log, sqrt, pow bases
AWAY = 0.3, 1.5  # |x| in this range with a random sign: abs, reciprocal


def _labels(*values: int) -> gk.Tensor:
    return gk.tensor(np.array(values, dtype=np.int64))


def _seeded_dropout(x: gk.Tensor) -> gk.Tensor:
    gk.manual_seed(3)  # the same mask for every finite-difference probe
    return F.dropout(x, 0.4)


def _bool_mask(shape: tuple) -> gk.Tensor:
    return gk.tensor(np.arange(np.prod(shape)).reshape(shape) % 3 == 0)


def _inplace_through_views(a: gk.Tensor, b: gk.Tensor) -> gk.Tensor:
    """In-place ops through views (CopySlices): a view of a view is scaled in place, an older
    view is read after its base changed, and the base is updated through a slice."""
    y = a * 1.0
    row = y[0]
    columns = y[:, 1:].T
    columns *= b
    y[1:] += row
    return y * row.sum()


# name: (fn, specs, options)
CASES: dict[str, tuple[Any, list, dict]] = {
    # arithmetic (with broadcasting)
    "add": (lambda a, b: a + b, [(2, 3), (3,)], {}),
    "sub": (lambda a, b: a - b, [(2, 1), (1, 3)], {}),
    "mul": (lambda a, b: a * b, [(2, 3), (2, 1)], {}),
    "mul_scalar": (lambda a: 2.5 * a, [(2, 3)], {}),
    "div": (lambda a, b: a / b, [(2, 3), ((3,), *POS)], {}),
    "rdiv_scalar": (lambda b: 1.5 / b, [((2, 3), *POS)], {}),
    "pow_tensors": (lambda a, b: a**b, [((2, 3), *POS), (3,)], {}),
    "pow_scalar_exponent": (lambda a: a**3, [(2, 3)], {}),
    "pow_scalar_base": (lambda b: 2.0**b, [(2, 3)], {}),
    "neg": (lambda a: -a, [(2, 3)], {}),
    "remainder": (lambda a, b: gk.remainder(a, b), [((2, 3), 0.1, 0.9), ((3,), 1.5, 2.5)], {}),
    # unary
    "exp": (gk.exp, [(2, 3)], {}),
    "expm1": (gk.expm1, [(2, 3)], {}),
    "log": (gk.log, [((2, 3), *POS)], {}),
    "log1p": (gk.log1p, [((2, 3), *POS)], {}),
    "sqrt": (gk.sqrt, [((2, 3), *POS)], {}),
    "rsqrt": (gk.rsqrt, [((2, 3), *POS)], {}),
    "sin": (gk.sin, [(2, 3)], {}),
    "cos": (gk.cos, [(2, 3)], {}),
    "tan": (gk.tan, [((2, 3), -1.0, 1.0)], {}),
    "tanh": (gk.tanh, [(2, 3)], {}),
    "sigmoid": (gk.sigmoid, [(2, 3)], {}),
    "abs": (gk.abs, [("signed", (2, 3), *AWAY)], {}),
    "reciprocal": (gk.reciprocal, [("signed", (2, 3), *AWAY)], {}),
    # cast
    "cast_roundtrip": (
        lambda a: a.to(gk.float32).to(gk.float64) * 1.0,
        [(2, 3)],
        {"eps": 1e-3, "atol": 1e-4, "rtol": 1e-3},
    ),
    "to_device": (lambda a: ToDevice.apply(a, a.device), [(2, 3)], {}),
    "clone": (lambda a: a.clone(), [(2, 3)], {}),
    # compare / selection
    "where": (lambda a, b: gk.where(_bool_mask((2, 3)), a, b), [(2, 3), (3,)], {}),
    "where_scalar": (lambda a: gk.where(_bool_mask((2, 3)), a, 0.5), [(2, 3)], {}),
    "maximum": (gk.maximum, [(2, 3), (3,)], {}),
    "minimum": (gk.minimum, [(2, 3), (2, 1)], {}),
    "clamp_scalars": (lambda a: gk.clamp(a, -0.5, 0.5), [(3, 4)], {}),
    "clamp_tensors": (
        lambda a, lo, hi: gk.clamp(a, lo, hi - 3.0),
        [(3, 4), ((4,), -1.0, -0.5), ((4,), 3.5, 4.0)],
        {},
    ),
    # reductions
    "sum_axis": (lambda a: gk.sum(a, axis=1), [(2, 3)], {}),
    "sum_all_keepdims": (lambda a: gk.sum(a, keepdims=True), [(2, 3)], {}),
    "mean": (lambda a: gk.mean(a, axis=(0, 2)), [(2, 3, 2)], {}),
    "prod_axis": (lambda a: gk.prod(a, axis=1), [(2, 3)], {}),
    "prod_all": (gk.prod, [(2, 3)], {}),
    "exclusive_prod": (lambda a: ExclusiveProd.apply(a, (1,)), [(2, 3)], {}),
    "max_axis": (lambda a: gk.max(a, axis=1), [(3, 4)], {}),
    "min_all": (gk.min, [(3, 4)], {}),
    "amax_tuple": (lambda a: gk.amax(a, axis=(0, 2), keepdims=True), [(2, 3, 2)], {}),
    "var": (lambda a: gk.var(a, axis=1), [(2, 4)], {}),
    "std": (lambda a: gk.std(a, axis=0, correction=0), [(3, 2)], {}),
    "logsumexp": (lambda a: gk.logsumexp(a, axis=1), [(2, 4)], {}),
    "norm2": (lambda a: gk.norm(a, axis=1), [(2, 4)], {}),
    "norm_p3": (lambda a: gk.norm(a, 3, axis=1), [(2, 4)], {}),
    "norm_inf": (lambda a: gk.norm(a, float("inf")), [(2, 4)], {}),
    "cumsum": (lambda a: gk.cumsum(a, axis=1), [(2, 4)], {}),
    "reverse_cumsum": (lambda a: ReverseCumsum.apply(a, 0), [(3, 2)], {}),
    # shapes
    "reshape": (lambda a: gk.reshape(a, (3, 2)), [(2, 3)], {}),
    "broadcast_to": (lambda a: gk.broadcast_to(a, (2, 3)), [(3,)], {}),
    "permute": (lambda a: gk.permute(a, (2, 0, 1)), [(2, 3, 2)], {}),
    "concat": (lambda a, b: gk.concat([a, b], axis=1), [(2, 2), (2, 3)], {}),
    "concat_constant": (
        lambda a: gk.concat([a, gk.ones(2, 1, dtype=gk.float64)], axis=1),
        [(2, 2)],
        {},
    ),
    "stack": (lambda a, b: gk.stack([a, b], axis=1), [(2, 3), (2, 3)], {}),
    "split": (lambda a: gk.split(a, [1, 2], axis=1), [(2, 3)], {}),
    "unbind": (lambda a: gk.unbind(a, 1), [(2, 3)], {}),
    "pad_constant": (lambda a: gk.pad(a, (1, 2, -1, 1), value=0.5), [(3, 4)], {}),
    "pad_reflect": (lambda a: gk.pad(a, (2, 1), mode="reflect"), [(2, 4)], {}),
    "repeat": (lambda a: a.repeat(2, 1, 2), [(2, 3)], {}),
    "flip": (lambda a: gk.flip(a, 0, 1), [(2, 3)], {}),
    "roll": (lambda a: gk.roll(a, (1, -1), (0, 1)), [(2, 3)], {}),
    # indexing
    "getitem_basic": (lambda a: a[1:, ::2], [(3, 4)], {}),
    "getitem_advanced": (lambda a: a[np.array([0, 2, 0])], [(3, 2)], {}),
    "index_backward": (
        lambda g: IndexBackward.apply(g, (3, 2), (np.array([0, 2, 0]),)),
        [(3, 2)],
        {},
    ),
    "index_put": (lambda a, v: gk.index_put(a, (np.array([0, 2]),), v), [(3, 2), (2,)], {}),
    "index_put_accumulate": (
        lambda a, v: gk.index_put(a, (np.array([0, 2, 0]),), v, accumulate=True),
        [(3, 2), (3, 2)],
        {},
    ),
    "gather": (lambda a: gk.gather(a, 1, np.array([[0, 2], [1, 1]])), [(2, 3)], {}),
    "scatter_add": (
        lambda a, s: gk.scatter_add(a, 1, np.array([[0, 0], [2, 1]]), s),
        [(2, 3), (2, 2)],
        {},
    ),
    "inplace_through_views": (_inplace_through_views, [(3, 3), (2, 3)], {}),
    # linear algebra
    "matmul": (gk.matmul, [(2, 3), (3, 2)], {}),
    "matmul_batched": (gk.matmul, [(2, 2, 3), (3, 2)], {}),
    "matmul_vector": (gk.matmul, [(3,), (3, 2)], {}),
    "dot": (gk.matmul, [(3,), (3,)], {}),
    "linear": (F.linear, [(2, 3), (4, 3), (4,)], {}),
    "einsum": (lambda a, b: gk.einsum("ij,jk->ik", a, b), [(2, 3), (3, 2)], {}),
    "einsum_trace": (lambda a: gk.einsum("ii->", a), [(3, 3)], {}),
    "softmax": (lambda a: gk.softmax(a, axis=1), [(2, 3)], {}),
    "log_softmax": (lambda a: gk.log_softmax(a, axis=0), [(2, 3)], {}),
    # activations
    "relu": (F.relu, [("signed", (2, 3), *AWAY)], {}),
    "leaky_relu": (lambda a: F.leaky_relu(a, 0.1), [("signed", (2, 3), *AWAY)], {}),
    "gelu": (F.gelu, [(2, 3)], {}),
    "gelu_tanh": (lambda a: F.gelu(a, approximate="tanh"), [(2, 3)], {}),
    "silu": (F.silu, [(2, 3)], {}),
    "softplus": (F.softplus, [(2, 3)], {}),
    "elu": (F.elu, [("signed", (2, 3), *AWAY)], {}),
    "hardtanh": (F.hardtanh, [("signed", (2, 3), 0.2, 0.8)], {}),
    # nn.functional
    "conv2d": (
        lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1),
        [(1, 2, 4, 4), (3, 2, 3, 3), (3,)],
        {},
    ),
    "conv1d": (lambda x, w: F.conv1d(x, w, padding=1), [(1, 2, 5), (2, 2, 3)], {}),
    "conv_transpose2d": (
        lambda x, w: F.conv_transpose2d(x, w, stride=2),
        [(1, 2, 2, 2), (2, 1, 2, 2)],
        {},
    ),
    "max_pool2d": (lambda x: F.max_pool2d(x, 2), [(1, 1, 4, 4)], {}),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, 2, stride=1), [(1, 2, 3, 3)], {}),
    "adaptive_avg_pool2d": (lambda x: F.adaptive_avg_pool2d(x, (2, 1)), [(1, 1, 3, 3)], {}),
    "batch_norm": (
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        [(3, 2, 2), (2,), (2,)],
        {},
    ),
    "layer_norm": (lambda x, w, b: F.layer_norm(x, (3,), w, b), [(2, 3), (3,), (3,)], {}),
    "group_norm": (lambda x: F.group_norm(x, 2), [(1, 4, 2)], {}),
    "dropout": (_seeded_dropout, [(2, 3)], {}),
    "embedding": (lambda w: F.embedding(np.array([[0, 2], [2, 1]]), w), [(3, 2)], {}),
    "cross_entropy": (
        lambda z: F.cross_entropy(
            z,
            _labels(0, 2, 1),
            weight=gk.tensor([0.5, 1.0, 2.0], dtype=gk.float64),
            label_smoothing=0.1,
        ),
        [(3, 3)],
        {},
    ),
    "cross_entropy_none": (
        lambda z: F.cross_entropy(z, _labels(1, -100), reduction="none"),
        [(2, 3)],
        {},
    ),
    "cross_entropy_soft": (
        lambda z, t: F.cross_entropy(z, t, label_smoothing=0.2, reduction="sum"),
        [(2, 3), ((2, 3), *POS)],
        {},
    ),
    "nll_loss": (lambda z: F.nll_loss(gk.log_softmax(z, axis=1), _labels(2, 0)), [(2, 3)], {}),
    "mse_loss": (F.mse_loss, [(2, 3), (2, 3)], {}),
}

# reached only as part of a backward pass (forward over reverse: gradgradcheck covers them)
SECOND_ORDER_ONLY = {
    "GeluSlope",
    "_ConvInputGrad",
    "_ConvWeightGrad",
    "_MaxPoolScatter",
    "_MaxPoolGather",
    "_AvgPoolTranspose",
    "_EmbeddingScatter",
}


def make_inputs(specs: list, seed: int = 0) -> tuple:
    rng = np.random.default_rng(seed)
    inputs = []
    for spec in specs:
        if isinstance(spec, tuple) and spec and spec[0] == "signed":
            _, shape, low, high = spec
            values = rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)
        elif isinstance(spec, tuple) and spec and isinstance(spec[0], tuple):
            shape, low, high = spec
            values = rng.uniform(low, high, shape)
        else:
            values = rng.standard_normal(spec)
        inputs.append(gk.tensor(values, dtype=gk.float64, requires_grad=True))
    return tuple(inputs)
