#include "core/freed_memory.h"

#include <cstddef>
#include <string>

#include <sys/types.h>

// jemalloc's control interface when the process is linked with it, else null.
extern "C" int mallctl(const char* name, void* old, size_t* old_len, void* value, size_t len)
    __attribute__((weak));

namespace mxir {

bool KeepFreedMemory() {
  if (mallctl == nullptr) return false;
  ssize_t never = -1;
  // Arenas made from now on...
  bool ok = mallctl("arenas.dirty_decay_ms", nullptr, nullptr, &never, sizeof never) == 0;
  ok = mallctl("arenas.muzzy_decay_ms", nullptr, nullptr, &never, sizeof never) == 0 && ok;
  // ...and each one there is.
  unsigned arenas = 0;
  size_t len = sizeof arenas;
  if (mallctl("arenas.narenas", &arenas, &len, nullptr, 0) != 0) return false;
  for (unsigned i = 0; i < arenas && i < 4096; ++i) {
    for (const char* what : {"dirty", "muzzy"}) {
      std::string name = "arena." + std::to_string(i) + "." + what + "_decay_ms";
      // An arena not initialized yet refuses; it gets the default set above when it is.
      (void)mallctl(name.c_str(), nullptr, nullptr, &never, sizeof never);
    }
  }
  return ok;
}

}  // namespace mxir
