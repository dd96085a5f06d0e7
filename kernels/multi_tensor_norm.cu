// The global L2 norm of many tensors (gradient clipping) in one multi-tensor pass, and the
// clip itself: grads * min(max_norm / (norm + 1e-6), 1), with the coefficient read from
// device memory so that clipping needs no host sync.
//
// Twins: gradkit/backend/cpu/multi_tensor_norm.py. Launch sequence (gradkit/backend/cuda/
// multi_tensor_norm.py): sum_squares_per_chunk -> l2norm_finalize -> multi_tensor_scale.
#include "common.cuh"
#include "block_reduce.cuh"
#include "multi_tensor.cuh"

// partials[chunk] = sum of squares of the chunk, in the accumulate type (float for __half).
// blockDim.x must be a multiple of 32 (block_sum).
template <typename T>
__global__ void sum_squares_per_chunk(const long long* meta, int tensors, long long chunks,
                                      long long chunk_size, gk::acc_t<T>* partials) {
  using Acc = gk::acc_t<T>;
  __shared__ Acc scratch[gk::kMaxWarps];
  const gk::MultiTensorMeta m{meta, 1, tensors, chunks, chunk_size};
  long long chunk = blockIdx.x;
  gk::for_each_chunk(m, [&](int t, long long first, long long end) {
    const T* x = m.address<T>(0, t);
    Acc sum = Acc(0);
    for (long long i = first; i < end; i += blockDim.x) {
      const Acc value = gk::to_acc(x[i]);
      sum += value * value;
    }
    sum = gk::block_sum(sum, scratch);
    if (threadIdx.x == 0) partials[chunk] = sum;
    chunk += gridDim.x;
  });
}

// One block: norm = sqrt(sum(partials)), coef = min(max_norm / (norm + 1e-6), 1) with a
// NaN norm giving a NaN coefficient (np.minimum propagates NaN).
template <typename Acc>
__global__ void l2norm_finalize(const Acc* partials, long long chunks, double max_norm,
                                Acc* norm, Acc* coef) {
  __shared__ Acc scratch[gk::kMaxWarps];
  Acc sum = Acc(0);
  for (long long c = threadIdx.x; c < chunks; c += blockDim.x) sum += partials[c];
  sum = gk::block_sum(sum, scratch);
  if (threadIdx.x == 0) {
    const Acc total = gk::math::sqrt(sum);
    const Acc ratio = static_cast<Acc>(max_norm) / (total + static_cast<Acc>(1e-6));
    *norm = total;
    *coef = (ratio != ratio || ratio < Acc(1)) ? ratio : Acc(1);
  }
}

// out = in * coef for every tensor of list 0 into list 1. The coefficient is rounded to T
// first, as the twin's coef.astype(grad.dtype) does.
template <typename T>
__global__ void multi_tensor_scale(const long long* meta, int tensors, long long chunks,
                                   long long chunk_size, const gk::acc_t<T>* coef) {
  using Acc = gk::acc_t<T>;
  const gk::MultiTensorMeta m{meta, 2, tensors, chunks, chunk_size};
  const Acc factor = gk::to_acc(gk::from_acc<T>(*coef));
  gk::for_each_chunk(m, [&](int t, long long first, long long end) {
    const T* in = m.address<T>(0, t);
    T* out = m.address<T>(1, t);
    for (long long i = first; i < end; i += blockDim.x) {
      out[i] = gk::from_acc<T>(gk::to_acc(in[i]) * factor);
    }
  });
}
