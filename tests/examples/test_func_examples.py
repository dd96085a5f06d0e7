"""The forward-mode / gk.func examples run on small sizes and get the mathematics right."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import gradkit as gk

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def agg_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("matplotlib")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("GRADKIT_EXAMPLE_SMOKE", "1")


def test_newton_rosenbrock(tmp_path: Path) -> None:
    result = load("newton_rosenbrock").main(["--out", str(tmp_path)])
    assert result["newton_steps"] <= 10
    np.testing.assert_allclose(result["newton_final"], [1.0, 1.0], atol=1e-8)
    assert not result["gd_converged"]  # 2,000 gradient steps are not nearly enough
    assert result["hessian_error"] < 1e-9
    assert result["figure"].exists()


def test_newton_hessian_is_the_analytic_one_away_from_the_start() -> None:
    module = load("newton_rosenbrock")
    for point in ([0.3, -0.4], [1.7, 2.2]):
        ours = gk.func.hessian(module.rosenbrock)(gk.tensor(point, dtype=gk.float64)).numpy()
        np.testing.assert_allclose(ours, module.analytic_hessian(np.array(point)), rtol=1e-12)


def test_jacobian_modes() -> None:
    results = load("jacobian_modes").main([])
    assert all(entry["error"] < 1e-12 for entry in results.values())
    tall = [key for key in results if key[0] == 5]
    assert {results[k]["passes"] for k in tall} == {5, 60}


def test_finite_differences_vs_ad(tmp_path: Path) -> None:
    results = load("finite_differences_vs_ad").main(["--out", str(tmp_path)])
    for name, ad_floor in (("float64", 1e-13), ("float32", 1e-5)):
        entry = results[name]
        assert entry["ad"] < ad_floor
        assert min(entry["central"]) < min(entry["forward"])  # O(h^2) beats O(h)
        assert min(entry["forward"]) > entry["ad"]
        # the V: the smallest steps are worse than the best one (round-off wins)
        assert entry["forward"][-1] > 10 * min(entry["forward"])
    assert results["figure"].exists()


def test_taylor_coefficients(tmp_path: Path) -> None:
    module = load("taylor_coefficients")
    result = module.main(["--out", str(tmp_path), "--order", "4"])
    # nested forward mode against repeated reverse mode, an independent path
    f = module.f
    x = gk.tensor(module.CENTER, dtype=gk.float64)
    for coefficient in result["coefficients"]:
        assert math.isclose(coefficient, f(x).item(), rel_tol=1e-10)
        f = gk.func.grad(f)
    # and sin's derivatives are known exactly
    sines = module.derivatives(gk.sin, 0.3, 4)
    expected = [math.sin(0.3), math.cos(0.3), -math.sin(0.3), -math.cos(0.3), math.sin(0.3)]
    np.testing.assert_allclose(sines, expected, rtol=1e-12)
    errors = list(result["errors"].values())
    assert errors[-1] < errors[0] / 100  # higher degree, smaller error near the point
    assert result["figure"].exists()


def test_sensitivity_hessian(tmp_path: Path) -> None:
    result = load("sensitivity_hessian").main(["--out", str(tmp_path)])
    assert math.isclose(result["power_iteration"], result["explicit"], rel_tol=1e-4)
    hessian = result["hessian"]
    np.testing.assert_allclose(hessian, hessian.T, atol=1e-10)
    # the target depends on x0 much more than on x1, and the input gradients say so
    assert result["saliency"][:, 0].mean() > 2 * result["saliency"][:, 1].mean()
    assert result["figure"].exists()
