// Memory the allocator keeps after a burst: process-wide settings for a long-running server so
// that memory freed after large requests goes back to the system. glibc only; no-ops elsewhere.
//
// Thread-safety: ReleaseFreeMemory() may be called from any thread; call
// ReturnLargeAllocationsOnFree() once at start-up, before threads allocate.
#pragma once

#include <cstddef>

namespace reco {

// Allocations of at least `bytes` get a mapping of their own, unmapped when freed (glibc would
// otherwise raise this threshold to the largest block freed so far and keep such blocks in its
// heaps).
void ReturnLargeAllocationsOnFree(size_t bytes);

// Returns the free pages of every allocator arena to the system (malloc_trim). Takes time in
// proportion to the heap: call it after large frees, off latency-critical threads.
void ReleaseFreeMemory();

}  // namespace reco
