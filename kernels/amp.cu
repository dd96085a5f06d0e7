// Dynamic loss scaling for mixed precision (gradkit/amp/grad_scaler.py), with no host sync:
// the scale, the growth tracker and the found-inf flag stay in device memory.
//
// Twins: gradkit/backend/cpu/amp.py. Semantics are PyTorch's
// (_amp_foreach_non_finite_check_and_unscale_ and _amp_update_scale_).
#include "common.cuh"
#include "multi_tensor.cuh"

// out = in * inv_scale for every tensor of list 0 into list 1 (the same arrays when unscaling
// in place), in one pass that also sets *found_inf = 1 when any input is an inf or a NaN.
// The input is tested, not the product, and the product is written regardless: a skipped
// step discards it anyway.
template <typename T>
__global__ void non_finite_check_and_unscale(const long long* meta, int tensors,
                                             long long chunks, long long chunk_size,
                                             float* found_inf, const float* inv_scale) {
  using Acc = gk::acc_t<T>;
  const gk::MultiTensorMeta m{meta, 2, tensors, chunks, chunk_size};
  const Acc factor = static_cast<Acc>(*inv_scale);
  bool non_finite = false;
  gk::for_each_chunk(m, [&](int t, long long first, long long end) {
    const T* in = m.address<T>(0, t);
    T* out = m.address<T>(1, t);
    for (long long i = first; i < end; i += blockDim.x) {
      const Acc value = gk::to_acc(in[i]);
      non_finite |= !gk::is_finite(value);
      out[i] = gk::from_acc<T>(value * factor);
    }
  });
  // Every writer stores the same value, so the race is benign (as in PyTorch).
  if (non_finite) *found_inf = 1.0f;
}

// Only the check (list 0, read-only): for a step whose optimizer unscales inside its own
// kernel, so the gradients are read once here and never rewritten.
template <typename T>
__global__ void non_finite_check(const long long* meta, int tensors, long long chunks,
                                 long long chunk_size, float* found_inf) {
  const gk::MultiTensorMeta m{meta, 1, tensors, chunks, chunk_size};
  bool non_finite = false;
  gk::for_each_chunk(m, [&](int t, long long first, long long end) {
    const T* in = m.address<T>(0, t);
    for (long long i = first; i < end; i += blockDim.x) {
      non_finite |= !gk::is_finite(gk::to_acc(in[i]));
    }
  });
  if (non_finite) *found_inf = 1.0f;
}

// out = in * coef for every tensor of list 0 into list 1 (gradient clipping by a total norm
// computed on the device). coef is rounded to T first, as the twin's coef.astype(dtype).
template <typename T, typename C>
__global__ void multi_tensor_scale(const long long* meta, int tensors, long long chunks,
                                   long long chunk_size, const C* coef) {
  using Acc = gk::acc_t<T>;
  const gk::MultiTensorMeta m{meta, 2, tensors, chunks, chunk_size};
  const Acc factor = gk::to_acc(gk::from_acc<T>(static_cast<Acc>(*coef)));
  gk::for_each_chunk(m, [&](int t, long long first, long long end) {
    const T* in = m.address<T>(0, t);
    T* out = m.address<T>(1, t);
    for (long long i = first; i < end; i += blockDim.x) {
      out[i] = gk::from_acc<T>(gk::to_acc(in[i]) * factor);
    }
  });
}

// One thread: back off after an overflow, grow after growth_interval clean steps in a row.
// The factors are rounded to float like the twin's NumPy float32 arithmetic.
__global__ void update_scale(float* scale, int* growth_tracker, const float* found_inf,
                             float growth_factor, float backoff_factor, int growth_interval) {
  if (gk::global_thread_index() != 0) return;
  if (*found_inf != 0.0f) {
    *scale = *scale * backoff_factor;
    *growth_tracker = 0;
    return;
  }
  const int successful = *growth_tracker + 1;
  if (successful == growth_interval) {
    const float grown = *scale * growth_factor;
    if (gk::is_finite(grown)) *scale = grown;  // never grow into an infinite scale
    *growth_tracker = 0;
  } else {
    *growth_tracker = successful;
  }
}
