// Multi-tensor kernels: one launch walks every tensor of a list of tensor lists (a group's
// parameters, gradients and optimizer state), split into fixed-size chunks, one chunk per
// block (blocks grid-stride over chunks).
//
// The metadata lives in device memory, so a launch takes any number of tensors without
// hitting the 4 KiB kernel-argument limit. It is one int64 array built by
// gradkit/backend/cuda/multi_tensor.py:
//   [0, lists * tensors)                 addresses: list l, tensor t at l * tensors + t
//                                        (0 for a list that is absent, e.g. no momentum)
//   [lists * tensors, + tensors)         sizes (elements) per tensor
//   [.., + chunks)                       the tensor of each chunk
//   [.., + chunks)                       the first element of each chunk
// Empty tensors own no chunk, so every chunk holds at least one element.
#ifndef GRADKIT_KERNELS_MULTI_TENSOR_CUH
#define GRADKIT_KERNELS_MULTI_TENSOR_CUH

#include "common.cuh"

namespace gk {

// std::is_same without <type_traits>, which NVRTC does not ship.
template <typename A, typename B> struct same_type { static constexpr bool value = false; };
template <typename A> struct same_type<A, A> { static constexpr bool value = true; };

struct MultiTensorMeta {
  const long long* meta;
  int lists;
  int tensors;
  long long chunks;
  long long chunk_size;

  template <typename T> __device__ __forceinline__ T* address(int list, int tensor) const {
    return reinterpret_cast<T*>(
        static_cast<unsigned long long>(meta[static_cast<long long>(list) * tensors + tensor]));
  }
  __device__ __forceinline__ long long size(int tensor) const {
    return meta[static_cast<long long>(lists) * tensors + tensor];
  }
  __device__ __forceinline__ int chunk_tensor(long long chunk) const {
    return static_cast<int>(meta[static_cast<long long>(lists + 1) * tensors + chunk]);
  }
  __device__ __forceinline__ long long chunk_begin(long long chunk) const {
    return meta[static_cast<long long>(lists + 1) * tensors + chunks + chunk];
  }
};

// body(tensor, first, end): called once per chunk by every thread of the block that owns it;
// the thread handles elements first + threadIdx.x, + blockDim.x, ... below end.
template <typename Body>
__device__ __forceinline__ void for_each_chunk(const MultiTensorMeta& m, Body body) {
  for (long long chunk = blockIdx.x; chunk < m.chunks; chunk += gridDim.x) {
    const int tensor = m.chunk_tensor(chunk);
    const long long begin = m.chunk_begin(chunk);
    const long long size = m.size(tensor);
    const long long end = begin + m.chunk_size < size ? begin + m.chunk_size : size;
    body(tensor, begin + threadIdx.x, end);
  }
}

// A found-inf flag of 0 means "go ahead"; anything else (1, or a NaN) skips the update, as
// the NumPy twins' bool(found_inf) does.
__device__ __forceinline__ bool skip_update(const float* found_inf) { return *found_inf != 0.0f; }

// Finite without isfinite(), which NVRTC and the executor's g++ spell differently:
// x - x is 0 for every finite x and NaN for an infinity or a NaN.
template <typename A> __device__ __forceinline__ bool is_finite(A x) { return x - x == A(0); }

}  // namespace gk

#endif  // GRADKIT_KERNELS_MULTI_TENSOR_CUH
