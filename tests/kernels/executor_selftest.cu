// Test kernels for the CPU executor itself (gradkit/testing/cuda_executor): each exercises
// one emulated feature in a way that gives a wrong answer if the emulation is wrong.
// Also compiled by test_nvrtc_compile.py, so they stay valid CUDA.
#include <cuda_fp16.h>

// Tree reduction in static shared memory. Without a real barrier, thread 0 would add
// partial[128] before thread 128 stored it. blockDim.x must be 256.
extern "C" __global__ void block_sum_static_shared(const float* x, float* block_sums,
                                                   long long n) {
  __shared__ float partial[256];
  const long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  partial[threadIdx.x] = i < n ? x[i] : 0.0f;
  __syncthreads();
  for (unsigned int stride = blockDim.x / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0) block_sums[blockIdx.x] = partial[0];
}

// The same with dynamic shared memory (blockDim.x floats, any power of two).
extern "C" __global__ void block_sum_dynamic_shared(const float* x, float* block_sums,
                                                    long long n) {
  extern __shared__ float partial[];
  const long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  partial[threadIdx.x] = i < n ? x[i] : 0.0f;
  __syncthreads();
  for (unsigned int stride = blockDim.x / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
    __syncthreads();
  }
  if (threadIdx.x == 0) block_sums[blockIdx.x] = partial[0];
}

// Per-warp sums two ways: a __shfl_down_sync tree (lane 0 holds the sum) and a
// __shfl_xor_sync butterfly (every lane holds it). One thread per element.
extern "C" __global__ void warp_sums(const float* x, float* down_sums, float* xor_sums) {
  const long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  float down = x[i];
  float butterfly = x[i];
  for (int offset = warpSize / 2; offset > 0; offset /= 2) {
    down += __shfl_down_sync(0xffffffffu, down, offset);
    butterfly += __shfl_xor_sync(0xffffffffu, butterfly, offset);
  }
  if (threadIdx.x % warpSize == 0) down_sums[i / warpSize] = down;
  xor_sums[i] = butterfly;
}

// Each lane's result of the four shuffles over groups of `width` lanes, and of a ballot.
extern "C" __global__ void shuffle_patterns(int* indexed, int* up, int* down, int* xored,
                                            unsigned int* ballots, int delta, int width) {
  const int lane = threadIdx.x % warpSize;
  const int value = 100 + lane;
  indexed[threadIdx.x] = __shfl_sync(0xffffffffu, value, delta, width);
  up[threadIdx.x] = __shfl_up_sync(0xffffffffu, value, delta, width);
  down[threadIdx.x] = __shfl_down_sync(0xffffffffu, value, delta, width);
  xored[threadIdx.x] = __shfl_xor_sync(0xffffffffu, value, delta, width);
  const unsigned int ballot = __ballot_sync(0xffffffffu, lane % 3 == 0);
  if (lane == 0) ballots[threadIdx.x / warpSize] = ballot;
}

__device__ float atomic_max_float(float* address, float value) {
  int* bits = reinterpret_cast<int*>(address);
  int old = *bits;
  int assumed;
  do {
    assumed = old;
    old = atomicCAS(bits, assumed, __float_as_int(fmaxf(value, __int_as_float(assumed))));
  } while (assumed != old);
  return __int_as_float(old);
}

// Histogram, sums and maxima through atomics, over a grid-stride loop.
extern "C" __global__ void atomic_reductions(const int* bins, const float* x, long long n,
                                             int* counts, float* sum32, double* sum64,
                                             int* max_bin, float* max_x) {
  for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<long long>(blockDim.x) * gridDim.x) {
    atomicAdd(&counts[bins[i]], 1);
    atomicAdd(sum32, x[i]);
    atomicAdd(sum64, static_cast<double>(x[i]));
    atomicMax(max_bin, bins[i]);
    atomic_max_float(max_x, x[i]);
  }
}

// Every thread writes its built-in coordinates, to check multi-dimensional grids and blocks.
extern "C" __global__ void thread_coordinates(unsigned int* out) {
  const unsigned int block = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
  const unsigned int thread = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  const unsigned int index = block * blockDim.x * blockDim.y * blockDim.z + thread;
  unsigned int* row = out + 6 * index;
  row[0] = threadIdx.x;
  row[1] = threadIdx.y;
  row[2] = threadIdx.z;
  row[3] = blockIdx.x;
  row[4] = blockIdx.y;
  row[5] = blockIdx.z;
}

extern "C" __global__ void half_round_trip(const float* x, __half* halves, float* back,
                                           long long n) {
  for (long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<long long>(blockDim.x) * gridDim.x) {
    halves[i] = __float2half_rn(x[i]);
    back[i] = __half2float(halves[i]);
  }
}

// Lanes 0-15 wait at __syncthreads while lanes 16-31 wait for them in a shuffle: a deadlock
// on a GPU, an error on the executor.
extern "C" __global__ void divergent_barrier(int* out) {
  if (threadIdx.x % warpSize < 16) {
    __syncthreads();
  } else {
    out[threadIdx.x] = __shfl_sync(0xffffffffu, static_cast<int>(threadIdx.x), 0);
  }
}

extern "C" __global__ void trap_at(long long bad_index) {
  if (static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x == bad_index) __trap();
}
