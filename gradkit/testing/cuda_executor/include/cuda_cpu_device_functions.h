// Device-side functions for the CPU executor: synchronisation, warp shuffles and votes,
// atomics, and the CUDA math and bit intrinsics that the C library lacks.
#ifndef GRADKIT_CUDA_CPU_DEVICE_FUNCTIONS_H
#define GRADKIT_CUDA_CPU_DEVICE_FUNCTIONS_H

#include <math.h>

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "cuda_cpu_fibers.h"
#include "cuda_cpu_half.h"

// ---- synchronisation ------------------------------------------------------------------
inline void __syncthreads() { gkcpu::block_barrier(); }
inline void __syncwarp(unsigned mask = 0xffffffffu) { gkcpu::warp_barrier(mask); }
inline unsigned __activemask() {
  gkcpu::BlockRun& run = gkcpu::current_run();
  return run.warps[run.current / gkcpu::kWarpSize].live_lanes;
}
// Blocks run one at a time on one OS thread: every write is already visible to all.
inline void __threadfence() {}
inline void __threadfence_block() {}
inline void __threadfence_system() {}
[[noreturn]] inline void __trap() { gkcpu::abort_launch("__trap() called"); }

// ---- warp shuffles and votes ----------------------------------------------------------
namespace gkcpu {

// Every lane in `mask` publishes `value`; returns the value of `source_lane`, or the
// caller's own value when that lane does not exist or did not take part (undefined on GPU).
template <typename T> inline T exchange_with(std::uint32_t mask, T value, int source_lane) {
  static_assert(sizeof(T) <= 8 && std::is_trivially_copyable_v<T>,
                "shuffled types must be trivially copyable and at most 8 bytes");
  BlockRun& run = current_run();
  const int lane = run.current % kWarpSize;
  Warp& warp = run.warps[run.current / kWarpSize];
  std::uint64_t slot = 0;
  std::memcpy(&slot, &value, sizeof(T));
  warp.exchange[lane] = slot;
  warp_barrier(mask);  // everyone has published
  T result = value;
  if (source_lane >= 0 && source_lane < kWarpSize && (warp.exchanged_lanes >> source_lane & 1u)) {
    std::memcpy(&result, &warp.exchange[source_lane], sizeof(T));
  }
  warp_barrier(mask);  // everyone has read before anyone publishes again
  return result;
}

// Bit i set when lane i took part and passed a nonzero predicate.
inline std::uint32_t vote(std::uint32_t mask, int predicate) {
  BlockRun& run = current_run();
  Warp& warp = run.warps[run.current / kWarpSize];
  warp.exchange[run.current % kWarpSize] = predicate != 0;
  warp_barrier(mask);
  std::uint32_t ballot = 0;
  for (int lane = 0; lane < kWarpSize; ++lane) {
    if ((warp.exchanged_lanes & mask) >> lane & 1u) ballot |= (warp.exchange[lane] ? 1u : 0u) << lane;
  }
  warp_barrier(mask);
  return ballot;
}

}  // namespace gkcpu

template <typename T>
inline T __shfl_sync(unsigned mask, T var, int src_lane, int width = warpSize) {
  const int lane = gkcpu::lane_id();
  return gkcpu::exchange_with(mask, var, (lane & ~(width - 1)) + (src_lane & (width - 1)));
}
template <typename T>
inline T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = warpSize) {
  const int lane = gkcpu::lane_id();
  const bool inside = (lane & (width - 1)) >= static_cast<int>(delta);
  return gkcpu::exchange_with(mask, var, inside ? lane - static_cast<int>(delta) : -1);
}
template <typename T>
inline T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = warpSize) {
  const int lane = gkcpu::lane_id();
  const bool inside = (lane & (width - 1)) + static_cast<int>(delta) < width;
  return gkcpu::exchange_with(mask, var, inside ? lane + static_cast<int>(delta) : -1);
}
template <typename T>
inline T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = warpSize) {
  const int lane = gkcpu::lane_id();
  const int source = lane ^ lane_mask;
  // A lane may read from its own or an earlier group of `width` lanes, not a later one.
  const bool inside = source < (lane & ~(width - 1)) + width;
  return gkcpu::exchange_with(mask, var, inside ? source : -1);
}
inline unsigned __ballot_sync(unsigned mask, int predicate) { return gkcpu::vote(mask, predicate); }
inline int __any_sync(unsigned mask, int predicate) { return gkcpu::vote(mask, predicate) != 0; }
inline int __all_sync(unsigned mask, int predicate) {
  gkcpu::BlockRun& run = gkcpu::current_run();
  const std::uint32_t live = run.warps[run.current / gkcpu::kWarpSize].live_lanes;
  return gkcpu::vote(mask, predicate) == (mask & live);
}

// ---- atomics: plain read-modify-write, atomic because fibers never interleave here ------
#define GKCPU_ATOMIC(name, type, new_value)          \
  inline type name(type* address, type value) {      \
    const type old = *address;                       \
    *address = (new_value);                          \
    return old;                                      \
  }
#define GKCPU_ATOMIC_ARITHMETIC(type)                      \
  GKCPU_ATOMIC(atomicAdd, type, old + value)               \
  GKCPU_ATOMIC(atomicExch, type, value)
#define GKCPU_ATOMIC_INTEGER(type)                         \
  GKCPU_ATOMIC(atomicSub, type, old - value)               \
  GKCPU_ATOMIC(atomicMax, type, old < value ? value : old) \
  GKCPU_ATOMIC(atomicMin, type, value < old ? value : old) \
  GKCPU_ATOMIC(atomicAnd, type, old & value)               \
  GKCPU_ATOMIC(atomicOr, type, old | value)                \
  GKCPU_ATOMIC(atomicXor, type, old ^ value)               \
  inline type atomicCAS(type* address, type compare, type value) { \
    const type old = *address;                             \
    if (old == compare) *address = value;                  \
    return old;                                            \
  }

GKCPU_ATOMIC_ARITHMETIC(int)
GKCPU_ATOMIC_ARITHMETIC(unsigned int)
GKCPU_ATOMIC_ARITHMETIC(unsigned long long)
GKCPU_ATOMIC_ARITHMETIC(float)
GKCPU_ATOMIC_ARITHMETIC(double)
GKCPU_ATOMIC_INTEGER(int)
GKCPU_ATOMIC_INTEGER(unsigned int)
GKCPU_ATOMIC_INTEGER(unsigned long long)
GKCPU_ATOMIC(atomicMax, long long, old < value ? value : old)
GKCPU_ATOMIC(atomicMin, long long, value < old ? value : old)
inline __half atomicAdd(__half* address, __half value) {
  const __half old = *address;
  *address = __hadd(old, value);
  return old;
}
inline unsigned short atomicCAS(unsigned short* address, unsigned short compare,
                                unsigned short value) {
  const unsigned short old = *address;
  if (old == compare) *address = value;
  return old;
}
#undef GKCPU_ATOMIC_INTEGER
#undef GKCPU_ATOMIC_ARITHMETIC
#undef GKCPU_ATOMIC

// ---- math: CUDA functions missing from the C library, intrinsics as their exact forms ---
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __powf(float x, float y) { return powf(x, y); }
inline float __sinf(float x) { return sinf(x); }
inline float __cosf(float x) { return cosf(x); }
inline float __tanhf(float x) { return tanhf(x); }
inline float __fdividef(float x, float y) { return x / y; }
inline float __frcp_rn(float x) { return 1.0f / x; }
inline float __fsqrt_rn(float x) { return sqrtf(x); }
inline float __fmaf_rn(float x, float y, float z) { return fmaf(x, y, z); }
inline float __fadd_rn(float x, float y) { return x + y; }
inline float __fmul_rn(float x, float y) { return x * y; }
inline float __saturatef(float x) { return x > 0.0f ? (x < 1.0f ? x : 1.0f) : 0.0f; }

inline int min(int a, int b) { return b < a ? b : a; }
inline int max(int a, int b) { return a < b ? b : a; }
inline unsigned int min(unsigned int a, unsigned int b) { return b < a ? b : a; }
inline unsigned int max(unsigned int a, unsigned int b) { return a < b ? b : a; }
inline long long min(long long a, long long b) { return b < a ? b : a; }
inline long long max(long long a, long long b) { return a < b ? b : a; }
inline unsigned long long min(unsigned long long a, unsigned long long b) { return b < a ? b : a; }
inline unsigned long long max(unsigned long long a, unsigned long long b) { return a < b ? b : a; }
inline float min(float a, float b) { return fminf(a, b); }
inline float max(float a, float b) { return fmaxf(a, b); }
inline double min(double a, double b) { return fmin(a, b); }
inline double max(double a, double b) { return fmax(a, b); }

// ---- bit casts and bit counts -----------------------------------------------------------
namespace gkcpu {
template <typename To, typename From> inline To bit_cast(From value) {
  static_assert(sizeof(To) == sizeof(From), "bit_cast needs equal sizes");
  To result;
  std::memcpy(&result, &value, sizeof result);
  return result;
}
}  // namespace gkcpu
inline int __float_as_int(float x) { return gkcpu::bit_cast<int>(x); }
inline unsigned int __float_as_uint(float x) { return gkcpu::bit_cast<unsigned int>(x); }
inline float __int_as_float(int x) { return gkcpu::bit_cast<float>(x); }
inline float __uint_as_float(unsigned int x) { return gkcpu::bit_cast<float>(x); }
inline long long __double_as_longlong(double x) { return gkcpu::bit_cast<long long>(x); }
inline double __longlong_as_double(long long x) { return gkcpu::bit_cast<double>(x); }
inline int __popc(unsigned int x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz(static_cast<unsigned int>(x)); }
inline int __clzll(long long x) {
  return x == 0 ? 64 : __builtin_clzll(static_cast<unsigned long long>(x));
}
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __ffsll(long long x) { return __builtin_ffsll(x); }

template <typename T> inline T __ldg(const T* address) { return *address; }

#endif  // GRADKIT_CUDA_CPU_DEVICE_FUNCTIONS_H
