// Fused multi-tensor optimizer steps: one launch updates every parameter, gradient and state
// buffer of a (param group, device, dtype) group; a second, tiny launch advances the step
// counters. Formulas and their order of operations are those of the NumPy twins in
// gradkit/backend/cpu/optimizer.py (themselves PyTorch's), operation for operation, so that
// the CPU executor matches the twins exactly (the GPU may contract a*b+c into an FMA).
//
// Template parameters: P is the model parameter's (and gradient's) storage type, M the type
// of the updated values and state. P == M: the parameter is updated in place (float, double).
// P = __half, M = float: mixed precision; the kernel reads the fp16 gradient, updates the fp32
// master copy and state, and writes the rounded master back into the fp16 parameter.
//
// Read from device memory, so that nothing needs a host round trip or a recompilation:
//   lr        (double)  the learning rate, changed by a scheduler between steps
//   found_inf (float)   non-zero: leave parameters, state and step counts untouched
//   inv_scale (float)   gradients are multiplied by it first (1 when there is no scaler)
//   steps     (float)   one counter per tensor, in the metadata; the update uses step + 1
// Scalar options arrive as double and are rounded to M where the twin's NumPy arithmetic
// rounds a Python float to the array's dtype.
#include "common.cuh"
#include "multi_tensor.cuh"

namespace optimizer_detail {

// Positions of the tensor lists in the metadata, per optimizer.
enum SgdList { kSgdParam, kSgdGrad, kSgdMomentum, kSgdMaster, kSgdLists };
enum AdamList {
  kAdamParam, kAdamGrad, kAdamExpAvg, kAdamExpAvgSq, kAdamMaxExpAvgSq, kAdamStep, kAdamMaster,
  kAdamLists
};
enum RmspropList {
  kRmsParam, kRmsGrad, kRmsSquareAvg, kRmsGradAvg, kRmsMomentum, kRmsStep, kRmsMaster, kRmsLists
};
enum AdagradList { kAdagradParam, kAdagradGrad, kAdagradSum, kAdagradStep, kAdagradMaster,
                   kAdagradLists };

// Where the updated values live: the parameter itself, or its fp32 master copy.
template <typename P, typename M>
__device__ __forceinline__ M* target_of(const gk::MultiTensorMeta& m, int param_list,
                                        int master_list, int tensor) {
  if constexpr (gk::same_type<P, M>::value) {
    return m.address<M>(param_list, tensor);
  } else {
    return m.address<M>(master_list, tensor);
  }
}

template <typename P, typename M>
__device__ __forceinline__ void write_back(P* param, long long i, M value) {
  if constexpr (!gk::same_type<P, M>::value) param[i] = gk::from_acc<P>(value);
}

template <typename P, typename M>
__device__ __forceinline__ M load_grad(const P* grad, long long i, M inv_scale) {
  return static_cast<M>(gk::to_acc(grad[i])) * inv_scale;
}

// -g when maximizing, plus weight_decay * p (the L2 penalty).
template <typename M>
__device__ __forceinline__ M effective_grad(M p, M g, M weight_decay, bool decay, bool maximize) {
  if (maximize) g = -g;
  if (decay) g = g + p * weight_decay;
  return g;
}

// start += weight * (end - start), with torch.lerp's two formulas.
template <typename M> __device__ __forceinline__ M lerp(M start, M end, double weight) {
  if (weight < 0.5) return start + (end - start) * static_cast<M>(weight);
  return end - (end - start) * static_cast<M>(1.0 - weight);
}

// np.maximum: a NaN in either argument wins.
template <typename M> __device__ __forceinline__ M nan_max(M a, M b) {
  return (a != a || a >= b) ? a : b;
}

}  // namespace optimizer_detail

using namespace optimizer_detail;

template <typename P, typename M>
__global__ void sgd_multi_tensor(const long long* meta, int tensors, long long chunks,
                                 long long chunk_size, const double* lr, const float* found_inf,
                                 const float* inv_scale, double weight_decay, double momentum,
                                 double dampening, int nesterov, int maximize, int has_momentum) {
  if (gk::skip_update(found_inf)) return;
  const gk::MultiTensorMeta m{meta, kSgdLists, tensors, chunks, chunk_size};
  const M neg_lr = static_cast<M>(-*lr);
  const M unscale = static_cast<M>(*inv_scale);
  const M decay = static_cast<M>(weight_decay);
  const M beta = static_cast<M>(momentum);
  const M keep = static_cast<M>(1.0 - dampening);
  gk::for_each_chunk(m, [&](int t, long long first, long long end) {
    P* param = m.address<P>(kSgdParam, t);
    const P* grad = m.address<P>(kSgdGrad, t);
    M* buffer = m.address<M>(kSgdMomentum, t);
    M* target = target_of<P, M>(m, kSgdParam, kSgdMaster, t);
    for (long long i = first; i < end; i += blockDim.x) {
      M p = target[i];
      M g = effective_grad(p, load_grad(grad, i, unscale), decay, weight_decay != 0, maximize);
      if (has_momentum) {
        M b = buffer[i] * beta;
        b = dampening == 0 ? b + g : b + g * keep;
        buffer[i] = b;
        g = nesterov ? g + b * beta : b;
      }
      p = p + g * neg_lr;
      target[i] = p;
      write_back(param, i, p);
    }
  });
}

template <typename P, typename M>
__global__ void adam_multi_tensor(const long long* meta, int tensors, long long chunks,
                                  long long chunk_size, const double* lr_ptr,
                                  const float* found_inf, const float* inv_scale, double beta1,
                                  double beta2, double eps, double weight_decay, int amsgrad,
                                  int maximize, int decoupled_weight_decay) {
  if (gk::skip_update(found_inf)) return;
  const gk::MultiTensorMeta m{meta, kAdamLists, tensors, chunks, chunk_size};
  const double lr = *lr_ptr;
  const M unscale = static_cast<M>(*inv_scale);
  const M decay = static_cast<M>(weight_decay);
  const M decoupled_decay = static_cast<M>(1.0 - lr * weight_decay);
  const M beta2_m = static_cast<M>(beta2);
  const M one_minus_beta2 = static_cast<M>(1.0 - beta2);
  const M eps_m = static_cast<M>(eps);
  gk::for_each_chunk(m, [&](int t, long long first, long long end) {
    P* param = m.address<P>(kAdamParam, t);
    const P* grad = m.address<P>(kAdamGrad, t);
    M* exp_avg = m.address<M>(kAdamExpAvg, t);
    M* exp_avg_sq = m.address<M>(kAdamExpAvgSq, t);
    M* max_exp_avg_sq = m.address<M>(kAdamMaxExpAvgSq, t);
    M* target = target_of<P, M>(m, kAdamParam, kAdamMaster, t);
    // The twin increments the float32 counter, then computes in Python floats (double).
    const double count = static_cast<double>(*m.address<float>(kAdamStep, t) + 1.0f);
    const M neg_step_size = static_cast<M>(-(lr / (1.0 - ::pow(beta1, count))));
    const M bias_correction2_sqrt = static_cast<M>(::pow(1.0 - ::pow(beta2, count), 0.5));
    for (long long i = first; i < end; i += blockDim.x) {
      M p = target[i];
      M g = load_grad(grad, i, unscale);
      if (decoupled_weight_decay) {
        if (weight_decay != 0) p = p * decoupled_decay;
        if (maximize) g = -g;
      } else {
        g = effective_grad(p, g, decay, weight_decay != 0, maximize);
      }
      const M mean = lerp(exp_avg[i], g, 1.0 - beta1);
      exp_avg[i] = mean;
      const M second = exp_avg_sq[i] * beta2_m + g * one_minus_beta2 * g;
      exp_avg_sq[i] = second;
      M second_used = second;
      if (amsgrad) {
        second_used = nan_max(max_exp_avg_sq[i], second);
        max_exp_avg_sq[i] = second_used;
      }
      const M denom = gk::math::sqrt(second_used) / bias_correction2_sqrt + eps_m;
      p = p + mean * neg_step_size / denom;
      target[i] = p;
      write_back(param, i, p);
    }
  });
}

template <typename P, typename M>
__global__ void rmsprop_multi_tensor(const long long* meta, int tensors, long long chunks,
                                     long long chunk_size, const double* lr,
                                     const float* found_inf, const float* inv_scale,
                                     double alpha, double eps, double weight_decay,
                                     double momentum, int centered, int maximize,
                                     int has_momentum) {
  if (gk::skip_update(found_inf)) return;
  const gk::MultiTensorMeta m{meta, kRmsLists, tensors, chunks, chunk_size};
  const M neg_lr = static_cast<M>(-*lr);
  const M unscale = static_cast<M>(*inv_scale);
  const M decay = static_cast<M>(weight_decay);
  const M alpha_m = static_cast<M>(alpha);
  const M one_minus_alpha = static_cast<M>(1.0 - alpha);
  const M eps_m = static_cast<M>(eps);
  const M beta = static_cast<M>(momentum);
  gk::for_each_chunk(m, [&](int t, long long first, long long end) {
    P* param = m.address<P>(kRmsParam, t);
    const P* grad = m.address<P>(kRmsGrad, t);
    M* square_avg = m.address<M>(kRmsSquareAvg, t);
    M* grad_avg = m.address<M>(kRmsGradAvg, t);
    M* buffer = m.address<M>(kRmsMomentum, t);
    M* target = target_of<P, M>(m, kRmsParam, kRmsMaster, t);
    for (long long i = first; i < end; i += blockDim.x) {
      M p = target[i];
      const M g =
          effective_grad(p, load_grad(grad, i, unscale), decay, weight_decay != 0, maximize);
      const M square = square_avg[i] * alpha_m + g * one_minus_alpha * g;
      square_avg[i] = square;
      M avg;
      if (centered) {
        const M mean = lerp(grad_avg[i], g, 1.0 - alpha);
        grad_avg[i] = mean;
        avg = gk::math::sqrt(-mean * mean + square);
      } else {
        avg = gk::math::sqrt(square);
      }
      avg = avg + eps_m;
      if (has_momentum) {
        const M b = buffer[i] * beta + g / avg;
        buffer[i] = b;
        p = p + b * neg_lr;
      } else {
        p = p + g * neg_lr / avg;
      }
      target[i] = p;
      write_back(param, i, p);
    }
  });
}

template <typename P, typename M>
__global__ void adagrad_multi_tensor(const long long* meta, int tensors, long long chunks,
                                     long long chunk_size, const double* lr_ptr,
                                     const float* found_inf, const float* inv_scale,
                                     double lr_decay, double weight_decay, double eps,
                                     int maximize) {
  if (gk::skip_update(found_inf)) return;
  const gk::MultiTensorMeta m{meta, kAdagradLists, tensors, chunks, chunk_size};
  const double lr = *lr_ptr;
  const M unscale = static_cast<M>(*inv_scale);
  const M decay = static_cast<M>(weight_decay);
  const M eps_m = static_cast<M>(eps);
  gk::for_each_chunk(m, [&](int t, long long first, long long end) {
    P* param = m.address<P>(kAdagradParam, t);
    const P* grad = m.address<P>(kAdagradGrad, t);
    M* sum = m.address<M>(kAdagradSum, t);
    M* target = target_of<P, M>(m, kAdagradParam, kAdagradMaster, t);
    const float count = *m.address<float>(kAdagradStep, t) + 1.0f;
    const M neg_clr =
        static_cast<M>(-(lr / (1.0 + (static_cast<double>(count) - 1.0) * lr_decay)));
    for (long long i = first; i < end; i += blockDim.x) {
      M p = target[i];
      const M g =
          effective_grad(p, load_grad(grad, i, unscale), decay, weight_decay != 0, maximize);
      const M total = sum[i] + g * g;
      sum[i] = total;
      p = p + g * neg_clr / (gk::math::sqrt(total) + eps_m);
      target[i] = p;
      write_back(param, i, p);
    }
  });
}

// After the update (same stream): every tensor's counter += 1, unless found_inf is set.
__global__ void increment_steps(const long long* meta, int tensors, int step_list,
                                const float* found_inf) {
  if (gk::skip_update(found_inf)) return;
  for (long long t = gk::global_thread_index(); t < tensors; t += gk::grid_stride()) {
    float* step = reinterpret_cast<float*>(
        static_cast<unsigned long long>(meta[static_cast<long long>(step_list) * tensors + t]));
    *step = *step + 1.0f;
  }
}
