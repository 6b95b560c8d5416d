// HugePageAllocator: a std::allocator for the evidence's big tables (hash slots, per-session
// records) that asks the kernel for transparent huge pages on allocations of 2 MiB or more.
//
// The tables are probed at random; with 4 KiB pages nearly every probe of a table of hundreds
// of megabytes also misses the TLB, which under virtualisation costs more than the cache miss
// itself. With huge pages (Linux THP in "madvise" mode, the common default) those probes are
// about a third faster. Where the kernel declines, this is plain anonymous memory.
#pragma once

#include <cstddef>
#include <memory>
#include <new>

#include <sys/mman.h>

namespace mxir::detect {

template <typename T>
class HugePageAllocator {
 public:
  using value_type = T;
  static constexpr size_t kHugeBytes = size_t{2} << 20;

  HugePageAllocator() = default;
  template <typename U>
  HugePageAllocator(const HugePageAllocator<U>&) {}  // NOLINT: allocators convert implicitly

  T* allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes < kHugeBytes) return std::allocator<T>().allocate(n);
    void* p =
        mmap(nullptr, Rounded(bytes), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    (void)madvise(p, Rounded(bytes), MADV_HUGEPAGE);  // a hint; failure is harmless
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes < kHugeBytes) {
      std::allocator<T>().deallocate(p, n);
    } else {
      munmap(p, Rounded(bytes));
    }
  }
  template <typename U>
  bool operator==(const HugePageAllocator<U>&) const {
    return true;
  }

 private:
  static size_t Rounded(size_t bytes) { return (bytes + kHugeBytes - 1) & ~(kHugeBytes - 1); }
};

}  // namespace mxir::detect
