#include "core/memory.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <climits>

namespace reco {

void ReturnLargeAllocationsOnFree(size_t bytes) {
#if defined(__GLIBC__)
  ::mallopt(M_MMAP_THRESHOLD, static_cast<int>(bytes > INT_MAX ? INT_MAX : bytes));
#else
  (void)bytes;
#endif
}

void ReleaseFreeMemory() {
#if defined(__GLIBC__)
  ::malloc_trim(0);
#endif
}

}  // namespace reco
