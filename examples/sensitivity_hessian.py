"""Sensitivity of a small trained network: input gradients (which inputs move the output)
and the loss Hessian's top eigenvalue (the sharpness of the minimum) by power iteration with
Hessian-vector products, never forming the Hessian; checked against the explicit Hessian.

python examples/sensitivity_hessian.py [--out DIR]     # GRADKIT_EXAMPLE_SMOKE=1: fewer steps
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np

import gradkit as gk

SHAPES = {"w1": (12, 2), "b1": (12,), "w2": (1, 12), "b2": (1,)}


def model(params: dict, x: gk.Tensor) -> gk.Tensor:
    hidden = gk.tanh(x @ params["w1"].T + params["b1"])
    return (hidden @ params["w2"].T + params["b2"]).reshape(-1)


def make_data(rng: np.random.Generator, count: int) -> tuple[gk.Tensor, gk.Tensor]:
    """y = sin(2 x0) + 0.1 x1: the output depends strongly on x0 and weakly on x1."""
    x = rng.uniform(-1.5, 1.5, size=(count, 2))
    y = np.sin(2 * x[:, 0]) + 0.1 * x[:, 1]
    return gk.tensor(x, dtype=gk.float64), gk.tensor(y, dtype=gk.float64)


def flatten(params: dict) -> gk.Tensor:
    return gk.concat([params[k].reshape(-1) for k in SHAPES])


def unflatten(theta: gk.Tensor) -> dict:
    params, start = {}, 0
    for name, shape in SHAPES.items():
        size = int(np.prod(shape))
        params[name] = theta[start : start + size].reshape(shape)
        start += size
    return params


def train(x: gk.Tensor, y: gk.Tensor, steps: int, rng: np.random.Generator) -> dict:
    params = {
        k: gk.tensor(rng.standard_normal(s) * 0.5, dtype=gk.float64) for k, s in SHAPES.items()
    }

    def loss(params: dict) -> gk.Tensor:
        return ((model(params, x) - y) ** 2).mean()

    step = gk.func.value_and_grad(loss)
    lr = 0.1
    for i in range(steps):
        value, grads = step(params)
        params = {k: params[k] - lr * grads[k] for k in params}
        if i % max(steps // 5, 1) == 0 or i == steps - 1:
            print(f"step {i:5d}  loss {value.item():.5f}")
    return params


def top_eigenvalue(
    loss_of_theta,
    theta: gk.Tensor,
    iterations: int,  # noqa: ANN001
    rng: np.random.Generator,
) -> list[float]:
    """Power iteration v <- Hv / |Hv| with forward-over-reverse Hessian-vector products."""
    v = gk.tensor(rng.standard_normal(theta.shape), dtype=gk.float64)
    v = v / gk.norm(v)
    estimates = []
    for _ in range(iterations):
        _, (hv,) = gk.func.hvp(loss_of_theta, (theta,), (v,))
        estimates.append(float((v * hv).sum().item()))  # Rayleigh quotient
        v = hv / gk.norm(hv)
    return estimates


def plot(
    x_grid: np.ndarray, saliency: np.ndarray, estimates: list, explicit: float, out: Path
) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    left.plot(x_grid, saliency[:, 0], label="|d out / d x0|")
    left.plot(x_grid, saliency[:, 1], label="|d out / d x1|")
    left.set_xlabel("x0 (x1 = 0)")
    left.set_title("input gradients of the trained network")
    left.legend()
    right.plot(range(1, len(estimates) + 1), estimates, "o-", label="power iteration (hvp)")
    right.axhline(explicit, color="k", linestyle=":", label=f"explicit Hessian: {explicit:.4f}")
    right.set_xlabel("iteration")
    right.set_title("top eigenvalue of the loss Hessian")
    right.legend()
    fig.tight_layout()
    path = out / "sensitivity_hessian.png"
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
    out = args.out or Path(tempfile.mkdtemp(prefix="gradkit_sensitivity_"))
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    x, y = make_data(rng, 64 if args.smoke else 256)
    params = train(x, y, 40 if args.smoke else 2000, rng)

    # input gradients: d model / d x for each point (the points are independent, so the
    # gradient of the summed output holds every point's own gradient)
    x_grid = np.linspace(-1.5, 1.5, 61)
    grid = gk.tensor(np.stack([x_grid, np.zeros_like(x_grid)], axis=1), dtype=gk.float64)
    saliency = np.abs(gk.func.grad(lambda inputs: model(params, inputs).sum())(grid).numpy())
    print(
        f"mean |d out/d x0| = {saliency[:, 0].mean():.3f}, "
        f"mean |d out/d x1| = {saliency[:, 1].mean():.3f}"
    )

    theta = flatten(params)

    def loss_of_theta(theta: gk.Tensor) -> gk.Tensor:
        return ((model(unflatten(theta), x) - y) ** 2).mean()

    estimates = top_eigenvalue(loss_of_theta, theta, 15 if args.smoke else 40, rng)
    hessian = gk.func.hessian(loss_of_theta)(theta).numpy()
    eigenvalues = np.linalg.eigvalsh((hessian + hessian.T) / 2)
    explicit = float(eigenvalues[np.argmax(np.abs(eigenvalues))])
    print(
        f"top Hessian eigenvalue: power iteration {estimates[-1]:.6f}, explicit "
        f"{explicit:.6f} ({theta.shape[0]} parameters)"
    )
    figure = plot(x_grid, saliency, estimates, explicit, out)
    print(f"figure: {figure}")
    return {
        "power_iteration": estimates[-1],
        "explicit": explicit,
        "hessian": hessian,
        "saliency": saliency,
        "figure": figure,
    }


if __name__ == "__main__":
    main()
