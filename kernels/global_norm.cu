// The global L2 norm of many tensors (gradient clipping): one launch per element dtype sums
// the squares of every tensor, then one single-block launch adds the per-block partial sums
// and takes the square root. Twin: gradkit/backend/cpu/global_norm.py.
//
// The tensors are described by chunk metadata: chunk k covers elements
// [chunk_start[k], min(chunk_start[k] + chunk_size, tensor_sizes[t])) of tensor
// t = chunk_tensor[k], whose first element is at tensor_addresses[t]. Blocks loop over
// chunks (grid-stride), so one launch handles any number and size of tensors, and every
// block writes exactly one partial sum: no atomics, so the result is deterministic for a
// given grid.
#include "common.cuh"
#include "block_reduce.cuh"

template <typename T, typename Out>
__global__ void sum_of_squares_chunks(const unsigned long long* __restrict__ tensor_addresses,
                                      const long long* __restrict__ tensor_sizes,
                                      const long long* __restrict__ chunk_tensor,
                                      const long long* __restrict__ chunk_start,
                                      long long chunks, long long chunk_size,
                                      Out* __restrict__ partials) {
  __shared__ Out scratch[gk::kMaxWarps];
  Out partial = Out(0);
  for (long long k = blockIdx.x; k < chunks; k += gridDim.x) {
    const long long tensor = chunk_tensor[k];
    const T* data = reinterpret_cast<const T*>(tensor_addresses[tensor]);
    const long long start = chunk_start[k];
    const long long end = start + chunk_size < tensor_sizes[tensor] ? start + chunk_size
                                                                     : tensor_sizes[tensor];
    for (long long i = start + threadIdx.x; i < end; i += blockDim.x) {
      const Out value = static_cast<Out>(gk::to_acc(data[i]));
      partial += value * value;
    }
  }
  partial = gk::block_sum(partial, scratch);
  if (threadIdx.x == 0) partials[blockIdx.x] = partial;
}

// out[0] = sqrt(sum(partials[0:count])); launched with a single block.
template <typename Out>
__global__ void finish_l2_norm(const Out* __restrict__ partials, long long count,
                               Out* __restrict__ out) {
  __shared__ Out scratch[gk::kMaxWarps];
  Out partial = Out(0);
  for (long long i = threadIdx.x; i < count; i += blockDim.x) partial += partials[i];
  partial = gk::block_sum(partial, scratch);
  if (threadIdx.x == 0) out[0] = gk::math::sqrt(partial);
}
