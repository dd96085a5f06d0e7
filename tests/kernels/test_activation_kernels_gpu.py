"""The same launchers on a real GPU through CuPy, against the NumPy twins (skipped without
one; the CPU executor covers the kernels everywhere else)."""

from __future__ import annotations

import numpy as np
import pytest

from gradkit.backend.cpu import activation as twin
from gradkit.backend.cpu.activation_spec import ACTIVATION_KINDS, KINDS_NEEDING_OUTPUT
from gradkit.backend.cuda import activation as kernels


def _gpu_available() -> bool:
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # noqa: BLE001 - no CuPy, no driver, no device: all mean "no GPU"
        return False


pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not _gpu_available(), reason="no usable GPU (CuPy/CUDA)"),
]
# GPU libdevice vs NumPy, plus FMA contraction on the GPU.
TOLERANCES = {
    np.float16: {"rtol": 2e-3, "atol": 1e-5},
    np.float32: {"rtol": 1e-5, "atol": 1e-5},
    np.float64: {"rtol": 1e-11, "atol": 1e-13},
}


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("kind", ACTIVATION_KINDS)
def test_cuda_kernels_match_twins(kind, dtype):
    import cupy

    from gradkit.backend.cuda.cupy_runtime import default_runtime

    runtime = default_runtime()
    rng = np.random.default_rng(0)
    x = rng.normal(scale=4.0, size=(257, 129)).astype(dtype)
    bias = rng.normal(size=129).astype(dtype)
    grad_out = rng.normal(size=x.shape).astype(dtype)
    out = twin.activation_forward(x, kind) if kind in KINDS_NEEDING_OUTPUT else None
    on_gpu = cupy.asarray
    results = {
        "forward": (
            kernels.activation_forward(on_gpu(x), kind, runtime=runtime),
            twin.activation_forward(x, kind),
        ),
        "backward": (
            kernels.activation_backward(
                on_gpu(grad_out),
                on_gpu(x),
                None if out is None else on_gpu(out),
                kind,
                runtime=runtime,
            ),
            twin.activation_backward(grad_out, x, out, kind),
        ),
        "bias": (
            kernels.bias_activation_forward(on_gpu(x), on_gpu(bias), kind, runtime=runtime),
            twin.bias_activation_forward(x, bias, kind),
        ),
    }
    for what, (actual, expected) in results.items():
        assert actual.dtype == expected.dtype, what
        np.testing.assert_allclose(
            cupy.asnumpy(actual).astype(np.float64),
            expected.astype(np.float64),
            err_msg=what,
            **TOLERANCES[dtype],
        )
