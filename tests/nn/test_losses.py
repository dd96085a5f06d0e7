"""Losses (functional and module forms): PyTorch values and gradients over the options,
finite differences (1st and 2nd order), dtypes of loss and grads, label errors."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk
from gradkit import nn
from gradkit.nn import functional as F
from gradkit.testing import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional
REDUCTIONS = ["mean", "sum", "none"]
pytestmark = pytest.mark.filterwarnings("ignore:reduction. .mean. divides:UserWarning")


def _run(ours_fn, torch_fn, float_arrays, extra=(), dtype=np.float64):
    """Compare values and the gradients of every float array (all require grad)."""
    tol = 1e-5 if dtype == np.float32 else 1e-10
    ours = [gk.tensor(a.astype(dtype), requires_grad=True) for a in float_arrays]
    theirs = [torch.tensor(a.astype(dtype), requires_grad=True) for a in float_arrays]
    y = ours_fn(*ours, *[gk.tensor(e) for e in extra])
    ty = torch_fn(*theirs, *[torch.tensor(e) for e in extra])
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
    g = np.random.default_rng(9).standard_normal(tuple(ty.shape)).astype(dtype)
    y.backward(gk.tensor(g))
    ty.backward(torch.tensor(g))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=tol, atol=tol)
        assert a.grad.dtype == np.dtype(dtype)
    assert y.dtype == np.dtype(dtype)


# ---- cross_entropy -------------------------------------------------------------------------
CE_SHAPES = [((5, 4), (5,)), ((3, 4, 2, 3), (3, 2, 3)), ((4,), ())]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,target_shape", CE_SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_class_indices_matches_torch(
    shape, target_shape, reduction, smoothing, weighted, dtype
):
    rng = np.random.default_rng(0)
    z = rng.standard_normal(shape) * 3
    y = rng.integers(0, 4, target_shape)
    if target_shape:
        y.reshape(-1)[0] = 1  # at least one ignored row
    w = rng.random(4) + 0.5
    kw = dict(reduction=reduction, label_smoothing=smoothing, ignore_index=1)
    _run(
        lambda z, y: F.cross_entropy(
            z, y, weight=gk.tensor(w.astype(dtype)) if weighted else None, **kw
        ),
        lambda z, y: TF.cross_entropy(
            z, y, weight=torch.tensor(w.astype(dtype)) if weighted else None, **kw
        ),
        [z],
        [y],
        dtype,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_cross_entropy_probabilities_matches_torch(reduction, smoothing):
    rng = np.random.default_rng(0)
    z, p, w = rng.standard_normal((3, 4, 2)), rng.random((3, 4, 2)), rng.random(4)
    _run(
        lambda z, p: F.cross_entropy(
            z, p, weight=gk.tensor(w), reduction=reduction, label_smoothing=smoothing
        ),
        lambda z, p: TF.cross_entropy(
            z, p, weight=torch.tensor(w), reduction=reduction, label_smoothing=smoothing
        ),
        [z, p],
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_gradcheck_and_gradgradcheck(reduction):
    rng = np.random.default_rng(0)
    z = gk.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    y = gk.tensor(np.array([0, 3, 1]))
    w = gk.tensor(rng.random(4) + 0.5)

    def fn(z):
        return F.cross_entropy(
            z, y, weight=w, reduction=reduction, label_smoothing=0.1, ignore_index=1
        )

    assert gradcheck(fn, (z,))
    assert gradgradcheck(fn, (z,))
    p = gk.tensor(rng.random((3, 4)), requires_grad=True)
    soft = lambda z, p: F.cross_entropy(z, p, reduction=reduction)  # noqa: E731
    assert gradcheck(soft, (z, p))
    assert gradgradcheck(soft, (z, p))


def test_cross_entropy_is_stable_for_huge_logits():
    z = gk.tensor(np.array([[1e4, -1e4, 0.0]], dtype=np.float32), requires_grad=True)
    loss = F.cross_entropy(z, gk.tensor(np.array([1])))
    loss.backward()
    assert np.isfinite(loss.item()) and abs(loss.item() - 2e4) < 1
    assert np.isfinite(z.grad.numpy()).all()


@pytest.mark.parametrize("label_dtype", [np.int32, np.int64])
def test_cross_entropy_int_labels_keep_float32(label_dtype):
    z = gk.randn(6, 5, requires_grad=True)
    y = gk.tensor(np.arange(6).astype(label_dtype) % 5)
    loss = F.cross_entropy(z, y, weight=gk.tensor(np.ones(5)), label_smoothing=0.1)
    loss.backward()
    assert loss.dtype == np.float32 and z.grad.dtype == np.float32
    (g,) = gk.autograd.grad(F.cross_entropy(z, y), [z], create_graph=True)
    assert g.dtype == np.float32


@pytest.mark.parametrize("labels,bad", [([0, 1, 5], 5), ([0, -3, 1], -3)])
def test_cross_entropy_bad_labels_name_loss_classes_and_label(labels, bad):
    with pytest.raises(ValueError, match=rf"cross_entropy: .*for 5 classes.*got label {bad}"):
        F.cross_entropy(gk.randn(3, 5), gk.tensor(np.array(labels)))
    with pytest.raises(ValueError, match=rf"nll_loss: .*for 5 classes.*got label {bad}"):
        F.nll_loss(gk.randn(3, 5), gk.tensor(np.array(labels)))


def test_cross_entropy_module():
    rng = np.random.default_rng(0)
    z, y, w = rng.standard_normal((4, 3)), rng.integers(0, 3, 4), rng.random(3)
    ours = nn.CrossEntropyLoss(weight=gk.tensor(w), label_smoothing=0.1)(gk.tensor(z), gk.tensor(y))
    ref = torch.nn.CrossEntropyLoss(weight=torch.tensor(w), label_smoothing=0.1)(
        torch.tensor(z), torch.tensor(y)
    )
    np.testing.assert_allclose(ours.item(), ref.item(), rtol=1e-12)


# ---- the other losses ----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(
    "name,kwargs",
    [
        ("mse_loss", {}),
        ("l1_loss", {}),
        ("huber_loss", {"delta": 0.7}),
        ("smooth_l1_loss", {"beta": 0.5}),
        ("smooth_l1_loss", {"beta": 0.0}),
    ],
)
def test_regression_losses_match_torch(name, kwargs, reduction, dtype):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    _run(
        lambda a, b: getattr(F, name)(a, b, reduction=reduction, **kwargs),
        lambda a, b: getattr(TF, name)(a, b, reduction=reduction, **kwargs),
        [a, b],
        (),
        dtype,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,target_shape", CE_SHAPES[:2])
def test_nll_loss_matches_torch(reduction, shape, target_shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    y = rng.integers(0, 4, target_shape)
    w = rng.random(4) + 0.1
    _run(
        lambda x, y: F.nll_loss(x, y, weight=gk.tensor(w), ignore_index=2, reduction=reduction),
        lambda x, y: TF.nll_loss(x, y, weight=torch.tensor(w), ignore_index=2, reduction=reduction),
        [x],
        [y],
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_matches_torch(reduction):
    rng = np.random.default_rng(0)
    p, t, w = rng.random((3, 4)) * 0.9 + 0.05, rng.random((3, 4)), rng.random((3, 4))
    _run(
        lambda p, t: F.binary_cross_entropy(p, t, weight=gk.tensor(w), reduction=reduction),
        lambda p, t: TF.binary_cross_entropy(p, t, weight=torch.tensor(w), reduction=reduction),
        [p, t],
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_matches_torch_and_is_stable(reduction, dtype):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4)) * 50  # huge logits: the naive formula overflows
    t, w, pw = rng.random((3, 4)), rng.random((3, 4)), rng.random(4) * 3
    _run(
        lambda x, t: F.binary_cross_entropy_with_logits(
            x,
            t,
            weight=gk.tensor(w.astype(dtype)),
            pos_weight=gk.tensor(pw.astype(dtype)),
            reduction=reduction,
        ),
        lambda x, t: TF.binary_cross_entropy_with_logits(
            x,
            t,
            weight=torch.tensor(w.astype(dtype)),
            pos_weight=torch.tensor(pw.astype(dtype)),
            reduction=reduction,
        ),
        [x, t],
        (),
        dtype,
    )


@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_matches_torch(reduction, log_target):
    rng = np.random.default_rng(0)
    x = np.log(rng.random((3, 4)))
    t = np.log(rng.random((3, 4))) if log_target else rng.random((3, 4))
    _run(
        lambda x, t: F.kl_div(x, t, reduction=reduction, log_target=log_target),
        lambda x, t: TF.kl_div(x, t, reduction=reduction, log_target=log_target),
        [x, t],
    )


def test_kl_div_zero_target_counts_zero():
    x, t = np.log(np.full((2, 2), 0.25)), np.array([[0.0, 1.0], [0.5, 0.5]])
    ours = F.kl_div(gk.tensor(x), gk.tensor(t), reduction="sum").item()
    ref = TF.kl_div(torch.tensor(x), torch.tensor(t), reduction="sum").item()
    np.testing.assert_allclose(ours, ref, rtol=1e-12)


@pytest.mark.parametrize(
    "fn",
    [
        lambda a, b: F.mse_loss(a, b),
        lambda a, b: F.huber_loss(a, b, delta=0.5),
        lambda a, b: F.smooth_l1_loss(a, b, beta=0.5),
        lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=gk.tensor([2.0, 0.5])),
        lambda a, b: F.binary_cross_entropy(F.sigmoid(a), F.sigmoid(b)),
        lambda a, b: F.kl_div(F.log_softmax(a, dim=1), F.softmax(b, dim=1), reduction="batchmean"),
    ],
)
def test_losses_gradcheck_and_gradgradcheck(fn):
    rng = np.random.default_rng(0)
    a = gk.tensor(rng.standard_normal((3, 2)) * 2, requires_grad=True)
    b = gk.tensor(rng.random((3, 2)), requires_grad=True)
    assert gradcheck(fn, (a, b))
    assert gradgradcheck(fn, (a, b))


@pytest.mark.parametrize(
    "module,functional,kwargs",
    [
        (nn.MSELoss, TF.mse_loss, {"reduction": "sum"}),
        (nn.L1Loss, TF.l1_loss, {}),
        (nn.HuberLoss, TF.huber_loss, {"delta": 0.3}),
        (nn.SmoothL1Loss, TF.smooth_l1_loss, {"beta": 0.3}),
        (nn.BCEWithLogitsLoss, TF.binary_cross_entropy_with_logits, {}),
        (nn.KLDivLoss, TF.kl_div, {"reduction": "batchmean"}),
    ],
)
def test_loss_modules(module, functional, kwargs):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.random((3, 4))
    ours = module(**kwargs)(gk.tensor(a), gk.tensor(b)).item()
    np.testing.assert_allclose(
        ours, functional(torch.tensor(a), torch.tensor(b), **kwargs).item(), rtol=1e-10
    )


@pytest.mark.parametrize(
    "call,error,match",
    [
        (
            lambda: F.mse_loss(gk.zeros(2, 3), gk.zeros(3, 2)),
            ValueError,
            "mse_loss: expected input",
        ),
        (
            lambda: F.l1_loss(gk.zeros(2), gk.zeros(2), reduction="avg"),
            ValueError,
            "l1_loss: expected reduction",
        ),
        (
            lambda: F.cross_entropy(gk.zeros(2, 3), gk.tensor(np.array([0, 1, 2]))),
            ValueError,
            r"cross_entropy: expected a target of shape \(2,\)",
        ),
        (
            lambda: F.binary_cross_entropy(gk.tensor([1.5]), gk.tensor([1.0])),
            ValueError,
            r"binary_cross_entropy: expected all input values in \[0, 1\]",
        ),
    ],
)
def test_losses_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()
