// __half for the CPU executor: IEEE binary16 storage, conversions rounding to nearest even
// through the compiler's _Float16, arithmetic through float (for one + - * / that rounds
// exactly as native half arithmetic does).
#ifndef GRADKIT_CUDA_CPU_HALF_H
#define GRADKIT_CUDA_CPU_HALF_H

#include <cstring>

#ifndef __FLT16_MAX__
#error "the CUDA CPU executor needs _Float16 support (GCC >= 12 or Clang, x86-64 or AArch64)"
#endif

namespace gkcpu {
inline unsigned short half_bits_from(_Float16 value) {
  unsigned short bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}
inline _Float16 half_from_bits(unsigned short bits) {
  _Float16 value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}
}  // namespace gkcpu

struct __half {
  unsigned short __x;

  __half() = default;
  // Implicit, as in cuda_fp16.h (unless __CUDA_NO_HALF_CONVERSIONS__).
  __half(float value) : __x(gkcpu::half_bits_from(static_cast<_Float16>(value))) {}
  __half(double value) : __x(gkcpu::half_bits_from(static_cast<_Float16>(value))) {}
  operator float() const { return static_cast<float>(gkcpu::half_from_bits(__x)); }
};
static_assert(sizeof(__half) == 2, "__half must match numpy.float16's layout");

inline float __half2float(__half h) { return static_cast<float>(gkcpu::half_from_bits(h.__x)); }
inline __half __float2half(float f) { return __half(f); }
inline __half __float2half_rn(float f) { return __half(f); }
inline __half __double2half(double d) { return __half(d); }
inline unsigned short __half_as_ushort(__half h) { return h.__x; }
inline __half __ushort_as_half(unsigned short bits) {
  __half h;
  h.__x = bits;
  return h;
}

inline __half __hadd(__half a, __half b) { return __half(float(a) + float(b)); }
inline __half __hsub(__half a, __half b) { return __half(float(a) - float(b)); }
inline __half __hmul(__half a, __half b) { return __half(float(a) * float(b)); }
inline __half __hdiv(__half a, __half b) { return __half(float(a) / float(b)); }
inline __half __hneg(__half a) { return __ushort_as_half(a.__x ^ 0x8000u); }
inline __half __habs(__half a) { return __ushort_as_half(a.__x & 0x7fffu); }
inline bool __hisnan(__half a) { return (a.__x & 0x7fffu) > 0x7c00u; }

inline __half operator+(__half a, __half b) { return __hadd(a, b); }
inline __half operator-(__half a, __half b) { return __hsub(a, b); }
inline __half operator*(__half a, __half b) { return __hmul(a, b); }
inline __half operator/(__half a, __half b) { return __hdiv(a, b); }
inline __half operator-(__half a) { return __hneg(a); }
inline bool operator==(__half a, __half b) { return float(a) == float(b); }
inline bool operator!=(__half a, __half b) { return float(a) != float(b); }
inline bool operator<(__half a, __half b) { return float(a) < float(b); }
inline bool operator<=(__half a, __half b) { return float(a) <= float(b); }
inline bool operator>(__half a, __half b) { return float(a) > float(b); }
inline bool operator>=(__half a, __half b) { return float(a) >= float(b); }

#endif  // GRADKIT_CUDA_CPU_HALF_H
