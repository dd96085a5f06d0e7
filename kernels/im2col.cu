// im2col and its adjoint col2im for 2-D convolution: the kernels behind
// gradkit/backend/cpu/conv.py's im2col/col2im (same layout, same contract).
//
// x is (N, C, H, W); cols is (C*kh*kw, N*Ho*Wo), channel-major:
//   cols[(c*kh + i)*kw + j, (n*Ho + oh)*Wo + ow] = x[n, c, oh*sh - top + i*dh, ow*sw - left + j*dw]
// (0 where that position lies in the padding).
//
// col2im is written as a gather: each thread owns one element of x and adds up the columns
// entries that read it, in the twin's (i, j) order. No atomics, so the result is
// deterministic (and for float32/float64 bit-identical to the twin, which adds the same
// terms in the same order); the price is a kh*kw loop with a divisibility test per element.
#include "common.cuh"


template <typename T>
__global__ void im2col(const T* __restrict__ x, T* __restrict__ cols, long long n, long long c,
                       long long h, long long w, long long out_h, long long out_w,
                       long long kernel_h, long long kernel_w, long long stride_h,
                       long long stride_w, long long pad_top, long long pad_left,
                       long long dilation_h, long long dilation_w) {
  const long long columns = n * out_h * out_w;
  const long long total = c * kernel_h * kernel_w * columns;
  for (long long index = gk::global_thread_index(); index < total; index += gk::grid_stride()) {
    const long long column = index % columns;
    const long long row = index / columns;
    const long long ow = column % out_w;
    const long long oh = (column / out_w) % out_h;
    const long long image = column / (out_w * out_h);
    const long long j = row % kernel_w;
    const long long i = (row / kernel_w) % kernel_h;
    const long long channel = row / (kernel_w * kernel_h);
    const long long y = oh * stride_h - pad_top + i * dilation_h;
    const long long x_pos = ow * stride_w - pad_left + j * dilation_w;
    const bool inside = y >= 0 && y < h && x_pos >= 0 && x_pos < w;
    cols[index] = inside ? x[((image * c + channel) * h + y) * w + x_pos] : T(0.0f);
  }
}

template <typename T>
__global__ void col2im(const T* __restrict__ cols, T* __restrict__ x, long long n, long long c,
                       long long h, long long w, long long out_h, long long out_w,
                       long long kernel_h, long long kernel_w, long long stride_h,
                       long long stride_w, long long pad_top, long long pad_left,
                       long long dilation_h, long long dilation_w) {
  using Acc = gk::acc_t<T>;
  const long long columns = n * out_h * out_w;
  const long long total = n * c * h * w;
  for (long long index = gk::global_thread_index(); index < total; index += gk::grid_stride()) {
    const long long x_pos = index % w;
    const long long y = (index / w) % h;
    const long long channel = (index / (w * h)) % c;
    const long long image = index / (w * h * c);
    Acc sum = Acc(0);
    for (long long i = 0; i < kernel_h; ++i) {
      const long long oh_scaled = y + pad_top - i * dilation_h;
      if (oh_scaled < 0 || oh_scaled % stride_h) continue;
      const long long oh = oh_scaled / stride_h;
      if (oh >= out_h) continue;
      for (long long j = 0; j < kernel_w; ++j) {
        const long long ow_scaled = x_pos + pad_left - j * dilation_w;
        if (ow_scaled < 0 || ow_scaled % stride_w) continue;
        const long long ow = ow_scaled / stride_w;
        if (ow >= out_w) continue;
        const long long row = (channel * kernel_h + i) * kernel_w + j;
        sum += gk::to_acc(cols[row * columns + (image * out_h + oh) * out_w + ow]);
      }
    }
    x[index] = gk::from_acc<T>(sum);
  }
}
