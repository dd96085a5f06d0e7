"""Every optimizer option follows torch.optim's trajectory for 100 steps on the same gradients."""

from __future__ import annotations

import numpy as np
import pytest

import gradkit as gk

torch = pytest.importorskip("torch")

SHAPES = [(4, 3), (3,), (2, 2, 5), ()]

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    ("SGD", dict(lr=0.1, weight_decay=0.05, maximize=True)),
    ("SGD", dict(lr=0.1, momentum=0.5, nesterov=True, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=1e-2)),
    ("Adam", dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-6)),
    ("Adam", dict(lr=1e-2, betas=(0.3, 0.9))),  # lerp's other branch (weight >= 0.5)
    ("Adam", dict(lr=1e-2, amsgrad=True)),
    ("Adam", dict(lr=1e-2, weight_decay=0.1)),
    ("Adam", dict(lr=1e-2, maximize=True, amsgrad=True, weight_decay=0.01)),
    ("AdamW", dict(lr=1e-2)),
    ("AdamW", dict(lr=1e-2, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=1e-2, maximize=True)),
    ("RMSprop", dict(lr=1e-2)),
    ("RMSprop", dict(lr=1e-2, alpha=0.9, eps=1e-6)),
    ("RMSprop", dict(lr=1e-2, momentum=0.9)),
    ("RMSprop", dict(lr=1e-2, centered=True)),
    ("RMSprop", dict(lr=1e-3, centered=True, momentum=0.5, weight_decay=0.1)),
    ("RMSprop", dict(lr=1e-2, maximize=True, weight_decay=0.01)),
    ("Adagrad", dict(lr=1e-1)),
    ("Adagrad", dict(lr=1e-1, lr_decay=0.01)),
    ("Adagrad", dict(lr=1e-1, weight_decay=0.1, initial_accumulator_value=0.5)),
    ("Adagrad", dict(lr=1e-1, eps=1e-3, maximize=True)),
]


def _ids(case):
    name, options = case
    return name + "-" + "-".join(f"{k}={v}" for k, v in options.items())


def _run_both(name, options, dtype, steps=100, skip=None, shapes=SHAPES):
    rng = np.random.default_rng(0)
    starts = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(steps)]
    ours = [gk.nn.Parameter(gk.tensor(a)) for a in starts]
    theirs = [torch.nn.Parameter(torch.tensor(a)) for a in starts]
    opt = getattr(gk.optim, name)(ours, **options)
    ref = getattr(torch.optim, name)(theirs, **options)
    for t, step_grads in enumerate(grads):
        for i, (p, q, g) in enumerate(zip(ours, theirs, step_grads)):
            absent = skip is not None and skip(t, i)
            p.grad = None if absent else gk.tensor(g)
            q.grad = None if absent else torch.tensor(g)
        opt.step()
        ref.step()
    return ours, theirs, opt, ref


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_trajectory_matches_torch_float32(case):
    ours, theirs, _, _ = _run_both(*case, np.float32)
    for p, q in zip(ours, theirs):
        assert p.dtype == gk.float32
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("case", CASES[::4], ids=_ids)
def test_trajectory_matches_torch_float64(case):
    ours, theirs, _, _ = _run_both(*case, np.float64, steps=30)
    for p, q in zip(ours, theirs):
        assert p.dtype == gk.float64
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("case", [CASES[1], CASES[10], CASES[20], CASES[24]], ids=_ids)
def test_parameters_without_a_gradient_are_skipped_like_torch(case):
    # every third step parameter 1 has no gradient: its own step count falls behind
    ours, theirs, opt, ref = _run_both(
        *case, np.float32, steps=30, skip=lambda t, i: i == 1 and t % 3 == 0
    )
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=2e-5, atol=2e-6)
    if "step" in ref.state[theirs[1]]:
        assert float(opt.state[ours[1]]["step"].item()) == float(ref.state[theirs[1]]["step"])


@pytest.mark.parametrize("case", [CASES[2], CASES[12], CASES[20], CASES[24]], ids=_ids)
def test_tensors_larger_than_one_block_match_torch(case):
    # more elements than backend.cpu.optimizer.BLOCK: the update runs block by block
    ours, theirs, _, _ = _run_both(*case, np.float32, steps=5, shapes=[(600, 300), (5,)])
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=2e-5, atol=2e-6)


def test_non_contiguous_parameter_is_updated_in_place():
    base = np.arange(12, dtype=np.float32).reshape(3, 4)
    p = gk.nn.Parameter(gk.from_numpy(base.T))  # a transposed view: not C-contiguous
    q = torch.nn.Parameter(torch.tensor(base.T.copy()))
    opt, ref = gk.optim.Adam([p], lr=0.1), torch.optim.Adam([q], lr=0.1)
    for _ in range(3):
        p.grad = gk.ones(4, 3)
        q.grad = torch.ones(4, 3)
        opt.step()
        ref.step()
    np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(base.T, p.numpy())  # still the caller's memory
