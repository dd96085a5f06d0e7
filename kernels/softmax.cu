// Row-wise softmax and log-softmax over a C-contiguous (rows, cols) matrix, forward and
// backward: one block per row (grid-stride over rows), block reductions from block_reduce.cuh.
//
// Forward twin: gradkit/backend/cpu/softmax.py (max-shifted: exp never overflows). The
// forward reads the row twice: once for the running (max, sum of exp) pair, once to write.
// Backward formulas are those of gradkit/ops/softmax.py:
//   softmax:     grad_in = y * (g - sum(g * y))
//   log_softmax: grad_in = g - exp(y) * sum(g)
// __half rows are computed in float and rounded once on store.
#include "common.cuh"
#include "block_reduce.cuh"

template <typename T, bool Log>
__global__ void softmax_forward(const T* __restrict__ x, T* __restrict__ out, long long rows,
                                long long cols) {
  using Acc = gk::acc_t<T>;
  __shared__ Acc scratch[2 * gk::kMaxWarps];
  for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
    const T* x_row = x + row * cols;
    T* out_row = out + row * cols;
    auto stats = gk::MaxExpSum<Acc>::empty();
    for (long long c = threadIdx.x; c < cols; c += blockDim.x) stats.add(gk::to_acc(x_row[c]));
    stats = gk::block_allreduce(stats, scratch);
    // A +inf makes the twin's shifted row hold inf - inf = NaN, hence a NaN sum: match it.
    if (stats.max == gk::math::infinity<Acc>()) stats.sum = gk::math::quiet_nan<Acc>();
    const Acc log_sum = gk::math::log(stats.sum);
    for (long long c = threadIdx.x; c < cols; c += blockDim.x) {
      const Acc shifted = gk::to_acc(x_row[c]) - stats.max;
      out_row[c] = gk::from_acc<T>(Log ? shifted - log_sum : gk::math::exp(shifted) / stats.sum);
    }
  }
}

template <typename T, bool Log>
__global__ void softmax_backward(const T* __restrict__ grad_out, const T* __restrict__ out,
                                 T* __restrict__ grad_in, long long rows, long long cols) {
  using Acc = gk::acc_t<T>;
  __shared__ Acc scratch[gk::kMaxWarps];
  for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
    const T* g_row = grad_out + row * cols;
    const T* y_row = out + row * cols;
    T* result_row = grad_in + row * cols;
    Acc partial = Acc(0);
    for (long long c = threadIdx.x; c < cols; c += blockDim.x) {
      const Acc g = gk::to_acc(g_row[c]);
      partial += Log ? g : g * gk::to_acc(y_row[c]);
    }
    const Acc total = gk::block_sum(partial, scratch);
    for (long long c = threadIdx.x; c < cols; c += blockDim.x) {
      const Acc g = gk::to_acc(g_row[c]);
      const Acc y = gk::to_acc(y_row[c]);
      result_row[c] = gk::from_acc<T>(Log ? g - gk::math::exp(y) * total : y * (g - total));
    }
  }
}
