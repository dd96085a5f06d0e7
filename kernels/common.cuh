// Shared helpers for gradkit's CUDA kernels: element-type traits, grid-stride indexing and
// math overloads that pick the float or double libdevice function by argument type.
//
// These sources are compiled by NVRTC at run time (through CuPy) and, in the tests, by g++
// against gradkit/testing/cuda_executor (which emulates the CUDA execution model on a CPU).
// Keep them free of host code and of anything only one of the two compilers understands.
#ifndef GRADKIT_KERNELS_COMMON_CUH
#define GRADKIT_KERNELS_COMMON_CUH

#include <cuda_fp16.h>

namespace gk {

// Arithmetic type for an element type: __half is loaded into float, computed in float and
// rounded once on store, which is what autocast expects from a float16 kernel.
template <typename T> struct accumulate_type { using type = T; };
template <> struct accumulate_type<__half> { using type = float; };
template <typename T> using acc_t = typename accumulate_type<T>::type;

__device__ __forceinline__ float to_acc(__half value) { return __half2float(value); }
__device__ __forceinline__ float to_acc(float value) { return value; }
__device__ __forceinline__ double to_acc(double value) { return value; }

template <typename T> __device__ __forceinline__ T from_acc(acc_t<T> value) { return value; }
template <> __device__ __forceinline__ __half from_acc<__half>(float value) {
  return __float2half_rn(value);
}

// 64-bit indices: tensors with more than 2**31 elements are legal and must not wrap.
__device__ __forceinline__ long long global_thread_index() {
  return static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ long long grid_stride() {
  return static_cast<long long>(blockDim.x) * gridDim.x;
}

// Overloads so templated kernels call expf for float and exp for double; a bare exp(x) on a
// float would be promoted to double on some paths and cost a double-precision call.
namespace math {
__device__ __forceinline__ float exp(float x) { return expf(x); }
__device__ __forceinline__ double exp(double x) { return ::exp(x); }
__device__ __forceinline__ float log1p(float x) { return log1pf(x); }
__device__ __forceinline__ double log1p(double x) { return ::log1p(x); }
__device__ __forceinline__ float erf(float x) { return erff(x); }
__device__ __forceinline__ double erf(double x) { return ::erf(x); }
__device__ __forceinline__ float tanh(float x) { return tanhf(x); }
__device__ __forceinline__ double tanh(double x) { return ::tanh(x); }
__device__ __forceinline__ float abs(float x) { return fabsf(x); }
__device__ __forceinline__ double abs(double x) { return ::fabs(x); }
__device__ __forceinline__ float log(float x) { return logf(x); }
__device__ __forceinline__ double log(double x) { return ::log(x); }
__device__ __forceinline__ float sqrt(float x) { return sqrtf(x); }
__device__ __forceinline__ double sqrt(double x) { return ::sqrt(x); }
// NVRTC has no INFINITY/NAN macros (no <cmath>): build them from their bit patterns.
template <typename T> __device__ __forceinline__ T infinity();
template <> __device__ __forceinline__ float infinity<float>() {
  return __int_as_float(0x7f800000);
}
template <> __device__ __forceinline__ double infinity<double>() {
  return __longlong_as_double(0x7ff0000000000000LL);
}
template <typename T> __device__ __forceinline__ T quiet_nan();
template <> __device__ __forceinline__ float quiet_nan<float>() {
  return __int_as_float(0x7fc00000);
}
template <> __device__ __forceinline__ double quiet_nan<double>() {
  return __longlong_as_double(0x7ff8000000000000LL);
}
// x != x rather than isnan: NVRTC and the executor's g++ spell isnan differently.
template <typename T> __device__ __forceinline__ bool is_nan(T x) { return x != x; }
}  // namespace math

}  // namespace gk

#endif  // GRADKIT_KERNELS_COMMON_CUH
