"""Finite differences against automatic differentiation for f(x) = exp(sin x) * x^3 at x = 0.7.

The error of a difference quotient falls with the step h (truncation: O(h) forward, O(h^2)
central) until round-off, O(eps / h), takes over: a V on a log-log plot whose floor sits far
above machine precision, and much higher in float32. AD has no step: its derivative is exact
to a few ulps in either precision.

python examples/finite_differences_vs_ad.py [--out DIR]
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
from pathlib import Path

import numpy as np

import gradkit as gk

X0 = 0.7
STEPS = [10.0**-k for k in range(1, 13)]


def f(x: gk.Tensor) -> gk.Tensor:
    return gk.exp(gk.sin(x)) * x**3


def exact_derivative(x: float) -> float:
    """By hand: d/dx exp(sin x) x^3 = exp(sin x) (cos(x) x^3 + 3 x^2)."""
    return math.exp(math.sin(x)) * (math.cos(x) * x**3 + 3 * x**2)


def value(x: float, dtype: np.dtype) -> float:
    return f(gk.tensor(x, dtype=dtype)).item()


def difference_errors(dtype: np.dtype) -> dict[str, list[float]]:
    exact = exact_derivative(X0)
    typed = np.dtype(dtype).type
    errors: dict[str, list[float]] = {"forward": [], "central": []}
    for h in STEPS:
        # the step as the dtype can represent it around X0 (what the quotient really divides by)
        up = float(typed(X0) + typed(h)) - float(typed(X0))
        down = float(typed(X0)) - float(typed(X0) - typed(h))
        f0 = value(float(typed(X0)), dtype)
        fu = value(float(typed(X0) + typed(h)), dtype)
        fd = value(float(typed(X0) - typed(h)), dtype)
        errors["forward"].append(abs((fu - f0) / up - exact) if up else math.inf)
        errors["central"].append(abs((fu - fd) / (up + down) - exact) if up + down else math.inf)
    return errors


def ad_error(dtype: np.dtype) -> float:
    derivative = gk.func.grad(f)(gk.tensor(X0, dtype=dtype)).item()
    return abs(derivative - exact_derivative(float(np.dtype(dtype).type(X0))))


def plot(results: dict, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    colors = {"float64": "tab:blue", "float32": "tab:red"}
    floor = 1e-18
    for name, entry in results.items():
        c = colors[name]
        ax.loglog(
            STEPS,
            [max(e, floor) for e in entry["forward"]],
            "o--",
            color=c,
            label=f"forward difference ({name})",
        )
        ax.loglog(
            STEPS,
            [max(e, floor) for e in entry["central"]],
            "s-",
            color=c,
            label=f"central difference ({name})",
        )
        ax.axhline(
            max(entry["ad"], floor), color=c, linestyle=":", label=f"AD ({name}): {entry['ad']:.0e}"
        )
    ax.invert_xaxis()
    ax.set_xlabel("step h")
    ax.set_ylabel("|error| of f'(0.7)")
    ax.set_title("Finite differences: truncation vs round-off; AD: exact")
    ax.legend(fontsize=7)
    fig.tight_layout()
    path = out / "finite_differences_vs_ad.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--smoke", action="store_true", default=os.environ.get("GRADKIT_EXAMPLE_SMOKE") == "1"
    )
    args = parser.parse_args(argv)
    out = args.out or Path(tempfile.mkdtemp(prefix="gradkit_fd_"))
    out.mkdir(parents=True, exist_ok=True)
    results = {}
    for name, dtype in (("float64", np.float64), ("float32", np.float32)):
        entry = difference_errors(dtype)
        entry["ad"] = ad_error(dtype)
        results[name] = entry
        for kind in ("forward", "central"):
            best = int(np.argmin(entry[kind]))
            print(
                f"{name} {kind:>7} difference: best h = {STEPS[best]:.0e}, "
                f"error {entry[kind][best]:.1e}"
            )
        print(f"{name}      AD: error {entry['ad']:.1e}")
    figure = plot(results, out)
    print(f"figure: {figure}")
    results["figure"] = figure
    return results


if __name__ == "__main__":
    main()
