// Entry points for Python: launch a kernel from an array of argument addresses (as
// cuLaunchKernel takes them), and describe its parameter types so the caller can check and
// pack arguments against the kernel's real signature.
#ifndef GRADKIT_CUDA_CPU_LAUNCH_H
#define GRADKIT_CUDA_CPU_LAUNCH_H

#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "cuda_cpu_fibers.h"
#include "cuda_cpu_half.h"

#define GKCPU_EXPORT extern "C" __attribute__((visibility("default")))

namespace gkcpu {

// NumPy-style codes ("f4", "i8"), "P" prefix for pointers, "Pc" for pointers to const.
// A parameter type with no code (a struct) fails to compile here, on purpose.
template <typename T> struct type_code;
#define GKCPU_TYPE_CODE(type, code) \
  template <> struct type_code<type> { static std::string get() { return code; } };
GKCPU_TYPE_CODE(void, "v")
GKCPU_TYPE_CODE(bool, "b1")
GKCPU_TYPE_CODE(char, "i1")
GKCPU_TYPE_CODE(signed char, "i1")
GKCPU_TYPE_CODE(unsigned char, "u1")
GKCPU_TYPE_CODE(short, "i2")
GKCPU_TYPE_CODE(unsigned short, "u2")
GKCPU_TYPE_CODE(int, "i4")
GKCPU_TYPE_CODE(unsigned int, "u4")
GKCPU_TYPE_CODE(long, "i8")
GKCPU_TYPE_CODE(unsigned long, "u8")
GKCPU_TYPE_CODE(long long, "i8")
GKCPU_TYPE_CODE(unsigned long long, "u8")
GKCPU_TYPE_CODE(__half, "f2")
GKCPU_TYPE_CODE(float, "f4")
GKCPU_TYPE_CODE(double, "f8")
#undef GKCPU_TYPE_CODE
static_assert(sizeof(long) == 8, "the executor assumes an LP64 platform, as CUDA's hosts are");

template <typename T> struct type_code<T*> {
  static std::string get() {
    return std::string(std::is_const_v<T> ? "Pc" : "P") + type_code<std::remove_cv_t<T>>::get();
  }
};

template <typename... Args> std::string signature(void (*)(Args...)) {
  std::string text;
  ((text += type_code<std::remove_cv_t<Args>>::get() + ","), ...);
  if (!text.empty()) text.pop_back();
  return text;
}

template <typename... Args> struct KernelCall {
  void (*kernel)(Args...);
  void** args;

  template <std::size_t... I> void invoke(std::index_sequence<I...>) const {
    kernel(*static_cast<std::remove_cv_t<Args>*>(args[I])...);
  }
  static void run(void* self) {
    static_cast<KernelCall*>(self)->invoke(std::index_sequence_for<Args...>{});
  }
};

// args[i] is the address of the i-th argument's value; grid and block are 3 sizes each.
template <typename... Args>
int launch(void (*kernel)(Args...), const unsigned* grid, const unsigned* block,
           std::size_t shared_bytes, void** args, char* error, std::size_t error_size) {
  KernelCall<Args...> call{kernel, args};
  return run_grid(dim3(grid[0], grid[1], grid[2]), dim3(block[0], block[1], block[2]),
                  shared_bytes, &KernelCall<Args...>::run, &call, error, error_size);
}

}  // namespace gkcpu

#endif  // GRADKIT_CUDA_CPU_LAUNCH_H
