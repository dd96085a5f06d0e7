// The CPU executor's scheduler: a block's threads are fibers (ucontext) on the calling OS
// thread, run round-robin; a fiber gives up the CPU only at a barrier, so code between two
// barriers runs without interleaving, exactly as much as CUDA guarantees and no more useful.
#ifndef GRADKIT_CUDA_CPU_FIBERS_H
#define GRADKIT_CUDA_CPU_FIBERS_H

#include <sys/mman.h>
#include <ucontext.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

struct uint3 {
  unsigned int x, y, z;
};
struct dim3 {
  unsigned int x, y, z;
  constexpr dim3(unsigned int vx = 1, unsigned int vy = 1, unsigned int vz = 1)
      : x(vx), y(vy), z(vz) {}
};

// The built-in variables. Plain globals: the scheduler sets threadIdx before resuming a
// fiber, and launches are serialised by the Python side.
inline uint3 threadIdx;
inline uint3 blockIdx;
inline dim3 blockDim;
inline dim3 gridDim;
constexpr int warpSize = 32;

namespace gkcpu {

constexpr int kWarpSize = 32;
constexpr unsigned kMaxThreadsPerBlock = 1024;
constexpr std::size_t kMaxDynamicSharedBytes = 227 * 1024;  // Hopper's per-block opt-in limit
constexpr std::size_t kFiberStackBytes = 256 * 1024;
constexpr std::size_t kGuardBytes = 4096;  // PROT_NONE below each stack: overflow faults

enum class FiberState : unsigned char { Runnable, AtBlockBarrier, AtWarpBarrier, Done };

struct Fiber {
  ucontext_t context;
  FiberState state;
  uint3 thread_index;
};

struct Warp {
  std::uint32_t live_lanes;       // lanes whose thread has not returned
  std::uint32_t arrived_lanes;    // lanes waiting at the pending warp barrier
  std::uint32_t expected_lanes;   // union of the masks those lanes passed
  std::uint32_t exchanged_lanes;  // lanes that took part in the last completed barrier
  std::uint64_t exchange[kWarpSize];  // one value per lane for shuffles and votes
};

struct BlockRun {
  void (*body)(void*);
  void* closure;
  std::vector<Fiber> fibers;
  std::vector<Warp> warps;
  int current;  // index of the running fiber
  int live_threads;
  int at_block_barrier;
  ucontext_t scheduler;
  std::string error;
};

inline BlockRun* g_run = nullptr;
alignas(128) inline unsigned char g_dynamic_shared[kMaxDynamicSharedBytes];

inline BlockRun& current_run() { return *g_run; }
inline int lane_id() { return current_run().current % kWarpSize; }
inline unsigned char* dynamic_shared_memory() { return g_dynamic_shared; }

// Stacks are mapped once and reused by every launch in the process.
inline char* fiber_stack(std::size_t index) {
  static std::vector<char*> stacks;
  while (stacks.size() <= index) {
    void* base = mmap(nullptr, kGuardBytes + kFiberStackBytes, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) return nullptr;
    mprotect(base, kGuardBytes, PROT_NONE);
    stacks.push_back(static_cast<char*>(base) + kGuardBytes);
  }
  return stacks[index];
}

inline std::string describe_current_thread() {
  const uint3 t = threadIdx;
  char text[160];
  std::snprintf(text, sizeof text, "block (%u, %u, %u) thread (%u, %u, %u)", blockIdx.x,
                blockIdx.y, blockIdx.z, t.x, t.y, t.z);
  return text;
}

// Ends the launch from inside a fiber: back to the scheduler, never to resume this fiber.
[[noreturn]] inline void abort_launch(const char* reason) {
  BlockRun& run = current_run();
  run.error = describe_current_thread() + ": " + reason;
  setcontext(&run.scheduler);
  __builtin_unreachable();
}

inline void yield_to_scheduler() {
  BlockRun& run = current_run();
  swapcontext(&run.fibers[run.current].context, &run.scheduler);
}

inline void release_block_barrier(BlockRun& run) {
  for (Fiber& fiber : run.fibers) {
    if (fiber.state == FiberState::AtBlockBarrier) fiber.state = FiberState::Runnable;
  }
  run.at_block_barrier = 0;
}

// Releases warp `w` once every live lane named by the waiters' masks has arrived.
inline bool try_release_warp(BlockRun& run, int w) {
  Warp& warp = run.warps[w];
  const std::uint32_t needed = warp.expected_lanes & warp.live_lanes;
  if (warp.arrived_lanes == 0 || (warp.arrived_lanes & needed) != needed) return false;
  for (int lane = 0; lane < kWarpSize; ++lane) {
    if (warp.arrived_lanes >> lane & 1u) {
      run.fibers[w * kWarpSize + lane].state = FiberState::Runnable;
    }
  }
  warp.exchanged_lanes = warp.arrived_lanes;
  warp.arrived_lanes = 0;
  warp.expected_lanes = 0;
  return true;
}

// __syncthreads. Threads that have returned no longer count (lenient, like Volta and later).
inline void block_barrier() {
  BlockRun& run = current_run();
  run.fibers[run.current].state = FiberState::AtBlockBarrier;
  if (++run.at_block_barrier == run.live_threads) {
    release_block_barrier(run);
  } else {
    yield_to_scheduler();
  }
}

// __syncwarp(mask) and the first half of every shuffle or vote.
inline void warp_barrier(std::uint32_t mask) {
  BlockRun& run = current_run();
  const int w = run.current / kWarpSize;
  const std::uint32_t bit = 1u << (run.current % kWarpSize);
  if (!(mask & bit)) abort_launch("warp-synchronous call with a mask that excludes the caller");
  Warp& warp = run.warps[w];
  warp.arrived_lanes |= bit;
  warp.expected_lanes |= mask;
  run.fibers[run.current].state = FiberState::AtWarpBarrier;
  if (!try_release_warp(run, w)) yield_to_scheduler();
}

inline void on_thread_exit(BlockRun& run) {
  run.fibers[run.current].state = FiberState::Done;
  --run.live_threads;
  const int w = run.current / kWarpSize;
  run.warps[w].live_lanes &= ~(1u << (run.current % kWarpSize));
  if (run.at_block_barrier > 0 && run.at_block_barrier == run.live_threads) {
    release_block_barrier(run);
  }
  try_release_warp(run, w);
}

inline void fiber_main() {
  BlockRun& run = current_run();
  run.body(run.closure);
  on_thread_exit(run);
}  // returns through uc_link to the scheduler

inline std::string describe_deadlock(const BlockRun& run) {
  int at_warp = 0;
  for (const Fiber& fiber : run.fibers) at_warp += fiber.state == FiberState::AtWarpBarrier;
  char text[320];
  std::snprintf(text, sizeof text,
                "block (%u, %u, %u): deadlock: %d thread(s) wait at __syncthreads and %d at a "
                "warp-synchronous call (__shfl_*_sync, __ballot_sync, __syncwarp) that the "
                "others never reach (a barrier inside divergent code?)",
                blockIdx.x, blockIdx.y, blockIdx.z, run.at_block_barrier, at_warp);
  return text;
}

inline bool start_block(BlockRun& run) {
  const int threads = static_cast<int>(run.fibers.size());
  for (int t = 0; t < threads; ++t) {
    Fiber& fiber = run.fibers[t];
    fiber.state = FiberState::Runnable;
    fiber.thread_index = {t % blockDim.x, t / blockDim.x % blockDim.y,
                          t / (blockDim.x * blockDim.y)};
    char* stack = fiber_stack(t);
    if (stack == nullptr || getcontext(&fiber.context) != 0) {
      run.error = "could not allocate a fiber stack";
      return false;
    }
    fiber.context.uc_stack.ss_sp = stack;
    fiber.context.uc_stack.ss_size = kFiberStackBytes;
    fiber.context.uc_link = &run.scheduler;
    makecontext(&fiber.context, fiber_main, 0);
  }
  for (std::size_t w = 0; w < run.warps.size(); ++w) {
    const int lanes = threads - static_cast<int>(w) * kWarpSize;
    run.warps[w] = Warp{};
    run.warps[w].live_lanes = lanes >= kWarpSize ? ~0u : (1u << lanes) - 1u;
  }
  run.live_threads = threads;
  run.at_block_barrier = 0;
  return true;
}

// Runs every thread of the current block to completion; false (with run.error) on failure.
inline bool run_block(BlockRun& run) {
  if (!start_block(run)) return false;
  while (run.live_threads > 0) {
    bool progressed = false;
    for (int t = 0; t < static_cast<int>(run.fibers.size()); ++t) {
      if (run.fibers[t].state != FiberState::Runnable) continue;
      run.current = t;
      threadIdx = run.fibers[t].thread_index;
      swapcontext(&run.scheduler, &run.fibers[t].context);
      progressed = true;
      if (!run.error.empty()) return false;
    }
    if (!progressed) {
      run.error = describe_deadlock(run);
      return false;
    }
  }
  return true;
}

inline bool check_launch(dim3 grid, dim3 block, std::size_t shared_bytes, std::string& error) {
  char text[256];
  const unsigned long long threads = 1ull * block.x * block.y * block.z;
  if (block.x == 0 || block.y == 0 || block.z == 0 || threads > kMaxThreadsPerBlock ||
      block.z > 64) {
    std::snprintf(text, sizeof text,
                  "invalid block (%u, %u, %u): CUDA allows at most 1024 threads per block and "
                  "blockDim.z <= 64",
                  block.x, block.y, block.z);
  } else if (grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.x > 0x7fffffffu ||
             grid.y > 65535 || grid.z > 65535) {
    std::snprintf(text, sizeof text, "invalid grid (%u, %u, %u)", grid.x, grid.y, grid.z);
  } else if (shared_bytes > kMaxDynamicSharedBytes) {
    std::snprintf(text, sizeof text, "%zu bytes of dynamic shared memory exceed the %zu allowed",
                  shared_bytes, kMaxDynamicSharedBytes);
  } else {
    return true;
  }
  error = text;
  return false;
}

// Runs body(closure) as every thread of every block. Returns 0, or 1 with a message in error.
inline int run_grid(dim3 grid, dim3 block, std::size_t shared_bytes, void (*body)(void*),
                    void* closure, char* error, std::size_t error_size) {
  BlockRun run{};
  bool ok = check_launch(grid, block, shared_bytes, run.error);
  if (ok) {
    run.body = body;
    run.closure = closure;
    run.fibers.resize(static_cast<std::size_t>(block.x) * block.y * block.z);
    run.warps.resize((run.fibers.size() + kWarpSize - 1) / kWarpSize);
    gridDim = grid;
    blockDim = block;
    g_run = &run;
    for (unsigned z = 0; ok && z < grid.z; ++z) {
      for (unsigned y = 0; ok && y < grid.y; ++y) {
        for (unsigned x = 0; ok && x < grid.x; ++x) {
          blockIdx = {x, y, z};
          // Garbage, not zeros, in dynamic shared memory: a kernel that reads before it
          // writes should fail here too (static __shared__ cannot be poisoned this way).
          std::memset(g_dynamic_shared, 0xff, shared_bytes);
          ok = run_block(run);
        }
      }
    }
    g_run = nullptr;
  }
  if (ok) return 0;
  std::snprintf(error, error_size, "%s", run.error.c_str());
  return 1;
}

}  // namespace gkcpu

#endif  // GRADKIT_CUDA_CPU_FIBERS_H
