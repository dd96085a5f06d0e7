// Counter-based random bits (Philox-4x32-10) and dropout: the kernels behind
// gradkit/backend/cpu/dropout.py, bit for bit.
//
// Word i of a call keyed by (seed, offset) is lane i % 4 of
//   philox(counter = (i / 4 as 64 bits, offset as 64 bits), key = seed as 2 x 32 bits),
// a pure function of (seed, offset, i): one thread computes one Philox block (4 words), so
// no generator state is read or written and any launch geometry gives the same bits.
// Element i is kept iff (word i >> 8) >= keep_threshold (= round(p * 2**24)).
#include "common.cuh"

namespace philox_detail {

constexpr unsigned kMultiplier0 = 0xD2511F53u;
constexpr unsigned kMultiplier1 = 0xCD9E8D57u;
constexpr unsigned kWeyl0 = 0x9E3779B9u;
constexpr unsigned kWeyl1 = 0xBB67AE85u;
constexpr int kRounds = 10;
constexpr int kUniformBits = 24;

struct Block {
  unsigned word[4];
};

// 32x32 -> 64-bit products, split: the same arithmetic as the twin's uint64 NumPy code.
__device__ __forceinline__ Block philox4x32(Block counter, unsigned key0, unsigned key1) {
  unsigned c0 = counter.word[0], c1 = counter.word[1], c2 = counter.word[2];
  unsigned c3 = counter.word[3];
  for (int round = 0; round < kRounds; ++round) {
    if (round) {
      key0 += kWeyl0;
      key1 += kWeyl1;
    }
    const unsigned long long p0 = static_cast<unsigned long long>(kMultiplier0) * c0;
    const unsigned long long p1 = static_cast<unsigned long long>(kMultiplier1) * c2;
    const unsigned hi0 = static_cast<unsigned>(p0 >> 32), lo0 = static_cast<unsigned>(p0);
    const unsigned hi1 = static_cast<unsigned>(p1 >> 32), lo1 = static_cast<unsigned>(p1);
    c0 = hi1 ^ c1 ^ key0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ key1;
    c3 = lo0;
  }
  return {{c0, c1, c2, c3}};
}

__device__ __forceinline__ Block stream_block(long long block_index, unsigned long long seed,
                                              unsigned long long offset) {
  const unsigned long long index = static_cast<unsigned long long>(block_index);
  const Block counter = {{static_cast<unsigned>(index), static_cast<unsigned>(index >> 32),
                          static_cast<unsigned>(offset), static_cast<unsigned>(offset >> 32)}};
  return philox4x32(counter, static_cast<unsigned>(seed), static_cast<unsigned>(seed >> 32));
}

}  // namespace philox_detail

// out[i] = Philox block of counters[i, 0:4] under (key0, key1): the twin's philox4x32.
__global__ void philox4x32_blocks(const unsigned* __restrict__ counters,
                                  unsigned* __restrict__ out, long long blocks, unsigned key0,
                                  unsigned key1) {
  for (long long b = gk::global_thread_index(); b < blocks; b += gk::grid_stride()) {
    philox_detail::Block counter;
    for (int lane = 0; lane < 4; ++lane) counter.word[lane] = counters[4 * b + lane];
    const philox_detail::Block result = philox_detail::philox4x32(counter, key0, key1);
    for (int lane = 0; lane < 4; ++lane) out[4 * b + lane] = result.word[lane];
  }
}

// `count` words of the (seed, offset) stream: the twin's random_bits.
__global__ void philox_random_bits(unsigned* __restrict__ out, long long count,
                                   unsigned long long seed, unsigned long long offset) {
  const long long blocks = (count + 3) / 4;
  for (long long b = gk::global_thread_index(); b < blocks; b += gk::grid_stride()) {
    const philox_detail::Block bits = philox_detail::stream_block(b, seed, offset);
    for (int lane = 0; lane < 4 && 4 * b + lane < count; ++lane) out[4 * b + lane] = bits.word[lane];
  }
}

// The keep-mask of `count` elements: the twin's dropout_mask.
__global__ void dropout_mask(bool* __restrict__ mask, long long count, unsigned long long seed,
                             unsigned long long offset, unsigned keep_threshold) {
  const long long blocks = (count + 3) / 4;
  for (long long b = gk::global_thread_index(); b < blocks; b += gk::grid_stride()) {
    const philox_detail::Block bits = philox_detail::stream_block(b, seed, offset);
    for (int lane = 0; lane < 4 && 4 * b + lane < count; ++lane) {
      const unsigned uniform = bits.word[lane] >> (32 - philox_detail::kUniformBits);
      mask[4 * b + lane] = uniform >= keep_threshold;
    }
  }
}

// out = mask ? x * scale : 0 for a mask of x's shape; `scale` is 1 / (1 - p) already rounded
// to x's dtype by the launcher (as the twin's x.dtype.type(1 / (1 - p))), then widened.
template <typename T>
__global__ void dropout_apply(const T* __restrict__ x, const bool* __restrict__ mask,
                              T* __restrict__ out, long long n, gk::acc_t<T> scale) {
  using Acc = gk::acc_t<T>;
  for (long long i = gk::global_thread_index(); i < n; i += gk::grid_stride()) {
    out[i] = mask[i] ? gk::from_acc<T>(gk::to_acc(x[i]) * scale) : gk::from_acc<T>(Acc(0));
  }
}
