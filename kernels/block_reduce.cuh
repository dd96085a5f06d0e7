// Block-wide reductions for kernels that give one block to one row (softmax, cross-entropy,
// normalisation): warp shuffles first, then one value per warp through shared memory.
//
// Requirements: blockDim.x is a multiple of 32 and at most 1024 (so at most 32 warps), and
// every thread of the block calls the reduction (it contains __syncthreads). Every thread
// receives the result, which saves a broadcast round trip through shared memory.
#ifndef GRADKIT_KERNELS_BLOCK_REDUCE_CUH
#define GRADKIT_KERNELS_BLOCK_REDUCE_CUH

#include "common.cuh"

namespace gk {

constexpr int kWarpSize = 32;
constexpr int kMaxWarps = 32;
constexpr unsigned kFullMask = 0xffffffffu;

struct SumOp {
  template <typename A> __device__ __forceinline__ A operator()(A a, A b) const { return a + b; }
};

// NaN wins, as in NumPy's max, so a row holding a NaN gives NaN like the twins.
struct MaxOp {
  template <typename A> __device__ __forceinline__ A operator()(A a, A b) const {
    return (a > b || math::is_nan(a)) ? a : b;
  }
};

template <typename A, typename Op> __device__ __forceinline__ A warp_allreduce(A value, Op op) {
  for (int offset = kWarpSize / 2; offset > 0; offset >>= 1) {
    value = op(value, __shfl_xor_sync(kFullMask, value, offset));
  }
  return value;
}

// `scratch` holds kMaxWarps values in shared memory; it may be reused by the next call.
template <typename A, typename Op>
__device__ __forceinline__ A block_allreduce(A value, Op op, A identity, A* scratch) {
  const int lane = threadIdx.x % kWarpSize;
  const int warp = threadIdx.x / kWarpSize;
  const int warps = blockDim.x / kWarpSize;
  value = warp_allreduce(value, op);
  __syncthreads();  // a previous call may still be reading scratch
  if (lane == 0) scratch[warp] = value;
  __syncthreads();
  value = lane < warps ? scratch[lane] : identity;
  return warp_allreduce(value, op);
}

template <typename A> __device__ __forceinline__ A block_sum(A value, A* scratch) {
  return block_allreduce(value, SumOp(), A(0), scratch);
}

// A running (max, sum of exp(x - max)) pair: the one-pass ("online") softmax statistics.
// -inf entries contribute exp(-inf) = 0 and are skipped, which keeps exp's argument from
// becoming -inf - -inf = NaN while the running max is still -inf.
template <typename A> struct MaxExpSum {
  A max;
  A sum;

  __device__ __forceinline__ static MaxExpSum empty() { return {-math::infinity<A>(), A(0)}; }

  __device__ __forceinline__ void add(A x) {
    if (x > max) {
      sum = sum * math::exp(max - x) + A(1);
      max = x;
    } else if (x != -math::infinity<A>()) {
      sum += math::exp(x - max);  // a NaN x lands here and makes the sum NaN
    }
  }

  __device__ __forceinline__ static MaxExpSum combine(MaxExpSum a, MaxExpSum b) {
    const A m = a.max > b.max ? a.max : b.max;
    if (m == -math::infinity<A>()) return {m, a.sum + b.sum};  // 0, or NaN carried from a NaN x
    return {m, a.sum * math::exp(a.max - m) + b.sum * math::exp(b.max - m)};
  }
};

template <typename A>
__device__ __forceinline__ MaxExpSum<A> warp_allreduce(MaxExpSum<A> value) {
  for (int offset = kWarpSize / 2; offset > 0; offset >>= 1) {
    MaxExpSum<A> other;
    other.max = __shfl_xor_sync(kFullMask, value.max, offset);
    other.sum = __shfl_xor_sync(kFullMask, value.sum, offset);
    value = MaxExpSum<A>::combine(value, other);
  }
  return value;
}

// `scratch` holds 2 * kMaxWarps values in shared memory.
template <typename A>
__device__ __forceinline__ MaxExpSum<A> block_allreduce(MaxExpSum<A> value, A* scratch) {
  const int lane = threadIdx.x % kWarpSize;
  const int warp = threadIdx.x / kWarpSize;
  const int warps = blockDim.x / kWarpSize;
  value = warp_allreduce(value);
  __syncthreads();
  if (lane == 0) {
    scratch[warp] = value.max;
    scratch[kMaxWarps + warp] = value.sum;
  }
  __syncthreads();
  value = lane < warps ? MaxExpSum<A>{scratch[lane], scratch[kMaxWarps + lane]}
                       : MaxExpSum<A>::empty();
  return warp_allreduce(value);
}

// Welford's running (count, mean, sum of squared deviations): one pass, no cancellation.
template <typename A> struct Welford {
  A count;
  A mean;
  A m2;

  __device__ __forceinline__ static Welford empty() { return {A(0), A(0), A(0)}; }

  __device__ __forceinline__ void add(A x) {
    count += A(1);
    const A delta = x - mean;
    mean += delta / count;
    m2 += delta * (x - mean);
  }

  __device__ __forceinline__ static Welford combine(Welford a, Welford b) {
    const A count = a.count + b.count;
    if (count == A(0)) return empty();
    const A delta = b.mean - a.mean;
    const A b_share = b.count / count;
    return {count, a.mean + delta * b_share, a.m2 + b.m2 + delta * delta * a.count * b_share};
  }
};

template <typename A> __device__ __forceinline__ Welford<A> warp_allreduce(Welford<A> value) {
  for (int offset = kWarpSize / 2; offset > 0; offset >>= 1) {
    Welford<A> other;
    other.count = __shfl_xor_sync(kFullMask, value.count, offset);
    other.mean = __shfl_xor_sync(kFullMask, value.mean, offset);
    other.m2 = __shfl_xor_sync(kFullMask, value.m2, offset);
    value = Welford<A>::combine(value, other);
  }
  return value;
}

// `scratch` holds 3 * kMaxWarps values in shared memory.
template <typename A>
__device__ __forceinline__ Welford<A> block_allreduce(Welford<A> value, A* scratch) {
  const int lane = threadIdx.x % kWarpSize;
  const int warp = threadIdx.x / kWarpSize;
  const int warps = blockDim.x / kWarpSize;
  value = warp_allreduce(value);
  __syncthreads();
  if (lane == 0) {
    scratch[warp] = value.count;
    scratch[kMaxWarps + warp] = value.mean;
    scratch[2 * kMaxWarps + warp] = value.m2;
  }
  __syncthreads();
  value = lane < warps ? Welford<A>{scratch[lane], scratch[kMaxWarps + lane],
                                    scratch[2 * kMaxWarps + lane]}
                       : Welford<A>::empty();
  return warp_allreduce(value);
}

}  // namespace gk

#endif  // GRADKIT_KERNELS_BLOCK_REDUCE_CUH
