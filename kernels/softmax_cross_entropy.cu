// Fused softmax + cross-entropy over the rows of C-contiguous (rows, cols) logits with
// class-index labels: the kernels behind gradkit/backend/cpu/softmax_cross_entropy.py's
// softmax_cross_entropy_forward/backward, with the same contract.
//
// Forward, one block per row: the online (max, sum exp) statistics, then one pass that writes
// log_probs (kept for the backward, in the computing dtype) and, with label smoothing, sums
// w[c] * log_probs[c]. Per row:
//   nll    = w[y] * -log_probs[y]          (0 when y == ignore_index)
//   smooth = -sum_c w[c] * log_probs[c]    (0 when y == ignore_index or without smoothing)
// Backward, one block per row, for loss = sum_n a_n * nll_n + b_n * smooth_n:
//   grad[c] = exp(log_probs[c]) * (A + B * sum(w)) - B * w[c] - (c == y ? A : 0),
//   A = a_n * w[y], B = b_n (both 0 when y == ignore_index).
// Without class weights w is 1 (has_weight == 0; the weight pointer is then never read).
// A label outside [0, cols) that is not ignore_index has no meaning: its row gets NaN (the
// Python layer rejects such labels before launching; a kernel cannot raise).
#include "common.cuh"
#include "block_reduce.cuh"

template <typename T>
__global__ void softmax_cross_entropy_forward(
    const T* __restrict__ logits, const long long* __restrict__ labels,
    const gk::acc_t<T>* __restrict__ class_weight, int has_weight, long long ignore_index,
    int with_smoothing, gk::acc_t<T>* __restrict__ nll, gk::acc_t<T>* __restrict__ smooth,
    gk::acc_t<T>* __restrict__ log_probs, long long rows, long long cols) {
  using Acc = gk::acc_t<T>;
  __shared__ Acc scratch[2 * gk::kMaxWarps];
  for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
    const T* x_row = logits + row * cols;
    Acc* lp_row = log_probs + row * cols;
    auto stats = gk::MaxExpSum<Acc>::empty();
    for (long long c = threadIdx.x; c < cols; c += blockDim.x) stats.add(gk::to_acc(x_row[c]));
    stats = gk::block_allreduce(stats, scratch);
    if (stats.max == gk::math::infinity<Acc>()) stats.sum = gk::math::quiet_nan<Acc>();
    const Acc log_sum = gk::math::log(stats.sum);
    Acc weighted = Acc(0);
    for (long long c = threadIdx.x; c < cols; c += blockDim.x) {
      const Acc lp = (gk::to_acc(x_row[c]) - stats.max) - log_sum;
      lp_row[c] = lp;
      weighted += has_weight ? lp * class_weight[c] : lp;
    }
    if (with_smoothing) weighted = gk::block_sum(weighted, scratch);
    if (threadIdx.x == 0) {
      const long long label = labels[row];
      const bool valid = label != ignore_index;
      Acc picked = Acc(0);
      if (valid && (label < 0 || label >= cols)) {
        picked = gk::math::quiet_nan<Acc>();
      } else if (valid) {
        // Recomputed, not read back from lp_row: another thread wrote that element.
        picked = -((gk::to_acc(x_row[label]) - stats.max) - log_sum);
        if (has_weight) picked = picked * class_weight[label];
      }
      nll[row] = picked;
      smooth[row] = (with_smoothing && valid) ? -weighted : Acc(0);
    }
  }
}

template <typename T>
__global__ void softmax_cross_entropy_backward(
    const gk::acc_t<T>* __restrict__ log_probs, const long long* __restrict__ labels,
    const gk::acc_t<T>* __restrict__ class_weight, int has_weight,
    const gk::acc_t<T>* __restrict__ weight_total, long long ignore_index,
    const gk::acc_t<T>* __restrict__ nll_scale, long long nll_scale_stride,
    const gk::acc_t<T>* __restrict__ smooth_scale, long long smooth_scale_stride,
    T* __restrict__ grad, long long rows, long long cols) {
  using Acc = gk::acc_t<T>;
  for (long long row = blockIdx.x; row < rows; row += gridDim.x) {
    const Acc* lp_row = log_probs + row * cols;
    T* grad_row = grad + row * cols;
    const long long label = labels[row];
    const bool valid = label != ignore_index;
    const bool in_range = label >= 0 && label < cols;
    Acc a = Acc(0);
    Acc b = Acc(0);
    if (valid) {
      a = nll_scale[row * nll_scale_stride];
      if (has_weight && in_range) a = a * class_weight[label];
      b = smooth_scale[row * smooth_scale_stride];
    }
    const Acc spread = a + b * weight_total[0];
    const Acc poison = (valid && !in_range) ? gk::math::quiet_nan<Acc>() : Acc(0);
    for (long long c = threadIdx.x; c < cols; c += blockDim.x) {
      Acc g = gk::math::exp(lp_row[c]) * spread;
      g -= has_weight ? b * class_weight[c] : b;
      if (c == label) g -= a;
      grad_row[c] = gk::from_acc<T>(g + poison);
    }
  }
}
