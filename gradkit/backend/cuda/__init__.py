"""The CUDA backend: our kernels (kernels/*.cu) compiled by NVRTC through CuPy, and launchers
with the same signatures as the NumPy twins in backend/cpu.

Nothing here imports CuPy at module level, so `import gradkit` works on machines without it.
Launchers take a `runtime` (see launch.KernelRuntime): the CuPy one on a GPU, or the CPU
executor from gradkit.testing.cuda_executor, which runs the same sources and launch code in tests.
"""
