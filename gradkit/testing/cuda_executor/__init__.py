"""Run gradkit's CUDA kernels on a CPU, for tests on machines without a GPU.

The same .cu sources are compiled with the system g++ (C++17) against include/cuda_cpu.h,
which emulates CUDA's execution model; `CpuExecutorRuntime` then plugs into the launchers of
gradkit.backend.cuda exactly where the CuPy runtime does.

    runtime = CpuExecutorRuntime()
    y = gradkit.backend.cuda.activation.activation_forward(x, "gelu", runtime=runtime)

How it runs: blocks one after another on the calling thread; a block's threads as fibers
(ucontext) switching at __syncthreads, warp-synchronous calls and thread exit. Libraries are
cached on disk by a hash of the source, headers, flags and compiler
($GRADKIT_CACHE_DIR, else ~/.cache/gradkit/cuda_executor).

Emulated: __global__/__device__/__host__/__forceinline__, threadIdx/blockIdx/blockDim/
gridDim/warpSize, __syncthreads (a real barrier), __shared__ and `extern __shared__` (up to
227 KiB, filled with 0xff before each block), __shfl_sync/_up/_down/_xor, __ballot_sync,
__any_sync, __all_sync, __syncwarp, __activemask, atomicAdd/Sub/Exch/Max/Min/And/Or/Xor/CAS
(int, unsigned, unsigned long long, float, double, __half for Add), __half with conversions
and arithmetic, CUDA math functions (the C library's, plus rsqrtf, __expf and friends), bit
intrinsics, __ldg, __threadfence, __trap. Arguments are checked against the kernel signature.

Limits (what a passing executor test does NOT prove):
- Timing and races: threads of a block interleave only at barriers and blocks never overlap,
  so a missing __syncthreads between two phases that touch different elements, or a data
  race between blocks, goes unnoticed. A missing barrier in a reduction is usually caught.
- Numerics: the host C library's expf/erff/tanhf, not CUDA's libdevice (a few ulp apart);
  no FMA contraction; intrinsics such as __expf are computed exactly.
- Memory: no bounds checking; an out-of-bounds access corrupts or crashes the process.
  Static __shared__ arrays are zero at first and keep values between blocks.
- Warps: lanes that do not exist (a partial last warp) or do not take part read back the
  caller's own value; mismatched masks are not diagnosed. A deadlock (threads waiting at
  different barriers) raises ExecutorLaunchError instead of hanging.
- Not provided: __half2 and vector types (float4...), textures, cooperative groups, streams,
  dynamic parallelism, __constant__ uploads (cudaMemcpyToSymbol), device printf ordering,
  clock(). Templates only through explicit name expressions. Requires an LP64 system with
  _Float16 (GCC >= 12 or Clang) and ucontext (glibc).
- Speed: each GPU thread costs a few microseconds of context switching; keep grids small.
"""

from gradkit.testing.cuda_executor.build import ExecutorBuildError
from gradkit.testing.cuda_executor.kernel_library import ExecutorLaunchError, KernelLibrary
from gradkit.testing.cuda_executor.runtime import CpuExecutorRuntime
from gradkit.testing.cuda_executor.source_rewrite import UnsupportedSourceError

__all__ = [
    "CpuExecutorRuntime",
    "ExecutorBuildError",
    "ExecutorLaunchError",
    "KernelLibrary",
    "UnsupportedSourceError",
]
