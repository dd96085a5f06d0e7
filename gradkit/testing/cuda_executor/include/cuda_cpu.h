// CUDA's execution model emulated on a CPU, so that kernels/*.cu compile with g++ and run in
// tests without a GPU. The executor includes it first in every translation unit it builds.
//
// Model: blocks run one after another on the calling OS thread; the threads of a block are
// fibers (ucontext) scheduled cooperatively, switching only at __syncthreads, warp-synchronous
// operations (__shfl_*_sync, __ballot_sync, __syncwarp) and thread exit. Hence __shared__ can
// be `static` (shared by a block's fibers, reused by the next block) and atomics need no
// locking. See gradkit/testing/cuda_executor/__init__.py for the documented limits.
#ifndef GRADKIT_CUDA_CPU_H
#define GRADKIT_CUDA_CPU_H

#define GRADKIT_CPU_EXECUTOR 1

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__ __attribute__((noinline))
#define __constant__
#define __shared__ static  // `extern __shared__` is rewritten by the executor before compiling
#define __align__(n) __attribute__((aligned(n)))
#define __launch_bounds__(...)

#include <math.h>

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "cuda_cpu_half.h"
#include "cuda_cpu_fibers.h"
#include "cuda_cpu_device_functions.h"
#include "cuda_cpu_launch.h"

#endif  // GRADKIT_CUDA_CPU_H
