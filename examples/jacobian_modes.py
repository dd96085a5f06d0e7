"""Jacobians of f: R^n -> R^m by forward mode (jacfwd: n passes) and reverse mode (jacrev: m
passes), for a tall (n=5, m=1000) and a wide (n=1000, m=5) map: each mode wins where it
needs few passes.

python examples/jacobian_modes.py            # GRADKIT_EXAMPLE_SMOKE=1: n, m of 5 and 60
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import gradkit as gk


def make_map(n: int, m: int, rng: np.random.Generator):  # noqa: ANN201
    """f(x) = tanh(A x) with a fixed A (m, n); its Jacobian is diag(1 - tanh(Ax)^2) A."""
    a = rng.standard_normal((m, n)) / np.sqrt(n)
    weight = gk.tensor(a, dtype=gk.float64)

    def f(x: gk.Tensor) -> gk.Tensor:
        return gk.tanh(weight @ x)

    def exact(x: np.ndarray) -> np.ndarray:
        return (1 - np.tanh(a @ x) ** 2)[:, None] * a

    return f, exact


def timed(fn, x):  # noqa: ANN001, ANN201
    start = time.perf_counter()
    value = fn(x)
    return value, time.perf_counter() - start


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--smoke", action="store_true", default=os.environ.get("GRADKIT_EXAMPLE_SMOKE") == "1"
    )
    args = parser.parse_args(argv)
    big = 60 if args.smoke else 1000
    rng = np.random.default_rng(0)
    results = {}
    print(f"{'map':>16} {'mode':>7} {'passes':>7} {'seconds':>9} {'max error':>10}")
    for n, m in ((5, big), (big, 5)):
        f, exact = make_map(n, m, rng)
        x_np = rng.standard_normal(n)
        x = gk.tensor(x_np, dtype=gk.float64)
        expected = exact(x_np)
        for mode, passes in (("jacfwd", n), ("jacrev", m)):
            jac, seconds = timed(getattr(gk.func, mode)(f), x)
            error = float(np.abs(jac.numpy() - expected).max())
            results[(n, m, mode)] = {"seconds": seconds, "passes": passes, "error": error}
            print(f"{f'R^{n} -> R^{m}':>16} {mode:>7} {passes:>7} {seconds:>9.4f} {error:>10.1e}")
    for n, m in ((5, big), (big, 5)):
        fwd, rev = results[(n, m, "jacfwd")], results[(n, m, "jacrev")]
        winner = "jacfwd" if fwd["seconds"] < rev["seconds"] else "jacrev"
        speedup = max(fwd["seconds"], rev["seconds"]) / min(fwd["seconds"], rev["seconds"])
        print(f"R^{n} -> R^{m}: {winner} is {speedup:.1f}x faster")
    return results


if __name__ == "__main__":
    main()
