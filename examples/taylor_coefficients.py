"""Taylor polynomials from nested forward mode: the first k derivatives of a scalar function
at a point, each one a jvp of the previous (k nested dual levels), then the approximation error
of the degree-1..k polynomials around the point.

python examples/taylor_coefficients.py [--out DIR] [--order K]
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

import gradkit as gk

CENTER = 0.5


def f(x: gk.Tensor) -> gk.Tensor:
    return gk.exp(gk.sin(x))


def derivative(fn: Callable) -> Callable:
    """x -> fn'(x) by forward mode: the jvp along the direction 1."""

    def d(x: gk.Tensor) -> gk.Tensor:
        return gk.func.jvp(fn, (x,), (gk.ones_like(x),))[1]

    return d


def derivatives(fn: Callable, x: float, order: int) -> list[float]:
    """[f(x), f'(x), ..., f^(order)(x)]; the n-th runs n nested dual levels."""
    point = gk.tensor(x, dtype=gk.float64)
    values = []
    current = fn
    for _ in range(order + 1):
        values.append(current(point).item())
        current = derivative(current)
    return values


def taylor(coefficients: list[float], center: float, xs: np.ndarray, degree: int) -> np.ndarray:
    return sum(coefficients[n] / math.factorial(n) * (xs - center) ** n for n in range(degree + 1))


def plot(xs: np.ndarray, exact: np.ndarray, coefficients: list[float], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    order = len(coefficients) - 1
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    left.plot(xs, exact, "k", linewidth=2, label="exp(sin x)")
    for degree in range(1, order + 1):
        left.plot(xs, taylor(coefficients, CENTER, xs, degree), label=f"degree {degree}")
        right.semilogy(
            xs,
            np.abs(taylor(coefficients, CENTER, xs, degree) - exact) + 1e-17,
            label=f"degree {degree}",
        )
    left.set_ylim(exact.min() - 0.5, exact.max() + 0.5)
    left.axvline(CENTER, color="gray", linestyle=":")
    left.legend(fontsize=7)
    left.set_title(f"Taylor polynomials at x = {CENTER}")
    right.set_title("|error|")
    right.axvline(CENTER, color="gray", linestyle=":")
    fig.tight_layout()
    path = out / "taylor_coefficients.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--smoke", action="store_true", default=os.environ.get("GRADKIT_EXAMPLE_SMOKE") == "1"
    )
    parser.add_argument("--order", type=int, default=None)
    args = parser.parse_args(argv)
    order = args.order or (4 if args.smoke else 6)
    out = args.out or Path(tempfile.mkdtemp(prefix="gradkit_taylor_"))
    out.mkdir(parents=True, exist_ok=True)
    coefficients = derivatives(f, CENTER, order)
    for n, c in enumerate(coefficients):
        print(f"f^({n})({CENTER}) = {c:+.12f}   Taylor coefficient {c / math.factorial(n):+.6f}")
    xs = np.linspace(CENTER - 1.5, CENTER + 1.5, 301)
    exact = np.exp(np.sin(xs))
    near = np.abs(xs - CENTER) <= 0.25
    errors = {
        d: float(np.abs(taylor(coefficients, CENTER, xs, d) - exact)[near].max())
        for d in range(1, order + 1)
    }
    for d, e in errors.items():
        print(f"degree {d}: max error on |x - {CENTER}| <= 0.25: {e:.1e}")
    figure = plot(xs, exact, coefficients, out)
    print(f"figure: {figure}")
    return {"coefficients": coefficients, "errors": errors, "figure": figure}


if __name__ == "__main__":
    main()
