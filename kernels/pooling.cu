// 2-D max and average pooling, forward and backward, over (planes, H, W) arrays (planes =
// the product of the leading axes): the kernels behind gradkit/backend/cpu/pooling.py.
//
// Forward kernels give one thread to one output element and visit its window in the twin's
// (i, j) order. Backward kernels are gathers: one thread per input element adds up the
// outputs whose window covers it, in the twin's (i, j) order, so no atomics are needed and
// the results are deterministic (bit-identical to the twin for float32/float64; float16 is
// accumulated in float32 and rounded once, where the twin adds in float16).
//
// Max pooling records per output the window offset i*kw + j of its maximum (the first on
// ties; a NaN wins, and a later NaN wins over an earlier one, exactly as the twin's
// `(candidate > y) | isnan(candidate)` update). Padding counts as -inf.
#include "common.cuh"

namespace pooling_detail {

// The output coordinate whose window reads input coordinate `in` at window offset
// `k` (k * dilation past the window start), or -1 if there is none.
__device__ __forceinline__ long long covering_output(long long in, long long k, long long stride,
                                                     long long pad, long long dilation,
                                                     long long out_size) {
  const long long scaled = in + pad - k * dilation;
  if (scaled < 0 || scaled % stride) return -1;
  const long long out = scaled / stride;
  return out < out_size ? out : -1;
}

}  // namespace pooling_detail

template <typename T>
__global__ void max_pool2d_forward(const T* __restrict__ x, T* __restrict__ y,
                                   short* __restrict__ offsets, long long planes, long long h,
                                   long long w, long long out_h, long long out_w,
                                   long long kernel_h, long long kernel_w, long long stride_h,
                                   long long stride_w, long long pad_h, long long pad_w,
                                   long long dilation_h, long long dilation_w) {
  using Acc = gk::acc_t<T>;
  const long long total = planes * out_h * out_w;
  for (long long index = gk::global_thread_index(); index < total; index += gk::grid_stride()) {
    const long long ow = index % out_w;
    const long long oh = (index / out_w) % out_h;
    const T* plane = x + (index / (out_w * out_h)) * h * w;
    Acc best = Acc(0);
    short best_offset = 0;
    for (long long i = 0; i < kernel_h; ++i) {
      const long long row = oh * stride_h - pad_h + i * dilation_h;
      for (long long j = 0; j < kernel_w; ++j) {
        const long long col = ow * stride_w - pad_w + j * dilation_w;
        const bool inside = row >= 0 && row < h && col >= 0 && col < w;
        const Acc candidate = inside ? gk::to_acc(plane[row * w + col])
                                     : -gk::math::infinity<Acc>();
        const short offset = static_cast<short>(i * kernel_w + j);
        if (offset == 0 || candidate > best || gk::math::is_nan(candidate)) {
          best = candidate;
          best_offset = offset;
        }
      }
    }
    y[index] = gk::from_acc<T>(best);  // an input value or -inf: exact in T
    offsets[index] = best_offset;
  }
}

template <typename T>
__global__ void max_pool2d_backward(const T* __restrict__ grad_out,
                                    const short* __restrict__ offsets, T* __restrict__ grad_in,
                                    long long planes, long long h, long long w, long long out_h,
                                    long long out_w, long long kernel_h, long long kernel_w,
                                    long long stride_h, long long stride_w, long long pad_h,
                                    long long pad_w, long long dilation_h,
                                    long long dilation_w) {
  using Acc = gk::acc_t<T>;
  const long long total = planes * h * w;
  for (long long index = gk::global_thread_index(); index < total; index += gk::grid_stride()) {
    const long long col = index % w;
    const long long row = (index / w) % h;
    const long long plane_start = (index / (w * h)) * out_h * out_w;
    Acc sum = Acc(0);
    for (long long i = 0; i < kernel_h; ++i) {
      const long long oh =
          pooling_detail::covering_output(row, i, stride_h, pad_h, dilation_h, out_h);
      if (oh < 0) continue;
      for (long long j = 0; j < kernel_w; ++j) {
        const long long ow =
            pooling_detail::covering_output(col, j, stride_w, pad_w, dilation_w, out_w);
        if (ow < 0) continue;
        const long long out_index = plane_start + oh * out_w + ow;
        if (offsets[out_index] == i * kernel_w + j) sum += gk::to_acc(grad_out[out_index]);
      }
    }
    grad_in[index] = gk::from_acc<T>(sum);
  }
}

// out[o] = grad_in at the position output o took its maximum from (0 if that is padding).
template <typename T>
__global__ void max_pool2d_gather(const T* __restrict__ grad_in,
                                  const short* __restrict__ offsets, T* __restrict__ out,
                                  long long planes, long long h, long long w, long long out_h,
                                  long long out_w, long long kernel_w, long long stride_h,
                                  long long stride_w, long long pad_h, long long pad_w,
                                  long long dilation_h, long long dilation_w) {
  const long long total = planes * out_h * out_w;
  for (long long index = gk::global_thread_index(); index < total; index += gk::grid_stride()) {
    const long long ow = index % out_w;
    const long long oh = (index / out_w) % out_h;
    const T* plane = grad_in + (index / (out_w * out_h)) * h * w;
    const long long i = offsets[index] / kernel_w;
    const long long j = offsets[index] % kernel_w;
    const long long row = oh * stride_h - pad_h + i * dilation_h;
    const long long col = ow * stride_w - pad_w + j * dilation_w;
    const bool inside = row >= 0 && row < h && col >= 0 && col < w;
    out[index] = inside ? plane[row * w + col] : T(0.0f);
  }
}

namespace pooling_detail {

// PyTorch's average-pooling divisor for one axis: the window clipped to the padded input,
// and also to the input itself unless count_include_pad.
__device__ __forceinline__ long long window_count(long long out, long long kernel,
                                                  long long stride, long long pad, long long size,
                                                  bool count_include_pad) {
  long long start = out * stride - pad;
  long long end = start + kernel < size + pad ? start + kernel : size + pad;
  if (!count_include_pad) {
    start = start > 0 ? start : 0;
    end = end < size ? end : size;
  }
  return end - start;
}

template <typename Acc>
__device__ __forceinline__ Acc divisor(long long oh, long long ow, long long h, long long w,
                                       long long kernel_h, long long kernel_w, long long stride_h,
                                       long long stride_w, long long pad_h, long long pad_w,
                                       bool count_include_pad, long long divisor_override) {
  if (divisor_override > 0) return static_cast<Acc>(divisor_override);
  return static_cast<Acc>(
      window_count(oh, kernel_h, stride_h, pad_h, h, count_include_pad) *
      window_count(ow, kernel_w, stride_w, pad_w, w, count_include_pad));
}

}  // namespace pooling_detail

// divisor_override <= 0 means none.
template <typename T>
__global__ void avg_pool2d_forward(const T* __restrict__ x, T* __restrict__ y, long long planes,
                                   long long h, long long w, long long out_h, long long out_w,
                                   long long kernel_h, long long kernel_w, long long stride_h,
                                   long long stride_w, long long pad_h, long long pad_w,
                                   int count_include_pad, long long divisor_override) {
  using Acc = gk::acc_t<T>;
  const long long total = planes * out_h * out_w;
  for (long long index = gk::global_thread_index(); index < total; index += gk::grid_stride()) {
    const long long ow = index % out_w;
    const long long oh = (index / out_w) % out_h;
    const T* plane = x + (index / (out_w * out_h)) * h * w;
    Acc sum = Acc(0);
    for (long long i = 0; i < kernel_h; ++i) {
      const long long row = oh * stride_h - pad_h + i;
      if (row < 0 || row >= h) continue;
      for (long long j = 0; j < kernel_w; ++j) {
        const long long col = ow * stride_w - pad_w + j;
        if (col >= 0 && col < w) sum += gk::to_acc(plane[row * w + col]);
      }
    }
    y[index] = gk::from_acc<T>(
        sum / pooling_detail::divisor<Acc>(oh, ow, h, w, kernel_h, kernel_w, stride_h, stride_w,
                                           pad_h, pad_w, count_include_pad, divisor_override));
  }
}

template <typename T>
__global__ void avg_pool2d_backward(const T* __restrict__ grad_out, T* __restrict__ grad_in,
                                    long long planes, long long h, long long w, long long out_h,
                                    long long out_w, long long kernel_h, long long kernel_w,
                                    long long stride_h, long long stride_w, long long pad_h,
                                    long long pad_w, int count_include_pad,
                                    long long divisor_override) {
  using Acc = gk::acc_t<T>;
  const long long total = planes * h * w;
  for (long long index = gk::global_thread_index(); index < total; index += gk::grid_stride()) {
    const long long col = index % w;
    const long long row = (index / w) % h;
    const long long plane_start = (index / (w * h)) * out_h * out_w;
    Acc sum = Acc(0);
    for (long long i = 0; i < kernel_h; ++i) {
      const long long oh = pooling_detail::covering_output(row, i, stride_h, pad_h, 1, out_h);
      if (oh < 0) continue;
      for (long long j = 0; j < kernel_w; ++j) {
        const long long ow = pooling_detail::covering_output(col, j, stride_w, pad_w, 1, out_w);
        if (ow < 0) continue;
        const Acc share = gk::to_acc(grad_out[plane_start + oh * out_w + ow]) /
                          pooling_detail::divisor<Acc>(oh, ow, h, w, kernel_h, kernel_w, stride_h,
                                                       stride_w, pad_h, pad_w, count_include_pad,
                                                       divisor_override);
        sum += share;
      }
    }
    grad_in[index] = gk::from_acc<T>(sum);
  }
}
