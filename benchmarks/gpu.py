"""GPU benchmarks: our kernels' achieved bandwidth, and training steps against PyTorch CUDA.

1. Each kernel family, timed with CUDA events after a warm-up: the bytes it must read and
   write at least (each input once, each output once) divided by its time, next to a
   device-to-device copy that moves the same number of bytes (the practical ceiling);
   "of_copy" is the kernel's bandwidth as a fraction of the copy's.
2. Training steps (SGD with momentum, cross-entropy; identical layers and weights):
   an MLP 784-4096-4096-10 at batch 1024, and a CNN on 3x32x32 images at batch 256,
   gradkit on "cuda" against PyTorch on CUDA, in the same run.

Needs an NVIDIA GPU with CuPy (PyTorch CUDA for the comparison). Without one it says so and
exits 0. Run: python benchmarks/gpu.py [--out DIR] [--quick]; writes DIR/gpu.json.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import _harness  # noqa: E402

import gradkit as gk  # noqa: E402
from gradkit import nn  # noqa: E402


def time_ms(fn: Callable[[], object], warmup: int, iterations: int) -> float:
    """Milliseconds per call on the GPU, from CUDA events around `iterations` calls."""
    for _ in range(warmup):
        fn()
    start, end = gk.cuda.Event(enable_timing=True), gk.cuda.Event(enable_timing=True)
    gk.cuda.synchronize()
    start.record()
    for _ in range(iterations):
        fn()
    end.record()
    end.synchronize()
    return start.elapsed_time(end) / iterations


def copy_ms(nbytes: int, warmup: int, iterations: int) -> float:
    """A device-to-device copy moving `nbytes` in all (half read, half written)."""
    import cupy

    source = cupy.ones(max(nbytes // 2, 1), dtype=cupy.uint8)
    target = cupy.empty_like(source)
    return time_ms(lambda: cupy.copyto(target, source), warmup, iterations)


def kernel_cases(divisor: int = 1) -> list[tuple[str, Callable[[], object], int]]:
    """(name, call, minimal bytes read + written) for each kernel family; `divisor` shrinks
    the problem sizes (--quick)."""
    import cupy

    from gradkit.backend.cuda import primitives as p

    rng = cupy.random.default_rng(0)
    f32 = 4

    def normal(*shape):
        return rng.standard_normal(shape, dtype=cupy.float32)

    n = max((1 << 26) // divisor, 1024)
    x = normal(n)
    grad = normal(n)
    rows, cols = max(65536 // divisor, 8), 1024
    logits = normal(rows, cols)
    labels = rng.integers(0, cols, size=rows).astype(cupy.int64)
    log_probs = p.softmax_cross_entropy_forward(logits, labels, None, -100, 0.0)[2]
    probs = p.softmax_forward(logits, 1)
    images = normal(max(128 // divisor, 2), 64, 32, 32)
    geometry = ((3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), (32, 32))
    cols_matrix = p.im2col(images, *geometry)
    pooled, offsets = p.max_pool2d_forward(images, (2, 2), (2, 2), (0, 0), (1, 1), False)
    pooled_grad = cupy.ones_like(pooled)
    xhat, _, _, invstd = p.normalize_forward(images, (0, 2, 3), 1e-5)
    mask = p.dropout_mask((n,), 0.1, 1, 0)
    hidden = max(4096 // divisor, 8)
    tensors = [normal(hidden, 4096), normal(4096), normal(4096, 784), normal(10, 4096)]
    image_bytes = images.size * f32
    return [
        ("activation_forward gelu", lambda: p.activation_forward(x, "gelu"), 2 * n * f32),
        (
            "activation_backward gelu",
            lambda: p.activation_backward(grad, x, None, "gelu"),
            3 * n * f32,
        ),
        ("softmax_forward", lambda: p.softmax_forward(logits, 1), 2 * logits.nbytes),
        ("log_softmax_forward", lambda: p.log_softmax_forward(logits, 1), 2 * logits.nbytes),
        ("softmax_backward", lambda: _softmax_backward(logits, probs), 3 * logits.nbytes),
        (
            "softmax_cross_entropy_forward",
            lambda: p.softmax_cross_entropy_forward(logits, labels, None, -100, 0.1),
            2 * logits.nbytes + labels.nbytes,
        ),
        (
            "softmax_cross_entropy_backward",
            lambda: p.softmax_cross_entropy_backward(
                log_probs, labels, None, -100, np.float32(1 / rows), np.float32(0), np.float32
            ),
            2 * logits.nbytes + labels.nbytes,
        ),
        ("dropout_mask", lambda: p.dropout_mask((n,), 0.1, 1, 0), n),
        ("dropout_forward", lambda: p.dropout_forward(x, mask, 0.1), 2 * n * f32 + n),
        ("im2col 3x3", lambda: p.im2col(images, *geometry), image_bytes + cols_matrix.nbytes),
        (
            "col2im 3x3",
            lambda: p.col2im(cols_matrix, images.shape, *geometry),
            image_bytes + cols_matrix.nbytes,
        ),
        (
            "max_pool2d_forward 2x2",
            lambda: p.max_pool2d_forward(images, (2, 2), (2, 2), (0, 0), (1, 1), False),
            image_bytes + pooled.nbytes + offsets.nbytes,
        ),
        (
            "max_pool2d_backward 2x2",
            lambda: p.max_pool2d_backward(
                pooled_grad, offsets, images.shape, (2, 2), (2, 2), (0, 0), (1, 1), False
            ),
            image_bytes + pooled.nbytes + offsets.nbytes,
        ),
        (
            "avg_pool2d_forward 2x2",
            lambda: p.avg_pool2d_forward(images, (2, 2), (2, 2), (0, 0), False, True, None),
            image_bytes + pooled.nbytes,
        ),
        (
            "avg_pool2d_backward 2x2",
            lambda: p.avg_pool2d_backward(
                pooled_grad, images.shape, (2, 2), (2, 2), (0, 0), False, True, None
            ),
            image_bytes + pooled.nbytes,
        ),
        (
            "normalize_forward (batch norm)",
            lambda: p.normalize_forward(images, (0, 2, 3), 1e-5),
            2 * image_bytes,
        ),
        (
            "normalize_backward (batch norm)",
            lambda: p.normalize_backward(images, xhat, invstd, (0, 2, 3)),
            3 * image_bytes,
        ),
        (
            "normalize_forward (layer norm)",
            lambda: p.normalize_forward(logits, (1,), 1e-5),
            2 * logits.nbytes,
        ),
        (
            "multi_tensor_l2norm (MLP grads)",
            lambda: p.multi_tensor_l2norm(tensors, 1.0),
            sum(t.nbytes for t in tensors),
        ),
    ]


def _softmax_backward(grad_out, out):
    from gradkit.backend.cuda.softmax import softmax_backward

    return softmax_backward(grad_out, out, 1)


def kernel_bandwidth(quick: bool) -> list[dict]:
    warmup, iterations = (3, 10) if quick else (10, 50)
    rows = []
    for name, call, nbytes in kernel_cases(4 if quick else 1):
        ms = time_ms(call, warmup, iterations)
        baseline = copy_ms(nbytes, warmup, iterations)
        rows.append(
            {
                "kernel": name,
                "MB": nbytes / 1e6,
                "ms": ms,
                "GB/s": nbytes / ms / 1e6,
                "copy_GB/s": nbytes / baseline / 1e6,
                "of_copy": baseline / ms,
            }
        )
    _harness.print_table(
        "Kernel bandwidth (minimal bytes read + written / time)",
        rows,
        ["kernel", "MB", "ms", "GB/s", "copy_GB/s", "of_copy"],
    )
    return rows


def mlp(lib):
    return lib.Sequential(
        lib.Linear(784, 4096), lib.ReLU(), lib.Linear(4096, 4096), lib.ReLU(), lib.Linear(4096, 10)
    )


def cnn(lib):
    return lib.Sequential(
        lib.Conv2d(3, 32, 3, padding=1),
        lib.BatchNorm2d(32),
        lib.ReLU(),
        lib.MaxPool2d(2),
        lib.Conv2d(32, 64, 3, padding=1),
        lib.BatchNorm2d(64),
        lib.ReLU(),
        lib.MaxPool2d(2),
        lib.Flatten(),
        lib.Dropout(0.1),
        lib.Linear(64 * 8 * 8, 256),
        lib.ReLU(),
        lib.Linear(256, 10),
    )


def training_steps(quick: bool) -> list[dict]:
    warmup, iterations = (2, 5) if quick else (5, 20)
    rng = np.random.default_rng(0)
    cases = [
        (
            "MLP 784-4096-4096-10 b1024",
            mlp,
            rng.standard_normal((1024, 784), np.float32),
            rng.integers(0, 10, 1024),
        ),
        (
            "CNN 3x32x32 b256",
            cnn,
            rng.standard_normal((256, 3, 32, 32), np.float32),
            rng.integers(0, 10, 256),
        ),
    ]
    try:
        import torch

        has_torch = torch.cuda.is_available()
    except ImportError:
        has_torch = False
    rows = []
    for name, make, x_np, y_np in cases:
        model = make(nn).to("cuda")
        optimizer = gk.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        x, y = gk.tensor(x_np, device="cuda"), gk.tensor(y_np, device="cuda")

        def gk_step(model=model, optimizer=optimizer, x=x, y=y):
            optimizer.zero_grad(set_to_none=True)
            nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()

        row = {"case": name, "gradkit_ms": time_ms(gk_step, warmup, iterations)}
        if has_torch:
            row["torch_ms"] = _torch_step_ms(make, model, x_np, y_np, warmup, iterations)
            row["gradkit/torch"] = row["gradkit_ms"] / row["torch_ms"]
        rows.append(row)
    _harness.print_table(
        "Training step (ms, CUDA events)", rows, ["case", "gradkit_ms", "torch_ms", "gradkit/torch"]
    )
    return rows


def _torch_step_ms(make, gk_model, x_np, y_np, warmup: int, iterations: int) -> float:
    import torch

    model = make(torch.nn).cuda()
    with torch.no_grad():  # the same weights as the gradkit model
        for tp, gp in zip(model.parameters(), gk_model.parameters()):
            tp.copy_(torch.from_numpy(gp.detach().cpu().numpy()))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.tensor(x_np, device="cuda")
    y = torch.tensor(y_np, device="cuda")

    def step():
        optimizer.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    for _ in range(warmup):
        step()
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    torch.cuda.synchronize()
    start.record()
    for _ in range(iterations):
        step()
    end.record()
    end.synchronize()
    return start.elapsed_time(end) / iterations


def device_info() -> dict:
    info = {"gpu": None}
    if gk.cuda.nvml.is_available():
        info.update(gk.cuda.nvml.snapshot(gk.cuda.current_device()).as_dict())
        info["gpu"] = info.pop("name")
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="directory for gpu.json")
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    args = parser.parse_args(argv)
    if not gk.cuda.is_available():
        from gradkit.cuda.availability import missing_piece

        print(f"benchmarks/gpu.py: no usable GPU ({missing_piece()}); nothing to measure.")
        return 0
    if args.out is not None:
        _harness.RESULTS = args.out
    payload = {
        "device": device_info(),
        "kernels": kernel_bandwidth(args.quick),
        "training": training_steps(args.quick),
    }
    payload["peak_memory_bytes"] = gk.cuda.max_memory_allocated()
    _harness.save("gpu", payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
