"""Each scheduler produces torch.optim.lr_scheduler's learning-rate sequence, and resumes
from its state_dict."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import gradkit as gk
from gradkit import nn, optim
from gradkit.optim import lr_scheduler as ours

torch = pytest.importorskip("torch")
theirs = torch.optim.lr_scheduler


def _optimizers(kind="SGD", **options):
    p = nn.Parameter(gk.zeros(2))
    q = torch.nn.Parameter(torch.zeros(2))
    second_p, second_q = nn.Parameter(gk.zeros(1)), torch.nn.Parameter(torch.zeros(1))
    options.setdefault("lr", 0.1)
    groups_p = [{"params": [p]}, {"params": [second_p], "lr": 0.05}]
    groups_q = [{"params": [q]}, {"params": [second_q], "lr": 0.05}]
    return getattr(optim, kind)(groups_p, **options), getattr(torch.optim, kind)(
        groups_q, **options
    )


SCHEDULERS = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[5, 12, 12, 30], gamma=0.3),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.95),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=15, eta_min=0.001),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=10),
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda epoch: 1.0 / (1 + epoch)),
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=41),
    "OneCycleLR-linear-3phase": lambda m, o: m.OneCycleLR(
        o, max_lr=0.8, total_steps=41, anneal_strategy="linear", three_phase=True
    ),
    "SequentialLR": lambda m, o: m.SequentialLR(
        o,
        [m.LinearLR(o, start_factor=0.1, total_iters=5), m.ExponentialLR(o, gamma=0.9)],
        milestones=[5],
    ),
}


def _sequence(module, opt, make, steps=40):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = make(module, opt)
        lrs = [scheduler.get_last_lr()]
        for _ in range(steps):
            opt.step()
            scheduler.step()
            lrs.append(scheduler.get_last_lr())
    return np.array(lrs, dtype=np.float64)


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_lr_sequence_matches_torch(name):
    mine, ref = _optimizers()
    np.testing.assert_allclose(
        _sequence(ours, mine, SCHEDULERS[name]),
        _sequence(theirs, ref, SCHEDULERS[name]),
        rtol=1e-12,
        atol=1e-15,
    )
    if name.startswith("OneCycle"):
        assert mine.param_groups[0]["momentum"] == pytest.approx(ref.param_groups[0]["momentum"])


def test_one_cycle_cycles_adams_beta1_like_torch():
    mine, ref = _optimizers("Adam")
    make = SCHEDULERS["OneCycleLR"]
    _sequence(ours, mine, make, steps=17)
    _sequence(theirs, ref, make, steps=17)
    assert mine.param_groups[0]["betas"] == pytest.approx(ref.param_groups[0]["betas"])


@pytest.mark.parametrize("mode, threshold_mode", [("min", "rel"), ("max", "abs")])
def test_reduce_on_plateau_matches_torch(mode, threshold_mode):
    mine, ref = _optimizers()
    options = dict(
        mode=mode,
        factor=0.5,
        patience=2,
        threshold=0.01,
        threshold_mode=threshold_mode,
        cooldown=1,
        min_lr=[0.01, 0.002],
    )
    a, b = ours.ReduceLROnPlateau(mine, **options), theirs.ReduceLROnPlateau(ref, **options)
    metrics = np.random.default_rng(0).standard_normal(40).cumsum() * 0.1 + 5
    for value in metrics:
        a.step(float(value))
        b.step(float(value))
        assert a.get_last_lr() == pytest.approx(b.get_last_lr())


@pytest.mark.parametrize(
    "name", ["StepLR", "CosineAnnealingLR", "OneCycleLR", "SequentialLR", "MultiStepLR", "LambdaLR"]
)
def test_state_dict_round_trip_resumes_the_schedule(name, tmp_path):
    make = SCHEDULERS[name]
    opt, _ = _optimizers()
    straight = _sequence(ours, opt, make, steps=30)

    opt1, _ = _optimizers()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scheduler = make(ours, opt1)
        for _ in range(12):
            scheduler.step()
    gk.save({"scheduler": scheduler.state_dict(), "optim": opt1.state_dict()}, tmp_path / "s.gk")
    saved = gk.load(tmp_path / "s.gk")
    opt2, _ = _optimizers()
    resumed = make(ours, opt2)
    opt2.load_state_dict(saved["optim"])
    resumed.load_state_dict(saved["scheduler"])
    rest = [resumed.get_last_lr()]
    for _ in range(18):
        resumed.step()
        rest.append(resumed.get_last_lr())
    np.testing.assert_allclose(np.array(rest), straight[12:], rtol=1e-12)


def test_lambda_lr_state_dict_leaves_out_functions():
    opt, _ = _optimizers()
    state = ours.LambdaLR(opt, lambda e: 0.5).state_dict()
    assert state["lr_lambdas"] == [None, None]


def test_bad_arguments_raise():
    opt, _ = _optimizers()
    with pytest.raises(ValueError, match="StepLR"):
        ours.StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="LinearLR"):
        ours.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="OneCycleLR"):
        ours.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError, match="SequentialLR"):
        ours.SequentialLR(opt, [ours.StepLR(opt, 2)], milestones=[3])
    with pytest.raises(TypeError, match="not an Optimizer"):
        ours.StepLR(object(), 2)
