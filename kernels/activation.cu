// Elementwise activations: forward, backward, and a fused per-column bias-add + forward.
//
// Semantics follow PyTorch (torch.nn.functional) and are mirrored exactly, formula for
// formula, by gradkit/backend/cpu/activation.py, the NumPy twin that tests hold these kernels
// to. Kernel instantiations are listed in gradkit/backend/cuda/activation.py.
#include "common.cuh"

enum class ActivationKind : int {
  Relu,
  LeakyRelu,  // param0: negative_slope
  GeluErf,
  GeluTanh,
  Silu,
  Sigmoid,
  Tanh,
  Softplus,  // param0: beta, param1: threshold
};

namespace activation_detail {

constexpr double kSqrtHalf = 0.7071067811865476;        // 1 / sqrt(2)
constexpr double kInvSqrtTwoPi = 0.3989422804014327;    // 1 / sqrt(2 pi)
constexpr double kSqrtTwoOverPi = 0.7978845608028654;   // sqrt(2 / pi)
constexpr double kGeluTanhCubic = 0.044715;

// The branch keeps exp's argument <= 0, so large |x| saturates instead of overflowing.
template <typename Acc> __device__ __forceinline__ Acc stable_sigmoid(Acc x) {
  const Acc e = gk::math::exp(-gk::math::abs(x));
  const Acc r = Acc(1) / (Acc(1) + e);
  return x >= Acc(0) ? r : e * r;
}

template <ActivationKind Kind, typename Acc>
__device__ __forceinline__ Acc forward(Acc x, Acc param0, Acc param1) {
  if constexpr (Kind == ActivationKind::Relu) {
    return x < Acc(0) ? Acc(0) : x;  // written so that NaN propagates, as in PyTorch
  } else if constexpr (Kind == ActivationKind::LeakyRelu) {
    return x > Acc(0) ? x : x * param0;
  } else if constexpr (Kind == ActivationKind::GeluErf) {
    return Acc(0.5) * x * (Acc(1) + gk::math::erf(x * Acc(kSqrtHalf)));
  } else if constexpr (Kind == ActivationKind::GeluTanh) {
    const Acc inner = Acc(kSqrtTwoOverPi) * (x + Acc(kGeluTanhCubic) * x * x * x);
    return Acc(0.5) * x * (Acc(1) + gk::math::tanh(inner));
  } else if constexpr (Kind == ActivationKind::Silu) {
    return x * stable_sigmoid(x);
  } else if constexpr (Kind == ActivationKind::Sigmoid) {
    return stable_sigmoid(x);
  } else if constexpr (Kind == ActivationKind::Tanh) {
    return gk::math::tanh(x);
  } else {
    static_assert(Kind == ActivationKind::Softplus, "unhandled ActivationKind");
    const Acc scaled = x * param0;
    return scaled > param1 ? x : gk::math::log1p(gk::math::exp(scaled)) / param0;
  }
}

// d forward(x) / dx times grad. `out` is forward(x); sigmoid and tanh use it because their
// derivative is cheapest in terms of the output, the others read x only.
template <ActivationKind Kind, typename Acc>
__device__ __forceinline__ Acc backward(Acc grad, Acc x, Acc out, Acc param0, Acc param1) {
  if constexpr (Kind == ActivationKind::Relu) {
    return x > Acc(0) ? grad : Acc(0);
  } else if constexpr (Kind == ActivationKind::LeakyRelu) {
    return x > Acc(0) ? grad : grad * param0;
  } else if constexpr (Kind == ActivationKind::GeluErf) {
    const Acc cdf = Acc(0.5) * (Acc(1) + gk::math::erf(x * Acc(kSqrtHalf)));
    const Acc pdf = gk::math::exp(Acc(-0.5) * x * x) * Acc(kInvSqrtTwoPi);
    return grad * (cdf + x * pdf);
  } else if constexpr (Kind == ActivationKind::GeluTanh) {
    const Acc x_squared = x * x;
    const Acc inner = Acc(kSqrtTwoOverPi) * (x + Acc(kGeluTanhCubic) * x_squared * x);
    const Acc t = gk::math::tanh(inner);
    const Acc inner_derivative =
        Acc(kSqrtTwoOverPi) * (Acc(1) + Acc(3.0 * kGeluTanhCubic) * x_squared);
    return grad * (Acc(0.5) * (Acc(1) + t) + Acc(0.5) * x * (Acc(1) - t * t) * inner_derivative);
  } else if constexpr (Kind == ActivationKind::Silu) {
    const Acc s = stable_sigmoid(x);
    return grad * s * (Acc(1) + x * (Acc(1) - s));
  } else if constexpr (Kind == ActivationKind::Sigmoid) {
    return grad * out * (Acc(1) - out);
  } else if constexpr (Kind == ActivationKind::Tanh) {
    return grad * (Acc(1) - out * out);
  } else {
    static_assert(Kind == ActivationKind::Softplus, "unhandled ActivationKind");
    const Acc scaled = x * param0;
    return scaled > param1 ? grad : grad * stable_sigmoid(scaled);
  }
}

}  // namespace activation_detail

// Parameters arrive as double so that a float64 kernel sees exactly the Python value; each
// kernel rounds them once to its arithmetic type, as the NumPy twin does.
template <typename T, ActivationKind Kind>
__global__ void activation_forward(const T* __restrict__ x, T* __restrict__ out, long long n,
                                   double param0, double param1) {
  using Acc = gk::acc_t<T>;
  const Acc p0 = static_cast<Acc>(param0);
  const Acc p1 = static_cast<Acc>(param1);
  for (long long i = gk::global_thread_index(); i < n; i += gk::grid_stride()) {
    out[i] = gk::from_acc<T>(activation_detail::forward<Kind>(gk::to_acc(x[i]), p0, p1));
  }
}

template <typename T, ActivationKind Kind>
__global__ void activation_backward(const T* __restrict__ grad_out, const T* __restrict__ x,
                                    const T* __restrict__ out, T* __restrict__ grad_in,
                                    long long n, double param0, double param1) {
  using Acc = gk::acc_t<T>;
  const Acc p0 = static_cast<Acc>(param0);
  const Acc p1 = static_cast<Acc>(param1);
  for (long long i = gk::global_thread_index(); i < n; i += gk::grid_stride()) {
    const Acc grad = activation_detail::backward<Kind>(
        gk::to_acc(grad_out[i]), gk::to_acc(x[i]), gk::to_acc(out[i]), p0, p1);
    grad_in[i] = gk::from_acc<T>(grad);
  }
}

// out[r, c] = act(x[r, c] + bias[c]) over a C-contiguous (rows, cols) matrix; the sum stays
// in the arithmetic type, so a float16 input is rounded once, after the activation.
template <typename T, ActivationKind Kind>
__global__ void bias_activation_forward(const T* __restrict__ x, const T* __restrict__ bias,
                                        T* __restrict__ out, long long rows, long long cols,
                                        double param0, double param1) {
  using Acc = gk::acc_t<T>;
  const Acc p0 = static_cast<Acc>(param0);
  const Acc p1 = static_cast<Acc>(param1);
  const long long n = rows * cols;
  for (long long i = gk::global_thread_index(); i < n; i += gk::grid_stride()) {
    const Acc pre_activation = gk::to_acc(x[i]) + gk::to_acc(bias[i % cols]);
    out[i] = gk::from_acc<T>(activation_detail::forward<Kind>(pre_activation, p0, p1));
  }
}
