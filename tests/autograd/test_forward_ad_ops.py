"""Every op's forward-mode rule against finite differences (float64): first order through
dual numbers, and second order through a backward pass (forward over reverse)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import gradkit
import gradkit.nn.functional
import gradkit.ops
from gradkit.autograd import forward_state
from gradkit.autograd.function import Function
from gradkit.testing import gradcheck, gradgradcheck

from .forward_ad_table import CASES, SECOND_ORDER_ONLY, make_inputs

# Functions that need no forward-mode rule, each with the reason.
NO_RULE_NEEDED: dict[str, str] = {}


def _function_classes() -> dict[str, type]:
    found = {}
    for package in (gradkit.ops, gradkit.nn.functional):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            for name, obj in vars(module).items():
                if (
                    inspect.isclass(obj)
                    and issubclass(obj, Function)
                    and obj is not Function
                    and obj.__module__ == module.__name__
                ):
                    found[f"{module.__name__}.{name}"] = obj
    return found


def test_every_function_has_a_jvp_rule() -> None:
    missing = [
        name
        for name, cls in _function_classes().items()
        if getattr(cls, "jvp", None) is None and cls.__name__ not in NO_RULE_NEEDED
    ]
    assert not missing, f"Functions without a forward-mode (jvp) rule: {missing}"
    assert len(_function_classes()) > 60  # the walk really found the op families


def test_the_table_reaches_every_function(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each Function's rule runs in some table entry (or, for backward-only helpers, in the
    second-order checks), so the parametrized checks below test all of them."""
    reached: set[str] = set()
    original = forward_state.propagate

    def recording(cls, ctx, args, result):  # noqa: ANN001, ANN202
        reached.add(cls.__name__)
        return original(cls, ctx, args, result)

    monkeypatch.setattr(forward_state, "propagate", recording)
    from gradkit.autograd import forward_ad

    for fn, specs, _ in CASES.values():
        inputs = make_inputs(specs)
        with forward_ad.dual_level():
            duals = [forward_ad.make_dual(x.detach(), x.detach() * 0 + 1) for x in inputs]
            fn(*duals)
    classes = {cls.__name__ for cls in _function_classes().values()}
    abstract = {"_Extremum", "_Pairwise"}  # bases: their subclasses are what runs
    unreached = classes - reached - SECOND_ORDER_ONLY - abstract - set(NO_RULE_NEEDED)
    assert not unreached, f"no table entry reaches {sorted(unreached)}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_mode_matches_finite_differences(name: str) -> None:
    fn, specs, options = CASES[name]
    assert gradcheck(fn, make_inputs(specs), check_forward_ad=True, **options)


@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_over_reverse_matches_finite_differences(name: str) -> None:
    fn, specs, options = CASES[name]
    assert gradgradcheck(fn, make_inputs(specs), check_forward_ad=True, **options)
