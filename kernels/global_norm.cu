// The global L2 norm of many tensors for gradient clipping, and the clipping coefficient, in
// two launches and without a host synchronisation (twin: gradkit/backend/cpu/global_norm.py):
//   1. sum_of_squares (one launch per element dtype, usually one): blocks walk the chunks of
//      every tensor (multi_tensor.cuh) and each block writes ONE partial sum;
//   2. l2norm_finalize (one block): norm = sqrt(sum of partials),
//      coef = min(max_norm / (norm + 1e-6), 1), NaN for a NaN norm (as np.minimum).
// No atomics: for a given grid the result is deterministic.
#include "common.cuh"
#include "block_reduce.cuh"
#include "multi_tensor.cuh"

// T: element type; Out: accumulate type (float, or double when a float64 tensor is present).
template <typename T, typename Out>
__global__ void sum_of_squares(const long long* meta, int tensors, long long chunks,
                               long long chunk_size, Out* partials) {
  __shared__ Out scratch[gk::kMaxWarps];
  const gk::MultiTensorMeta m{meta, 1, tensors, chunks, chunk_size};
  Out partial = Out(0);
  gk::for_each_chunk(m, [&](int t, long long first, long long end) {
    const T* x = m.address<T>(0, t);
    for (long long i = first; i < end; i += blockDim.x) {
      const Out value = static_cast<Out>(gk::to_acc(x[i]));
      partial += value * value;
    }
  });
  partial = gk::block_sum(partial, scratch);
  if (threadIdx.x == 0) partials[blockIdx.x] = partial;
}

template <typename Out>
__global__ void l2norm_finalize(const Out* partials, long long count, double max_norm,
                                Out* norm, Out* coef) {
  __shared__ Out scratch[gk::kMaxWarps];
  Out sum = Out(0);
  for (long long i = threadIdx.x; i < count; i += blockDim.x) sum += partials[i];
  sum = gk::block_sum(sum, scratch);
  if (threadIdx.x == 0) {
    const Out total = gk::math::sqrt(sum);
    const Out ratio = static_cast<Out>(max_norm) / (total + static_cast<Out>(1e-6));
    *norm = total;
    *coef = (ratio != ratio || ratio < Out(1)) ? ratio : Out(1);
  }
}
