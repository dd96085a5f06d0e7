// Normalisation over a set of axes (batch, layer, group and instance norm all reduce to it):
// the kernels behind gradkit/backend/cpu/normalization.py's normalize_forward/backward.
//
// The launcher views x as (outer, groups, inner) with the statistics taken over outer and
// inner for each of the `groups` kept positions: layer norm is (1, rows, features), batch
// norm (N, C, H*W). One block per group (blocks grid-stride over groups):
//   forward:  Welford (count, mean, M2) in the computing type (float for __half), merged
//             across the block; var = M2 / count (biased), invstd = 1 / sqrt(var + eps),
//             xhat = (x - mean) * invstd;
//   backward: grad_x = invstd * (g - mean(g) - xhat * mean(g * xhat)).
// Statistics are written in the computing type, as the twin returns them.
#include "common.cuh"
#include "block_reduce.cuh"

namespace normalization_detail {

// Element j (of outer * inner) of `group`. The two common layouts skip the 64-bit division:
// layer norm (outer == 1, a contiguous row) and batch norm of (N, C) (inner == 1).
__device__ __forceinline__ long long element(long long group, long long j, long long outer,
                                             long long groups, long long inner) {
  if (outer == 1) return group * inner + j;
  if (inner == 1) return j * groups + group;
  return ((j / inner) * groups + group) * inner + j % inner;
}

}  // namespace normalization_detail

template <typename T>
__global__ void normalize_forward(const T* __restrict__ x, T* __restrict__ xhat,
                                  gk::acc_t<T>* __restrict__ mean, gk::acc_t<T>* __restrict__ var,
                                  gk::acc_t<T>* __restrict__ invstd, long long outer,
                                  long long groups, long long inner, double eps) {
  using Acc = gk::acc_t<T>;
  __shared__ Acc scratch[3 * gk::kMaxWarps];
  const long long count = outer * inner;
  for (long long group = blockIdx.x; group < groups; group += gridDim.x) {
    auto stats = gk::Welford<Acc>::empty();
    for (long long j = threadIdx.x; j < count; j += blockDim.x) {
      stats.add(gk::to_acc(x[normalization_detail::element(group, j, outer, groups, inner)]));
    }
    stats = gk::block_allreduce(stats, scratch);
    // An empty reduction has no mean: NaN, like NumPy's mean of nothing.
    const Acc group_mean = count ? stats.mean : gk::math::quiet_nan<Acc>();
    const Acc group_var = stats.m2 / static_cast<Acc>(count);
    const Acc group_invstd = Acc(1) / gk::math::sqrt(group_var + static_cast<Acc>(eps));
    if (threadIdx.x == 0) {
      mean[group] = group_mean;
      var[group] = group_var;
      invstd[group] = group_invstd;
    }
    for (long long j = threadIdx.x; j < count; j += blockDim.x) {
      const long long e = normalization_detail::element(group, j, outer, groups, inner);
      xhat[e] = gk::from_acc<T>((gk::to_acc(x[e]) - group_mean) * group_invstd);
    }
  }
}

template <typename T>
__global__ void normalize_backward(const T* __restrict__ grad_xhat, const T* __restrict__ xhat,
                                   const gk::acc_t<T>* __restrict__ invstd,
                                   T* __restrict__ grad_x, long long outer, long long groups,
                                   long long inner) {
  using Acc = gk::acc_t<T>;
  __shared__ Acc scratch[gk::kMaxWarps];
  const long long count = outer * inner;
  for (long long group = blockIdx.x; group < groups; group += gridDim.x) {
    Acc sum_g = Acc(0);
    Acc sum_gx = Acc(0);
    for (long long j = threadIdx.x; j < count; j += blockDim.x) {
      const long long e = normalization_detail::element(group, j, outer, groups, inner);
      const Acc g = gk::to_acc(grad_xhat[e]);
      sum_g += g;
      sum_gx += g * gk::to_acc(xhat[e]);
    }
    const Acc mean_g = gk::block_sum(sum_g, scratch) / static_cast<Acc>(count);
    const Acc mean_gx = gk::block_sum(sum_gx, scratch) / static_cast<Acc>(count);
    const Acc scale = invstd[group];
    for (long long j = threadIdx.x; j < count; j += blockDim.x) {
      const long long e = normalization_detail::element(group, j, outer, groups, inner);
      const Acc g = gk::to_acc(grad_xhat[e]);
      grad_x[e] = gk::from_acc<T>((g - mean_g - gk::to_acc(xhat[e]) * mean_gx) * scale);
    }
  }
}
