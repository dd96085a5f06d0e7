// Stands in for CUDA's cuda_fp16.h when the executor compiles a kernel: __half comes from
// cuda_cpu_half.h.
#include "cuda_cpu.h"
